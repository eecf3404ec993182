import { main } from '../cli/replica-verification.js';

void main(process.argv);
