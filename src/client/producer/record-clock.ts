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
 */
export class RecordClock {
  readonly #maxUses: number;
  #now = 0;
  /** Uses left of the current reading; 0: read the clock. */
  #left = 0;
  readonly #expire = (): void => {
    this.#left = 0;
  };

  constructor(maxUses = 64) {
    this.#maxUses = maxUses;
  }

  now(): number {
    if (this.#left === 0) {
      this.#now = Date.now();
      this.#left = this.#maxUses;
      queueMicrotask(this.#expire);
    }
    this.#left--;
    return this.#now;
  }
}
