import { main } from '../cli/verify.js';

void main(process.argv);
