/**
 * Partition ownership (/consumers/<G>/owners/<T>/<P>, ephemeral, holding the owning thread id):
 * the only way a connector takes a partition is by creating that znode, so two members can never
 * own one partition at once (step 5 of a rebalance attempt); releasing deletes only the znodes
 * this session created for the thread that still holds them (step 3).
 */
import type { ZkClient } from '../../zk/client.js';
import { NodeExistsError, NoNodeError } from '../../zk/errors.js';
import { ownerPath } from '../../zk/paths.js';
import { encodeOwner } from '../../zk/payloads.js';
import { ProjectError } from '../../common/errors.js';
import type { PartitionOwner } from './assignors.js';

/** The owner znode is held by another thread (or a predecessor's session not yet expired). */
export class OwnerConflictError extends ProjectError {}

/** Creates the owner znode of a partition for its thread; OwnerConflictError if someone else holds it. */
export async function claimPartition(zk: ZkClient, group: string, o: PartitionOwner): Promise<void> {
  const path = ownerPath(group, o.topic, o.partition);
  const data = encodeOwner(o.threadId);
  for (let i = 0; ; i++) {
    try {
      await zk.create(path, data, { mode: 'ephemeral', parents: true });
      return;
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
    }
    const node = await zk.get(path);
    if (!node && i < 3) continue; // released meanwhile
    if (node && node.data.equals(data) && node.stat.ephemeralOwner === zk.sessionOwner) return; // ours already
    const owner = node?.data.toString('utf8') ?? '?';
    throw new OwnerConflictError(`partition ${o.topic}/${o.partition} is still owned by ${owner}`, { context: { path, owner } });
  }
}

/**
 * Deletes the owner znodes of `owned` that this session holds for their threads. Returns the
 * partitions whose deletion failed (still owned), with the first error.
 */
export async function releasePartitions(zk: ZkClient, group: string, owned: readonly PartitionOwner[]): Promise<{ left: PartitionOwner[]; error: unknown }> {
  const mySession = zk.sessionOwner;
  const left: PartitionOwner[] = [];
  let error: unknown;
  await Promise.all(
    owned.map(async (o) => {
      const path = ownerPath(group, o.topic, o.partition);
      try {
        const node = await zk.get(path);
        if (!node || node.data.toString('utf8') !== o.threadId || node.stat.ephemeralOwner !== mySession) return;
        await zk.delete(path, node.version);
      } catch (err) {
        if (err instanceof NoNodeError) return;
        left.push(o);
        error ??= err;
      }
    }),
  );
  return { left, error };
}

/** "t1:[0,2] t2:[1]" for the log. */
export function describeOwned(owned: readonly PartitionOwner[]): string {
  const byTopic = new Map<string, number[]>();
  for (const o of owned) {
    let l = byTopic.get(o.topic);
    if (!l) byTopic.set(o.topic, (l = []));
    l.push(o.partition);
  }
  return [...byTopic].map(([t, ps]) => `${t}:[${ps.join(',')}]`).join(' ') || 'nothing';
}
