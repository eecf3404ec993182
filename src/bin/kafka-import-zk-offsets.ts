import { main } from '../cli/import-zk-offsets.js';

void main(process.argv);
