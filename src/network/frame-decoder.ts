/**
 * Splits a byte stream into Kafka frames: `int32 size` then `size` bytes. A size that is
 * negative or over the limit (`socket.request.max.bytes`) is refused as soon as its 4 bytes
 * arrive, before anything is allocated for it. Memory held is at most one partial frame plus
 * the chunk that completed it.
 */
import { ProjectError } from '../common/errors.js';

export class FrameSizeError extends ProjectError {
  constructor(readonly size: number, readonly limit: number) {
    super(size < 0 ? `negative frame size ${size}` : `frame size ${size} exceeds the limit of ${limit} bytes (socket.request.max.bytes)`, {
      context: { size, limit },
    });
  }
}

export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #need = -1; // size of the frame being assembled, -1 while reading its size
  /** The limit for frames whose size has not been read yet (raised after SASL authentication). */
  maxFrameBytes: number;
  readonly #allocate: (n: number) => Buffer;

  /** `allocate` gives the buffer a frame that spans chunks is copied into (frame-pool.ts). */
  constructor(maxFrameBytes: number, allocate: (n: number) => Buffer = Buffer.allocUnsafe) {
    this.maxFrameBytes = maxFrameBytes;
    this.#allocate = allocate;
  }

  /** Bytes held for frames not yet complete. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Feeds a chunk; returns the frames it completed (each without its size prefix). */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 4) break;
        const size = this.#peekInt32();
        if (size < 0 || size > this.maxFrameBytes) throw new FrameSizeError(size, this.maxFrameBytes);
        this.#consume(4);
        this.#need = size;
      }
      if (this.#buffered < this.#need) break;
      frames.push(this.#consume(this.#need));
      this.#need = -1;
    }
    return frames;
  }

  #peekInt32(): number {
    const first = this.#chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.#chunks, Math.min(this.#buffered, 4));
    return head.readInt32BE(0);
  }

  #consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.#buffered -= n;
    const first = this.#chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return out;
    }
    const out = this.#allocate(n);
    let at = 0;
    while (at < n) {
      const c = this.#chunks[0]!;
      const take = Math.min(c.length, n - at);
      c.copy(out, at, 0, take);
      at += take;
      if (take === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(take);
    }
    return out;
  }
}
