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

/** One record's place in a batch payload, and the fields the log needs from it. */
export interface RawRecord {
  /** [start, end) in the payload, the length varint included. */
  start: number;
  end: number;
  offsetDelta: number;
  timestampDelta: number;
  /** [keyStart, keyStart + keyLength) in the payload; keyLength -1 for a null key. */
  keyStart: number;
  keyLength: number;
  /** -1 for a null value (a tombstone). */
  valueLength: number;
}

/** The batch's records, uncompressed (a view of `buf` when the batch is not compressed). */
export function batchPayload(buf: Buffer, at: number, h: RecordBatchHeader): Buffer {
  return decompress(codecOf(h), buf.subarray(at + BATCH_HEADER_SIZE, at + LOG_OVERHEAD + h.batchLength));
}

function uvarint(p: Buffer, pos: { at: number }): number {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (pos.at >= p.length) throw new CorruptDataError('record runs past the end of its batch');
    const b = p[pos.at++]!;
    v += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return v;
    shift += 7;
    if (shift > 63) throw new CorruptDataError('varint too long');
  }
}
function zigzag(p: Buffer, pos: { at: number }): number {
  const u = uvarint(p, pos);
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** Splits a payload into its `count` records (throws CorruptDataError if they do not fit exactly). */
export function scanRecords(payload: Buffer, count: number): RawRecord[] {
  const out: RawRecord[] = new Array(count);
  const pos = { at: 0 };
  for (let i = 0; i < count; i++) {
    const start = pos.at;
    const len = zigzag(payload, pos);
    const end = pos.at + len;
    if (len < 0 || end > payload.length) throw new CorruptDataError(`record ${i}: length ${len} runs past the end of its batch`);
    pos.at += 1; // attributes
    const timestampDelta = zigzag(payload, pos);
    const offsetDelta = zigzag(payload, pos);
    const keyLength = zigzag(payload, pos);
    const keyStart = pos.at;
    if (keyLength > 0) pos.at += keyLength;
    const valueLength = zigzag(payload, pos);
    if (pos.at > end || (valueLength > 0 && pos.at + valueLength > end)) throw new CorruptDataError(`record ${i}: key or value runs past the end of the record`);
    out[i] = { start, end, offsetDelta, timestampDelta, keyStart, keyLength, valueLength };
    pos.at = end;
  }
  if (pos.at !== payload.length) throw new CorruptDataError(`${payload.length - pos.at} bytes after the last of ${count} records`);
  return out;
}

/**
 * A new batch with the header of the batch at `at` in `buf` and the given records (raw bytes
 * from its payload, in order), compressed with `codec` (default: the batch's own).
 */
export function rebuildBatch(buf: Buffer, at: number, h: RecordBatchHeader, records: readonly Buffer[], codec: CompressionCodec = codecOf(h)): Buffer {
  const payload = compress(codec, records.length === 1 ? records[0]! : Buffer.concat(records as Buffer[]));
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + payload.length);
  buf.copy(out, 0, at, at + BATCH_HEADER_SIZE);
  payload.copy(out, BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - LOG_OVERHEAD, 8);
  out.writeInt16BE((h.attributes & ~COMPRESSION_CODEC_MASK) | (codec & COMPRESSION_CODEC_MASK), ATTRIBUTES_OFFSET);
  out.writeInt32BE(records.length, RECORD_COUNT_OFFSET);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return out;
}

/** The batch at `at` with its payload compressed by `codec` instead (records unchanged). */
export function recompressBatch(buf: Buffer, at: number, h: RecordBatchHeader, codec: CompressionCodec): Buffer {
  return rebuildBatch(buf, at, h, [batchPayload(buf, at, h)], codec);
}
