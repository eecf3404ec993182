/**
 * A bounds-checked big-endian reader for the Kafka wire format. Every length read from the
 * input is checked against the bytes that remain before anything is allocated or sliced, so a
 * hostile length field yields a CorruptDataError, never a huge allocation.
 */
import { CorruptDataError } from '../common/errors.js';

export class Reader {
  readonly buf: Buffer;
  #pos: number;
  readonly #end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get offset(): number {
    return this.#pos;
  }
  get remaining(): number {
    return this.#end - this.#pos;
  }

  #need(n: number, what: string): void {
    if (n < 0 || this.#pos + n > this.#end) {
      throw new CorruptDataError(`${what}: needs ${n} bytes, ${this.#end - this.#pos} remain`, { at: this.#pos });
    }
  }

  int8(): number {
    this.#need(1, 'int8');
    return this.buf.readInt8(this.#pos++);
  }
  uint8(): number {
    this.#need(1, 'uint8');
    return this.buf[this.#pos++]!;
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.#need(2, 'int16');
    const v = this.buf.readInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }
  int32(): number {
    this.#need(4, 'int32');
    const v = this.buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  uint32(): number {
    this.#need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  /** int64 as a JS number (exact up to 2^53). */
  int64(): number {
    this.#need(8, 'int64');
    const hi = this.buf.readInt32BE(this.#pos);
    const lo = this.buf.readUInt32BE(this.#pos + 4);
    this.#pos += 8;
    return hi * 4294967296 + lo;
  }
  int64Big(): bigint {
    this.#need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.#pos);
    this.#pos += 8;
    return v;
  }
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      this.#need(1, 'varint');
      const b = this.buf[this.#pos++]!;
      if (shift === 28 && b > 0x0f) throw new CorruptDataError('varint too long', { at: this.#pos });
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }
  varint(): number {
    const z = this.uvarint();
    return (z >>> 1) ^ -(z & 1);
  }
  varlong(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      this.#need(1, 'varlong');
      const b = this.buf[this.#pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new CorruptDataError('varlong too long', { at: this.#pos });
    }
    const v = (result >> 1n) ^ -(result & 1n);
    return Number(BigInt.asIntN(64, v));
  }
  string(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < 0) throw new CorruptDataError(`negative string length ${len}`, { at: this.#pos });
    this.#need(len, 'string');
    const s = this.buf.toString('utf8', this.#pos, this.#pos + len);
    this.#pos += len;
    return s;
  }
  /** A string that must not be null. */
  requiredString(): string {
    const s = this.string();
    if (s === null) throw new CorruptDataError('unexpected null string', { at: this.#pos });
    return s;
  }
  /** int32-length bytes, as a view into the input (no copy). */
  bytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < 0) throw new CorruptDataError(`negative bytes length ${len}`, { at: this.#pos });
    return this.raw(len);
  }
  /** Non-nullable BYTES (group metadata, assignments): a -1 length is corrupt, as in Kafka. */
  requiredBytes(): Buffer {
    const b = this.bytes();
    if (b === null) throw new CorruptDataError('unexpected null bytes', { at: this.#pos });
    return b;
  }
  varintBytes(): Buffer | null {
    const len = this.varint();
    if (len === -1) return null;
    if (len < 0) throw new CorruptDataError(`negative bytes length ${len}`, { at: this.#pos });
    return this.raw(len);
  }
  raw(len: number): Buffer {
    this.#need(len, 'bytes');
    const b = this.buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return b;
  }
  skip(len: number): void {
    this.#need(len, 'skip');
    this.#pos += len;
  }
  /**
   * An int32-counted array. The count is checked against the bytes that remain (each element
   * takes at least `minElementSize` bytes) before the loop runs.
   */
  array<T>(each: (r: this) => T, minElementSize = 1): T[] {
    const n = this.int32();
    if (n === -1) return [];
    if (n < 0 || n * minElementSize > this.remaining) {
      throw new CorruptDataError(`array count ${n} exceeds the ${this.remaining} bytes that remain`, { at: this.#pos });
    }
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = each(this);
    return out;
  }
  /** Same as array() but keeps null (-1) distinct from empty. */
  nullableArray<T>(each: (r: this) => T, minElementSize = 1): T[] | null {
    if (this.remaining >= 4 && this.buf.readInt32BE(this.#pos) === -1) {
      this.#pos += 4;
      return null;
    }
    return this.array(each, minElementSize);
  }
}
