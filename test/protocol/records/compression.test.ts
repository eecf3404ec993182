import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CorruptDataError, KafkaError } from '../../../src/common/errors.js';
import { CompressionCodec, XERIAL_HEADER, compress, decompress, lz4WithProperHeaderChecksum, xxh32 } from '../../../src/protocol/records/compression.js';

const require = createRequire(import.meta.url);

function payload(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 7)) & 0x3f;
  return b;
}

describe('compression', () => {
  it('gzip round-trips and reads zlib-produced gzip', () => {
    const p = payload(100_000);
    expect(decompress(CompressionCodec.Gzip, compress(CompressionCodec.Gzip, p))).toEqual(p);
    expect(decompress(CompressionCodec.Gzip, gzipSync(p))).toEqual(p);
    expect(compress(CompressionCodec.Gzip, p).subarray(0, 2).toString('hex')).toBe('1f8b');
  });

  it('snappy writes the xerial framing: header, then [int32 length][block] per 32 KiB', () => {
    const p = payload(70_000);
    const c = compress(CompressionCodec.Snappy, p);
    expect(c.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    expect(XERIAL_HEADER.length).toBe(16);
    let at = 16;
    let blocks = 0;
    while (at < c.length) {
      at += 4 + c.readInt32BE(at);
      blocks++;
    }
    expect(at).toBe(c.length);
    expect(blocks).toBe(3);
    expect(decompress(CompressionCodec.Snappy, c)).toEqual(p);
  });

  it('snappy interoperates with native snappy and kafka-node (xerial and raw)', async () => {
    const native = require('snappy');
    const kafkaNodeSnappy = require('kafka-node/lib/codec/snappy');
    const p = payload(50_000);
    // raw snappy from the native library
    expect(decompress(CompressionCodec.Snappy, native.compressSync(p))).toEqual(p);
    // our xerial stream decoded by kafka-node's reader (ported from sarama)
    const ours = compress(CompressionCodec.Snappy, p);
    const decoded: Buffer = await new Promise((res, rej) => kafkaNodeSnappy.decode(ours, (e: Error | null, b: Buffer) => (e ? rej(e) : res(b))));
    expect(decoded).toEqual(p);
    // a hand-built xerial stream of native blocks
    const b1 = native.compressSync(p.subarray(0, 20_000));
    const b2 = native.compressSync(p.subarray(20_000));
    const len = (n: number) => { const x = Buffer.alloc(4); x.writeInt32BE(n); return x; };
    expect(decompress(CompressionCodec.Snappy, Buffer.concat([XERIAL_HEADER, len(b1.length), b1, len(b2.length), b2]))).toEqual(p);
  });

  it('lz4 writes a standard LZ4 frame (magic, FLG, BD, header checksum) and round-trips', () => {
    const p = payload(200_000);
    const c = compress(CompressionCodec.Lz4, p);
    expect(c.readUInt32LE(0)).toBe(0x184d2204);
    expect(c[4]! >> 6).toBe(1); // frame version 01
    expect(c[6]).toBe((xxh32(c.subarray(4, 6)) >>> 8) & 0xff);
    expect(c.length).toBeLessThan(p.length / 2);
    expect(decompress(CompressionCodec.Lz4, c)).toEqual(p);
    expect(() => decompress(CompressionCodec.Lz4, c, 1000)).toThrow(/more than the limit/);
  });

  it('lz4 reads frames with the header checksum of Kafka before 0.10 (xxh32 over the magic too)', () => {
    const p = payload(5000);
    const c = compress(CompressionCodec.Lz4, p);
    const broken = Buffer.from(c);
    broken[6] = (xxh32(c.subarray(0, 6)) >>> 8) & 0xff; // what KafkaLZ4BlockOutputStream wrote for magic 0
    expect(broken[6]).not.toBe(c[6]);
    expect(decompress(CompressionCodec.Lz4, broken)).toEqual(p);
    expect(lz4WithProperHeaderChecksum(broken)).toEqual(c);
    expect(lz4WithProperHeaderChecksum(Buffer.from('not a frame'))).toBeUndefined();
  });

  it('xxh32 matches the reference vectors', () => {
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('abc'))).toBe(0x32d153ff);
  });

  it('empty input round-trips', () => {
    for (const c of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4]) {
      expect(decompress(c, compress(c, Buffer.alloc(0)))).toHaveLength(0);
    }
  });

  it('corrupt input is a CorruptDataError; zstd is unsupported', () => {
    expect(() => decompress(CompressionCodec.Gzip, Buffer.from('not gzip'))).toThrow(CorruptDataError);
    const c = compress(CompressionCodec.Snappy, payload(1000));
    c.writeInt32BE(1 << 30, 16);
    expect(() => decompress(CompressionCodec.Snappy, c)).toThrow(/exceeds/);
    expect(() => decompress(CompressionCodec.Lz4, Buffer.from('not lz4 at all'))).toThrow(CorruptDataError);
    const l = compress(CompressionCodec.Lz4, payload(1000));
    expect(() => decompress(CompressionCodec.Lz4, l.subarray(0, l.length - 10))).toThrow(CorruptDataError);
    expect(() => compress(CompressionCodec.Zstd, Buffer.alloc(1))).toThrow(KafkaError);
    expect(() => decompress(CompressionCodec.Zstd, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 43, message: expect.stringMatching(/unsupported codec zstd/) }));
  });
});
