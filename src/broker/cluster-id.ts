/**
 * The cluster id (Kafka 0.10.1, KIP-78), answered in Metadata v2+: 22 characters, the URL-safe
 * base64 (no padding) of a random UUID's 16 bytes. It lives at `/cluster/id` as
 * {"version":"1","id":"<id>"}. The first broker that finds it missing creates it; every other
 * broker (and a broker racing the first) reads the one that exists, so a cluster keeps its id
 * for as long as its ZooKeeper data lives.
 */
import { randomUUID } from 'node:crypto';
import type { ZkClient } from '../zk/client.js';
import { NodeExistsError } from '../zk/errors.js';
import { clusterIdPath } from '../zk/paths.js';
import { decodeClusterId, encodeClusterId } from '../zk/payloads.js';

/** A new id as Kafka makes one; never starting with '-' (a command line would take it for an option). */
export function generateClusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The cluster's id from ZooKeeper, created (with `/cluster`) when there is none yet. */
export async function getOrCreateClusterId(zk: ZkClient): Promise<string> {
  const node = await zk.get(clusterIdPath);
  if (node) return decodeClusterId(node.data, clusterIdPath);
  try {
    const id = generateClusterId();
    await zk.create(clusterIdPath, encodeClusterId(id), { parents: true });
    return id;
  } catch (err) {
    if (!(err instanceof NodeExistsError)) throw err;
    const existing = await zk.get(clusterIdPath);
    if (!existing) throw err;
    return decodeClusterId(existing.data, clusterIdPath);
  }
}
