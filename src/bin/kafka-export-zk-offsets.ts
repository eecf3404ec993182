import { main } from '../cli/export-zk-offsets.js';

void main(process.argv);
