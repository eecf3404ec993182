/** The public types of ZkClient (client.ts re-exports them). */
import type { ZkOp, RawStat } from './raw.js';
import { toStat, type ZkStat } from './stat.js';

export interface ZkConnectOptions {
  /** host:port[,host:port...][/chroot] (a chroot suffix is taken as `chroot` when that is not given). */
  connectString: string;
  /** Requested session timeout; the server bounds it (min/maxSessionTimeout). Default 6000. */
  sessionTimeoutMs?: number;
  /** How long connect() waits for a first session. Default 15000. */
  connectTimeoutMs?: number;
  /** How long a call waits for a connection (including retries). Default connectTimeoutMs. */
  operationTimeoutMs?: number;
  /** A chroot such as "/t1": created if missing, then every path is relative to it. */
  chroot?: string;
  /** Pause before cycling through the server list again after all failed. Default 200. */
  spinDelayMs?: number;
  /**
   * "user:password" for ZooKeeper digest authentication of this session (re-sent on every
   * reconnect). Default: $ZKAFKA_ZOOKEEPER_DIGEST (how the tools get it); null: none.
   */
  digest?: string | null;
  /**
   * Create znodes with Kafka's secure ACLs (zookeeper.set.acl, ZkData.defaultAcls): all rights
   * for the authenticated creator, read for everyone except under /config/users and
   * /config/brokers, and /consumers left open. Default: true when a digest is given.
   */
  secureAcls?: boolean;
}

export interface ZkNode {
  data: Buffer;
  version: number;
  stat: ZkStat;
}

export type ZkState = 'connected' | 'disconnected' | 'expired' | 'authFailed' | 'closed';

export type ZkOpResult = { op: 'create'; path: string } | { op: 'set'; stat: ZkStat } | { op: 'delete' } | { op: 'check' };

/** Maps a node-zookeeper-client transaction result to ours. */
export function opResult(op: ZkOp, r: { path?: string; stat?: RawStat }): ZkOpResult {
  switch (op.op) {
    case 'create':
      return { op: 'create', path: r.path ?? op.path };
    case 'set':
      return { op: 'set', stat: toStat(r.stat!) };
    default:
      return { op: op.op };
  }
}
