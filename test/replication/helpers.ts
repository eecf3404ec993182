/** Shared steps of the replication tests: reading partition state and waiting for it. */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { controllerPath, partitionStatePath } from '../../src/zk/paths.js';
import { decodeController, decodePartitionState, type PartitionState } from '../../src/zk/payloads.js';
import { createTopic } from '../../src/admin/topic-admin.js';

/** Broker settings that make failure detection quick in tests. */
export const FAST = {
  'zookeeper.session.timeout.ms': '3000',
  'replica.lag.time.max.ms': '3000',
  'replica.fetch.wait.max.ms': '100',
  'controlled.shutdown.retry.backoff.ms': '200',
  'leader.imbalance.check.interval.seconds': '3600',
};

export async function state(cluster: TestCluster, topic: string, partition: number): Promise<PartitionState | undefined> {
  const node = await cluster.zk.get(partitionStatePath(topic, partition));
  return node ? decodePartitionState(node.data) : undefined;
}

export async function controllerId(cluster: TestCluster): Promise<number> {
  const node = await cluster.zk.get(controllerPath);
  return node ? decodeController(node.data).brokerId : -1;
}

export async function createReplicated(cluster: TestCluster, topic: string, partitions: number, rf: number, config: Record<string, string> = {}): Promise<void> {
  const ids = [...cluster.brokers.keys()].sort();
  const assignment = new Map(Array.from({ length: partitions }, (_, p) => [p, Array.from({ length: rf }, (_, i) => ids[(p + i) % ids.length]!)]));
  await createTopic(cluster.zk, topic, { partitions, replicationFactor: rf, config, assignment });
  for (let p = 0; p < partitions; p++) {
    await until(`${topic}-${p} to have a full ISR`, async () => (await state(cluster, topic, p))?.isr.length === rf, 30_000);
  }
  await until('metadata to show the topic', async () => {
    const { Cluster } = await import('../../src/client/cluster.js');
    const c = new Cluster({ brokers: cluster.bootstrap });
    try {
      const t = await c.topicMetadata(topic, 2000);
      return t.partitions.length === partitions;
    } finally {
      c.close();
    }
  });
}

export async function waitFullIsr(cluster: TestCluster, topic: string, partitions: number, rf: number, timeoutMs = 40_000): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    await until(`${topic}-${p} ISR back to ${rf}`, async () => (await state(cluster, topic, p))?.isr.length === rf, timeoutMs);
  }
}

/** The bytes of every segment of a partition on one broker, concatenated in offset order. */
export function logBytes(cluster: TestCluster, brokerId: number, topic: string, partition: number): Buffer {
  const dir = path.join(cluster.brokers.get(brokerId)!.dir, 'logs', `${topic}-${partition}`);
  if (!existsSync(dir)) return Buffer.alloc(0);
  const files = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(files.map((f) => readFileSync(path.join(dir, f))));
}
