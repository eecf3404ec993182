/**
 * ZkClient: a typed, promise-based ZooKeeper client over node-zookeeper-client, with the
 * session behaviour Kafka 0.8 gets from I0Itec's ZkClient.
 *
 * - "Not found" is `undefined` (get, exists, children); failures are typed errors (errors.ts)
 *   that carry the path.
 * - Calls made while disconnected wait for the reconnect, up to `operationTimeoutMs` (then
 *   ZkTimeoutError). A call whose connection drops in flight is retried once connected again
 *   (like ZkClient.retryUntilConnected), and a retry that meets its own earlier success is
 *   recognised: create -> NodeExists with our data (and, for an ephemeral, our session) is
 *   success; set with a version -> BadVersion where the node holds our data at version+1 is
 *   success; delete -> NoNode is success. Sequential creates and multi are never retried (their
 *   outcome is unknown: ConnectionLossError).
 * - Watches (watchData, watchChildren) re-arm themselves and deliver current values one at a
 *   time; see watch.ts.
 * - Session expiry: the client opens a new session on its own, re-arms every watch, then runs
 *   the onSessionExpired hooks (which re-create ephemeral znodes). Events: 'state' with
 *   'connected' | 'disconnected' | 'expired' | 'authFailed' | 'closed', 'newSession' (id in
 *   hex) after a replacement session is connected, 'error' only if someone listens (listener
 *   and hook failures; without a listener they go to console.error).
 */
import { EventEmitter } from 'node:events';
import { NodeExistsError, NoNodeError, BadVersionError, ZkClosedError, ZkTimeoutError, ConnectionLossError, SessionExpiredError, ZkError, ZkOtherError } from './errors.js';
import { parentPath, childPath } from './paths.js';
import { RawSession, buildTransaction, secureAclsFor, toBuffer, toZkError, CREATE_MODES, type CreateMode, type ZkOp } from './raw.js';
import { toStat, type ZkStat } from './stat.js';
import { opResult, type ZkConnectOptions, type ZkNode, type ZkOpResult, type ZkState } from './types.js';
import { Watch, type WatchListener } from './watch.js';
import { pipelined } from './pipeline.js';

/** What sync() deletes: a znode nobody creates. */
const SYNC_BARRIER_PATH = '/zkafka-sync-barrier-never-created';

/** Children deleted at once by deleteRecursive (per level). */
const DELETE_WINDOW = 100;

export type { CreateMode, ZkOp } from './raw.js';
export type { ZkStat } from './stat.js';
export type { ZkConnectOptions, ZkNode, ZkOpResult, ZkState } from './types.js';

type ClientEvents = { state: [ZkState]; newSession: [string]; error: [unknown] };

export class ZkClient extends EventEmitter<ClientEvents> {
  readonly connectString: string;
  readonly chroot: string | undefined;
  readonly #sessionTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #opTimeoutMs: number;
  readonly #spinDelayMs: number;
  readonly #digest: string | undefined;
  /** Create znodes with Kafka's secure ACLs (zookeeper.set.acl). */
  readonly secureAcls: boolean;
  #session: RawSession;
  #closed = false;
  #watches = new Set<Watch<unknown>>();
  #hooks = new Set<() => void | Promise<void>>();
  #connectedWaiters = new Set<() => void>();
  #recovery: Promise<void> = Promise.resolve();

  /**
   * Connects (creating the chroot first if one is given, as `chroot` or as a suffix of the
   * connect string: "h:p,h:p/kafka-b", as Kafka 0.8.2's broker does); rejects with ZkTimeoutError.
   */
  static async connect(opts: ZkConnectOptions): Promise<ZkClient> {
    const slash = opts.connectString.indexOf('/');
    if (slash >= 0 && opts.chroot === undefined) {
      opts = { ...opts, connectString: opts.connectString.slice(0, slash), chroot: opts.connectString.slice(slash) };
    }
    let connectString = opts.connectString;
    if (opts.chroot && opts.chroot !== '/') {
      const chroot = opts.chroot.replace(/\/+$/, '');
      if (!chroot.startsWith('/')) throw new RangeError(`chroot must start with '/': ${opts.chroot}`);
      const base = await ZkClient.connect({ ...opts, chroot: undefined });
      try {
        await base.ensurePath(chroot);
      } finally {
        await base.close();
      }
      connectString = `${connectString.replace(/\/.*$/, '')}${chroot}`;
    }
    const client = new ZkClient(opts, connectString);
    try {
      await client.#waitConnected('/', Date.now() + client.#connectTimeoutMs, 'connecting to ZooKeeper');
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  private constructor(opts: ZkConnectOptions, connectString: string) {
    super();
    this.connectString = connectString;
    this.chroot = opts.chroot && opts.chroot !== '/' ? opts.chroot.replace(/\/+$/, '') : undefined;
    this.#sessionTimeoutMs = opts.sessionTimeoutMs ?? 6000;
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 15000;
    this.#opTimeoutMs = opts.operationTimeoutMs ?? this.#connectTimeoutMs;
    this.#spinDelayMs = opts.spinDelayMs ?? 200;
    this.#digest = (opts.digest === undefined ? process.env.ZKAFKA_ZOOKEEPER_DIGEST : opts.digest) || undefined;
    this.secureAcls = opts.secureAcls ?? this.#digest !== undefined;
    this.#session = this.#openSession();
  }

  // ---- session ------------------------------------------------------------------------------

  /** The current session id (8 bytes) and password (16 bytes): tests use them to force expiry. */
  get sessionId(): Buffer {
    return this.#session.raw.getSessionId();
  }
  get sessionIdHex(): string {
    return this.sessionId.toString('hex');
  }
  /** The session id as ZooKeeper stores it in an ephemeral znode's `ephemeralOwner`. */
  get sessionOwner(): bigint {
    return this.sessionId.readBigInt64BE(0);
  }
  get sessionPassword(): Buffer {
    return this.#session.raw.getSessionPassword();
  }
  /** The session timeout the server granted (the requested one until connected). */
  get sessionTimeoutMs(): number {
    return this.#session.raw.getSessionTimeout();
  }
  /** host:port of the ZooKeeper server currently connected to (undefined while disconnected). */
  get server(): string | undefined {
    return this.#session.server;
  }
  get connected(): boolean {
    return this.#session.connected && !this.#closed;
  }
  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `hook` after each session expiry, once a new session is connected and watches re-armed. */
  onSessionExpired(hook: () => void | Promise<void>): () => void {
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  #openSession(): RawSession {
    const s = new RawSession(this.connectString, this.#sessionTimeoutMs, this.#spinDelayMs, this.#digest);
    const current = () => s === this.#session && !this.#closed;
    s.raw.on('connected', () => {
      if (!current()) return;
      s.connected = true;
      for (const w of [...this.#connectedWaiters]) w();
      this.emit('state', 'connected');
      for (const w of this.#watches) w.trigger();
    });
    s.raw.on('disconnected', () => {
      if (!current() || !s.connected) return;
      s.connected = false;
      this.emit('state', 'disconnected');
    });
    s.raw.on('expired', () => {
      if (!current()) return;
      s.connected = false;
      this.emit('state', 'expired');
      this.#recovery = this.#recovery.then(() => this.#recover(s));
    });
    s.raw.on('authenticationFailed', () => current() && this.emit('state', 'authFailed'));
    s.raw.connect();
    return s;
  }

  /** After expiry: a new session, watches re-armed, then the hooks. */
  async #recover(expired: RawSession): Promise<void> {
    if (expired !== this.#session) return;
    void expired.close(0);
    while (!this.#closed) {
      const s = (this.#session = this.#openSession());
      try {
        await this.#waitConnected('/', Date.now() + this.#connectTimeoutMs, 'opening a new ZooKeeper session');
        break;
      } catch {
        if (this.#closed) return;
        await s.close(0);
      }
    }
    if (this.#closed) return;
    this.emit('newSession', this.sessionIdHex);
    await Promise.all([...this.#watches].map((w) => w.rearm()));
    for (const hook of [...this.#hooks]) {
      if (this.#closed) return;
      try {
        await hook();
      } catch (err) {
        this.#reportError(err);
      }
    }
  }

  #waitConnected(path: string, deadline: number, what = 'waiting for a ZooKeeper connection'): Promise<RawSession> {
    if (this.#closed) return Promise.reject(new ZkClosedError(path));
    if (this.#session.connected) return Promise.resolve(this.#session);
    return new Promise<RawSession>((resolve, reject) => {
      const wait = Math.max(0, deadline - Date.now());
      const done = () => {
        clearTimeout(timer);
        this.#connectedWaiters.delete(done);
        if (this.#closed) reject(new ZkClosedError(path));
        else resolve(this.#session);
      };
      const timer = setTimeout(() => {
        this.#connectedWaiters.delete(done);
        reject(new ZkTimeoutError(path, wait, what));
      }, wait);
      this.#connectedWaiters.add(done);
    });
  }

  #reportError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else console.error('[zk] listener or hook failed:', err);
  }

  /**
   * Runs `fn` on a connected session. With `retry`, a connection loss or expiry in flight
   * makes it wait for the next connection and call `fn` again (attempt > 0), until the
   * operation deadline.
   */
  async #run<T>(path: string, retry: boolean, fn: (s: RawSession, deadline: number, attempt: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#opTimeoutMs;
    let lastErr: unknown;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && Date.now() >= deadline) {
        throw new ZkTimeoutError(path, this.#opTimeoutMs, `ZooKeeper call (${attempt} attempts)`, { cause: lastErr });
      }
      const s = await this.#waitConnected(path, deadline);
      try {
        return await fn(s, deadline, attempt);
      } catch (err) {
        if (this.#closed) throw new ZkClosedError(path);
        const lost = err instanceof ConnectionLossError || err instanceof SessionExpiredError;
        if (!retry || !lost) throw err;
        lastErr = err;
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
      }
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The data and version of a znode, or undefined when it does not exist. */
  get(path: string): Promise<ZkNode | undefined> {
    return this.#run(path, true, (s, d) => this.#getData(s, path, d, undefined));
  }

  #getData(s: RawSession, path: string, deadline: number, watcher: (() => void) | undefined): Promise<ZkNode | undefined> {
    return s
      .call<ZkNode>(path, deadline, (done) =>
        s.raw.getData(path, watcher, (err, data, stat) => done(err, err ? undefined : { data: data ?? Buffer.alloc(0), version: stat.version, stat: toStat(stat) })),
      )
      .catch((err: unknown) => (err instanceof NoNodeError ? undefined : Promise.reject(err)));
  }

  /** The Stat of a znode, or undefined when it does not exist. */
  exists(path: string): Promise<ZkStat | undefined> {
    return this.#run(path, true, (s, d) => this.#exists(s, path, d, undefined));
  }

  #exists(s: RawSession, path: string, deadline: number, watcher: (() => void) | undefined): Promise<ZkStat | undefined> {
    return s.call<ZkStat | undefined>(path, deadline, (done) => s.raw.exists(path, watcher, (err, stat) => done(err, stat ? toStat(stat) : undefined)));
  }

  /** The names of a znode's children, sorted; undefined when the znode does not exist. */
  children(path: string): Promise<string[] | undefined> {
    return this.#run(path, true, async (s, d) => (await this.#children(s, path, d, undefined))?.children);
  }

  #children(s: RawSession, path: string, deadline: number, watcher: (() => void) | undefined): Promise<{ children: string[]; stat: ZkStat } | undefined> {
    return s
      .call<{ children: string[]; stat: ZkStat }>(path, deadline, (done) =>
        s.raw.getChildren(path, watcher, (err, children, stat) => done(err, err ? undefined : { children: [...children].sort(), stat: toStat(stat) })),
      )
      .catch((err: unknown) => (err instanceof NoNodeError ? undefined : Promise.reject(err)));
  }

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * Creates a znode and returns its path (with the sequence suffix for sequential modes).
   * With `parents`, missing ancestors are created (persistent, empty). NodeExistsError,
   * NoNodeError (parent missing), NoChildrenForEphemerals as ZkOtherError.
   */
  async create(path: string, data?: Buffer | string, opts: { mode?: CreateMode; parents?: boolean } = {}): Promise<string> {
    const mode = opts.mode ?? 'persistent';
    const buf = toBuffer(data);
    const sequential = mode.endsWith('_sequential');
    const once = () =>
      this.#run(path, !sequential, async (s, d, attempt) => {
        try {
          return await s.call<string>(path, d, (done) =>
            this.secureAcls ? s.raw.create(path, buf, secureAclsFor(path), CREATE_MODES[mode], done) : s.raw.create(path, buf, CREATE_MODES[mode], done),
          );
        } catch (err) {
          // A retry that finds the node our first attempt created: success.
          if (attempt > 0 && err instanceof NodeExistsError && (await this.#isOurs(s, path, d, buf, mode))) return path;
          throw err;
        }
      });
    try {
      return await once();
    } catch (err) {
      if (!(opts.parents && err instanceof NoNodeError)) throw err;
      await this.ensurePath(parentPath(path));
      return once();
    }
  }

  async #isOurs(s: RawSession, path: string, deadline: number, data: Buffer, mode: CreateMode): Promise<boolean> {
    const node = await this.#getData(s, path, deadline, undefined);
    if (!node || !node.data.equals(data)) return false;
    return mode !== 'ephemeral' || node.stat.ephemeralOwner === s.sessionId.readBigInt64BE(0);
  }

  /**
   * Kafka's createEphemeralPathExpectConflict: creates an ephemeral znode (and its parents);
   * if it exists with identical data (ours, e.g. from before a reconnect) that is success
   * ('exists'); with other data, NodeExistsError.
   */
  async createEphemeralExpectConflict(path: string, data: Buffer | string): Promise<'created' | 'exists'> {
    const buf = toBuffer(data);
    for (let i = 0; ; i++) {
      try {
        await this.create(path, buf, { mode: 'ephemeral', parents: true });
        return 'created';
      } catch (err) {
        if (!(err instanceof NodeExistsError)) throw err;
        const node = await this.get(path);
        if (node === undefined && i < 5) continue; // it vanished meanwhile: try again
        // ours only if this session owns it: an equal node left by an expired session of ours
        // vanishes with that session, and taking it for ours would lose the registration
        if (node?.data.equals(buf) && node.stat.ephemeralOwner === this.sessionOwner) return 'exists';
        throw new NodeExistsError(path, { cause: err, context: { existingData: node?.data.toString('utf8') } });
      }
    }
  }

  /** Sets data; with a version >= 0 only if the znode is at that version. Returns the new version. */
  async set(path: string, data: Buffer | string, version = -1): Promise<number> {
    const buf = toBuffer(data);
    return this.#run(path, true, async (s, d, attempt) => {
      try {
        return await s.call<number>(path, d, (done) => s.raw.setData(path, buf, version, (err, stat) => done(err, err ? undefined : stat.version)), version);
      } catch (err) {
        if (attempt > 0 && version >= 0 && err instanceof BadVersionError) {
          const node = await this.#getData(s, path, d, undefined);
          if (node && node.version === version + 1 && node.data.equals(buf)) return node.version;
        }
        throw err;
      }
    });
  }

  /** Deletes a znode (with a version >= 0: only at that version). NoNodeError, NotEmptyError, BadVersionError. */
  async delete(path: string, version = -1): Promise<void> {
    await this.#run(path, true, async (s, d, attempt) => {
      try {
        await s.call<void>(path, d, (done) => s.raw.remove(path, version, done), version);
      } catch (err) {
        if (attempt > 0 && err instanceof NoNodeError) return;
        throw err;
      }
    });
  }

  /**
   * A barrier, as ZooKeeper's sync(): once it resolves, reads through this client see every write
   * that was acknowledged (to any client) before it was called. A session reads from the server
   * it is connected to, which may not have applied another session's latest write yet (ZooKeeper
   * orders each session's own view, not one session's reads after another's writes), and
   * node-zookeeper-client has no sync(). A delete of a znode that never exists serves instead:
   * like any write it goes through the leader (as an error transaction), and the server answers
   * it only once it has applied everything committed before it. It changes nothing.
   */
  async sync(): Promise<void> {
    try {
      await this.delete(SYNC_BARRIER_PATH);
    } catch (err) {
      // the answer is the barrier, whatever it says (no such node; no delete permission on the
      // root); not being answered is not
      if (!(err instanceof NoNodeError || err instanceof ZkOtherError)) throw err;
    }
  }

  /** Deletes a znode and everything under it (children pipelined); a missing znode is fine. */
  async deleteRecursive(path: string): Promise<void> {
    for (let i = 0; ; i++) {
      const kids = await this.children(path);
      if (kids === undefined) return;
      await pipelined(kids, (k) => this.deleteRecursive(childPath(path, k)), DELETE_WINDOW);
      try {
        await this.delete(path);
        return;
      } catch (err) {
        if (err instanceof NoNodeError) return;
        if (!(err instanceof ZkError && err.zkCode === -111) || i >= 5) throw err; // NotEmpty: new children raced in
      }
    }
  }

  /** Creates a persistent path and its ancestors (empty data) where missing. */
  async ensurePath(path: string): Promise<void> {
    if (path === '/' || (await this.exists(path))) return;
    let current = '';
    for (const part of path.split('/').filter(Boolean)) {
      current += `/${part}`;
      try {
        await this.create(current);
      } catch (err) {
        // an existing parent we may not create in (secured znodes answer NoAuth, not NodeExists)
        if (!(err instanceof NodeExistsError) && !(await this.exists(current))) throw err;
      }
    }
  }

  /**
   * Runs operations atomically (ZooKeeper multi). On failure throws the typed error of the
   * first failing operation, whose `context.opIndex` says which. Not retried.
   */
  multi(ops: readonly ZkOp[]): Promise<ZkOpResult[]> {
    const first = ops[0]?.path ?? '/';
    return this.#run(first, false, (s, d) =>
      s.call<ZkOpResult[]>(first, d, (done) =>
        buildTransaction(s.raw, ops, this.secureAcls).commit((err, results) => {
          if (!err) return done(null, (results ?? []).map((r, i) => opResult(ops[i]!, r)));
          const i = results?.findIndex((r) => r.err !== undefined && r.err !== 0) ?? -1;
          const op = ops[i];
          if (!op) return done(err);
          const e = toZkError(err, op.path, 'version' in op ? op.version : undefined);
          e.context.opIndex = i;
          done(e);
        }),
      ),
    );
  }

  // ---- watches --------------------------------------------------------------------------------

  /**
   * Calls `listener` with the current data of `path` (or undefined while it does not exist),
   * now and after every change, one call at a time; returns the unwatch function.
   */
  watchData(path: string, listener: WatchListener<ZkNode | undefined>): () => void {
    return this.#watch<ZkNode | undefined>(path, listener, async (watcher) => {
      for (;;) {
        const node = await this.#run(path, true, (s, d) => this.#getData(s, path, d, watcher));
        if (node) return { value: node, fingerprint: `${node.stat.czxid}:${node.stat.mzxid}` };
        const stat = await this.#run(path, true, (s, d) => this.#exists(s, path, d, watcher));
        if (!stat) return { value: undefined, fingerprint: 'none' };
      }
    });
  }

  /** Like watchData for the sorted child names of `path` (undefined while it does not exist). */
  watchChildren(path: string, listener: WatchListener<string[] | undefined>): () => void {
    return this.#watch<string[] | undefined>(path, listener, async (watcher) => {
      for (;;) {
        const r = await this.#run(path, true, (s, d) => this.#children(s, path, d, watcher));
        if (r) return { value: r.children, fingerprint: `${r.stat.czxid}:${r.stat.pzxid}:${r.children.join('/')}` };
        const stat = await this.#run(path, true, (s, d) => this.#exists(s, path, d, watcher));
        if (!stat) return { value: undefined, fingerprint: 'none' };
      }
    });
  }

  #watch<T>(path: string, listener: WatchListener<T>, read: (watcher: () => void) => Promise<{ value: T; fingerprint: string }>): () => void {
    if (this.#closed) throw new ZkClosedError(path);
    const w = new Watch<T>(path, read, listener, (err) => this.#reportError(err));
    this.#watches.add(w as Watch<unknown>);
    w.trigger();
    return () => {
      w.close();
      this.#watches.delete(w as Watch<unknown>);
    };
  }

  // ---- close --------------------------------------------------------------------------------

  /** Closes the session (its ephemeral znodes go at once) and stops every watch. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#watches) w.close();
    this.#watches.clear();
    this.#hooks.clear();
    for (const w of [...this.#connectedWaiters]) w();
    await this.#session.close();
    this.emit('state', 'closed');
  }
}
