/**
 * What `kafka-consumer-groups.sh --describe` (and 0.8's ConsumerOffsetChecker) shows about a
 * ZooKeeper-coordinated group: per partition of every topic the group subscribes to, owns or
 * has offsets for, the committed offset (/consumers/<G>/offsets), the log end offset (asked of
 * the partition's leader with ListOffsets v1, brokers found under /brokers/ids), the lag, and
 * the owner (/consumers/<G>/owners). Unknown values are undefined.
 */
import type { ZkClient } from '../../zk/client.js';
import { consumerGroupPath, consumerOffsetsPath, consumerOffsetsRootPath, consumerOwnersRootPath } from '../../zk/paths.js';
import { Cluster, call } from '../cluster.js';
import { API_CODECS } from '../../protocol/apis/index.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { LATEST_TIMESTAMP } from '../../protocol/apis/list-offsets.js';
import { ErrorCode } from '../../common/errors.js';
import { readOffset } from './offsets.js';
import type { ClientSecurity } from '../../network/client-security.js';
import { readBrokers, readMembers, readOwners, readTopicPartitions } from './registry.js';

export interface PartitionLag {
  topic: string;
  partition: number;
  currentOffset: number | undefined;
  logEndOffset: number | undefined;
  lag: number | undefined;
  owner: string | undefined;
}

export interface GroupDescription {
  group: string;
  members: string[];
  partitions: PartitionLag[];
}

export async function groupExists(zk: ZkClient, group: string): Promise<boolean> {
  return (await zk.exists(consumerGroupPath(group))) !== undefined;
}

export async function describeGroup(zk: ZkClient, group: string, opts: { topic?: string; clientId?: string; timeoutMs?: number; security?: ClientSecurity } = {}): Promise<GroupDescription> {
  const members = await readMembers(zk, group);
  const topics = new Set<string>();
  for (const m of members) for (const t of Object.keys(m.subscription)) topics.add(t);
  for (const t of (await zk.children(consumerOffsetsRootPath(group))) ?? []) topics.add(t);
  for (const t of (await zk.children(consumerOwnersRootPath(group))) ?? []) topics.add(t);
  if (opts.topic !== undefined) for (const t of [...topics]) if (t !== opts.topic) topics.delete(t);
  if (opts.topic !== undefined) topics.add(opts.topic);
  const sorted = [...topics].sort();

  const partitions = await readTopicPartitions(zk, sorted);
  const rows: PartitionLag[] = [];
  for (const topic of sorted) {
    const ids = new Set(partitions.get(topic) ?? []);
    // a deleted topic still shows the partitions the group committed offsets for
    for (const p of (await zk.children(consumerOffsetsPath(group, topic))) ?? []) if (/^\d+$/.test(p)) ids.add(Number(p));
    const owners = await readOwners(zk, group, topic);
    for (const p of owners.keys()) ids.add(p);
    for (const partition of [...ids].sort((a, b) => a - b)) {
      rows.push({ topic, partition, currentOffset: await readOffset(zk, group, topic, partition), logEndOffset: undefined, lag: undefined, owner: owners.get(partition) });
    }
  }

  const ends = await logEndOffsets(zk, rows, opts);
  for (const r of rows) {
    r.logEndOffset = ends.get(`${r.topic}/${r.partition}`);
    if (r.logEndOffset !== undefined && r.currentOffset !== undefined) r.lag = Math.max(0, r.logEndOffset - r.currentOffset);
  }
  return { group, members: members.map((m) => m.consumerId), partitions: rows };
}

/** Log end offsets from the partition leaders (missing where no broker answers). */
async function logEndOffsets(zk: ZkClient, parts: readonly { topic: string; partition: number }[], opts: { clientId?: string; timeoutMs?: number; security?: ClientSecurity }): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  // the brokers' endpoints of our security protocol (none: every log end offset stays unknown)
  const brokers = await readBrokers(zk, opts.security?.protocol);
  if (brokers.size === 0 || parts.length === 0) return out;
  const cluster = new Cluster({ brokers: [...brokers.values()], clientId: opts.clientId ?? 'consumer-groups', requestTimeoutMs: opts.timeoutMs ?? 10_000, security: opts.security });
  try {
    const topics = [...new Set(parts.map((p) => p.topic))];
    await cluster.refresh(topics);
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    for (const p of parts) {
      const leader = cluster.leaderOf(p.topic, p.partition);
      if (leader < 0) continue;
      if (!byLeader.has(leader)) byLeader.set(leader, []);
      byLeader.get(leader)!.push(p);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const req = new Map<string, { partition: number; timestamp: number; maxNumOffsets: number }[]>();
        for (const p of list) {
          if (!req.has(p.topic)) req.set(p.topic, []);
          req.get(p.topic)!.push({ partition: p.partition, timestamp: LATEST_TIMESTAMP, maxNumOffsets: 1 });
        }
        try {
          const res = (await call(cluster.connectionTo(leader), API_CODECS[ApiKey.ListOffsets], 1, { replicaId: -1, topics: [...req].map(([topic, partitions]) => ({ topic, partitions })) }))!;
          for (const t of res.topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE && p.offset !== undefined && p.offset >= 0) out.set(`${t.topic}/${p.partition}`, p.offset);
        } catch {
          /* that leader is away: its partitions stay unknown */
        }
      }),
    );
  } catch {
    /* no broker answers: every log end offset stays unknown */
  } finally {
    cluster.close();
  }
  return out;
}
