import { main } from '../cli/producer-perf-test.js';

void main(process.argv);
