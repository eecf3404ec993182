/**
 * The one place that touches node-zookeeper-client: a session (one underlying client) and
 * promise forms of its callback calls, with its quirks handled:
 *   - a request queued while disconnected waits for the reconnect, but one queued when the
 *     session has expired never completes: every call races the session's abort signal;
 *   - errors carry no path: callers map codes to typed errors (errors.ts) with the path;
 *   - Transaction.check/setData/remove turn version 0 into -1 (`version || -1`): fixed here;
 *   - close() cannot send CloseSession while disconnected: the socket is destroyed instead;
 *   - its socket reader handles one answer per call and copies the rest of the read before the
 *     next (quadratic in the answers of one read): it is handed whole frames one at a time;
 *   - it waits forever on a server that accepted the connection but stays silent (no answer to
 *     the ConnectRequest, or no answer to pings): like Java's ClientCnxn, a server silent for
 *     the connect timeout (session timeout / servers) while connecting, or for two thirds of the
 *     session timeout while connected, is dropped and the next one tried (see #watchSilence).
 * Many calls at once are pipelined (sent without waiting for answers, as ZooKeeper allows): the
 * requests issued in one tick leave in one write (the socket is corked until the next tick), and
 * a call in flight costs O(1) to start and to finish however many are pending.
 */
import { setMaxListeners } from 'node:events';
import zookeeper from 'node-zookeeper-client';
import { SessionExpiredError, ZkTimeoutError, zkErrorFromCode, ZkError } from './errors.js';

export type RawClient = zookeeper.Client;
export type RawStat = zookeeper.Stat;

/** ConnectionManager's states. */
const CM_CLOSED = -2;
const CM_CONNECTING = 1;
const CM_CONNECTED = 2;

export class RawSession {
  readonly raw: RawClient;
  /** Aborted when this session is abandoned (expired or closed): its pending calls fail. */
  readonly abort = new AbortController();
  connected = false;
  /** The calls in flight, failed at once on abort (a Set: O(1) to add and remove, unlike 10,000 abort listeners). */
  readonly #pending = new Set<() => void>();
  #corked = false;
  /** The socket the silence watch last saw, and when data last arrived on it. */
  #watchedSocket: unknown;
  #lastHeard = 0;
  readonly #silenceTimer: NodeJS.Timeout;

  constructor(connectString: string, sessionTimeoutMs: number, spinDelayMs: number, digest?: string) {
    this.raw = zookeeper.createClient(connectString, { sessionTimeout: sessionTimeoutMs, spinDelay: spinDelayMs, retries: 0 });
    // sent once connected, and again after every reconnect
    if (digest) this.raw.addAuthInfo('digest', Buffer.from(digest, 'utf8'));
    frameByFrame(this.raw.connectionManager, () => (this.#lastHeard = Date.now()));
    this.#silenceTimer = setInterval(() => this.#watchSilence(), Math.max(100, Math.min(1000, Math.floor(sessionTimeoutMs / 10))));
    this.#silenceTimer.unref();
    setMaxListeners(0, this.abort.signal);
    this.abort.signal.addEventListener('abort', () => {
      for (const fail of [...this.#pending]) fail();
    });
  }

  /**
   * Drops a connection whose server has gone silent, so the manager reconnects (to the next
   * server). Checked again after the event loop's poll phase before acting: after a long stall of
   * this process, data already waiting on the socket is read first and counts as heard.
   */
  #watchSilence(recheck = false): void {
    const cm = this.raw.connectionManager;
    if (cm.state === CM_CLOSED || this.abort.signal.aborted) {
      clearInterval(this.#silenceTimer);
      return;
    }
    const sock = cm.socket;
    const now = Date.now();
    if (!sock || sock.destroyed || sock.connecting || sock !== this.#watchedSocket) {
      // no connection yet (the manager has its own TCP connect timeout): the clock starts once connected
      this.#watchedSocket = sock;
      this.#lastHeard = now;
      return;
    }
    const limit = cm.state === CM_CONNECTING ? cm.connectTimeout : cm.state === CM_CONNECTED ? Math.floor((cm.sessionTimeout * 2) / 3) : undefined;
    if (limit === undefined || now - this.#lastHeard <= limit) return;
    if (!recheck) {
      setImmediate(() => this.#watchSilence(true));
      return;
    }
    sock.destroy();
  }

  /** Holds the socket's writes until the next tick, so the requests of one tick leave together. */
  #cork(): void {
    if (this.#corked) return;
    const sock = this.raw.connectionManager.socket;
    if (!sock || sock.destroyed || !sock.cork || !sock.uncork) return;
    const uncork = sock.uncork.bind(sock);
    this.#corked = true;
    sock.cork();
    process.nextTick(() => {
      this.#corked = false;
      uncork();
    });
  }

  get sessionId(): Buffer {
    return this.raw.getSessionId();
  }

  /** host:port of the server this session is connected to, if connected. */
  get server(): string | undefined {
    const sock = this.raw.connectionManager.socket;
    return this.connected && sock?.remotePort ? `${sock.remoteAddress}:${sock.remotePort}` : undefined;
  }

  /**
   * Runs one callback-style call. Rejects with the typed error for `path`, with
   * SessionExpiredError when the session is abandoned, with ZkTimeoutError at `deadline`.
   */
  call<T>(path: string, deadline: number, start: (done: (err: unknown, value?: T) => void) => void, version?: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: unknown, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#pending.delete(onAbort);
        if (err) reject(toZkError(err, path, version));
        else resolve(value as T);
      };
      const onAbort = (): void => finish(new SessionExpiredError(path));
      if (this.abort.signal.aborted) return onAbort();
      this.#pending.add(onAbort);
      const wait = Math.max(0, deadline - Date.now());
      timer = setTimeout(() => finish(new ZkTimeoutError(path, wait)), wait);
      this.#cork();
      try {
        start(finish);
      } catch (err) {
        finish(err);
      }
    });
  }

  /** Closes the session: CloseSession when connected (ephemerals go at once), else drop the socket. */
  async close(waitMs = 3000): Promise<void> {
    this.abort.abort();
    clearInterval(this.#silenceTimer);
    const cm = this.raw.connectionManager;
    if (cm.state === CM_CLOSED) return;
    const closed = new Promise<void>((resolve) => {
      const onState = (s: number) => {
        if (s === CM_CLOSED) {
          cm.off('state', onState);
          resolve();
        }
      };
      cm.on('state', onState);
    });
    const wasConnected = this.connected;
    this.connected = false;
    try {
      this.raw.close();
    } catch {
      /* already closing */
    }
    if (!wasConnected) cm.socket?.destroy();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    if (cm.state !== CM_CLOSED) cm.socket?.destroy();
  }
}

/**
 * Makes the connection manager's socket reader see one whole frame (4-byte length + body) per
 * call. Its own reader takes the first frame of a read and copies the rest (Buffer.concat) before
 * it recurses for the next one, so a 64 KiB read of 600 pipelined answers copied ~20 MB; here a
 * read is cut into frames without copying, and a frame split over reads is joined once. What was
 * read from an earlier socket is dropped when the manager reconnects.
 */
function frameByFrame(cm: zookeeper.ConnectionManager, heard: () => void): void {
  const handle = cm.onSocketData.bind(cm);
  let socket: unknown;
  let parts: Buffer[] = [];
  let held = 0;
  cm.onSocketData = (chunk: Buffer): void => {
    if (cm.socket !== socket) {
      socket = cm.socket;
      parts = [];
      held = 0;
    }
    heard();
    parts.push(chunk);
    held += chunk.length;
    // wait for the whole of the next frame before joining what is held
    const head = parts[0]!.length >= 4 ? parts[0]! : held >= 4 ? Buffer.concat(parts) : undefined;
    if (!head || held < 4 + head.readInt32BE(0)) return;
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, held);
    parts = [];
    held = 0;
    let off = 0;
    while (buf.length - off >= 4) {
      const end = off + 4 + buf.readInt32BE(off);
      if (end > buf.length) break;
      handle(buf.subarray(off, end));
      off = end;
      // the reader destroys the socket on an answer it cannot place: the rest is moot
      if (cm.socket !== socket || cm.socket?.destroyed) return;
    }
    if (off < buf.length) {
      parts = [buf.subarray(off)];
      held = buf.length - off;
    }
  };
}

export function toZkError(err: unknown, path: string, version?: number): ZkError {
  if (err instanceof ZkError) return err;
  const e = err as { getCode?: () => number; code?: unknown; name?: string };
  const code = typeof e?.getCode === 'function' ? e.getCode() : typeof e?.code === 'number' ? e.code : undefined;
  if (code === undefined) {
    return new ZkError(`ZooKeeper client failure: ${String((err as Error)?.message ?? err)}`, path, undefined, false, { cause: err });
  }
  return zkErrorFromCode(code, path, e.name, err, version);
}

export const CREATE_MODES = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  persistent_sequential: zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
  ephemeral_sequential: zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
} as const;

export type CreateMode = keyof typeof CREATE_MODES;

/** One operation of a multi (transaction). version -1 (the default) matches any version. */
export type ZkOp =
  | { op: 'create'; path: string; data?: Buffer | string; mode?: CreateMode }
  | { op: 'set'; path: string; data: Buffer | string; version?: number }
  | { op: 'delete'; path: string; version?: number }
  | { op: 'check'; path: string; version: number };

/**
 * Kafka's secure znode ACLs (ZkData.defaultAcls with zookeeper.set.acl=true): the creator's
 * authenticated ids get every right, everyone else may read, except under the sensitive
 * /config/users and /config/brokers (credentials) where they get nothing; /consumers stays open
 * ("different consumers will write under this node"), so ZooKeeper-coordinated consumers and
 * kafka-node keep working. Paths are relative to the chroot.
 */
export function secureAclsFor(path: string): zookeeper.ACL[] {
  const under = (root: string): boolean => path === root || path.startsWith(`${root}/`);
  if (under('/consumers')) return zookeeper.ACL.OPEN_ACL_UNSAFE;
  if (under('/config/users') || under('/config/brokers')) return zookeeper.ACL.CREATOR_ALL_ACL;
  return [...zookeeper.ACL.CREATOR_ALL_ACL, ...zookeeper.ACL.READ_ACL_UNSAFE];
}

/** Builds a node-zookeeper-client Transaction from ZkOps, keeping version 0 as 0. */
export function buildTransaction(raw: RawClient, ops: readonly ZkOp[], secure = false): zookeeper.Transaction {
  const tx = raw.transaction();
  for (const o of ops) {
    switch (o.op) {
      case 'create':
        if (secure) tx.create(o.path, toBuffer(o.data), secureAclsFor(o.path), CREATE_MODES[o.mode ?? 'persistent']);
        else tx.create(o.path, toBuffer(o.data), CREATE_MODES[o.mode ?? 'persistent']);
        break;
      case 'set':
        tx.setData(o.path, toBuffer(o.data), o.version ?? -1);
        break;
      case 'delete':
        tx.remove(o.path, o.version ?? -1);
        break;
      case 'check':
        tx.check(o.path, o.version);
        break;
    }
    if (o.op !== 'create') tx.ops[tx.ops.length - 1]!.version = o.version ?? -1;
  }
  return tx;
}

export function toBuffer(data: Buffer | string | undefined | null): Buffer {
  if (data === undefined || data === null) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}
