import { main } from '../cli/consumer-groups.js';

void main(process.argv);
