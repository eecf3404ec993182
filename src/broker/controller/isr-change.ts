/**
 * ISR change notifications (Kafka 0.9's /isr_change_notification): a leader that changes an
 * ISR writes a persistent sequential `isr_change_<seq>` node holding
 * `{"version":1,"partitions":[{"topic":"t","partition":0}]}`; the controller reads them,
 * refreshes those partitions' state and every broker's metadata, and deletes the nodes.
 */
import type { ZkClient } from '../../zk/client.js';
import { pipelined } from '../../zk/pipeline.js';

export const ISR_CHANGE_PATH = '/isr_change_notification';
export const ISR_CHANGE_PREFIX = `${ISR_CHANGE_PATH}/isr_change_`;

export async function notifyIsrChange(zk: ZkClient, partitions: { topic: string; partition: number }[]): Promise<void> {
  const data = JSON.stringify({ version: 1, partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })) });
  await zk.create(ISR_CHANGE_PREFIX, data, { mode: 'persistent_sequential', parents: true });
}

/** Reads and deletes the given notification nodes (pipelined); returns the partitions they name. */
export async function readIsrChanges(zk: ZkClient, children: string[]): Promise<{ topic: string; partition: number }[]> {
  const paths = children.map((c) => `${ISR_CHANGE_PATH}/${c}`);
  const nodes = await pipelined(paths, (path) => zk.get(path));
  const out: { topic: string; partition: number }[] = [];
  for (const node of nodes) {
    if (!node) continue;
    try {
      const parsed = JSON.parse(node.data.toString('utf8')) as { partitions?: { topic: string; partition: number }[] };
      for (const p of parsed.partitions ?? []) if (typeof p.topic === 'string' && Number.isInteger(p.partition)) out.push(p);
    } catch {
      /* an unreadable notification carries nothing to refresh */
    }
  }
  await pipelined(paths, (path) => zk.delete(path).catch(() => undefined));
  return out;
}
