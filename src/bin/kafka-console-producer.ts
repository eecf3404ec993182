import { main } from '../cli/console-producer.js';

void main(process.argv);
