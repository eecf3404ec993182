import { promises as fsp, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { splitBatches } from '../../src/protocol/records/record-batch.js';
import { PartitionLog } from '../../src/storage/log.js';
import { batchOf, cfg, prng, readAll, tmpLogDir, vals } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const config = cfg({ segmentBytes: 3000, indexIntervalBytes: 200 });

/** Builds a log of random batches; returns the expected value of every offset. */
async function buildLog(rand: () => number): Promise<{ dir: string; expected: string[] }> {
  const t = tmpLogDir();
  cleanups.push(t.cleanup);
  const dir = path.join(t.dir, 'crc-0');
  const log = await PartitionLog.open(dir, config);
  const expected: string[] = [];
  const batches = 20 + Math.floor(rand() * 40);
  for (let i = 0; i < batches; i++) {
    const n = 1 + Math.floor(rand() * 5);
    const v = vals(expected.length, n, Math.floor(rand() * 60));
    await log.append(batchOf(v));
    expected.push(...v);
  }
  await log.close();
  return { dir, expected };
}

function logFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
}

/** Opens uncleanly (no marker, recovery point 0) and checks: a contiguous prefix, every value right. */
async function reopenAndCheck(dir: string, expected: string[], mustKeep: number): Promise<PartitionLog> {
  const log = await PartitionLog.open(dir, config);
  const recs = await readAll(log);
  expect(recs.length).toBeGreaterThanOrEqual(mustKeep);
  recs.forEach((r, i) => {
    expect(r.offset).toBe(i);
    expect(r.value!.toString()).toBe(expected[i]);
  });
  expect(log.logEndOffset).toBe(recs.length);
  // the recovered log takes appends at its end
  expect((await log.append(batchOf(['after']))).firstOffset).toBe(recs.length);
  await log.close();
  return log;
}

/** Batches of a segment file: [absolute start position, first offset, last offset]. */
async function batchesOf(file: string): Promise<{ at: number; base: number; last: number; size: number }[]> {
  const buf = await fsp.readFile(file);
  return splitBatches(buf).map((b) => ({ at: b.at, base: b.header.baseOffset, last: b.header.baseOffset + b.header.lastOffsetDelta, size: b.header.batchLength + 12 }));
}

const SEEDS = Array.from({ length: 25 }, (_, i) => i + 1);

describe('recovery after damage (seeded)', () => {
  it.each(SEEDS)('random bytes appended to the last .log (seed %i)', async (seed) => {
    const rand = prng(seed);
    const { dir, expected } = await buildLog(rand);
    const last = path.join(dir, logFiles(dir).at(-1)!);
    await fsp.appendFile(last, Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256))));
    const log = await reopenAndCheck(dir, expected, expected.length);
    expect(log.loadInfo.truncatedBytes).toBeGreaterThan(0);
  });

  it.each(SEEDS)('random bytes appended to an .index and a .timeindex (seed %i)', async (seed) => {
    const rand = prng(seed);
    const { dir, expected } = await buildLog(rand);
    const idx = readdirSync(dir).filter((f) => f.endsWith('.index'));
    const pick = idx[Math.floor(rand() * idx.length)]!;
    const junk = () => Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
    await fsp.appendFile(path.join(dir, pick), junk());
    await fsp.appendFile(path.join(dir, pick.replace('.index', '.timeindex')), junk());
    await reopenAndCheck(dir, expected, expected.length);
    // also after a "clean" shutdown, where indexes are only sanity-checked
    await fsp.appendFile(path.join(dir, pick), junk());
    const log = await PartitionLog.open(dir, config, undefined, { cleanShutdown: true, recoveryPoint: expected.length + 1 });
    const recs = await readAll(log);
    expect(recs.map((r) => r.value!.toString())).toEqual([...expected, 'after']);
    await log.close();
  });

  it.each(SEEDS)('a batch cut in half (seed %i)', async (seed) => {
    const rand = prng(seed);
    const { dir, expected } = await buildLog(rand);
    const last = path.join(dir, logFiles(dir).at(-1)!);
    const bs = await batchesOf(last);
    const victim = bs[Math.floor(rand() * bs.length)]!;
    await fsp.truncate(last, victim.at + 1 + Math.floor(rand() * (victim.size - 1)));
    await reopenAndCheck(dir, expected, victim.base);
    const reopened = await PartitionLog.open(dir, config);
    expect(reopened.logEndOffset).toBe(victim.base + 1); // the cut batch is gone, 'after' took its offset
    await reopened.close();
  });

  it.each(SEEDS)('a flipped bit anywhere in any segment (seed %i)', async (seed) => {
    const rand = prng(seed);
    const { dir, expected } = await buildLog(rand);
    const files = logFiles(dir);
    const file = path.join(dir, files[Math.floor(rand() * files.length)]!);
    const bytes = await fsp.readFile(file);
    const pos = Math.floor(rand() * bytes.length);
    const bs = await batchesOf(file);
    const victim = bs.find((b) => pos >= b.at && pos < b.at + b.size)!;
    bytes[pos]! ^= 1 << Math.floor(rand() * 8);
    await fsp.writeFile(file, bytes);
    // Bytes 12..15 (partition leader epoch) are outside the CRC and carry no record data.
    const harmless = pos - victim.at >= 12 && pos - victim.at < 16;
    await reopenAndCheck(dir, expected, harmless ? expected.length : victim.base);
  });
});

describe('reopen', () => {
  it('after a clean stop needs no recovery and keeps everything', async () => {
    const { dir, expected } = await buildLog(prng(99));
    const log = await PartitionLog.open(dir, config, undefined, { cleanShutdown: true, recoveryPoint: expected.length });
    expect(log.loadInfo.recoveredSegments).toBe(0);
    expect(log.logEndOffset).toBe(expected.length);
    expect((await readAll(log)).map((r) => r.value!.toString())).toEqual(expected);
    await log.close();
  });

  it('after an unclean stop recovers from the recovery point only, and deletes leftovers', async () => {
    const { dir, expected } = await buildLog(prng(7));
    const segs = logFiles(dir);
    const lastBase = Number(segs.at(-1)!.slice(0, 20));
    await fsp.writeFile(path.join(dir, '00000000000000000000.log.deleted'), 'x');
    await fsp.writeFile(path.join(dir, '00000000000000000000.index.swap'), 'x');
    await fsp.writeFile(path.join(dir, '00000000000000000000.log.cleaned'), 'x');
    await fsp.writeFile(path.join(dir, '00000000000000099999.index'), 'x');
    const log = await PartitionLog.open(dir, config, undefined, { cleanShutdown: false, recoveryPoint: lastBase });
    expect(log.loadInfo.recoveredSegments).toBe(1);
    expect(log.loadInfo.deletedLeftovers.sort()).toEqual(['00000000000000000000.index.swap', '00000000000000000000.log.cleaned', '00000000000000000000.log.deleted', '00000000000000099999.index']);
    expect((await readAll(log)).map((r) => r.value!.toString())).toEqual(expected);
    await log.close();
  });
});
