import { main } from '../cli/kafka-acls.js';

void main(process.argv);
