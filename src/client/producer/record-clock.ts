/** A reading this far past `base` (~12 days) moves `base` up to it: readings stay small integers. */
const REBASE_MS = 2 ** 30;

/**
 * RecordClock: the wall clock for record timestamps, read at most once per `maxUses` records
 * within one synchronous run of code.
 *
 * On this kind of machine (a VM; see the producer benchmark) Date.now() costs 50-80 ns, close
 * to a tenth of the producer's whole per-record budget at a million records a second. Kafka's
 * timestamps have millisecond resolution, and a synchronous loop produces 64 records in tens of
 * microseconds, so reusing one reading for up to `maxUses` records of the same synchronous run
 * changes no timestamp a reader could tell apart. A reading never outlives its run: the first
 * use queues a microtask that expires it, so a record produced after any await, timer or I/O
 * callback always reads the clock afresh. (The bound is a count, not a time: code that blocks
 * the event loop between two produce() calls of one run can see the earlier reading.)
 * `sinceBase()` gives a reading as its distance from `base`, an earlier reading: a small
 * integer (see recordClock below for why); `base` moves up to a reading ~12 days on, or when
 * the wall clock went back.
 */
export class RecordClock {
  readonly #maxUses: number;
  /**
   * Milliseconds since 1970 of an earlier reading; readings are kept as their distance from it,
   * a small integer (see recordClock below for why). NaN until the first reading.
   */
  #base = NaN;
  #since = 0;
  /** Uses left of the current reading; 0: read the clock. */
  #left = 0;
  readonly #expire = (): void => {
    this.#left = 0;
  };

  constructor(maxUses = 64) {
    this.#maxUses = maxUses;
  }

  /** Milliseconds since 1970. */
  now(): number {
    const since = this.sinceBase();
    return this.#base + since;
  }

  /** What `sinceBase()` counts from (it may move forward at a reading, never within a run of uses). */
  get base(): number {
    return this.#base;
  }

  /** now() - base: a small integer, which V8 passes and stores without allocating. */
  sinceBase(): number {
    if (this.#left === 0) {
      const t = Date.now();
      let d = t - this.#base;
      // the first reading, ~12 days on, or a clock set back: count from this reading
      if (!(d >= 0 && d < REBASE_MS)) {
        this.#base = t;
        d = 0;
      }
      this.#since = d | 0;
      this.#left = this.#maxUses;
      queueMicrotask(this.#expire);
    }
    this.#left--;
    return this.#since;
  }
}

/**
 * The process's clock for records produced without a timestamp. A batch reads it itself, as it
 * writes the record (ProducerBatch.tryAppend), and keeps times as distances from `base`:
 * milliseconds since 1970 are no small integer, so V8 keeps such a time as a double, and boxes
 * it (16 bytes of garbage) wherever it passes a call it did not inline; the batch writes
 * base + distance into its header once, at seal. Measured with keyed records over 512
 * partitions: 46 -> 27 bytes allocated per record.
 */
export const recordClock = new RecordClock();
