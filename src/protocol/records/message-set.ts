/**
 * MessageSet v0/v1 (magic 0 and 1), the record format of Produce v0-v2 and Fetch v0-v3, and its
 * conversion to and from RecordBatch v2 (the only format this broker stores). Big-endian:
 *
 *   MessageSet => [offset message_size message], concatenated (no count)
 *     offset       => INT64   (absolute in the log; anything the producer likes on the way in)
 *     message_size => INT32   (bytes of `message`)
 *     message      =>
 *       crc        => UINT32  CRC32 (IEEE) of magic .. end of value
 *       magic      => INT8    0 or 1
 *       attributes => INT8    bits 0-2 codec (0 none, 1 gzip, 2 snappy, 3 lz4), bit 3 (magic 1)
 *                             timestamp type (1 = log append time)
 *       timestamp  => INT64   magic 1 only
 *       key        => BYTES   (-1 null)
 *       value      => BYTES   (-1 null)
 *
 * A compressed set is one *wrapper* message whose value is the compressed bytes of an inner
 * MessageSet of uncompressed messages. A 0.8 broker (magic 0) writes absolute inner offsets and
 * gives the wrapper the last of them; from 0.10 (magic 1) inner offsets are relative (0..n-1)
 * and the wrapper holds the absolute offset of the last one. Producers write anything (kafkajs
 * 0..n-1, kafka-node all 0). `decodeMessageSet` accepts all of these: increasing inner offsets
 * are placed so that the last one lands on the wrapper's offset, anything else is treated as a
 * plain sequence ending at the wrapper's offset.
 *
 * A set may end with a partial message (a fetch cut at max_bytes, or a producer's batch): it is
 * ignored, as Kafka's readers do. Every whole message must have a valid CRC and layout, or the
 * decoder throws CorruptDataError.
 */
import { crc32 } from 'node:zlib';
import { CorruptDataError } from '../../common/errors.js';
import { Reader } from '../reader.js';
import { Writer } from '../writer.js';
import { COMPRESSION_CODEC_MASK, CompressionCodec, compress, decompress } from './compression.js';
import {
  CONTROL_MASK,
  TIMESTAMP_TYPE_MASK,
  decodeRecordBatch,
  encodeRecordBatch,
  splitBatches,
  type RecordInput,
} from './record-batch.js';

/** offset (8) + message_size (4). */
export const MESSAGE_LOG_OVERHEAD = 12;
/** crc + magic + attributes + key length + value length. */
export const MESSAGE_V0_MIN_SIZE = 14;
/** ... plus the timestamp. */
export const MESSAGE_V1_MIN_SIZE = 22;
/** Attribute bit 3 of a magic-1 message: its timestamp is the broker's log append time. */
export const MESSAGE_TIMESTAMP_TYPE_MASK = 0x08;
/** A message's timestamp when it has none (magic 0). */
export const NO_TIMESTAMP = -1;

export type MessageMagic = 0 | 1;

/** One decoded (and, for compressed sets, unwrapped) message. */
export interface Message {
  offset: number;
  magic: MessageMagic;
  /** The message's own attributes (an inner message of a wrapper has codec 0 here). */
  attributes: number;
  /** -1 (NO_TIMESTAMP) for magic 0. For an inner message of a log-append-time wrapper, the wrapper's. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The codec of the wrapper this message came out of; None for a plain message. */
  compression: CompressionCodec;
}

/** What `encodeMessageSet` takes per message. */
export interface MessageInput {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  /** magic 1 only; defaults to `now`. */
  timestamp?: number;
  /** Defaults to baseOffset + index. */
  offset?: number;
}

export interface EncodeMessageSetOptions {
  magic: MessageMagic;
  /** Wrap the messages in one compressed wrapper message. */
  compression?: CompressionCodec;
  baseOffset?: number;
  /** For magic 1 messages without a timestamp. */
  now?: number;
  /** magic 1: set attribute bit 3 (timestamps are log append times). */
  logAppendTime?: boolean;
}

function toBytes(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/** One entry (offset, size, message) with its CRC. */
function writeMessage(
  w: Writer,
  offset: number,
  magic: MessageMagic,
  attributes: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
): void {
  w.int64(offset);
  const sizeAt = w.reserveInt32();
  const crcAt = w.reserveInt32();
  const start = w.length;
  w.int8(magic).int8(attributes);
  if (magic === 1) w.int64(timestamp);
  w.bytes(key).bytes(value);
  w.setInt32(sizeAt, w.length - crcAt);
  w.setUInt32(crcAt, crc32(w.view(start, w.length)));
}

/**
 * Encodes a MessageSet. Uncompressed: one message per input, offsets baseOffset + i (or their
 * own). Compressed: one wrapper message whose value is the compressed inner set, with inner
 * offsets relative (magic 1) or absolute (magic 0) and the wrapper at the last absolute offset.
 */
export function encodeMessageSet(messages: readonly MessageInput[], opts: EncodeMessageSetOptions): Buffer {
  const { magic } = opts;
  const codec = opts.compression ?? CompressionCodec.None;
  const base = opts.baseOffset ?? 0;
  const now = opts.now ?? Date.now();
  const tsAttr = magic === 1 && opts.logAppendTime ? MESSAGE_TIMESTAMP_TYPE_MASK : 0;
  const offsets = messages.map((m, i) => m.offset ?? base + i);
  const stamps = messages.map((m) => (magic === 1 ? (m.timestamp ?? now) : NO_TIMESTAMP));

  const inner = new Writer(64 + messages.length * 48);
  messages.forEach((m, i) => {
    const offset = codec === CompressionCodec.None || magic === 0 ? offsets[i]! : offsets[i]! - offsets[0]!;
    writeMessage(inner, offset, magic, tsAttr, stamps[i]!, toBytes(m.key), toBytes(m.value));
  });
  if (codec === CompressionCodec.None || messages.length === 0) return Buffer.from(inner.finish());

  const wrapper = new Writer(64);
  const lastOffset = offsets[offsets.length - 1]!;
  const wrapperTs = magic === 1 ? Math.max(...stamps) : NO_TIMESTAMP;
  writeMessage(wrapper, lastOffset, magic, (codec & COMPRESSION_CODEC_MASK) | tsAttr, wrapperTs, null, compress(codec, inner.finish()));
  return Buffer.from(wrapper.finish());
}

interface RawMessage {
  offset: number;
  magic: MessageMagic;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * Reads the whole messages of one set, without unwrapping. `partialOk`: a trailing partial
 * message is ignored (otherwise it is corruption, as inside a wrapper).
 */
function readRawMessages(buf: Buffer, partialOk: boolean): RawMessage[] {
  const out: RawMessage[] = [];
  let at = 0;
  while (at < buf.length) {
    if (at + MESSAGE_LOG_OVERHEAD > buf.length) {
      if (partialOk) break;
      throw new CorruptDataError(`message set: ${buf.length - at} trailing bytes at ${at} are not a message`, { at });
    }
    const r = new Reader(buf, at);
    const offset = r.int64();
    const size = r.int32();
    if (size < MESSAGE_V0_MIN_SIZE) {
      throw new CorruptDataError(`message at ${at}: size ${size} is below the minimum ${MESSAGE_V0_MIN_SIZE}`, { at });
    }
    const end = at + MESSAGE_LOG_OVERHEAD + size;
    if (end > buf.length) {
      if (partialOk) break;
      throw new CorruptDataError(`message at ${at}: size ${size} runs past the end of the set`, { at });
    }
    const m = new Reader(buf, at + MESSAGE_LOG_OVERHEAD, end);
    const crc = m.uint32();
    const computed = crc32(buf.subarray(at + MESSAGE_LOG_OVERHEAD + 4, end));
    if (crc !== computed) {
      throw new CorruptDataError(`message at ${at} (offset ${offset}): CRC mismatch, stored ${crc.toString(16)}, computed ${computed.toString(16)}`, { at, offset });
    }
    const magic = m.int8();
    if (magic !== 0 && magic !== 1) {
      throw new CorruptDataError(`message at ${at}: magic ${magic} in a message set`, { at, offset });
    }
    const attributes = m.int8();
    const timestamp = magic === 1 ? m.int64() : NO_TIMESTAMP;
    const key = m.bytes();
    const value = m.bytes();
    if (m.remaining !== 0) {
      throw new CorruptDataError(`message at ${at}: ${m.remaining} bytes after the value`, { at, offset });
    }
    out.push({ offset, magic, attributes, timestamp, key, value });
    at = end;
  }
  return out;
}

/** Absolute offsets for the inner messages of `wrapper` (see the header comment). */
function innerOffsets(wrapper: RawMessage, inner: RawMessage[]): number[] {
  const n = inner.length;
  const increasing = inner.every((m, i) => i === 0 || m.offset > inner[i - 1]!.offset);
  if (increasing) {
    const last = inner[n - 1]!.offset;
    return inner.map((m) => wrapper.offset - (last - m.offset));
  }
  return inner.map((_, i) => wrapper.offset - (n - 1 - i));
}

/**
 * Decodes a MessageSet: every whole message (CRC checked), compressed wrappers unwrapped into
 * their inner messages with absolute offsets, a trailing partial message ignored.
 */
export function decodeMessageSet(buf: Buffer): Message[] {
  const out: Message[] = [];
  for (const raw of readRawMessages(buf, true)) {
    const codec = raw.attributes & COMPRESSION_CODEC_MASK;
    if (codec === CompressionCodec.None) {
      out.push({ ...raw, compression: CompressionCodec.None });
      continue;
    }
    if (raw.value === null) {
      throw new CorruptDataError(`compressed message at offset ${raw.offset} has a null value`, { offset: raw.offset });
    }
    const inner = readRawMessages(decompress(codec, raw.value), false);
    if (inner.length === 0) continue;
    const offsets = innerOffsets(raw, inner);
    const logAppendTime = raw.magic === 1 && (raw.attributes & MESSAGE_TIMESTAMP_TYPE_MASK) !== 0;
    inner.forEach((m, i) => {
      if ((m.attributes & COMPRESSION_CODEC_MASK) !== CompressionCodec.None) {
        throw new CorruptDataError(`compressed message at offset ${raw.offset} holds another compressed message`, { offset: raw.offset });
      }
      if (m.magic !== raw.magic) {
        throw new CorruptDataError(`compressed message at offset ${raw.offset} (magic ${raw.magic}) holds a magic ${m.magic} message`, { offset: raw.offset });
      }
      out.push({
        ...m,
        offset: offsets[i]!,
        timestamp: logAppendTime ? raw.timestamp : m.timestamp,
        compression: codec,
      });
    });
  }
  return out;
}

export interface MessageSetToRecordBatchOptions {
  /** The timestamp given to magic-0 messages (which have none). Defaults to Date.now(). */
  now?: number;
  /** The batch's codec. Defaults to the codec the producer used (its first wrapper's). */
  compression?: CompressionCodec;
  /** Defaults to 0: the log assigns offsets when it appends. */
  baseOffset?: number;
}

/**
 * Converts a producer's MessageSet (magic 0/1, possibly compressed, possibly ending with a
 * partial message) into ONE RecordBatch v2 holding every message's key, value and timestamp.
 * Throws CorruptDataError when the set holds no whole message.
 */
export function messageSetToRecordBatch(buf: Buffer, opts: MessageSetToRecordBatchOptions = {}): Buffer {
  const messages = decodeMessageSet(buf);
  if (messages.length === 0) {
    throw new CorruptDataError(`message set of ${buf.length} bytes holds no whole message`);
  }
  const now = opts.now ?? Date.now();
  const records: RecordInput[] = messages.map((m) => ({
    key: m.key,
    value: m.value,
    timestamp: m.timestamp >= 0 ? m.timestamp : now,
  }));
  return encodeRecordBatch({
    baseOffset: opts.baseOffset ?? 0,
    records,
    compression: opts.compression ?? messages[0]!.compression,
  });
}

export interface RecordBatchesToMessageSetOptions {
  /** Leave out records below this offset (a fetch that starts inside a batch). */
  fromOffset?: number;
  /**
   * Wrap each batch's messages in one compressed wrapper of this codec. Default: none, one
   * uncompressed message per record with its absolute offset (what old clients read best).
   */
  compression?: CompressionCodec;
}

/**
 * Converts stored RecordBatches (concatenated, CRC-checked; a trailing partial batch is
 * skipped) into a MessageSet of `magic` for Fetch v0-v3. Headers are dropped (magic 0/1 cannot
 * carry them), control batches skipped, timestamps kept for magic 1 (with attribute bit 3 for a
 * log-append-time batch).
 */
export function recordBatchesToMessageSet(buf: Buffer, magic: MessageMagic, opts: RecordBatchesToMessageSetOptions = {}): Buffer {
  const from = opts.fromOffset ?? Number.NEGATIVE_INFINITY;
  const parts: Buffer[] = [];
  for (const { at, header } of splitBatches(buf)) {
    if ((header.attributes & CONTROL_MASK) !== 0) continue;
    const { records } = decodeRecordBatch(buf, at);
    const kept = records.filter((r) => r.offset >= from);
    if (kept.length === 0) continue;
    const logAppendTime = (header.attributes & TIMESTAMP_TYPE_MASK) !== 0;
    parts.push(
      encodeMessageSet(
        kept.map((r) => ({ offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp })),
        { magic, compression: opts.compression, logAppendTime },
      ),
    );
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
