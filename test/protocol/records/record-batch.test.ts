import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../../src/common/errors.js';
import { CompressionCodec } from '../../../src/protocol/records/compression.js';
import {
  BATCH_HEADER_SIZE,
  TimestampType,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  splitBatches,
  validateBatch,
} from '../../../src/protocol/records/record-batch.js';

const require = createRequire(import.meta.url);

/** An independent bitwise CRC32C (Castagnoli, reflected 0x82F63B78) for the byte tests. */
function slowCrc32c(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');
}

describe('RecordBatch v2 bytes', () => {
  it('crc32c check value', () => {
    expect(slowCrc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('encodes one record exactly as the hand-computed bytes', () => {
    const body = hex(`
      0000                      # attributes
      00000000                  # lastOffsetDelta
      00000000000003e8          # firstTimestamp 1000
      00000000000003e8          # maxTimestamp 1000
      ffffffffffffffff          # producerId -1
      ffff                      # producerEpoch -1
      ffffffff                  # baseSequence -1
      00000001                  # recordCount
      10 00 00 00 02 6b 02 76 00  # record: len 8, attrs, tsDelta 0, offDelta 0, key "k", value "v", 0 headers
    `);
    const expected = Buffer.concat([
      hex('0000000000000005'), // baseOffset 5
      hex('0000003a'), // batchLength 58 = 49 + 9
      hex('ffffffff'), // partitionLeaderEpoch -1
      hex('02'),
      Buffer.from([0, 0, 0, 0]),
      body,
    ]);
    expected.writeUInt32BE(slowCrc32c(body), 17);
    const got = encodeRecordBatch({ baseOffset: 5, records: [{ key: 'k', value: 'v', timestamp: 1000 }] });
    expect(got.toString('hex')).toBe(expected.toString('hex'));
    const h = validateBatch(got);
    expect(h).toEqual({
      baseOffset: 5, batchLength: 58, partitionLeaderEpoch: -1, magic: 2, crc: slowCrc32c(body), attributes: 0,
      lastOffsetDelta: 0, firstTimestamp: 1000, maxTimestamp: 1000, producerId: -1, producerEpoch: -1, baseSequence: -1, recordCount: 1,
    });
    expect(decodeRecordBatch(got).records).toEqual([{ offset: 5, timestamp: 1000, key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }]);
  });

  it('encodes headers, null key/value, negative timestamp deltas', () => {
    const buf = encodeRecordBatch({
      baseOffset: 100,
      records: [
        { key: null, value: 'a', timestamp: 5000, headers: [{ key: 'h1', value: 'x' }, { key: 'h2', value: null }] },
        { key: Buffer.from([1, 2]), value: null, timestamp: 4000 },
        { value: 'c', timestamp: 6000, headers: { z: 'zz' } },
      ],
    });
    const { header, records } = decodeRecordBatch(buf);
    expect(header.lastOffsetDelta).toBe(2);
    expect(header.firstTimestamp).toBe(5000);
    expect(header.maxTimestamp).toBe(6000);
    expect(records.map((r) => [r.offset, r.timestamp])).toEqual([[100, 5000], [101, 4000], [102, 6000]]);
    expect(records[0]!.key).toBeNull();
    expect(records[0]!.headers).toEqual([{ key: 'h1', value: Buffer.from('x') }, { key: 'h2', value: null }]);
    expect(records[1]!.value).toBeNull();
    expect(records[2]!.headers).toEqual([{ key: 'z', value: Buffer.from('zz') }]);
    // the second record's bytes: 4000 - 5000 = -1000 -> zig-zag 1999 = cf 0f
    expect(buf.includes(hex('00cf0f02'))).toBe(true);
  });

  for (const codec of [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4]) {
    it(`round-trips compressed batches (${CompressionCodec[codec]})`, () => {
      const records = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: `value ${i} `.repeat(20), timestamp: 1_700_000_000_000 + i }));
      const buf = encodeRecordBatch({ baseOffset: 7, records, compression: codec });
      expect(readBatchHeader(buf).attributes & 7).toBe(codec);
      expect(buf.length).toBeLessThan(500 * 100);
      const out = decodeRecordBatch(buf).records;
      expect(out).toHaveLength(500);
      expect(out[499]).toEqual({ offset: 506, timestamp: 1_700_000_000_499, key: Buffer.from('k499'), value: Buffer.from('value 499 '.repeat(20)), headers: [] });
    });
  }

  it('refuses zstd with a clear error', () => {
    expect(() => encodeRecordBatch({ records: [{ value: 'x' }], compression: CompressionCodec.Zstd })).toThrow(/unsupported codec zstd/);
  });

  it('setBaseOffset keeps the CRC valid; setLogAppendTime recomputes it', () => {
    const buf = encodeRecordBatch({ records: [{ value: 'a', timestamp: 10 }, { value: 'b', timestamp: 20 }] });
    setBaseOffset(buf, 0, 2 ** 40);
    expect(validateBatch(buf).baseOffset).toBe(2 ** 40);
    setLogAppendTime(buf, 0, 99_999);
    const { header, records } = decodeRecordBatch(buf);
    expect(header.attributes & 0x08).toBe(8);
    expect(header.maxTimestamp).toBe(99_999);
    expect(records.map((r) => r.timestamp)).toEqual([99_999, 99_999]);
    expect(records.map((r) => r.offset)).toEqual([2 ** 40, 2 ** 40 + 1]);
    const lat = encodeRecordBatch({ records: [{ value: 'a' }], timestampType: TimestampType.LogAppendTime });
    expect(readBatchHeader(lat).attributes).toBe(8);
  });

  it('validateBatch rejects every single-bit flip in the CRC-covered bytes, a short length and a bad magic', () => {
    const buf = encodeRecordBatch({ records: [{ key: 'key', value: 'value', timestamp: 1 }] });
    for (let i = 17; i < buf.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const c = Buffer.from(buf);
        c[i]! ^= 1 << bit;
        expect(() => validateBatch(c), `byte ${i} bit ${bit}`).toThrow(CorruptDataError);
      }
    }
    for (let cut = 0; cut < buf.length; cut++) expect(() => validateBatch(buf.subarray(0, cut))).toThrow(CorruptDataError);
    const big = Buffer.from(buf);
    big.writeInt32BE(0x7fffffff, 8);
    expect(() => validateBatch(big)).toThrow(/past the end/);
    const m = Buffer.from(buf);
    m[16] = 1;
    expect(() => validateBatch(m)).toThrow(/magic 1, expected 2/);
  });

  it('splitBatches ignores and reports a trailing partial batch, at every cut point', () => {
    const a = encodeRecordBatch({ baseOffset: 0, records: [{ value: 'a' }, { value: 'b' }] });
    const b = encodeRecordBatch({ baseOffset: 2, records: [{ value: 'c' }] });
    const all = Buffer.concat([a, b]);
    for (let cut = 0; cut <= all.length; cut++) {
      const list = splitBatches(all.subarray(0, cut));
      const whole = cut >= all.length ? 2 : cut >= a.length ? 1 : 0;
      expect(list).toHaveLength(whole);
      expect(list.partialBytes).toBe(cut - (whole === 2 ? all.length : whole === 1 ? a.length : 0));
    }
    expect(splitBatches(all).map((x) => [x.at, x.header.baseOffset])).toEqual([[0, 0], [a.length, 2]]);
    expect(decodeRecordBatches(all).map((r) => r.value!.toString())).toEqual(['a', 'b', 'c']);
    expect(BATCH_HEADER_SIZE).toBe(61);
  });

  it('rejects a record count larger than the records', () => {
    const buf = encodeRecordBatch({ records: [{ value: 'a' }] });
    buf.writeInt32BE(1000, 57);
    buf.writeUInt32BE(slowCrc32c(buf.subarray(21)), 17);
    expect(() => decodeRecordBatch(buf)).toThrow(CorruptDataError);
  });

  it('decodes timestamp deltas of every varlong length, both signs (plain numbers and the BigInt path past 2^48)', () => {
    const first = 2 ** 52;
    const deltas = [0, 1, -1, 63, 64, -65];
    for (let k = 7; k <= 51; k += 4) deltas.push(2 ** k, -(2 ** k), 2 ** k - 1);
    const records = deltas.map((d, i) => ({ key: i % 2 ? null : `k${i}`, value: `v${i}`, timestamp: first + d }));
    const { records: got } = decodeRecordBatch(encodeRecordBatch({ baseOffset: 100, firstTimestamp: first, records }));
    expect(got.map((r) => r.timestamp)).toEqual(deltas.map((d) => first + d));
    expect(got.map((r) => [r.offset, r.key?.toString() ?? null, r.value!.toString()])).toEqual(records.map((r, i) => [100 + i, r.key, r.value]));
  });

  it('rejects a record cut inside its fields (a length that promises more than the record holds)', () => {
    const buf = encodeRecordBatch({ records: [{ key: 'key', value: 'value', headers: { h: 'x' } }] });
    // the first record's length varint sits right after the header: shrink it by 4
    const len = buf.readInt8(BATCH_HEADER_SIZE) >> 1;
    buf.writeInt8((len - 4) << 1, BATCH_HEADER_SIZE);
    buf.writeUInt32BE(slowCrc32c(buf.subarray(21)), 17);
    expect(() => decodeRecordBatch(buf)).toThrow(CorruptDataError);
  });
});

describe('RecordBatch v2 against kafkajs', () => {
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
  const decodeKafkajs = require('kafkajs/src/protocol/recordBatch/v0/decoder');
  const Decoder = require('kafkajs/src/protocol/decoder');
  const Long = require('kafkajs/src/utils/long');

  for (const compression of [0, 1]) {
    it(`kafkajs encodes, we decode (codec ${compression})`, async () => {
      const records = [
        Record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: { a: Buffer.from('1') } }),
        Record({ offsetDelta: 1, timestampDelta: 7, key: null, value: Buffer.from('v1') }),
      ];
      const enc = await RecordBatch({ compression, firstOffset: Long.fromNumber(42), firstTimestamp: 1000, maxTimestamp: 1007, lastOffsetDelta: 1, records });
      const buf: Buffer = enc.buffer;
      const { header, records: out } = decodeRecordBatch(buf);
      expect(header.baseOffset).toBe(42);
      expect(header.attributes & 7).toBe(compression);
      expect(out).toEqual([
        { offset: 42, timestamp: 1000, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [{ key: 'a', value: Buffer.from('1') }] },
        { offset: 43, timestamp: 1007, key: null, value: Buffer.from('v1'), headers: [] },
      ]);
    });

    it(`we encode, kafkajs decodes (codec ${compression})`, async () => {
      const buf = encodeRecordBatch({
        baseOffset: 9,
        compression,
        records: [
          { key: 'a', value: 'x', timestamp: 2000, headers: [{ key: 'h', value: 'hv' }] },
          { key: 'b', value: 'y', timestamp: 1990 },
        ],
      });
      const batch = await decodeKafkajs(new Decoder(buf));
      expect(batch.firstOffset).toBe('9');
      expect(batch.maxTimestamp).toBe('2000');
      expect(batch.records.map((r: any) => [r.offset, r.timestamp, r.key.toString(), r.value.toString()])).toEqual([
        ['9', '2000', 'a', 'x'],
        ['10', '1990', 'b', 'y'],
      ]);
      expect(batch.records[0].headers.h.toString()).toBe('hv');
    });
  }

  it('kafkajs and we produce identical bytes for the same batch', async () => {
    const records = [Record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k'), value: Buffer.from('v') })];
    const enc = await RecordBatch({ firstOffset: Long.fromNumber(3), firstTimestamp: 55, maxTimestamp: 55, partitionLeaderEpoch: -1, producerEpoch: -1, firstSequence: -1, records });
    const ours = encodeRecordBatch({ baseOffset: 3, records: [{ key: 'k', value: 'v', timestamp: 55 }] });
    expect(ours.toString('hex')).toBe(enc.buffer.toString('hex'));
  });
});
