/**
 * Gathers items for `delayMs` after the first, then hands them all to `flush` in one call: one
 * notification to the controller for many changes (a broker rejoining 10,000 ISRs, a full disk
 * failing hundreds of replicas). An item added again under the same key before the flush
 * replaces the first. Flushes run one after another, in order.
 */
export class Batcher<T> {
  readonly #delayMs: number;
  readonly #flush: (items: T[]) => Promise<void>;
  #items = new Map<string, T>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(delayMs: number, flush: (items: T[]) => Promise<void>) {
    this.#delayMs = delayMs;
    this.#flush = flush;
  }

  add(key: string, item: T): void {
    this.#items.set(key, item);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flushNow();
    }, this.#delayMs);
  }

  /** Hands over what is gathered now; resolves once it (and every flush before it) is done. */
  flushNow(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const items = [...this.#items.values()];
    this.#items = new Map();
    this.#flushing = this.#flushing.then(() => (items.length > 0 ? this.#flush(items) : undefined)).catch(() => undefined);
    return this.#flushing;
  }

  /** Drops what is gathered and not yet flushed. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#items.clear();
  }
}
