import { main } from '../cli/console-consumer.js';

void main(process.argv);
