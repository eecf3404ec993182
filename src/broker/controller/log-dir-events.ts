/**
 * Log dir event notifications (Kafka 1.0's /log_dir_event_notification, KIP-112): a broker
 * whose storage failed writes a persistent sequential `log_dir_event_<seq>` node holding
 * `{"version":1,"broker":<id>,"event":1}` (1: a log dir failure); the controller reads them,
 * deletes them, and sends that broker LeaderAndIsr for every replica it hosts: the replicas it
 * answers KAFKA_STORAGE_ERROR for are failed over (broker-changes.ts, onReplicasOffline).
 */
import type { ZkClient } from '../../zk/client.js';
import { pipelined } from '../../zk/pipeline.js';

export const LOG_DIR_EVENT_PATH = '/log_dir_event_notification';
export const LOG_DIR_EVENT_PREFIX = `${LOG_DIR_EVENT_PATH}/log_dir_event_`;
/** The event a broker writes when a log dir (here: a replica's log) failed. */
export const LOG_DIR_FAILURE = 1;

export async function notifyLogDirFailure(zk: ZkClient, brokerId: number): Promise<void> {
  const data = JSON.stringify({ version: 1, broker: brokerId, event: LOG_DIR_FAILURE });
  await zk.create(LOG_DIR_EVENT_PREFIX, data, { mode: 'persistent_sequential', parents: true });
}

/** Reads and deletes the given notification nodes (pipelined); returns the brokers that reported a failure, each once. */
export async function readLogDirFailures(zk: ZkClient, children: string[]): Promise<number[]> {
  const paths = children.map((c) => `${LOG_DIR_EVENT_PATH}/${c}`);
  const nodes = await pipelined(paths, (path) => zk.get(path));
  const brokers = new Set<number>();
  for (const node of nodes) {
    if (!node) continue;
    try {
      const parsed = JSON.parse(node.data.toString('utf8')) as { broker?: unknown; event?: unknown };
      if (Number.isInteger(parsed.broker) && parsed.event === LOG_DIR_FAILURE) brokers.add(parsed.broker as number);
    } catch {
      /* an unreadable notification names no broker */
    }
  }
  await pipelined(paths, (path) => zk.delete(path).catch(() => undefined));
  return [...brokers];
}
