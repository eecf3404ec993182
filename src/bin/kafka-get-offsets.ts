import { main } from '../cli/get-offsets.js';

void main(process.argv);
