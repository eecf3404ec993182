import { crc32, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../../src/common/errors.js';
import { CompressionCodec, compress, decompress } from '../../../src/protocol/records/compression.js';
import {
  decodeMessageSet,
  encodeMessageSet,
  messageSetToRecordBatch,
  recordBatchesToMessageSet,
} from '../../../src/protocol/records/message-set.js';
import { TimestampType, decodeRecordBatch, encodeRecordBatch, splitBatches } from '../../../src/protocol/records/record-batch.js';
import { hex, require } from '../apis/helpers.js';

const TS = 1_600_000_000_000;

const V0_MESSAGE = hex(`
  0000000000000000   # offset 0
  0000000f           # size 15
  51df3a32           # crc32 of magic..value
  00 00              # magic 0, attributes 0
  ffffffff           # key null
  00000001 61        # value "a"
`);
const V1_MESSAGE = hex(`
  0000000000000007   # offset 7
  00000018           # size 24
  e5ee94c7           # crc32
  01 00              # magic 1, attributes 0
  00000174876e8000   # timestamp 1600000000000
  00000001 61        # key "a"
  00000001 62        # value "b"
`);

/** kafkajs' own MessageSet encoder (v0/v1, optionally compressed as kafkajs' Produce v2 does). */
async function kafkajsMessageSet(magic: 0 | 1, entries: object[], compression = 0): Promise<Buffer> {
  const MessageSet = require('kafkajs/src/protocol/messageSet');
  const { Types, Codecs } = require('kafkajs/src/protocol/message/compression');
  if (compression === 0) return MessageSet({ messageVersion: magic, compression: Types.None, entries }).buffer;
  const codec = Codecs[compression]();
  const value = await codec.compress(MessageSet({ messageVersion: magic, compression, entries }));
  return MessageSet({ messageVersion: magic, entries: [{ compression, timestamp: TS + 50, value }] }).buffer;
}

/** kafkajs' MessageSet decoder, as its Fetch v0-v3 responses use it. */
async function kafkajsDecode(buf: Buffer): Promise<{ offset: string; key: Buffer | null; value: Buffer | null; timestamp?: string }[]> {
  const Decoder = require('kafkajs/src/protocol/decoder');
  const decodeSet = require('kafkajs/src/protocol/messageSet/decoder');
  return decodeSet(new Decoder(buf), buf.length);
}

// kafkajs has no built-in snappy: plug ours in (xerial framing), as users plug kafkajs-snappy.
{
  const { Types, Codecs } = require('kafkajs/src/protocol/message/compression');
  Codecs[Types.Snappy] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(CompressionCodec.Snappy, encoder.buffer),
    decompress: async (buf: Buffer) => decompress(CompressionCodec.Snappy, buf),
  });
}

const ENTRIES = [
  { key: 'k0', value: 'v0', timestamp: TS },
  { key: null, value: 'v1', timestamp: TS + 1 },
  { key: 'k2', value: null, timestamp: TS + 2 },
];
const simple = (ms: { key: Buffer | null; value: Buffer | null }[]) =>
  ms.map((m) => [m.key?.toString() ?? null, m.value?.toString() ?? null]);

describe('MessageSet v0/v1: bytes and CRC', () => {
  it('encodes the fixtures byte for byte, as kafkajs and kafka-node do', async () => {
    expect(encodeMessageSet([{ key: null, value: 'a' }], { magic: 0 })).toEqual(V0_MESSAGE);
    expect(encodeMessageSet([{ key: 'a', value: 'b', timestamp: TS, offset: 7 }], { magic: 1 })).toEqual(V1_MESSAGE);
    const kj = await kafkajsMessageSet(1, [{ key: 'a', value: 'b', timestamp: TS }]);
    expect(kj.subarray(8)).toEqual(V1_MESSAGE.subarray(8)); // kafkajs writes offset -1 for uncompressed sets
    const protocol = require('kafka-node/lib/protocol/protocol');
    expect(protocol.encodeMessageSet([{ attributes: 0, key: null, value: 'a' }], 0)).toEqual(V0_MESSAGE);
  });

  it('decodes the fixtures', () => {
    expect(decodeMessageSet(V0_MESSAGE)).toEqual([
      { offset: 0, magic: 0, attributes: 0, timestamp: -1, key: null, value: Buffer.from('a'), compression: 0 },
    ]);
    expect(decodeMessageSet(Buffer.concat([V0_MESSAGE, V1_MESSAGE])).map((m) => [m.offset, m.magic, m.timestamp])).toEqual([
      [0, 0, -1],
      [7, 1, TS],
    ]);
  });

  it('a flipped bit anywhere in magic..value, or in the CRC, is a CorruptDataError', () => {
    for (const fixture of [V0_MESSAGE, V1_MESSAGE]) {
      for (let at = 12; at < fixture.length; at++) {
        const b = Buffer.from(fixture);
        b[at]! ^= 0x10;
        expect(() => decodeMessageSet(b), `bit flipped at ${at}`).toThrow(CorruptDataError);
      }
    }
  });

  it('ignores a partial trailing message at every cut, and never throws on a truncation', () => {
    const set = Buffer.concat([V0_MESSAGE, V1_MESSAGE]);
    for (let len = 0; len <= set.length; len++) {
      const got = decodeMessageSet(set.subarray(0, len));
      const whole = len === set.length ? 2 : len >= V0_MESSAGE.length ? 1 : 0;
      expect(got.length, `cut at ${len}`).toBe(whole);
    }
  });

  it('hostile sizes and lengths throw CorruptDataError, nothing else', () => {
    const set = Buffer.concat([V1_MESSAGE, V0_MESSAGE]);
    for (const hostile of [0x7fffffff, -1, 13, 0x10000000]) {
      for (let at = 0; at + 4 <= set.length; at++) {
        const b = Buffer.from(set);
        b.writeInt32BE(hostile, at);
        try {
          decodeMessageSet(b);
        } catch (e) {
          expect(e, `int32 ${hostile} at ${at}`).toBeInstanceOf(CorruptDataError);
        }
      }
    }
    const tooSmall = Buffer.from(V0_MESSAGE);
    tooSmall.writeInt32BE(13, 8);
    expect(() => decodeMessageSet(tooSmall)).toThrow(/below the minimum/);
  });
});

describe('MessageSet: compressed wrappers', () => {
  for (const [name, codec] of [
    ['gzip', CompressionCodec.Gzip],
    ['snappy', CompressionCodec.Snappy],
  ] as const) {
    it(`unwraps kafkajs' ${name} v0 and v1 wrappers (inner offsets 0..n-1, wrapper offset 0)`, async () => {
      for (const magic of [0, 1] as const) {
        const set = await kafkajsMessageSet(magic, ENTRIES, codec);
        const got = decodeMessageSet(set);
        expect(simple(got)).toEqual([
          ['k0', 'v0'],
          [null, 'v1'],
          ['k2', null],
        ]);
        expect(got.every((m) => m.compression === codec && m.magic === magic)).toBe(true);
        expect(got.map((m) => m.timestamp)).toEqual(magic === 1 ? [TS, TS + 1, TS + 2] : [-1, -1, -1]);
        expect(got.map((m) => m.offset)).toEqual([-2, -1, 0]); // a sequence ending at the wrapper's offset
      }
    });

    it(`our ${name} wrappers: magic 1 relative inner offsets, magic 0 absolute; kafkajs reads both`, async () => {
      for (const magic of [0, 1] as const) {
        const set = encodeMessageSet(ENTRIES, { magic, compression: codec, baseOffset: 100 });
        const got = decodeMessageSet(set);
        expect(got.map((m) => m.offset)).toEqual([100, 101, 102]);
        expect(simple(got)).toEqual(simple(ENTRIES.map((e) => ({ key: e.key ? Buffer.from(e.key) : null, value: e.value ? Buffer.from(e.value) : null }))));
        const inner = decodeMessageSet(decompress(codec, set.subarray(12 + 4 + 2 + (magic === 1 ? 8 : 0) + 4 + 4)));
        expect(inner.map((m) => m.offset)).toEqual(magic === 1 ? [0, 1, 2] : [100, 101, 102]);
        const kj = await kafkajsDecode(set);
        expect(kj.map((m) => m.value?.toString() ?? null)).toEqual(['v0', 'v1', null]);
        if (magic === 1) expect(kj.map((m) => m.offset)).toEqual(['100', '101', '102']);
      }
    });
  }

  it('unwraps kafka-node style wrappers: every offset 0, raw (unframed) snappy or gzip', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const snappy = require('snappy');
    const messages = [
      { attributes: 0, key: 'a', value: 'x' },
      { attributes: 0, key: 'b', value: 'y' },
    ];
    const inner: Buffer = protocol.encodeMessageSet(messages, 0);
    for (const [attributes, value] of [
      [CompressionCodec.Gzip, gzipSync(inner)],
      [CompressionCodec.Snappy, snappy.compressSync(inner)],
    ] as const) {
      const wrapper: Buffer = protocol.encodeMessageSet([{ attributes, key: null, value }], 0);
      const got = decodeMessageSet(wrapper);
      expect(simple(got)).toEqual([
        ['a', 'x'],
        ['b', 'y'],
      ]);
      expect(got.map((m) => m.offset)).toEqual([-1, 0]);
    }
  });

  it('rejects nested compression and a null wrapper value (with valid CRCs)', () => {
    /** Sets the attributes of the first message of `set` and recomputes its CRC. */
    const withAttributes = (set: Buffer, attributes: number): Buffer => {
      const b = Buffer.from(set);
      b[12 + 4 + 1] = attributes;
      b.writeUInt32BE(crc32(b.subarray(16, 12 + b.readInt32BE(8))), 12);
      return b;
    };
    const innerWrapper = encodeMessageSet(ENTRIES, { magic: 1, compression: CompressionCodec.Gzip });
    const nested = withAttributes(encodeMessageSet([{ value: gzipSync(innerWrapper) }], { magic: 1 }), CompressionCodec.Gzip);
    expect(() => decodeMessageSet(nested)).toThrow(/holds another compressed message/);
    const nullValue = withAttributes(encodeMessageSet([{ value: null }], { magic: 0 }), CompressionCodec.Gzip);
    expect(() => decodeMessageSet(nullValue)).toThrow(/null value/);
    const notGzip = withAttributes(encodeMessageSet([{ value: 'plain' }], { magic: 0 }), CompressionCodec.Gzip);
    expect(() => decodeMessageSet(notGzip)).toThrow(CorruptDataError);
    const cutInner = withAttributes(encodeMessageSet([{ value: gzipSync(V0_MESSAGE.subarray(0, 20)) }], { magic: 0 }), CompressionCodec.Gzip);
    expect(() => decodeMessageSet(cutInner)).toThrow(/runs past the end/);
  });
});

describe('MessageSet <-> RecordBatch v2', () => {
  it('a producer set (v1, any codec, partial tail) becomes ONE batch with every key, value and timestamp', async () => {
    for (const codec of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy]) {
      const set = await kafkajsMessageSet(1, ENTRIES, codec);
      const withTail = Buffer.concat([set, V0_MESSAGE.subarray(0, 20)]);
      const batch = messageSetToRecordBatch(withTail);
      const batches = splitBatches(batch);
      expect(batches.length).toBe(1);
      expect(batches.partialBytes).toBe(0);
      const { header, records } = decodeRecordBatch(batch);
      expect(header.attributes & 7).toBe(codec); // the producer's codec is kept
      expect(records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp])).toEqual([
        [0, 'k0', 'v0', TS],
        [1, null, 'v1', TS + 1],
        [2, 'k2', null, TS + 2],
      ]);
    }
  });

  it('v0 messages (no timestamp) get `now`; the codec can be overridden', () => {
    const set = encodeMessageSet(ENTRIES, { magic: 0, compression: CompressionCodec.Snappy });
    const batch = messageSetToRecordBatch(set, { now: 42, compression: CompressionCodec.None, baseOffset: 9 });
    const { header, records } = decodeRecordBatch(batch);
    expect(header.attributes & 7).toBe(0);
    expect(records.map((r) => [r.offset, r.timestamp])).toEqual([
      [9, 42],
      [10, 42],
      [11, 42],
    ]);
  });

  it('a set with no whole message is corrupt', () => {
    expect(() => messageSetToRecordBatch(V0_MESSAGE.subarray(0, 20))).toThrow(CorruptDataError);
    expect(() => messageSetToRecordBatch(Buffer.alloc(0))).toThrow(CorruptDataError);
  });

  it('stored batches (and a partial one) become a magic 0 or 1 set with absolute offsets, readable by kafkajs', async () => {
    const b1 = encodeRecordBatch({ baseOffset: 10, records: ENTRIES, compression: CompressionCodec.Gzip });
    const b2 = encodeRecordBatch({ baseOffset: 13, records: [{ key: 'h', value: 'w', timestamp: TS + 9, headers: { x: 'y' } }] });
    const b3 = encodeRecordBatch({ baseOffset: 14, records: [{ key: 'cut', value: 'off', timestamp: TS }] });
    const stored = Buffer.concat([b1, b2, b3.subarray(0, b3.length - 5)]);
    for (const magic of [0, 1] as const) {
      const set = recordBatchesToMessageSet(stored, magic);
      const ours = decodeMessageSet(set);
      expect(ours.map((m) => [m.offset, m.magic, m.compression])).toEqual([10, 11, 12, 13].map((o) => [o, magic, 0]));
      expect(ours.map((m) => m.timestamp)).toEqual(magic === 1 ? [TS, TS + 1, TS + 2, TS + 9] : [-1, -1, -1, -1]);
      const kj = await kafkajsDecode(set);
      expect(kj.map((m) => [m.offset, m.key?.toString() ?? null, m.value?.toString() ?? null])).toEqual([
        ['10', 'k0', 'v0'],
        ['11', null, 'v1'],
        ['12', 'k2', null],
        ['13', 'h', 'w'],
      ]);
      // round trip back to a batch keeps every key, value (and magic 1 timestamp)
      const again = decodeRecordBatch(messageSetToRecordBatch(set, { now: 1 })).records;
      expect(again.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp])).toEqual([
        ['k0', 'v0', magic === 1 ? TS : 1],
        [null, 'v1', magic === 1 ? TS + 1 : 1],
        ['k2', null, magic === 1 ? TS + 2 : 1],
        ['h', 'w', magic === 1 ? TS + 9 : 1],
      ]);
    }
  });

  it('fromOffset drops records before a fetch offset inside a batch; log-append-time sets attribute bit 3', () => {
    const b = encodeRecordBatch({ baseOffset: 0, records: ENTRIES, timestampType: TimestampType.LogAppendTime });
    const set = recordBatchesToMessageSet(b, 1, { fromOffset: 1 });
    const got = decodeMessageSet(set);
    expect(got.map((m) => m.offset)).toEqual([1, 2]);
    expect(got.every((m) => (m.attributes & 0x08) !== 0)).toBe(true);
    expect(recordBatchesToMessageSet(b, 0, { fromOffset: 3 }).length).toBe(0);
  });

  it('can down-convert to one compressed wrapper per batch', async () => {
    const b = encodeRecordBatch({ baseOffset: 20, records: ENTRIES });
    const set = recordBatchesToMessageSet(b, 1, { compression: CompressionCodec.Gzip });
    expect(decodeMessageSet(set).map((m) => [m.offset, m.compression])).toEqual([
      [20, 1],
      [21, 1],
      [22, 1],
    ]);
    expect((await kafkajsDecode(set)).map((m) => m.offset)).toEqual(['20', '21', '22']);
  });

  it('a corrupted stored batch is a CorruptDataError', () => {
    const b = encodeRecordBatch({ baseOffset: 0, records: ENTRIES });
    b[b.length - 1]! ^= 1;
    expect(() => recordBatchesToMessageSet(b, 0)).toThrow(CorruptDataError);
  });
});
