import { main } from '../cli/preferred-replica-election.js';

void main(process.argv);
