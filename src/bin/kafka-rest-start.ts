import { kafkaRestMain } from '../cli/kafka-rest.js';

void kafkaRestMain(process.argv);
