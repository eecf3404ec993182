import { main } from '../cli/mirror-maker.js';

void main(process.argv);
