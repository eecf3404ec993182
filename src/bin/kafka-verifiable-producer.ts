import { main } from '../cli/verifiable-producer.js';

void main(process.argv);
