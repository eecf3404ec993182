import { main } from '../cli/zookeeper-shell.js';

void main(process.argv);
