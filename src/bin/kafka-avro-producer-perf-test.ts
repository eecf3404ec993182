import { main } from '../cli/avro-producer-perf-test.js';

void main(process.argv);
