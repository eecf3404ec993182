/**
 * The offset registry, `/consumers/<G>/offsets/<T>/<P>`: a persistent znode holding the next
 * offset to consume as decimal text (e.g. `1234`), written directly as 0.8's
 * ZookeeperConsumerConnector did (ZkUtils.updatePersistentPath: set, or create with parents
 * when missing). Reads are lenient (payloads.decodeOffset); a missing or unreadable node is
 * "no offset" (undefined), and the caller applies auto.offset.reset. The connector reaches it
 * through offset-storage.ts (offsets.storage=zookeeper, or kafka with dual.commit.enabled).
 */
import type { ZkClient } from '../../zk/client.js';
import { NodeExistsError, NoNodeError, ZkPayloadError } from '../../zk/errors.js';
import { offsetPath } from '../../zk/paths.js';
import { decodeOffset, encodeOffset } from '../../zk/payloads.js';

/** The committed offset, or undefined when none is stored (or it is negative or unreadable). */
export async function readOffset(zk: ZkClient, group: string, topic: string, partition: number): Promise<number | undefined> {
  const path = offsetPath(group, topic, partition);
  const node = await zk.get(path);
  if (!node) return undefined;
  try {
    const v = decodeOffset(node.data, path);
    return v < 0n ? undefined : Number(v);
  } catch (err) {
    if (err instanceof ZkPayloadError) return undefined;
    throw err;
  }
}

/** Writes the next offset to consume (creating the znode and its parents when missing). */
export async function commitOffset(zk: ZkClient, group: string, topic: string, partition: number, offset: number): Promise<void> {
  const path = offsetPath(group, topic, partition);
  const data = encodeOffset(offset);
  for (let i = 0; ; i++) {
    try {
      await zk.set(path, data);
      return;
    } catch (err) {
      if (!(err instanceof NoNodeError)) throw err;
    }
    try {
      await zk.create(path, data, { parents: true });
      return;
    } catch (err) {
      if (!(err instanceof NodeExistsError) || i >= 3) throw err; // created meanwhile: set it
    }
  }
}
