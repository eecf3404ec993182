import { main } from '../cli/verifiable-consumer.js';

void main(process.argv);
