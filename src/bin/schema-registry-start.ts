import { schemaRegistryMain } from '../cli/schema-registry.js';

void schemaRegistryMain(process.argv);
