import { main } from '../cli/consumer-perf-test.js';

void main(process.argv);
