/**
 * RecordBatch v2 (magic 2), the on-disk and on-wire format of a batch of records. Big-endian:
 *
 *   off  field                  type
 *     0  baseOffset             int64
 *     8  batchLength            int32   bytes after this field (total size = batchLength + 12)
 *    12  partitionLeaderEpoch   int32
 *    16  magic                  int8    = 2
 *    17  crc                    uint32  CRC32C of bytes 21 .. end (attributes to the last record)
 *    21  attributes             int16   bits 0-2 codec, bit 3 timestamp type (1 = log append
 *                                       time), bit 4 transactional, bit 5 control
 *    23  lastOffsetDelta        int32
 *    27  firstTimestamp         int64
 *    35  maxTimestamp           int64
 *    43  producerId             int64
 *    51  producerEpoch          int16
 *    53  baseSequence           int32
 *    57  recordCount            int32
 *    61  records                (compressed as a whole when the codec is not none)
 *
 *   record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *           key varint-bytes (-1 null), value varint-bytes (-1 null),
 *           headers: varint count of (key varint-string, value varint-bytes)
 *
 * baseOffset and batchLength are outside the CRC, so the log can assign offsets without
 * touching it; setting log-append time changes attributes and maxTimestamp, which are inside
 * it, so setLogAppendTime() recomputes the CRC. int64 fields are JS numbers (exact to 2^53).
 */
import { CorruptDataError } from '../../common/errors.js';
import { Writer } from '../writer.js';
import { COMPRESSION_CODEC_MASK, CompressionCodec, compress, decompress } from './compression.js';
import { crc32c } from './crc.js';
import { readVarint, readVarintBytes, readVarlong, truncated, type Cursor } from './record-cursor.js';

export const BATCH_HEADER_SIZE = 61;
/** Bytes before batchLength's coverage starts: baseOffset + batchLength. */
export const LOG_OVERHEAD = 12;
export const MAGIC_V2 = 2;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const MAX_TIMESTAMP_OFFSET = 35;
export const RECORD_COUNT_OFFSET = 57;
/** The smallest legal batchLength (a batch with no records). */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LOG_OVERHEAD;

export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

export interface RecordBatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface KafkaRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

export type Bytes = Buffer | string | null | undefined;

export interface RecordInput {
  key?: Bytes;
  value?: Bytes;
  headers?: { key: string; value: Bytes }[] | Record<string, Bytes>;
  timestamp?: number;
}

export interface EncodeRecordBatchOptions {
  baseOffset?: number;
  records: RecordInput[];
  compression?: CompressionCodec;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  timestampType?: TimestampType;
  /** Defaults to the first record's timestamp (records without one get Date.now()). */
  firstTimestamp?: number;
  transactional?: boolean;
}

function int64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

function writeInt64(buf: Buffer, at: number, v: number): void {
  buf.writeBigInt64BE(BigInt(v), at);
}

/** Total bytes of a batch on disk / on the wire. */
export function batchSize(h: RecordBatchHeader): number {
  return h.batchLength + LOG_OVERHEAD;
}

/** The offset of the last record of a batch. */
export function lastOffsetOf(h: RecordBatchHeader): number {
  return h.baseOffset + h.lastOffsetDelta;
}

export function codecOf(h: RecordBatchHeader): CompressionCodec {
  return h.attributes & COMPRESSION_CODEC_MASK;
}

/** Reads the 61-byte header at `at`; checks only that 61 bytes are there. */
export function readBatchHeader(buf: Buffer, at = 0): RecordBatchHeader {
  if (at < 0 || at + BATCH_HEADER_SIZE > buf.length) {
    throw new CorruptDataError(`record batch header at ${at}: needs ${BATCH_HEADER_SIZE} bytes, ${Math.max(0, buf.length - at)} remain`, { at });
  }
  return {
    baseOffset: int64(buf, at),
    batchLength: buf.readInt32BE(at + 8),
    partitionLeaderEpoch: buf.readInt32BE(at + 12),
    magic: buf.readInt8(at + 16),
    crc: buf.readUInt32BE(at + 17),
    attributes: buf.readInt16BE(at + 21),
    lastOffsetDelta: buf.readInt32BE(at + 23),
    firstTimestamp: int64(buf, at + 27),
    maxTimestamp: int64(buf, at + 35),
    producerId: int64(buf, at + 43),
    producerEpoch: buf.readInt16BE(at + 51),
    baseSequence: buf.readInt32BE(at + 53),
    recordCount: buf.readInt32BE(at + 57),
  };
}

/**
 * Reads and checks the batch at `at`: its length against the buffer, magic 2, the CRC32C, and
 * that recordCount and lastOffsetDelta are not negative. Throws CorruptDataError.
 */
export function validateBatch(buf: Buffer, at = 0): RecordBatchHeader {
  const h = readBatchHeader(buf, at);
  if (h.batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptDataError(`record batch at ${at}: batchLength ${h.batchLength} is below the minimum ${MIN_BATCH_LENGTH}`, { at });
  }
  const end = at + LOG_OVERHEAD + h.batchLength;
  if (end > buf.length) {
    throw new CorruptDataError(`record batch at ${at}: batchLength ${h.batchLength} runs past the end of the buffer (${buf.length - at - LOG_OVERHEAD} bytes remain)`, { at });
  }
  if (h.magic !== MAGIC_V2) {
    throw new CorruptDataError(`record batch at ${at}: magic ${h.magic}, expected ${MAGIC_V2}`, { at });
  }
  const crc = crc32c(buf.subarray(at + ATTRIBUTES_OFFSET, end));
  if (crc !== h.crc) {
    throw new CorruptDataError(`record batch at ${at} (base offset ${h.baseOffset}): CRC32C mismatch, stored ${h.crc.toString(16)}, computed ${crc.toString(16)}`, { at });
  }
  if (h.recordCount < 0 || h.lastOffsetDelta < 0) {
    throw new CorruptDataError(`record batch at ${at}: negative recordCount ${h.recordCount} or lastOffsetDelta ${h.lastOffsetDelta}`, { at });
  }
  return h;
}

export interface BatchPosition {
  at: number;
  header: RecordBatchHeader;
}

/** splitBatches' result: the whole batches, plus how many trailing bytes were a partial batch. */
export type BatchList = BatchPosition[] & { partialBytes: number };

/**
 * Splits concatenated batches by their length fields (no CRC check: use validateBatch).
 * A trailing partial batch (a fetch response cut at maxBytes) is left out and its size reported
 * in `partialBytes`, as Kafka's readers do. A length below the minimum or a magic other than 2
 * throws CorruptDataError.
 */
export function splitBatches(buf: Buffer): BatchList {
  const out = [] as unknown as BatchList;
  let at = 0;
  while (at + LOG_OVERHEAD <= buf.length) {
    const batchLength = buf.readInt32BE(at + 8);
    if (batchLength < MIN_BATCH_LENGTH) {
      throw new CorruptDataError(`record batch at ${at}: batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`, { at });
    }
    if (at + LOG_OVERHEAD + batchLength > buf.length) break;
    const header = readBatchHeader(buf, at);
    if (header.magic !== MAGIC_V2) {
      throw new CorruptDataError(`record batch at ${at}: magic ${header.magic}, expected ${MAGIC_V2}`, { at });
    }
    out.push({ at, header });
    at += LOG_OVERHEAD + batchLength;
  }
  out.partialBytes = buf.length - at;
  return out;
}

/** Sets the base offset of the batch at `at` (outside the CRC: no recomputation). */
export function setBaseOffset(buf: Buffer, at: number, baseOffset: number): void {
  writeInt64(buf, at, baseOffset);
}

/** Marks the batch at `at` as log-append-time `ts`: attribute bit 3, maxTimestamp, new CRC. */
export function setLogAppendTime(buf: Buffer, at: number, ts: number): void {
  const end = at + LOG_OVERHEAD + buf.readInt32BE(at + 8);
  if (end > buf.length) throw new CorruptDataError(`record batch at ${at}: runs past the end of the buffer`, { at });
  buf.writeInt16BE(buf.readInt16BE(at + ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_MASK, at + ATTRIBUTES_OFFSET);
  writeInt64(buf, at + MAX_TIMESTAMP_OFFSET, ts);
  buf.writeUInt32BE(crc32c(buf.subarray(at + ATTRIBUTES_OFFSET, end)), at + CRC_OFFSET);
}

function toBytes(v: Bytes): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function headerList(h: RecordInput['headers']): { key: string; value: Buffer | null }[] {
  if (!h) return [];
  if (Array.isArray(h)) return h.map((x) => ({ key: x.key, value: toBytes(x.value) }));
  return Object.entries(h).map(([key, value]) => ({ key, value: toBytes(value) }));
}

/** Encodes one batch (synchronously; gzip via zlib.gzipSync). */
export function encodeRecordBatch(opts: EncodeRecordBatchOptions): Buffer {
  const { records } = opts;
  const codec = opts.compression ?? CompressionCodec.None;
  const now = Date.now();
  const stamps = records.map((r) => r.timestamp ?? now);
  const firstTimestamp = opts.firstTimestamp ?? (stamps.length > 0 ? stamps[0]! : now);
  const maxTimestamp = stamps.length > 0 ? Math.max(...stamps) : firstTimestamp;

  const body = new Writer(64 + records.length * 32);
  const rec = new Writer(256);
  records.forEach((r, i) => {
    const rw = new Writer(64);
    rw.int8(0).varlong(stamps[i]! - firstTimestamp).varint(i).varintBytes(toBytes(r.key)).varintBytes(toBytes(r.value));
    const headers = headerList(r.headers);
    rw.varint(headers.length);
    for (const h of headers) rw.varintBytes(Buffer.from(h.key, 'utf8')).varintBytes(h.value);
    rec.varint(rw.length).raw(rw.finish());
  });
  const payload = compress(codec, rec.finish());

  let attributes = codec & COMPRESSION_CODEC_MASK;
  if (opts.timestampType === TimestampType.LogAppendTime) attributes |= TIMESTAMP_TYPE_MASK;
  if (opts.transactional) attributes |= TRANSACTIONAL_MASK;

  const w = body;
  w.int64(opts.baseOffset ?? 0);
  w.int32(BATCH_HEADER_SIZE - LOG_OVERHEAD + payload.length);
  w.int32(opts.partitionLeaderEpoch ?? -1);
  w.int8(MAGIC_V2);
  w.uint32(0); // CRC, filled below
  w.int16(attributes);
  w.int32(Math.max(0, records.length - 1));
  w.int64(firstTimestamp);
  w.int64(maxTimestamp);
  w.int64(opts.producerId ?? -1);
  w.int16(opts.producerEpoch ?? -1);
  w.int32(opts.baseSequence ?? -1);
  w.int32(records.length);
  w.raw(payload);
  const out = Buffer.from(w.finish()); // own, exactly-sized memory
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return out;
}

/** Decodes the batch at `at` (after validateBatch) into records with absolute offsets and timestamps. */
export function decodeRecordBatch(buf: Buffer, at = 0): { header: RecordBatchHeader; records: KafkaRecord[] } {
  const records: KafkaRecord[] = [];
  const header = forEachRecord(buf, at, (offset, timestamp, key, value, headers) => void records.push({ offset, timestamp, key, value, headers }));
  return { header, records };
}

/**
 * Decodes the batch at `at` record by record, calling `fn` for each (no record object made:
 * the caller makes its own, once). Returns the batch header; throws like decodeRecordBatch.
 * `validated`: the header validateBatch already returned for this batch (its CRC is not
 * checked again).
 */
export function forEachRecord(
  buf: Buffer,
  at: number,
  fn: (offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: KafkaRecord['headers']) => void,
  validated?: RecordBatchHeader,
): RecordBatchHeader {
  const header = validated ?? validateBatch(buf, at);
  const end = at + LOG_OVERHEAD + header.batchLength;
  const codec = codecOf(header);
  const payload = decompress(codec, buf.subarray(at + BATCH_HEADER_SIZE, end));
  // Each record takes at least 7 bytes: check the count before decoding.
  if (header.recordCount * 7 > payload.length) {
    throw new CorruptDataError(`record batch at ${at}: recordCount ${header.recordCount} does not fit in ${payload.length} bytes`, { at });
  }
  const logAppendTime = (header.attributes & TIMESTAMP_TYPE_MASK) !== 0;
  // One cursor over the payload (no Reader object per record: this loop runs for every record
  // a consumer, the mirror or the log cleaner reads).
  const c: Cursor = { buf: payload, pos: 0, end: payload.length };
  for (let i = 0; i < header.recordCount; i++) {
    c.end = payload.length;
    const len = readVarint(c);
    if (len < 0 || len > payload.length - c.pos) throw new CorruptDataError(`record ${i} of batch at ${at}: length ${len} exceeds the ${payload.length - c.pos} bytes that remain`, { at });
    const recordEnd = c.pos + len;
    c.end = recordEnd;
    if (c.pos >= recordEnd) truncated(c, 'int8');
    c.pos++; // record attributes: unused
    const timestampDelta = readVarlong(c);
    const offsetDelta = readVarint(c);
    const key = readVarintBytes(c);
    const value = readVarintBytes(c);
    const nHeaders = readVarint(c);
    if (nHeaders < 0 || nHeaders * 2 > recordEnd - c.pos) throw new CorruptDataError(`record ${i} of batch at ${at}: bad header count ${nHeaders}`, { at });
    const headers: KafkaRecord['headers'] = [];
    for (let j = 0; j < nHeaders; j++) {
      const hk = readVarintBytes(c);
      if (hk === null) throw new CorruptDataError(`record ${i} of batch at ${at}: null header key`, { at });
      headers.push({ key: hk.toString('utf8'), value: readVarintBytes(c) });
    }
    c.pos = recordEnd; // bytes after the headers inside the record's length are skipped, as before
    fn(header.baseOffset + offsetDelta, logAppendTime ? header.maxTimestamp : header.firstTimestamp + timestampDelta, key, value, headers);
  }
  const left = payload.length - c.pos;
  if (left !== 0) throw new CorruptDataError(`record batch at ${at}: ${left} bytes after the last of ${header.recordCount} records`, { at });
  return header;
}

/** Decodes every whole batch in `buf` (concatenated batches, e.g. a fetch response). */
export function decodeRecordBatches(buf: Buffer): KafkaRecord[] {
  const out: KafkaRecord[] = [];
  for (const { at } of splitBatches(buf)) for (const rec of decodeRecordBatch(buf, at).records) out.push(rec);
  return out;
}
