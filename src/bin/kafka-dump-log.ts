import { main } from '../cli/dump-log.js';

void main(process.argv);
