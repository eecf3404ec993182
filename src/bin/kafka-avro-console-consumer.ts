import { main } from '../cli/avro-console-consumer.js';

void main(process.argv);
