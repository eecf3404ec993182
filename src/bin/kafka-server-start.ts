import './threadpool.js';
import { main } from '../broker/main.js';
import { bindOutgoingConnectionsFromEnv } from '../network/source-address.js';

// KAFKA_SOURCE_ADDRESS (set by scripts/cluster.sh --host-prefix): connect from the listener's address.
bindOutgoingConnectionsFromEnv();
void main(process.argv);
