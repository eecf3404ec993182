/**
 * A self-re-arming ZooKeeper watch (used by ZkClient.watchData / watchChildren).
 *
 * ZooKeeper watches fire once and carry no data. A Watch turns them into a stream of current
 * values: every trigger (a ZooKeeper event, a reconnect, a new session) marks it dirty; one loop
 * reads the current value while setting the next watch, and hands it to the listener. The
 * listener runs one call at a time; triggers that arrive while it runs are coalesced into one
 * more read. A value equal to the last one delivered (same fingerprint: existence and zxids) is
 * not delivered again, so reconnects do not cause duplicate calls. The first value is always
 * delivered. When a read fails (no connection, expired session) the loop waits for the next
 * trigger, which the client gives on (re)connection; a timer retries as a safety net.
 */

export interface WatchRead<T> {
  value: T;
  /** Identifies the value: equal fingerprints are not delivered twice. */
  fingerprint: string;
}

export type WatchReader<T> = (watcher: () => void) => Promise<WatchRead<T>>;
export type WatchListener<T> = (value: T) => void | Promise<void>;

const RETRY_MS = 1000;

export class Watch<T> {
  readonly path: string;
  readonly #read: WatchReader<T>;
  readonly #listener: WatchListener<T>;
  readonly #onError: (err: unknown, path: string) => void;
  #dirty = false;
  #running = false;
  #closed = false;
  #last: string | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #armedWaiters: Array<() => void> = [];
  /** The one function given to ZooKeeper as the watcher: the library de-duplicates by identity. */
  readonly #onEvent = (): void => this.trigger();

  constructor(path: string, read: WatchReader<T>, listener: WatchListener<T>, onError: (err: unknown, path: string) => void) {
    this.path = path;
    this.#read = read;
    this.#listener = listener;
    this.#onError = onError;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Marks the watch dirty and starts the loop if it is idle. */
  trigger(): void {
    if (this.#closed) return;
    this.#dirty = true;
    if (this.#retryTimer) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    if (!this.#running) void this.#loop();
  }

  /** Triggers a read and resolves once a read has set the ZooKeeper watch again. */
  rearm(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.#armedWaiters.push(resolve));
    this.trigger();
    return p;
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#releaseArmedWaiters();
  }

  #releaseArmedWaiters(): void {
    const waiters = this.#armedWaiters;
    this.#armedWaiters = [];
    for (const w of waiters) w();
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#dirty && !this.#closed) {
        this.#dirty = false;
        let r: WatchRead<T>;
        try {
          r = await this.#read(this.#onEvent);
        } catch (err) {
          if (this.#closed) return;
          if (!isQuietRetry(err)) this.#onError(err, this.path);
          if (!this.#dirty) this.#scheduleRetry();
          continue;
        }
        if (this.#closed) return;
        this.#releaseArmedWaiters();
        if (r.fingerprint === this.#last) continue;
        this.#last = r.fingerprint;
        try {
          await this.#listener(r.value);
        } catch (err) {
          this.#onError(err, this.path);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.trigger();
    }, RETRY_MS);
    this.#retryTimer.unref();
  }
}

/** Errors a watch expects while the connection is down: retried without reporting. */
function isQuietRetry(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}
