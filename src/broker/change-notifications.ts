/**
 * Purging old change notifications, as Kafka's ZkNodeChangeNotificationListener does: each time
 * a listener processes the notifications under its root (at start, and whenever the root's
 * children change), it deletes those created more than `changeExpirationMs` (15 minutes) before
 * the processing began. Roots: /config/changes (config_change_<seq>), /kafka-acl-changes and
 * /kafka-acl-extended-changes (acl_changes_<seq>). Every broker purges; a notification another
 * broker deleted first is simply gone. The expiry is Kafka's constant; ours can be lowered with
 * the internal broker setting `zkafka.internal.change.notification.expiration.ms` (tests).
 */
import type { ZkClient } from '../zk/client.js';
import { NoNodeError } from '../zk/errors.js';
import { childPath } from '../zk/paths.js';
import type { Logger } from '../common/logger.js';

/** Kafka's changeExpirationMs. */
export const CHANGE_EXPIRATION_MS = 15 * 60_000;
export const CHANGE_EXPIRATION_SETTING = 'zkafka.internal.change.notification.expiration.ms';

/**
 * Deletes the children of `root` whose names start with `prefix` and that were created more
 * than `expirationMs` before `now` (ZooKeeper's ctime). `names`: the children, if already
 * listed. Returns how many were deleted.
 */
export async function purgeObsoleteNotifications(
  zk: ZkClient,
  root: string,
  prefix: string,
  opts: { now: number; expirationMs: number; log: Logger; names?: readonly string[] },
): Promise<number> {
  const names = [...(opts.names ?? (await zk.children(root)) ?? [])].filter((n) => n.startsWith(prefix)).sort();
  let deleted = 0;
  for (const n of names) {
    const path = childPath(root, n);
    try {
      const node = await zk.get(path);
      if (!node || opts.now - node.stat.ctime <= opts.expirationMs) continue;
      await zk.delete(path);
      deleted++;
      opts.log.debug('purged an old change notification', { path });
    } catch (err) {
      if (!(err instanceof NoNodeError)) opts.log.warn('could not purge an old change notification', { path, error: err as Error });
    }
  }
  return deleted;
}
