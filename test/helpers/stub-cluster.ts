/**
 * A Cluster for the producer's sender tests, with no broker behind it: every metadata request
 * answers `topic()` (called afresh each time), and every broker is reached through `conn`, the
 * test's stand-in for a KafkaConnection (request / requestChunks).
 */
import type { Cluster } from '../../src/client/cluster.js';

export function stubCluster(topic: () => unknown, conn: unknown): Cluster {
  return {
    refresh: async () => ({ brokers: [], topics: [topic()] }),
    topicMetadata: async () => topic(),
    connectionTo: () => conn,
    close: () => undefined,
  } as unknown as Cluster;
}
