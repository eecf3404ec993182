/**
 * Buffers for large incoming frames, used again once their reader is done with them. A frame
 * that arrives in several socket chunks is copied into one buffer; a fresh buffer of a megabyte
 * costs more in page faults than the copy itself (on this VM ~0.5-1 ms against 0.03 ms into a
 * buffer already touched). A follower assembles such a fetch response every round, a broker a
 * produce request of up to a megabyte for every request of a busy producer. Only a reader that
 * knows when nothing holds a view of the frame any more (the replica fetcher once every
 * partition's copy has been written, the socket server once a Produce handler has settled) may
 * `release` it; a frame never released is simply garbage collected. A leader's reads of the log
 * for its followers' fetches use one too (handlers/fetch.ts), given back once sent.
 */
export class FramePool {
  readonly #free: Buffer[] = [];
  /** The backing stores lent out and not yet released (weak: a frame never released is not kept). */
  readonly #lent = new WeakSet<ArrayBufferLike>();
  readonly #minBytes: number;
  readonly #keep: number;

  /** Frames under `minBytes` are allocated as usual; at most `keep` released buffers are kept. */
  constructor(minBytes = 64 * 1024, keep = 2) {
    this.#minBytes = minBytes;
    this.#keep = keep;
  }

  /** Buffers kept for reuse. */
  get kept(): number {
    return this.#free.length;
  }

  /** A buffer of exactly `n` bytes (a view of a kept buffer when one is large enough). */
  allocate(n: number): Buffer {
    if (n < this.#minBytes) return Buffer.allocUnsafe(n);
    const i = this.#free.findIndex((b) => b.length >= n);
    const whole = i >= 0 ? this.#free.splice(i, 1)[0]! : Buffer.allocUnsafeSlow(n);
    this.#lent.add(whole.buffer);
    return whole.subarray(0, n);
  }

  /** Takes back a frame from `allocate` (anything else, or a second release, is ignored). */
  release(frame: Buffer): void {
    if (!this.#lent.delete(frame.buffer)) return;
    this.#free.push(Buffer.from(frame.buffer, 0, frame.buffer.byteLength));
    // keep the largest: a smaller buffer would be replaced at the next large frame anyway
    this.#free.sort((a, b) => b.length - a.length);
    this.#free.length = Math.min(this.#free.length, this.#keep);
  }
}
