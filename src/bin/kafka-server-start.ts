import './threadpool.js';
import { main } from '../broker/main.js';

void main(process.argv);
