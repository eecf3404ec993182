import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CorruptDataError, KafkaError } from '../../../src/common/errors.js';
import { CompressionCodec, XERIAL_HEADER, compress, decompress } from '../../../src/protocol/records/compression.js';

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

  it('empty input round-trips', () => {
    for (const c of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy]) {
      expect(decompress(c, compress(c, Buffer.alloc(0)))).toHaveLength(0);
    }
  });

  it('corrupt input is a CorruptDataError; lz4/zstd are unsupported', () => {
    expect(() => decompress(CompressionCodec.Gzip, Buffer.from('not gzip'))).toThrow(CorruptDataError);
    const c = compress(CompressionCodec.Snappy, payload(1000));
    c.writeInt32BE(1 << 30, 16);
    expect(() => decompress(CompressionCodec.Snappy, c)).toThrow(/exceeds/);
    for (const codec of [CompressionCodec.Lz4, CompressionCodec.Zstd]) {
      expect(() => compress(codec, Buffer.alloc(1))).toThrow(KafkaError);
      expect(() => decompress(codec, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 43, message: expect.stringMatching(/unsupported codec/) }));
    }
  });
});
