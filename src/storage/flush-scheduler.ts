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

export interface FlushObservation {
  /** Time in the queue before the slot, and the fsyncs themselves. */
  waitMs: number;
  flushMs: number;
  /** Appends this flush made durable (a group commit's size) and fsync calls it made. */
  appends: number;
  fsyncs: number;
}

export interface FlushSchedulerStats {
  flushes: number;
  fsyncs: number;
  appends: number;
  /** Logs waiting for a slot now, and slots in use. */
  queued: number;
  running: number;
}

export class FlushScheduler {
  readonly concurrency: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #observers = new Set<(o: FlushObservation) => void>();
  #flushes = 0;
  #fsyncs = 0;
  #appends = 0;

  constructor(concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`flush concurrency must be a positive integer, got ${concurrency}`);
    this.concurrency = concurrency;
  }

  /**
   * Runs `flush` in a slot: `flush` is called once a slot is free (so it picks its target then)
   * and returns how many appends and fsyncs it covered.
   */
  async run(flush: () => Promise<{ appends: number; fsyncs: number }>): Promise<void> {
    const queuedAt = performance.now();
    if (this.#running >= this.concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    const startedAt = performance.now();
    try {
      const r = await flush();
      this.#flushes++;
      this.#fsyncs += r.fsyncs;
      this.#appends += r.appends;
      if (this.#observers.size > 0) {
        const o: FlushObservation = { waitMs: startedAt - queuedAt, flushMs: performance.now() - startedAt, appends: r.appends, fsyncs: r.fsyncs };
        for (const fn of this.#observers) fn(o);
      }
    } finally {
      const next = this.#waiting.shift();
      // the slot passes straight to the next waiter (the running count stays)
      if (next) next();
      else this.#running--;
    }
  }

  /** Calls `fn` after every flush; returns the unsubscribe. */
  observe(fn: (o: FlushObservation) => void): () => void {
    this.#observers.add(fn);
    return () => this.#observers.delete(fn);
  }

  get stats(): FlushSchedulerStats {
    return { flushes: this.#flushes, fsyncs: this.#fsyncs, appends: this.#appends, queued: this.#waiting.length, running: this.#running };
  }
}

/**
 * The process's scheduler (libuv's pool is per process too). Four slots: concurrent fdatasyncs
 * gain little past three or four here, and the broker runs a pool of eight threads (main.ts)
 * so reads always find one.
 */
export const defaultFlushScheduler = new FlushScheduler(4);
