/**
 * bin/kafka-dump-log.sh on segment files written by the real PartitionLog in temporary
 * directories (no broker): the batch and record lines, the index dumps and their checks, and
 * what it says about a truncated file, a flipped byte, a corrupted index and a compacted-looking
 * log (offset gaps, a batch with holes, a batch with no records); --offsets-decoder on a
 * __consumer_offsets segment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompressionCodec } from '../../src/protocol/records/compression.js';
import { crc32c } from '../../src/protocol/records/crc.js';
import {
  encodeConsumerAssignment,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../src/coordinator/offsets-records.js';
import { ATTRIBUTES_OFFSET, CONTROL_MASK, CRC_OFFSET, encodeRecordBatch, readBatchHeader, splitBatches } from '../../src/protocol/records/record-batch.js';
import { Writer } from '../../src/protocol/writer.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/config.js';
import { PartitionLog } from '../../src/storage/log.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/kafka-dump-log.sh');
const dump = (...args: string[]) => {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const SEG = '00000000000000000000';
const T0 = 1_700_000_000_000;

/** A v2 batch with chosen offset deltas (as compaction leaves them), written by hand. */
function compactedBatch(baseOffset: number, lastOffsetDelta: number, recs: { delta: number; key: string; value: string | null }[]): Buffer {
  const body = new Writer();
  for (const r of recs) {
    const rw = new Writer();
    rw.int8(0).varlong(r.delta).varint(r.delta).varintBytes(Buffer.from(r.key)).varintBytes(r.value === null ? null : Buffer.from(r.value)).varint(0);
    const bytes = Buffer.from(rw.finish());
    body.varint(bytes.length).raw(bytes);
  }
  const payload = Buffer.from(body.finish());
  const w = new Writer();
  w.int64(baseOffset).int32(49 + payload.length).int32(3).int8(2).uint32(0).int16(0).int32(lastOffsetDelta);
  w.int64(T0).int64(T0 + lastOffsetDelta).int64(-1).int16(-1).int32(-1).int32(recs.length).raw(payload);
  const out = Buffer.from(w.finish());
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  return out;
}

describe('kafka-dump-log', () => {
  let root: string;
  let dir: string; // a partition directory written by PartitionLog
  const file = (d: string, suffix: string) => path.join(d, SEG + suffix);
  /** A fresh copy of the partition directory to damage. */
  const copy = (name: string): string => {
    const d = path.join(root, name, 'copy-0');
    mkdirSync(d, { recursive: true });
    for (const f of readdirSync(dir)) copyFileSync(path.join(dir, f), path.join(d, f));
    return d;
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'zkafka-dump-log-'));
    dir = path.join(root, 'dump-0');
    const log = await PartitionLog.open(dir, { ...DEFAULT_LOG_CONFIG, indexIntervalBytes: 100 });
    const codecs = [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4];
    for (let i = 0; i < 8; i++) {
      await log.append(
        encodeRecordBatch({
          compression: codecs[i % 4],
          producerId: i === 0 ? 42 : -1,
          producerEpoch: i === 0 ? 1 : -1,
          baseSequence: i === 0 ? 7 : -1,
          records: [
            { key: `k${i}`, value: `value-${i}`, timestamp: T0 + i * 10, headers: { trace: 't', span: 's' } },
            { key: null, value: null, timestamp: T0 + i * 10 + 5 },
          ],
        }),
      );
    }
    await log.append(encodeRecordBatch({ records: [{ value: 'appended' }] }), { logAppendTime: T0 + 999 });
    await log.flush();
    await log.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('prints every batch and, with --print-data-log, every record', () => {
    const r = dump('--files', file(dir, '.log'), '--print-data-log');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([`Dumping ${file(dir, '.log')}`, 'Starting offset: 0']);
    const batches = lines.filter((l) => l.startsWith('baseOffset:'));
    expect(batches).toHaveLength(9);
    const bytes = readFileSync(file(dir, '.log'));
    const first = readBatchHeader(bytes, 0);
    expect(batches[0]).toBe(
      'baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 7 lastSequence: 8 producerId: 42 producerEpoch: 1 partitionLeaderEpoch: -1 ' +
        `isTransactional: false isControl: false position: 0 CreateTime: ${T0 + 5} size: ${first.batchLength + 12} magic: 2 compresscodec: NONE crc: ${first.crc} isvalid: true`,
    );
    expect(batches.slice(0, 4).map((l) => /compresscodec: (\w+)/.exec(l)![1])).toEqual(['NONE', 'GZIP', 'SNAPPY', 'LZ4']);
    expect(batches.map((l) => Number(/position: (\d+)/.exec(l)![1]))).toEqual(splitBatches(bytes).map((b) => b.at));
    expect(batches[8]).toMatch(new RegExp(`^baseOffset: 16 lastOffset: 16 count: 1 .* LogAppendTime: ${T0 + 999} .* isvalid: true$`));
    expect(lines[3]).toBe(`| offset: 0 CreateTime: ${T0} keysize: 2 valuesize: 7 sequence: 7 headerKeys: [trace,span] key: k0 payload: value-0`);
    expect(lines[4]).toBe(`| offset: 1 CreateTime: ${T0 + 5} keysize: -1 valuesize: -1 sequence: 8 headerKeys: [] key: null payload: null`);
    expect(lines).toContain(`| offset: 7 CreateTime: ${T0 + 35} keysize: -1 valuesize: -1 sequence: -1 headerKeys: [] key: null payload: null`);
    expect(lines).toContain(`| offset: 16 LogAppendTime: ${T0 + 999} keysize: -1 valuesize: 8 sequence: -1 headerKeys: [] key: null payload: appended`);
    expect(lines.filter((l) => l.startsWith('| offset:'))).toHaveLength(17);

    // --deep-iteration: the same record lines without key and payload; no flag: batches only
    const deep = dump('--files', file(dir, '.log'), '--deep-iteration');
    expect(deep.out).toContain(`| offset: 0 CreateTime: ${T0} keysize: 2 valuesize: 7 sequence: 7 headerKeys: [trace,span]\n`);
    expect(dump('--files', file(dir, '.log')).out.split('\n').filter((l) => l.startsWith('|'))).toEqual([]);
  });

  it('prints the offset and time index entries and checks them against the log', () => {
    const idx = readFileSync(file(dir, '.index'));
    const tidx = readFileSync(file(dir, '.timeindex'));
    expect(idx.length).toBeGreaterThanOrEqual(16); // the test means something only with entries
    const r = dump('--files', `${file(dir, '.index')},${file(dir, '.timeindex')}`);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const want = [`Dumping ${file(dir, '.index')}`];
    for (let at = 0; at < idx.length; at += 8) want.push(`offset: ${idx.readInt32BE(at)} position: ${idx.readInt32BE(at + 4)}`);
    want.push(`Dumping ${file(dir, '.timeindex')}`);
    for (let at = 0; at < tidx.length; at += 12) want.push(`timestamp: ${Number(tidx.readBigInt64BE(at))} offset: ${tidx.readInt32BE(at + 8)}`);
    expect(r.out.trimEnd().split('\n')).toEqual(want);

    const ok = dump('--files', `${file(dir, '.index')},${file(dir, '.timeindex')}`, '--index-sanity-check');
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(`Dumping ${file(dir, '.index')}\n${file(dir, '.index')} passed sanity check.\nDumping ${file(dir, '.timeindex')}\n${file(dir, '.timeindex')} passed sanity check.\n`);
  });

  it('reports a corrupted offset index or time index with exit code 1', () => {
    const d = copy('bad-index');
    const idx = readFileSync(file(d, '.index'));
    const secondPos = idx.readInt32BE(12);
    idx.writeInt32BE(secondPos + 1, 12); // entry 1 points inside a batch
    idx.writeInt32BE(idx.readInt32BE(8) + 1, 8); // and names an offset one above the batch's
    writeFileSync(file(d, '.index'), idx);
    let r = dump('--files', file(d, '.index'), '--index-sanity-check');
    expect(r.code).toBe(1);
    expect(r.out).not.toContain('passed sanity check');
    expect(r.err).toContain(`Index entry 1 (offset: ${idx.readInt32BE(8)} position: ${secondPos + 1}): position ${secondPos + 1} does not start a batch`);

    idx.writeInt32BE(secondPos, 12); // the right position, the wrong offset
    writeFileSync(file(d, '.index'), idx);
    r = dump('--files', file(d, '.index'), '--index-sanity-check');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Index entry 1 .*Index position \d+ does not match log offset: the batch there has baseOffset \d+/);

    const tidx = readFileSync(file(d, '.timeindex'));
    tidx.writeBigInt64BE(tidx.readBigInt64BE(0) + 1n, 0);
    writeFileSync(file(d, '.timeindex'), tidx);
    r = dump('--files', file(d, '.timeindex'), '--index-sanity-check');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Time index entry 0 \(timestamp: \d+ offset: \d+\): the batch at offset \d+ has maxTimestamp \d+, not \d+/);

    writeFileSync(file(d, '.timeindex'), Buffer.concat([tidx, Buffer.from([1, 2, 3])]));
    r = dump('--files', file(d, '.timeindex'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('3 trailing bytes are not a whole 12-byte entry');
  });

  it('reports a log cut in the middle of a batch clearly, exit code 1, no stack trace', () => {
    const d = copy('truncated');
    const bytes = readFileSync(file(d, '.log'));
    const batches = splitBatches(bytes);
    const cutAt = batches[5]!.at + 30; // inside batch 5
    truncateSync(file(d, '.log'), cutAt);
    const r = dump('--files', file(d, '.log'));
    expect(r.code).toBe(1);
    expect(r.out.split('\n').filter((l) => l.startsWith('baseOffset:'))).toHaveLength(5);
    expect(r.err).toBe(
      `kafka-dump-log: Found 30 invalid bytes at the end of ${file(d, '.log')}: the batch at position ${batches[5]!.at} needs ${batches[5]!.header.batchLength + 12} bytes, only 30 remain (a truncated file)\n`,
    );
    // the index now points past the end of the log
    const s = dump('--files', file(d, '.index'), '--index-sanity-check');
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/is past the end of the log|lies in the invalid tail of the log/);
  });

  it('marks a batch with a flipped byte isvalid: false and goes on', () => {
    const d = copy('flipped');
    const bytes = readFileSync(file(d, '.log'));
    const b2 = splitBatches(bytes)[2]!;
    bytes[b2.at + b2.header.batchLength + 12 - 3]! ^= 0xff; // a byte of batch 2's records
    writeFileSync(file(d, '.log'), bytes);
    const r = dump('--files', file(d, '.log'), '--deep-iteration');
    expect(r.code).toBe(1);
    const valid = r.out.split('\n').filter((l) => l.startsWith('baseOffset:')).map((l) => /isvalid: (\w+)$/.exec(l)![1]);
    expect(valid).toEqual(['true', 'true', 'false', 'true', 'true', 'true', 'true', 'true', 'true']);
    expect(r.out).toContain('| records not shown: CRC32C mismatch');
    expect(r.out).toContain('| offset: 16 '); // records after the bad batch are still dumped
    expect(r.err).toMatch(new RegExp(`invalid batch at position ${b2.at} \\(baseOffset 4\\): CRC32C mismatch: stored crc ${b2.header.crc}, computed \\d+`));
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('dumps a compacted-looking log: gaps between batches, holes inside a batch, a batch with no records', () => {
    const d = path.join(root, 'compacted-0');
    mkdirSync(d);
    const log = Buffer.concat([
      compactedBatch(0, 1, [{ delta: 1, key: 'a', value: 'a2' }]),
      compactedBatch(5, 4, [{ delta: 0, key: 'b', value: 'b5' }, { delta: 3, key: 'c', value: null }]),
      compactedBatch(12, 2, []),
      compactedBatch(20, 0, [{ delta: 0, key: 'd', value: 'd20' }]),
    ]);
    writeFileSync(file(d, '.log'), log);
    const r = dump('--files', file(d, '.log'), '--print-data-log');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n').slice(2).map((l) => l.replace(/ (position|CreateTime|size|crc): \d+/g, ''));
    expect(lines).toEqual([
      'baseOffset: 0 lastOffset: 1 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 3 isTransactional: false isControl: false magic: 2 compresscodec: NONE isvalid: true',
      '| offset: 1 keysize: 1 valuesize: 2 sequence: -1 headerKeys: [] key: a payload: a2',
      'baseOffset: 5 lastOffset: 9 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 3 isTransactional: false isControl: false magic: 2 compresscodec: NONE isvalid: true',
      '| offset: 5 keysize: 1 valuesize: 2 sequence: -1 headerKeys: [] key: b payload: b5',
      '| offset: 8 keysize: 1 valuesize: -1 sequence: -1 headerKeys: [] key: c payload: null',
      'baseOffset: 12 lastOffset: 14 count: 0 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 3 isTransactional: false isControl: false magic: 2 compresscodec: NONE isvalid: true',
      'baseOffset: 20 lastOffset: 20 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 3 isTransactional: false isControl: false magic: 2 compresscodec: NONE isvalid: true',
      '| offset: 20 keysize: 1 valuesize: 3 sequence: -1 headerKeys: [] key: d payload: d20',
    ]);
  });

  it('--offsets-decoder prints __consumer_offsets records as Kafka does and notes the ones that do not decode', () => {
    const d = path.join(root, '__consumer_offsets-7');
    mkdirSync(d);
    const commit = (group: string, topic: string, partition: number, offset: number, metadata = '', expireTimestamp = -1) => ({
      key: encodeOffsetCommitKey({ group, topic, partition }),
      value: encodeOffsetCommitValue({ offset, leaderEpoch: 3, metadata, commitTimestamp: T0, expireTimestamp }),
      timestamp: T0,
    });
    const member = (memberId: string, assignment: Buffer) => ({
      memberId,
      groupInstanceId: null,
      clientId: 'consumer-1',
      clientHost: '/127.0.0.1',
      rebalanceTimeoutMs: 300_000,
      sessionTimeoutMs: 10_000,
      subscription: Buffer.alloc(0),
      assignment,
    });
    const groupValue = encodeGroupMetadataValue({
      protocolType: 'consumer',
      generation: 2,
      protocol: 'range',
      leader: 'c-1',
      currentStateTimestamp: T0,
      members: [
        member('c-1', encodeConsumerAssignment([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }])),
        member('c-2', encodeConsumerAssignment([{ topic: 'orders', partition: 2 }])),
      ],
    });
    // a transaction marker (control batch): Kafka prints no key or payload for it
    const marker = encodeRecordBatch({ baseOffset: 9, producerId: 5, producerEpoch: 0, transactional: true, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]), timestamp: T0 }] });
    marker.writeInt16BE(marker.readInt16BE(ATTRIBUTES_OFFSET) | CONTROL_MASK, ATTRIBUTES_OFFSET);
    marker.writeUInt32BE(crc32c(marker.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
    writeFileSync(
      file(d, '.log'),
      Buffer.concat([
        encodeRecordBatch({ baseOffset: 0, records: [commit('g1', 'orders', 0, 42), commit('g1', 'orders', 1, 17, 'checkpoint', T0 + 86_400_000)] }),
        encodeRecordBatch({ baseOffset: 2, records: [{ key: encodeGroupMetadataKey('g1'), value: groupValue, timestamp: T0 }] }),
        encodeRecordBatch({
          baseOffset: 3,
          records: [
            { key: encodeOffsetCommitKey({ group: 'g1', topic: 'orders', partition: 0 }), value: null, timestamp: T0 },
            { key: encodeGroupMetadataKey('g1'), value: null, timestamp: T0 },
            { key: Buffer.from([0, 9, 0, 0]), value: 'x', timestamp: T0 }, // key version 9
            { key: null, value: 'no key', timestamp: T0 },
            { key: encodeOffsetCommitKey({ group: 'g1', topic: 'orders', partition: 2 }), value: Buffer.from([0, 7]), timestamp: T0 }, // value version 7
            commit('g2', 'events', 3, 5),
          ],
        }),
        marker,
      ]),
    );
    const r = dump('--files', file(d, '.log'), '--offsets-decoder');
    expect(r.code).toBe(1);
    const records = r.out.split('\n').filter((l) => l.startsWith('|')).map((l) => l.replace(/^\| offset: (\d+) .*? headerKeys: \[\]/, '$1:'));
    expect(records).toEqual([
      '0: key: offset_commit::group=g1,partition=orders-0 payload: offset=42',
      '1: key: offset_commit::group=g1,partition=orders-1 payload: offset=17,metadata=checkpoint',
      '2: key: group_metadata::group=g1 payload: {"protocolType":"consumer","protocol":"range","generationId":2,"assignment":"{c-1=[orders-0, orders-1],c-2=[orders-2]}"}',
      '3: key: offset_commit::group=g1,partition=orders-0 payload: <DELETE>',
      '4: key: group_metadata::group=g1 payload: <DELETE>',
      '5: offsets-decoder: cannot decode: record key: unknown key version 9 (0 and 1: offset commit, 2: group metadata)',
      '6: offsets-decoder: cannot decode: the record has no key (every __consumer_offsets record has one)',
      '7: offsets-decoder: cannot decode: offset commit value: unknown offset commit value version 7',
      '8: key: offset_commit::group=g2,partition=events-3 payload: offset=5',
      '9:',
    ]);
    expect(r.out).toMatch(/\| offset: 0 CreateTime: \d+ keysize: 18 valuesize: 24 sequence: -1 headerKeys: \[\] key: offset_commit/);
    expect(r.out).toMatch(/^baseOffset: 9 lastOffset: 9 count: 1 .* isTransactional: true isControl: true .* isvalid: true$/m);
    const why = [
      'record key: unknown key version 9 (0 and 1: offset commit, 2: group metadata)',
      'the record has no key (every __consumer_offsets record has one)',
      'offset commit value: unknown offset commit value version 7',
    ];
    expect(r.err).toBe(why.map((w, i) => `kafka-dump-log: ${file(d, '.log')}: --offsets-decoder cannot decode the record at offset ${5 + i}: ${w}\n`).join(''));

    // the decodable records alone: exit 0; without the flag the same file is plain bytes
    const ok = path.join(root, '__consumer_offsets-8');
    mkdirSync(ok);
    writeFileSync(file(ok, '.log'), encodeRecordBatch({ records: [commit('g1', 'orders', 0, 42)] }));
    const good = dump('--files', file(ok, '.log'), '--offsets-decoder');
    expect(good.err).toBe('');
    expect(good.code).toBe(0);
    expect(good.out).toContain(' key: offset_commit::group=g1,partition=orders-0 payload: offset=42\n');
    expect(dump('--files', file(ok, '.log'), '--print-data-log').out).not.toContain('offset_commit');
  });

  it('writes every line when stdout is a pipe that fills up (no output lost at exit)', async () => {
    const d = path.join(root, 'long-0');
    const log = await PartitionLog.open(d, { ...DEFAULT_LOG_CONFIG, flushIntervalMessages: 1_000_000 });
    const appends = Array.from({ length: 2000 }, (_, i) => log.append(encodeRecordBatch({ records: [{ value: `long-${i}`, timestamp: T0 }, { value: null, timestamp: T0 }] })));
    await Promise.all(appends);
    await log.close();
    // a reader that starts late: the tool's writes queue up behind a full pipe
    const r = spawnSync('bash', ['-c', 'set -o pipefail; "$0" --files "$1" --print-data-log | (sleep 0.5; cat)', BIN, file(d, '.log')], { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 << 20 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(256 * 1024); // several pipe buffers
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + 2000 * 3);
    expect(lines.at(-1)).toBe(`| offset: 3999 CreateTime: ${T0} keysize: -1 valuesize: -1 sequence: -1 headerKeys: [] key: null payload: null`);
  });

  it('refuses a missing, unknown or misnamed file and bad options with exit code 1', () => {
    const cases: [string[], RegExp][] = [
      [['--files', path.join(root, 'nope', SEG + '.log')], /cannot read .*00000000000000000000\.log: .*ENOENT/],
      [['--files', path.join(dir, 'leader-epoch-checkpoint')], /Ignoring unknown file/],
      [['--files', path.join(root, 'x.log')], /the name does not start with a base offset/],
      [['--files', file(dir, '.log'), '--max-message-size', '0'], /--max-message-size must be a positive integer/],
      [[], /required option '--files <files>' not specified/],
    ];
    for (const [args, msg] of cases) {
      const r = dump(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(msg);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const big = dump('--files', file(dir, '.log'), '--max-message-size', '64');
    expect(big.code).toBe(1);
    expect(big.err).toMatch(/claims \d+ bytes, more than --max-message-size 64/);
    expect(dump('--help').code).toBe(0);
  });
});
