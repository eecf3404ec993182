import { main } from '../cli/kafka-topics.js';

void main(process.argv);
