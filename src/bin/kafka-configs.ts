import { main } from '../cli/kafka-configs.js';

void main(process.argv);
