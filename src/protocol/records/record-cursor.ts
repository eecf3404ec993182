/**
 * The record decoder's reads (forEachRecord in record-batch.ts): a cursor over a batch's
 * records and the varint, varlong and length-prefixed bytes of Kafka's record format, on plain
 * numbers where they fit (no Reader object per record, no BigInt below 2^48). Each read stops
 * at `end`, the end of the current record, with CorruptDataError.
 */
import { CorruptDataError } from '../../common/errors.js';

export interface Cursor {
  buf: Buffer;
  pos: number;
  /** Reads stop here (the end of the current record). */
  end: number;
}

export function truncated(c: Cursor, what: string): never {
  throw new CorruptDataError(`unexpected end of data reading ${what} at ${c.pos}`, { at: c.pos });
}

function readUvarint(c: Cursor): number {
  const buf = c.buf;
  let result = 0;
  for (let shift = 0; ; shift += 7) {
    if (c.pos >= c.end) truncated(c, 'varint');
    const b = buf[c.pos++]!;
    if (shift === 28 && b > 0x0f) throw new CorruptDataError('varint too long', { at: c.pos });
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result >>> 0;
  }
}

export function readVarint(c: Cursor): number {
  // one or two bytes: the common cases (deltas, counts; lengths below 8 KiB)
  const pos = c.pos;
  if (pos + 1 < c.end) {
    const buf = c.buf;
    const b = buf[pos]!;
    if ((b & 0x80) === 0) {
      c.pos = pos + 1;
      return (b >>> 1) ^ -(b & 1);
    }
    const b2 = buf[pos + 1]!;
    if ((b2 & 0x80) === 0) {
      c.pos = pos + 2;
      const z = (b & 0x7f) | (b2 << 7);
      return (z >>> 1) ^ -(z & 1);
    }
  }
  const z = readUvarint(c);
  return (z >>> 1) ^ -(z & 1);
}

/** A zigzag varlong: exact for |v| < 2^48 with plain numbers, BigInt only past that. */
export function readVarlong(c: Cursor): number {
  const buf = c.buf;
  const start = c.pos;
  let z = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (c.pos >= c.end) truncated(c, 'varlong');
    const b = buf[c.pos++]!;
    z += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    scale *= 128;
  }
  c.pos = start;
  return readVarlongBig(c);
}

function readVarlongBig(c: Cursor): number {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (c.pos >= c.end) truncated(c, 'varlong');
    const b = c.buf[c.pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
    if (shift > 63n) throw new CorruptDataError('varlong too long', { at: c.pos });
  }
  return Number(BigInt.asIntN(64, (result >> 1n) ^ -(result & 1n)));
}

export function readVarintBytes(c: Cursor): Buffer | null {
  const len = readVarint(c);
  if (len === -1) return null;
  if (len < 0) throw new CorruptDataError(`negative bytes length ${len}`, { at: c.pos });
  if (len > c.end - c.pos) truncated(c, 'bytes');
  const at = c.pos;
  c.pos = at + len;
  return c.buf.subarray(at, at + len);
}
