/**
 * Compression codecs of Kafka record sets (attributes bits 0-2): 0 none, 1 gzip, 2 snappy,
 * 3 lz4, 4 zstd.
 *
 * - gzip: an RFC 1952 gzip stream (zlib).
 * - snappy: Kafka uses the xerial snappy-java stream framing:
 *     magic   0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00   (8 bytes)
 *     version int32 = 1, compatible version int32 = 1
 *     then repeated: [int32 compressed length][raw snappy block of <= 32 KiB input]
 *   compress() writes that framing; decompress() accepts it and also raw (unframed) snappy,
 *   as Kafka's readers do (librdkafka may send raw snappy).
 * - lz4 and zstd are not supported: a KafkaError UNSUPPORTED_FOR_MESSAGE_FORMAT (43) says so.
 *
 * Everything is synchronous (zlib.gzipSync, snappyjs).
 */
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CorruptDataError, ErrorCode, KafkaError } from '../../common/errors.js';

const require = createRequire(import.meta.url);
const snappy = require('snappyjs') as {
  compress(input: Buffer): Buffer;
  uncompress(input: Buffer, maxLength?: number): Buffer;
};

export enum CompressionCodec {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/** Mask of the codec bits in the attributes of a batch (v2) or a message (v0/v1). */
export const COMPRESSION_CODEC_MASK = 0x07;

/** The xerial framing header: magic (8 bytes), version 1, compatible version 1. */
export const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
const XERIAL_MAGIC = XERIAL_HEADER.subarray(0, 8);
/** snappy-java's default block size: input is cut into blocks of this many bytes. */
const XERIAL_BLOCK_SIZE = 32 * 1024;
/** Cap on one decompressed buffer unless the caller passes another (a decompression bomb guard). */
export const DEFAULT_MAX_DECOMPRESSED_SIZE = 256 * 1024 * 1024;

export function codecName(codec: number): string {
  return CompressionCodec[codec]?.toLowerCase() ?? `codec ${codec}`;
}

function unsupported(codec: number): KafkaError {
  return new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `unsupported codec ${codecName(codec)} (${codec}); only none, gzip and snappy are supported`, {
    context: { codec },
  });
}

export function compress(codec: CompressionCodec | number, buf: Buffer): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      return buf;
    case CompressionCodec.Gzip:
      return gzipSync(buf);
    case CompressionCodec.Snappy:
      return snappyXerialCompress(buf);
    default:
      throw unsupported(codec);
  }
}

export function decompress(codec: CompressionCodec | number, buf: Buffer, maxSize = DEFAULT_MAX_DECOMPRESSED_SIZE): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      return buf;
    case CompressionCodec.Gzip:
      try {
        return gunzipSync(buf, { maxOutputLength: maxSize });
      } catch (e) {
        throw new CorruptDataError(`gzip: cannot decompress ${buf.length} bytes: ${(e as Error).message}`);
      }
    case CompressionCodec.Snappy:
      return snappyDecompress(buf, maxSize);
    default:
      throw unsupported(codec);
  }
}

function snappyXerialCompress(buf: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let at = 0; at < buf.length || at === 0; at += XERIAL_BLOCK_SIZE) {
    const block = Buffer.from(snappy.compress(buf.subarray(at, at + XERIAL_BLOCK_SIZE)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    if (buf.length === 0) break;
  }
  return Buffer.concat(parts);
}

function rawSnappy(buf: Buffer, maxSize: number): Buffer {
  try {
    return Buffer.from(snappy.uncompress(buf, maxSize));
  } catch (e) {
    throw new CorruptDataError(`snappy: cannot decompress ${buf.length} bytes: ${(e as Error).message}`);
  }
}

function snappyDecompress(buf: Buffer, maxSize: number): Buffer {
  if (buf.length < XERIAL_HEADER.length || !buf.subarray(0, 8).equals(XERIAL_MAGIC)) return rawSnappy(buf, maxSize);
  const parts: Buffer[] = [];
  let total = 0;
  let at = XERIAL_HEADER.length;
  while (at < buf.length) {
    if (at + 4 > buf.length) throw new CorruptDataError(`snappy: truncated xerial block length at ${at}`);
    const len = buf.readInt32BE(at);
    at += 4;
    if (len < 0 || at + len > buf.length) {
      throw new CorruptDataError(`snappy: xerial block length ${len} at ${at - 4} exceeds the ${buf.length - at} bytes that remain`);
    }
    const block = rawSnappy(buf.subarray(at, at + len), maxSize - total);
    total += block.length;
    parts.push(block);
    at += len;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
