/**
 * A growable big-endian buffer writer for the Kafka wire format.
 * Primitive types: int8/16/32/64, varint/varlong (zig-zag), string (int16 length, -1 null),
 * bytes (int32 length, -1 null), array (int32 count, -1 null). int64 values are JS numbers
 * (safe integers); offsets and timestamps never exceed 2^53 in practice.
 */
export class Writer {
  #buf: Buffer;
  #pos = 0;

  constructor(initialSize = 256) {
    this.#buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.#pos;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  int8(v: number): this {
    this.#ensure(1);
    this.#buf.writeInt8(v, this.#pos);
    this.#pos += 1;
    return this;
  }
  uint8(v: number): this {
    this.#ensure(1);
    this.#buf.writeUInt8(v, this.#pos);
    this.#pos += 1;
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.#ensure(2);
    this.#buf.writeInt16BE(v, this.#pos);
    this.#pos += 2;
    return this;
  }
  int32(v: number): this {
    this.#ensure(4);
    this.#buf.writeInt32BE(v, this.#pos);
    this.#pos += 4;
    return this;
  }
  uint32(v: number): this {
    this.#ensure(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#pos);
    this.#pos += 4;
    return this;
  }
  int64(v: number | bigint): this {
    this.#ensure(8);
    this.#buf.writeBigInt64BE(typeof v === 'bigint' ? v : BigInt(v), this.#pos);
    this.#pos += 8;
    return this;
  }
  /** Zig-zag varint (32-bit), as in record fields. */
  varint(v: number): this {
    let z = ((v << 1) ^ (v >> 31)) >>> 0;
    this.#ensure(5);
    while (z > 0x7f) {
      this.#buf[this.#pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    this.#buf[this.#pos++] = z;
    return this;
  }
  /** Zig-zag varlong (64-bit). */
  varlong(v: number | bigint): this {
    const b = typeof v === 'bigint' ? v : BigInt(v);
    let z = BigInt.asUintN(64, (b << 1n) ^ (b >> 63n));
    this.#ensure(10);
    while (z > 0x7fn) {
      this.#buf[this.#pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.#buf[this.#pos++] = Number(z);
    return this;
  }
  /** Unsigned varint (used by compact/flexible encodings). */
  uvarint(v: number): this {
    let z = v >>> 0;
    this.#ensure(5);
    while (z > 0x7f) {
      this.#buf[this.#pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    this.#buf[this.#pos++] = z;
    return this;
  }
  string(v: string | null | undefined): this {
    if (v === null || v === undefined) return this.int16(-1);
    const len = Buffer.byteLength(v, 'utf8');
    this.int16(len);
    this.#ensure(len);
    this.#buf.write(v, this.#pos, 'utf8');
    this.#pos += len;
    return this;
  }
  bytes(v: Buffer | Uint8Array | null | undefined): this {
    if (v === null || v === undefined) return this.int32(-1);
    this.int32(v.length);
    return this.raw(v);
  }
  /** Bytes with a zig-zag varint length (-1 null), as in record keys and values. */
  varintBytes(v: Buffer | Uint8Array | null | undefined): this {
    if (v === null || v === undefined) return this.varint(-1);
    this.varint(v.length);
    return this.raw(v);
  }
  raw(v: Buffer | Uint8Array): this {
    this.#ensure(v.length);
    this.#buf.set(v, this.#pos);
    this.#pos += v.length;
    return this;
  }
  array<T>(items: readonly T[] | null | undefined, each: (w: this, item: T) => void): this {
    if (items === null || items === undefined) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) each(this, item);
    return this;
  }
  /** Reserve an int32 now, fill it later (sizes). Returns the position. */
  reserveInt32(): number {
    const at = this.#pos;
    this.int32(0);
    return at;
  }
  setInt32(at: number, v: number): this {
    this.#buf.writeInt32BE(v, at);
    return this;
  }
  setUInt32(at: number, v: number): this {
    this.#buf.writeUInt32BE(v >>> 0, at);
    return this;
  }
  /** A view of the bytes written so far (shares memory with the writer). */
  view(start = 0, end = this.#pos): Buffer {
    return this.#buf.subarray(start, end);
  }
  /** The bytes written so far, as a buffer of exactly that length (shares memory). */
  finish(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }
}
