import { uiStartMain } from '../cli/ui-start.js';

void uiStartMain(process.argv);
