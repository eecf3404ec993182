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
 * - lz4: the LZ4 frame format (magic 0x184D2204), as Kafka 0.10+ and librdkafka write it, through
 *   the native lz4-napi binding. Kafka before 0.10 (and librdkafka for magic 0 messages) wrote a
 *   wrong frame header checksum (xxh32 over the magic too); a frame whose header checksum does
 *   not verify is read after recomputing it, as librdkafka does (the message CRC covers the
 *   bytes anyway).
 * - zstd is not supported: Kafka only allows it from Produce v7 / Fetch v10, beyond the versions
 *   this broker speaks; a KafkaError UNSUPPORTED_FOR_MESSAGE_FORMAT (43) says so.
 *
 * Everything is synchronous (zlib.gzipSync, snappyjs, lz4-napi's *Sync functions).
 */
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CorruptDataError, ErrorCode, KafkaError } from '../../common/errors.js';

const require = createRequire(import.meta.url);
const snappy = require('snappyjs') as {
  compress(input: Buffer): Buffer;
  uncompress(input: Buffer, maxLength?: number): Buffer;
};
const lz4 = require('lz4-napi') as {
  compressFrameSync(input: Buffer): Buffer;
  decompressFrameSync(input: Buffer): Buffer;
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
  return new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `unsupported codec ${codecName(codec)} (${codec}); only none, gzip, snappy and lz4 are supported`, {
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
    case CompressionCodec.Lz4:
      return lz4.compressFrameSync(buf);
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
    case CompressionCodec.Lz4:
      return lz4Decompress(buf, maxSize);
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

const LZ4_FRAME_MAGIC = 0x184d2204;

function lz4Decompress(buf: Buffer, maxSize: number): Buffer {
  let out: Buffer;
  try {
    out = lz4.decompressFrameSync(buf);
  } catch (e) {
    const fixed = (e as Error).message.includes('HeaderChecksum') ? lz4WithProperHeaderChecksum(buf) : undefined;
    if (!fixed) throw new CorruptDataError(`lz4: cannot decompress ${buf.length} bytes: ${(e as Error).message}`);
    try {
      out = lz4.decompressFrameSync(fixed);
    } catch (e2) {
      throw new CorruptDataError(`lz4: cannot decompress ${buf.length} bytes: ${(e2 as Error).message}`);
    }
  }
  if (out.length > maxSize) throw new CorruptDataError(`lz4: ${buf.length} bytes decompress to ${out.length}, more than the limit of ${maxSize}`);
  return out;
}

/**
 * A copy of an LZ4 frame with its header checksum recomputed: the second byte of
 * xxh32(frame descriptor), where the descriptor is FLG, BD, then the content size (8 bytes, if
 * FLG bit 3) and the dictionary id (4 bytes, if FLG bit 0). Undefined if it is no LZ4 frame.
 */
export function lz4WithProperHeaderChecksum(frame: Buffer): Buffer | undefined {
  if (frame.length < 7 || frame.readUInt32LE(0) !== LZ4_FRAME_MAGIC) return undefined;
  const flg = frame[4]!;
  const descLen = 2 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
  if (frame.length < 4 + descLen + 1) return undefined;
  const copy = Buffer.from(frame);
  copy[4 + descLen] = (xxh32(frame.subarray(4, 4 + descLen)) >>> 8) & 0xff;
  return copy;
}

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;
const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;

/** xxHash32 with seed 0 of a short input (< 16 bytes, all an LZ4 frame descriptor needs). */
export function xxh32(b: Uint8Array): number {
  if (b.length >= 16) throw new RangeError('xxh32: only inputs shorter than 16 bytes are supported');
  let h = (P5 + b.length) >>> 0;
  let i = 0;
  for (; i + 4 <= b.length; i += 4) {
    const k = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
    h = Math.imul(rotl((h + Math.imul(k, P3)) >>> 0, 17), P4) >>> 0;
  }
  for (; i < b.length; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
