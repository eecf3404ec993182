/**
 * ZooKeeper helpers for tests. The shared ZooKeeper comes from the global setup
 * (test/setup/zk-global.ts); each test file works under a chroot of its own so files can run
 * in parallel without seeing each other's znodes.
 *
 *   const zk = useZkChroot('client');          // in a describe/file: chroot + cleanup hooks
 *   const c = await zk.connect();              // a ZkClient inside the chroot (closed afterAll)
 *
 *   zkConnect()                                // the shared connect string
 *   uniqueChroot('name')                       // "/test-name-<random>"
 *   await expireSession(client)                // force a session expiry, the standard way
 */
import { afterAll } from 'vitest';
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import { ZkClient, type ZkConnectOptions } from '../../src/zk/client.js';

export { waitFor, deferred } from './wait.js';

/** The shared ZooKeeper's connect string (no chroot). */
export function zkConnect(): string {
  return inject('zkConnect');
}

/** A chroot path no other test uses: `/test-<name>-<8 hex>`. */
export function uniqueChroot(name: string): string {
  const slug = name.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 40) || 'x';
  return `/test-${slug}-${randomBytes(4).toString('hex')}`;
}

export interface ZkChroot {
  /** The chroot path, e.g. "/test-client-1a2b3c4d". */
  readonly chroot: string;
  /** The shared connect string with the chroot suffix (for other clients such as kafka-node). */
  readonly connectString: string;
  /** A new client inside the chroot; closed by cleanup(). */
  connect(opts?: Partial<ZkConnectOptions>): Promise<ZkClient>;
  /** Closes every client made by connect() and deletes the chroot. */
  cleanup(): Promise<void>;
}

/** A chroot and the clients made in it, for use outside vitest hooks. */
export function withChroot(name: string, connectString = zkConnect()): ZkChroot {
  const chroot = uniqueChroot(name);
  const clients: ZkClient[] = [];
  return {
    chroot,
    connectString: `${connectString}${chroot}`,
    async connect(opts = {}) {
      const c = await ZkClient.connect({ connectString, chroot, sessionTimeoutMs: 6000, ...opts });
      clients.push(c);
      return c;
    },
    async cleanup() {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      const admin = await ZkClient.connect({ connectString });
      try {
        await admin.deleteRecursive(chroot);
      } finally {
        await admin.close();
      }
    },
  };
}

/** withChroot for a test file or describe block: cleaned up in afterAll. */
export function useZkChroot(name: string): ZkChroot {
  const z = withChroot(name);
  afterAll(() => z.cleanup());
  return z;
}

/**
 * Forces the expiry of `client`'s session, the standard way: a second client joins the same
 * session (id and password) and closes it. The victim sees 'expired' when it next talks to
 * the server. `connectString` defaults to the shared ZooKeeper.
 */
export async function expireSession(client: ZkClient, connectString = zkConnect()): Promise<void> {
  const other = zookeeper.createClient(connectString, {
    sessionTimeout: client.sessionTimeoutMs,
    sessionId: client.sessionId,
    sessionPassword: client.sessionPassword,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('expireSession: could not join the session')), 10_000);
    other.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    other.connect();
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5_000);
    other.once('disconnected', () => {
      clearTimeout(timer);
      resolve();
    });
    other.close();
  });
}

/**
 * `client`, with each read (get, exists, children) made after a sync(): a test that reads what
 * another process (a broker, a CLI tool, a consumer) has written and acknowledged sees it, on
 * whichever server of the ensemble its session is. Each read costs a write's round trip more.
 */
export function syncedReads(client: ZkClient): ZkClient {
  for (const name of ['get', 'exists', 'children'] as const) {
    const read = client[name].bind(client) as (path: string) => Promise<unknown>;
    Object.defineProperty(client, name, {
      value: async (path: string) => {
        await client.sync();
        return read(path);
      },
    });
  }
  return client;
}
