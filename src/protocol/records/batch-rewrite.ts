/**
 * Rewriting a stored RecordBatch v2 without touching its records' own bytes: a record's
 * offset and timestamp are deltas from the batch's baseOffset and firstTimestamp, so a batch
 * that keeps those two (and lastOffsetDelta) stays correct when records are dropped from it
 * (the log cleaner) or when its payload is compressed with another codec (a topic's
 * compression.type). Everything else in the header is kept: producer id, epoch, base
 * sequence, partition leader epoch, timestamp type, transactional and control flags, and the
 * max timestamp. Only batchLength, recordCount, the codec bits and the CRC change.
 *
 * A record inside the (decompressed) payload:
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint | key | valueLength varint | value | headerCount varint | headers
 */
import { CorruptDataError } from '../../common/errors.js';
import { COMPRESSION_CODEC_MASK, compress, decompress, type CompressionCodec } from './compression.js';
import { crc32c } from './crc.js';
import { ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, CRC_OFFSET, LOG_OVERHEAD, RECORD_COUNT_OFFSET, codecOf, type RecordBatchHeader } from './record-batch.js';

/**
 * The records of one batch payload, as parallel arrays (no object per record: the cleaner scans
 * millions). Reused from batch to batch; `count` entries are valid after scan().
 *   start/end       [start, end) of the record in the payload, its length varint included
 *   offsetDelta     from the batch's base offset
 *   timestampDelta  from the batch's first timestamp
 *   keyStart/keyLength  the key's bytes; keyLength -1 for a null key
 *   valueLength     -1 for a null value (a tombstone)
 */
export class RecordScan {
  count = 0;
  start = new Int32Array(64);
  end = new Int32Array(64);
  offsetDelta = new Int32Array(64);
  timestampDelta = new Float64Array(64);
  keyStart = new Int32Array(64);
  keyLength = new Int32Array(64);
  valueLength = new Int32Array(64);
  #p: Buffer = Buffer.alloc(0);
  #at = 0;

  #grow(n: number): void {
    if (n <= this.start.length) return;
    const size = Math.max(n, this.start.length * 2);
    this.start = new Int32Array(size);
    this.end = new Int32Array(size);
    this.offsetDelta = new Int32Array(size);
    this.timestampDelta = new Float64Array(size);
    this.keyStart = new Int32Array(size);
    this.keyLength = new Int32Array(size);
    this.valueLength = new Int32Array(size);
  }

  /** A zigzag varint, with a fast path for the one-byte ones (most lengths and deltas). */
  #varint(): number {
    const p = this.#p;
    if (this.#at >= p.length) throw new CorruptDataError('record runs past the end of its batch');
    const b0 = p[this.#at++]!;
    let u: number;
    if (b0 < 0x80) u = b0;
    else {
      u = b0 & 0x7f;
      let mul = 128;
      for (;;) {
        if (this.#at >= p.length) throw new CorruptDataError('record runs past the end of its batch');
        const b = p[this.#at++]!;
        u += (b & 0x7f) * mul;
        if (b < 0x80) break;
        mul *= 128;
        if (mul > 2 ** 63) throw new CorruptDataError('varint too long');
      }
    }
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Splits a payload into its `count` records (throws CorruptDataError if they do not fit exactly). */
  scan(p: Buffer, count: number): this {
    this.#grow(count);
    this.count = 0;
    this.#p = p;
    this.#at = 0;
    const n = p.length;
    for (let i = 0; i < count; i++) {
      const start = this.#at;
      const len = this.#varint();
      const end = this.#at + len;
      if (len < 0 || end > n) throw new CorruptDataError(`record ${i}: length ${len} runs past the end of its batch`);
      this.#at += 1; // attributes
      this.timestampDelta[i] = this.#varint();
      this.offsetDelta[i] = this.#varint();
      const keyLength = this.#varint();
      this.keyStart[i] = this.#at;
      this.keyLength[i] = keyLength;
      if (keyLength > 0) this.#at += keyLength;
      const valueLength = this.#varint();
      if (this.#at > end || (valueLength > 0 && this.#at + valueLength > end)) throw new CorruptDataError(`record ${i}: key or value runs past the end of the record`);
      this.valueLength[i] = valueLength;
      this.start[i] = start;
      this.end[i] = end;
      this.#at = end;
    }
    if (this.#at !== n) throw new CorruptDataError(`${n - this.#at} bytes after the last of ${count} records`);
    this.count = count;
    this.#p = Buffer.alloc(0);
    return this;
  }
}

/** The batch's records, uncompressed (a view of `buf` when the batch is not compressed). */
export function batchPayload(buf: Buffer, at: number, h: RecordBatchHeader): Buffer {
  return decompress(codecOf(h), buf.subarray(at + BATCH_HEADER_SIZE, at + LOG_OVERHEAD + h.batchLength));
}

/**
 * A new batch with the header of the batch at `at` in `buf` and `count` records: the ranges
 * [starts[i], ends[i]) of `payload` (raw records of its payload, in order), compressed with
 * `codec` (default: the batch's own).
 */
export function rebuildBatch(buf: Buffer, at: number, h: RecordBatchHeader, payload: Buffer, starts: ArrayLike<number>, ends: ArrayLike<number>, count: number, codec: CompressionCodec = codecOf(h)): Buffer {
  let size = 0;
  for (let i = 0; i < count; i++) size += ends[i]! - starts[i]!;
  let records: Buffer;
  if (count === 1) records = payload.subarray(starts[0]!, ends[0]!);
  else {
    records = Buffer.allocUnsafe(size);
    let w = 0;
    for (let i = 0; i < count; i++) w += payload.copy(records, w, starts[i]!, ends[i]!);
  }
  return assemble(buf, at, h, records, count, codec);
}

/** A batch of the header at `at` in `buf` around `records` (raw, `count` of them), compressed with `codec`. */
function assemble(buf: Buffer, at: number, h: RecordBatchHeader, records: Buffer, count: number, codec: CompressionCodec): Buffer {
  const body = compress(codec, records);
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
  buf.copy(out, 0, at, at + BATCH_HEADER_SIZE);
  body.copy(out, BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - LOG_OVERHEAD, 8);
  out.writeInt16BE((h.attributes & ~COMPRESSION_CODEC_MASK) | (codec & COMPRESSION_CODEC_MASK), ATTRIBUTES_OFFSET);
  out.writeInt32BE(count, RECORD_COUNT_OFFSET);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return out;
}

/** The batch at `at` with its payload compressed by `codec` instead (records unchanged). */
export function recompressBatch(buf: Buffer, at: number, h: RecordBatchHeader, codec: CompressionCodec): Buffer {
  return assemble(buf, at, h, batchPayload(buf, at, h), h.recordCount, codec);
}
