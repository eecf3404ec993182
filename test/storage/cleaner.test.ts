/**
 * The log cleaner against a model: random keyed workloads (overwrites, tombstones, every
 * codec, idempotent producer ids, headers) appended to a real PartitionLog with small segments;
 * the real LogCleaner (its worker thread from dist/) compacts it. Read from offset 0, the log
 * must equal the model: for every offset below the cleaned point, exactly the records that are
 * the last of their key (tombstones gone once delete.retention.ms passed), everything above it
 * as written; offsets, timestamps, headers and producer ids never change.
 */
import { existsSync, readdirSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CompressionCodec } from '../../src/protocol/records/compression.js';
import { encodeRecordBatch, splitBatches, type KafkaRecord } from '../../src/protocol/records/record-batch.js';
import { systemClock } from '../../src/storage/clock.js';
import { DEFAULT_CLEANER_CONFIG, type CleanerConfig } from '../../src/storage/cleaner/config.js';
import { OffsetMap, murmur3x86_128 } from '../../src/storage/cleaner/offset-map.js';
import { LogManager } from '../../src/storage/log-manager.js';
import type { PartitionLog } from '../../src/storage/log.js';
import { until } from '../helpers/broker-cluster.js';
import { cfg, prng, readAll, tmpLogDir } from './helpers.js';

const dirs: (() => void)[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()!();
});

interface Written {
  offset: number;
  key: string;
  value: string | null;
  timestamp: number;
  headers: string;
  producerId: number;
}

const cleanerCfg = (over: Partial<CleanerConfig> = {}): CleanerConfig => ({ ...DEFAULT_CLEANER_CONFIG, backoffMs: 20, dedupeBufferSize: 4 * 1024 * 1024, ...over });

async function openCompacted(over: Partial<Parameters<typeof cfg>[0]> = {}, cleaner: Partial<CleanerConfig> = {}) {
  const t = tmpLogDir();
  dirs.push(t.cleanup);
  const m = await LogManager.open({
    logDirs: [t.dir],
    defaults: cfg({ segmentBytes: 4096, cleanupPolicy: 'compact', minCleanableDirtyRatio: 0, deleteRetentionMs: 0, fileDeleteDelayMs: 0, ...over }),
    cleaner: cleanerCfg(cleaner),
  });
  const log = await m.getOrCreate('compacted', 0);
  return { m, log, dir: t.dir };
}

/** Appends `n` batches of random keyed records; returns what was written, with offsets. */
async function workload(log: PartitionLog, seed: number, batches: number, keys: number): Promise<Written[]> {
  const rnd = prng(seed);
  const out: Written[] = [];
  const codecs = [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4];
  for (let b = 0; b < batches; b++) {
    const n = 1 + Math.floor(rnd() * 6);
    const producerId = rnd() < 0.5 ? 1000 + (b % 3) : -1;
    const records = Array.from({ length: n }, (_, i) => {
      const key = `key-${Math.floor(rnd() * keys)}`;
      const value = rnd() < 0.15 ? null : `value-${seed}-${b}-${i}-${'x'.repeat(Math.floor(rnd() * 40))}`;
      return { key, value, timestamp: 1_700_000_000_000 + b * 10 + i, headers: rnd() < 0.3 ? { h: `b${b}` } : undefined };
    });
    const buf = encodeRecordBatch({ records, compression: codecs[Math.floor(rnd() * codecs.length)], producerId, producerEpoch: producerId >= 0 ? 0 : -1, baseSequence: producerId >= 0 ? b * 10 : -1 });
    const r = await log.append(buf);
    records.forEach((rec, i) =>
      out.push({ offset: r.firstOffset + i, key: rec.key, value: rec.value, timestamp: rec.timestamp, headers: JSON.stringify(rec.headers ?? {}), producerId }),
    );
  }
  await log.flush();
  return out;
}

function summary(r: KafkaRecord): { offset: number; key: string; value: string | null; timestamp: number; headers: string } {
  const headers: Record<string, string> = {};
  for (const h of r.headers) headers[h.key] = h.value!.toString();
  return { offset: r.offset, key: r.key!.toString(), value: r.value === null ? null : r.value.toString(), timestamp: r.timestamp, headers: JSON.stringify(headers) };
}

/** What a compacted log must hold: below `cleanedTo` the last record of each key (no tombstones), above it everything. */
function model(written: Written[], cleanedTo: number): ReturnType<typeof summary>[] {
  const last = new Map<string, number>();
  for (const w of written) if (w.offset < cleanedTo) last.set(w.key, w.offset);
  const latest = new Map<string, number>();
  for (const w of written) latest.set(w.key, w.offset);
  return written
    .filter((w) => w.offset >= cleanedTo || (latest.get(w.key)! >= cleanedTo ? false : last.get(w.key) === w.offset && w.value !== null))
    .map(({ offset, key, value, timestamp, headers }) => ({ offset, key, value, timestamp, headers }));
}

describe('offset map', () => {
  it('hashes with MurmurHash3 x86_128 (the reference vector) and keeps the last offset per key in bounded slots', () => {
    const out = new Uint32Array(4);
    const fox = Buffer.from('The quick brown fox jumps over the lazy dog');
    murmur3x86_128(fox, 0, fox.length, out);
    expect([...out].map((x) => x.toString(16).padStart(8, '0')).join('')).toBe('2f1583c3ecee2c675d7bf66ce5e91d2c');
    const m = new OffsetMap(24 * 100, 0.5);
    expect(m.slots).toBe(100);
    for (let i = 0; i < 50; i++) expect(m.put(Buffer.from(`k${i}`), 0, `k${i}`.length, i)).toBe(true);
    expect(m.put(Buffer.from('k3'), 0, 2, 99)).toBe(true); // an existing key still updates when full
    expect(m.put(Buffer.from('new'), 0, 3, 100)).toBe(false);
    expect(m.get(Buffer.from('k3'), 0, 2)).toBe(99);
    expect(m.get(Buffer.from('xk7'), 1, 2)).toBe(7);
    expect(m.get(Buffer.from('absent'), 0, 6)).toBe(-1);
  });
});

describe('log cleaner', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('compacted log equals the model (seed %i): last value per key, tombstones gone, offsets kept', async (seed) => {
    const { m, log } = await openCompacted();
    const written = await workload(log, seed, 120, 15 + seed * 3);
    await log.roll();
    const end = log.logEndOffset;
    await until('the cleaner to reach the active segment', () => m.cleaner!.cleanedUpTo(log) >= end, 20_000, 20);
    const got = (await readAll(log, 0)).map(summary);
    expect(got).toEqual(model(written, end));
    expect(log.logStartOffset).toBe(0);
    expect(log.logEndOffset).toBe(end);
    // producer ids and sequences of kept batches are the ones written
    const pids = new Set(written.map((w) => w.producerId));
    for (const b of splitBatches((await log.read(0, 1 << 24)).records)) expect(pids.has(b.header.producerId)).toBe(true);
    await m.close();
  });

  it('with two cleaner threads cleans several logs, each once at a time, each equal to its model', async () => {
    const { m, log } = await openCompacted({}, { threads: 2 });
    const others = [log, await m.getOrCreate('compacted', 1), await m.getOrCreate('compacted', 2)];
    const written = await Promise.all(others.map((l, i) => workload(l, 100 + i, 80, 12)));
    for (const l of others) await l.roll();
    const ends = others.map((l) => l.logEndOffset);
    await until('all three cleaned', () => others.every((l, i) => m.cleaner!.cleanedUpTo(l) >= ends[i]!), 20_000, 20);
    for (const [i, l] of others.entries()) expect((await readAll(l, 0)).map(summary)).toEqual(model(written[i]!, ends[i]!));
    expect(m.cleaner!.stats.aborted).toBe(0);
    await m.close();
  });

  it('keeps tombstones for delete.retention.ms, then removes them; never touches the active segment', async () => {
    const { m, log } = await openCompacted({ deleteRetentionMs: 60 * 60_000 });
    const written = await workload(log, 42, 60, 10);
    await log.roll();
    const end = log.logEndOffset;
    await log.append(encodeRecordBatch({ records: [{ key: 'key-1', value: 'in the active segment' }] }));
    await log.flush();
    await until('cleaned', () => m.cleaner!.cleanedUpTo(log) >= end, 20_000, 20);
    const got = (await readAll(log, 0)).map(summary);
    // within delete.retention.ms: the last record of each key stays even when it is a tombstone
    const lastOf = new Map<string, Written>();
    for (const w of written) lastOf.set(w.key, w);
    expect(got.filter((g) => g.offset < end)).toEqual([...lastOf.values()].sort((a, b) => a.offset - b.offset).map(({ offset, key, value, timestamp, headers }) => ({ offset, key, value, timestamp, headers })));
    expect(got.some((g) => g.value === null)).toBe(true);
    expect(got[got.length - 1]).toMatchObject({ offset: end, value: 'in the active segment' });
    // the retention passes: the next pass drops them
    m.updateConfig('compacted', { deleteRetentionMs: 0 });
    await log.roll();
    const end2 = log.logEndOffset;
    await until('cleaned again', () => m.cleaner!.cleanedUpTo(log) >= end2, 20_000, 20);
    const after = (await readAll(log, 0)).map(summary);
    expect(after.some((g) => g.value === null)).toBe(false);
    expect(after.map((g) => g.key).sort()).toEqual([...new Set(after.map((g) => g.key))].sort());
    await m.close();
  });

  it('honours min.compaction.lag.ms: segments with young records stay dirty', async () => {
    const { m, log } = await openCompacted({ minCompactionLagMs: 10 * 60_000 });
    const now = Date.now();
    for (let i = 0; i < 40; i++) await log.append(encodeRecordBatch({ records: [{ key: 'same', value: `v${i}`, timestamp: now }] }));
    await log.roll();
    await log.flush();
    m.cleaner!.wake();
    await new Promise((r) => setTimeout(r, 300)); // several back-off rounds: nothing may happen
    expect(m.cleaner!.cleanedUpTo(log)).toBe(0);
    expect((await readAll(log, 0)).length).toBe(40);
    m.updateConfig('compacted', { minCompactionLagMs: 0 });
    await until('cleaned once the lag is lifted', () => m.cleaner!.cleanedUpTo(log) >= 40, 20_000, 20);
    expect((await readAll(log, 0)).map((r) => r.value!.toString())).toEqual(['v39']);
    await m.close();
  });

  it('a small dedupe buffer cleans in several passes and still equals the model', async () => {
    const { m, log } = await openCompacted({}, { dedupeBufferSize: 24 * 40, loadFactor: 0.9 });
    const written = await workload(log, 77, 150, 200);
    await log.roll();
    const end = log.logEndOffset;
    await until('cleaned in passes', () => m.cleaner!.cleanedUpTo(log) >= end, 30_000, 20);
    expect(m.cleaner!.stats.passes).toBeGreaterThan(1);
    // records are dropped only when a later record of the same key exists (or a tombstone's time is up)
    const got = (await readAll(log, 0)).map(summary);
    const latest = new Map<string, number>();
    for (const w of written) latest.set(w.key, w.offset);
    for (const w of written) {
      if (latest.get(w.key) === w.offset && w.value !== null) expect(got.find((g) => g.offset === w.offset)).toBeDefined();
    }
    expect(new Set(got.map((g) => g.offset)).size).toBe(got.length);
    for (const g of got) expect(written.find((w) => w.offset === g.offset)!.value).toBe(g.value);
    await m.close();
  });

  it('skips a log with a corrupt segment (logged) and keeps serving it', async () => {
    const { m, log } = await openCompacted({}, { backoffMs: 60_000 });
    await workload(log, 5, 40, 5);
    await log.roll();
    // flip a byte inside the first segment's first batch payload
    const first = path.join(log.dir, readdirSync(log.dir).filter((f) => f.endsWith('.log')).sort()[0]!);
    const fh = await fsp.open(first, 'r+');
    await fh.write(Buffer.from([0xff]), 0, 1, 70);
    await fh.close();
    m.cleaner!.wake();
    await until('the log to be marked uncleanable', () => m.cleaner!.isUncleanable(log), 20_000, 20);
    expect(m.cleaner!.cleanedUpTo(log)).toBe(0);
    // still served: a read of the good tail works, the append path works
    const r = await log.append(encodeRecordBatch({ records: [{ key: 'a', value: 'b' }] }));
    await log.flush();
    expect((await log.read(r.firstOffset, 1 << 20)).records.length).toBeGreaterThan(0);
    expect(readdirSync(log.dir).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))).toEqual([]);
    await m.close();
  });

  it('survives a restart: the checkpoint file keeps the cleaned point; a reopened log is whole', async () => {
    const { m, log, dir } = await openCompacted();
    const written = await workload(log, 9, 80, 12);
    await log.roll();
    const end = log.logEndOffset;
    await until('cleaned', () => m.cleaner!.cleanedUpTo(log) >= end, 20_000, 20);
    await m.close();
    expect(await fsp.readFile(path.join(dir, 'cleaner-offset-checkpoint'), 'utf8')).toBe(`0\n1\ncompacted 0 ${end}\n`);
    const m2 = await LogManager.open({ logDirs: [dir], defaults: cfg({ segmentBytes: 4096, cleanupPolicy: 'compact' }) }, systemClock);
    const log2 = m2.get('compacted', 0)!;
    expect(log2.logEndOffset).toBe(end);
    expect((await readAll(log2, 0)).map(summary)).toEqual(model(written, end));
    expect(existsSync(path.join(dir, 'compacted-0'))).toBe(true);
    await m2.close();
  });
});
