/**
 * The log's flushed offset (everything below it is on disk, and only that is exposed: the
 * paper's flush-before-expose rule), with those waiting on it: waiters for one offset (a
 * producer's acks=1 answer) and listeners for every advance (a leader's high watermark).
 */

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class FlushedOffset {
  #value: number;
  #waiters: Waiter[] = [];
  readonly #listeners = new Set<(flushedOffset: number) => void>();

  constructor(value: number) {
    this.#value = value;
  }

  get value(): number {
    return this.#value;
  }

  /** A flush made everything below `to` durable: wakes the waiters it covers, then the listeners. */
  advance(to: number): void {
    this.#value = to;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (to > w.offset) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
    for (const l of this.#listeners) {
      try {
        l(to);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /**
   * A truncation to `logEndOffset`: the value follows the log end down, and the waiters for
   * offsets cut off fail with `gone(offset)`: their records are not in the log any more, and
   * the offsets will be flushed again with other records.
   */
  lowerTo(logEndOffset: number, gone: (offset: number) => unknown): void {
    this.#value = Math.min(this.#value, logEndOffset);
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.offset >= logEndOffset) w.reject(gone(w.offset));
      else still.push(w);
    }
    this.#waiters = still;
  }

  /** Resolves when the value is > offset (the record at `offset` is on disk and visible). */
  waitFor(offset: number): Promise<void> {
    if (this.#value > offset) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ offset, resolve, reject }));
  }

  /** Calls `listener(value)` after each advance; returns the unsubscribe function. */
  onAdvance(listener: (flushedOffset: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Rejects every waiter with `e` (made only when someone waits: closing 10,000 logs makes no errors). */
  failWaiters(e: () => unknown): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    const err = e();
    for (const w of waiters) w.reject(err);
  }
}
