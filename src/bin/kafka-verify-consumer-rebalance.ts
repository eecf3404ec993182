import { main } from '../cli/verify-consumer-rebalance.js';

void main(process.argv);
