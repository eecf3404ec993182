/**
 * The broker-wide flush scheduler: every log's group commit takes a slot here before it
 * decides what to fsync, so at most `concurrency` fsyncs run at once across all logs.
 *
 * Why (issue 11, measured on this machine): fdatasync of different files barely overlaps
 * (64 files with 16 KiB each: ~0.17 ms per file however many run together, against 1.25 ms for
 * one file holding all 1 MiB). With a produce request touching many partitions, each log used
 * to start its fsync at once: hundreds queued in libuv's pool (4 threads), where
 *   - a log's target (its log end) was fixed when the fsync was *queued*, so appends that landed
 *     while it waited were on disk when it ran but not exposed, and took a second fsync;
 *   - reads of consumers and followers (the same pool) waited behind every queued fsync.
 * Here a log waits in a FIFO for a slot and only then fixes its target, so one fsync covers
 * everything appended while it waited (group commit across the wait), and the pool keeps
 * threads for reads. The per-log group commit (log.ts) is unchanged inside a slot.
 */

/** What a flush makes durable: a segment (its .log fdatasync, or its share of a syncfs). */
export interface Syncable {
  /** fdatasync of the segment's data (its indexes are written at roll and close, segment.ts). */
  flush(): Promise<void>;
  /** A directory on the segment's filesystem, the same for every log of a log dir (its root). */
  readonly fsRoot: string;
}

/** Makes the segments durable; resolves to the fdatasync calls it made for them. */
export type MakeDurable = (segs: readonly Syncable[]) => Promise<number>;

/** One syncfs per filesystem (FileSystemSync, syncfs.ts). */
export interface GroupSync {
  sync(dirs: string[]): Promise<void>;
}

export interface FlushObservation {
  /** Time in the queue before the slot, and the fsyncs themselves. */
  waitMs: number;
  flushMs: number;
  /** Appends this flush made durable (a group commit's size) and fsync calls it made. */
  appends: number;
  fsyncs: number;
  /** syncfs calls made for a group of flushes (counted on the group's first member). */
  syncfs: number;
}

export interface FlushSchedulerStats {
  flushes: number;
  fsyncs: number;
  /** syncfs calls, each covering a group of logs waiting together. */
  syncfs: number;
  appends: number;
  /** Logs waiting for a slot now, and slots in use. */
  queued: number;
  running: number;
}

const perFile: MakeDurable = async (segs) => {
  await Promise.all(segs.map((s) => s.flush()));
  return segs.length;
};

/**
 * Logs flushing together through one syncfs: each member calls `durable` with its segments (or
 * finishes without); once every member has, one syncfs per filesystem makes them all durable.
 */
class SyncGroup {
  readonly #sync: GroupSync;
  readonly #members: number;
  #outstanding: number;
  #finished = 0;
  /** The syncfs calls went into the scheduler's stats (once per group). */
  counted = false;
  readonly #roots = new Set<string>();
  #release!: (err?: unknown) => void;
  readonly #done: Promise<number>;
  syncCalls = 0;

  constructor(members: number, sync: GroupSync) {
    this.#members = members;
    this.#outstanding = members;
    this.#sync = sync;
    this.#done = new Promise<number>((resolve, reject) => (this.#release = (err) => (err === undefined ? resolve(0) : reject(err))));
    this.#done.catch(() => undefined);
  }

  /** A member's MakeDurable: its data with the group's syncfs. */
  durable(): MakeDurable {
    let arrived = false;
    return (segs) => {
      if (arrived) return perFile(segs); // a second flush of the same member goes on its own
      arrived = true;
      for (const seg of segs) this.#roots.add(seg.fsRoot);
      this.#arrive();
      return this.#done;
    };
  }

  /** A member finished; one that never called `durable` counts as arrived. True for the last. */
  leave(called: boolean): boolean {
    if (!called) this.#arrive();
    return ++this.#finished === this.#members;
  }

  #arrive(): void {
    if (--this.#outstanding > 0) return;
    void (async () => {
      try {
        if (this.#roots.size > 0) {
          this.syncCalls = this.#roots.size;
          await this.#sync.sync([...this.#roots]);
        }
        this.#release();
      } catch (e) {
        this.#release(e);
      }
    })();
  }
}

interface Waiter {
  resume: (durable: MakeDurable, group: SyncGroup | undefined) => void;
}

export class FlushScheduler {
  readonly concurrency: number;
  #running = 0;
  readonly #waiting: Waiter[] = [];
  readonly #observers = new Set<(o: FlushObservation) => void>();
  #flushes = 0;
  #fsyncs = 0;
  #syncfs = 0;
  #appends = 0;
  #groupSync: GroupSync | undefined;
  #groupMin = Infinity;
  /** The group flushing now, if any. */
  #group: SyncGroup | undefined;

  constructor(concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`flush concurrency must be a positive integer, got ${concurrency}`);
    this.concurrency = concurrency;
  }

  /**
   * From now on, when a slot frees and at least `minLogs` logs wait for one, they all flush
   * together in that slot through one syncfs per filesystem instead of an fdatasync each.
   * `minLogs` 0 (or no `sync`) turns this off.
   */
  groupFlushes(sync: GroupSync | undefined, minLogs: number): void {
    this.#groupSync = minLogs > 0 ? sync : undefined;
    this.#groupMin = minLogs > 0 && sync ? Math.max(2, minLogs) : Infinity;
  }

  /**
   * Runs `flush` in a slot: `flush` is called once a slot is free (so it picks its target then)
   * with how to make its segments durable, and returns how many appends and fsyncs it covered.
   */
  async run(flush: (durable: MakeDurable) => Promise<{ appends: number; fsyncs: number }>): Promise<void> {
    const queuedAt = performance.now();
    let durable = perFile;
    let group: SyncGroup | undefined;
    // while logs wait (for a slot, or for the next group), a newcomer waits behind them
    if (this.#running >= this.concurrency || this.#waiting.length > 0) {
      [durable, group] = await new Promise<[MakeDurable, SyncGroup | undefined]>((resolve) => {
        this.#waiting.push({ resume: (d, g) => resolve([d, g]) });
        this.#dispatch();
      });
    } else this.#running++;
    const startedAt = performance.now();
    let called = false;
    const tracked: MakeDurable = (segs) => {
      called = true;
      return durable(segs);
    };
    try {
      const r = await flush(tracked);
      this.#flushes++;
      this.#fsyncs += r.fsyncs;
      this.#appends += r.appends;
      let syncfs = 0;
      if (group && group.syncCalls > 0 && !group.counted) {
        group.counted = true;
        syncfs = group.syncCalls;
      }
      this.#syncfs += syncfs;
      if (this.#observers.size > 0) {
        const o: FlushObservation = { waitMs: startedAt - queuedAt, flushMs: performance.now() - startedAt, appends: r.appends, fsyncs: r.fsyncs, syncfs };
        for (const fn of this.#observers) fn(o);
      }
    } finally {
      // a group holds one slot until its last member is done
      if (!group || group.leave(called)) this.#releaseSlot(group);
    }
  }

  /**
   * The slot passes straight to the next waiter, or to every waiter as one group. One group
   * runs at a time (its syncfs covers whatever the filesystem has dirty, and the helper runs one
   * syncfs at a time anyway): while it runs, enough waiters for a group wait for the next one
   * and the slot stays free.
   */
  #releaseSlot(group: SyncGroup | undefined): void {
    if (group) this.#group = undefined;
    this.#running--;
    this.#dispatch();
  }

  /** Gives free slots to waiters: one each, or all of them to a group. */
  #dispatch(): void {
    while (this.#running < this.concurrency && this.#waiting.length > 0) {
      if (this.#groupSync && this.#waiting.length >= this.#groupMin) {
        if (this.#group) return;
        const members = this.#waiting.splice(0, this.#waiting.length);
        const group = new SyncGroup(members.length, this.#groupSync);
        this.#group = group;
        this.#running++;
        for (const m of members) m.resume(group.durable(), group);
        return;
      }
      this.#running++;
      this.#waiting.shift()!.resume(perFile, undefined);
    }
  }

  /** Calls `fn` after every flush; returns the unsubscribe. */
  observe(fn: (o: FlushObservation) => void): () => void {
    this.#observers.add(fn);
    return () => this.#observers.delete(fn);
  }

  get stats(): FlushSchedulerStats {
    return { flushes: this.#flushes, fsyncs: this.#fsyncs, syncfs: this.#syncfs, appends: this.#appends, queued: this.#waiting.length, running: this.#running };
  }
}

/**
 * The process's scheduler (libuv's pool is per process too). Four slots: concurrent fdatasyncs
 * gain little past three or four here, and the broker runs a pool of eight threads (main.ts)
 * so reads always find one.
 */
export const defaultFlushScheduler = new FlushScheduler(4);
