import { main } from '../cli/reassign-partitions.js';

void main(process.argv);
