import { main } from '../cli/avro-console-producer.js';

void main(process.argv);
