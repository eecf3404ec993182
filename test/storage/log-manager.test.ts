import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/errors.js';
import { formatCheckpoint, parseCheckpoint } from '../../src/storage/checkpoint.js';
import { ManualClock } from '../../src/storage/clock.js';
import { DEFAULT_LOG_CONFIG, logConfigFromProperties, mergeLogConfig } from '../../src/storage/config.js';
import { topicOverridesFromConfig } from '../../src/storage/topic-config.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { FlushScheduler } from '../../src/storage/flush-scheduler.js';
import { batchOf, cfg, readAll, tmpLogDir, vals } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dirs(n: number): string[] {
  return Array.from({ length: n }, () => {
    const t = tmpLogDir();
    cleanups.push(t.cleanup);
    return t.dir;
  });
}
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('LogManager', () => {
  it('creates logs across log dirs, closes cleanly with checkpoints and markers, reopens without recovery', async () => {
    const logDirs = dirs(2);
    const m = await LogManager.open({ logDirs, defaults: cfg({ segmentBytes: 2000 }) });
    for (let p = 0; p < 4; p++) {
      const log = await m.getOrCreate('orders', p);
      for (let i = 0; i < 30; i++) await log.append(batchOf(vals(i, 2, 20)));
    }
    expect(m.all()).toHaveLength(4);
    expect(readdirSync(logDirs[0]!).filter((f) => f.startsWith('orders-'))).toHaveLength(2);
    expect(await m.getOrCreate('orders', 0)).toBe(m.get('orders', 0));
    expect(m.get('orders', 9)).toBeUndefined();
    await m.close();
    for (const d of logDirs) {
      expect(existsSync(path.join(d, '.kafka_cleanshutdown'))).toBe(true);
      const cp = parseCheckpoint(await fsp.readFile(path.join(d, 'recovery-point-offset-checkpoint'), 'utf8'));
      expect([...cp.values()]).toEqual([60, 60]);
    }
    expect(await fsp.readFile(path.join(logDirs[0]!, 'recovery-point-offset-checkpoint'), 'utf8')).toMatch(/^0\n2\norders \d 60\norders \d 60\n$/);
    const m2 = await LogManager.open({ logDirs, defaults: cfg({ segmentBytes: 2000 }) });
    for (const d of logDirs) expect(existsSync(path.join(d, '.kafka_cleanshutdown'))).toBe(false);
    expect(m2.all()).toHaveLength(4);
    for (const log of m2.all()) {
      expect(log.loadInfo.recoveredSegments).toBe(0);
      expect((await readAll(log)).length).toBe(60);
    }
    await m2.close();
  });

  it('a close before the process exits (files left open) leaves the same files as a close: flushed data, every index entry, clean markers', async () => {
    const defaults = cfg({ segmentBytes: 2000, indexIntervalBytes: 100 });
    const base = 1_700_000_000_000;
    const filesAfter = async (exiting: boolean): Promise<{ dir: string; files: Map<string, string> }> => {
      const [dir] = dirs(1);
      const m = await LogManager.open({ logDirs: [dir!], defaults });
      for (let p = 0; p < 3; p++) {
        const log = await m.getOrCreate('exit', p);
        for (let i = 0; i < 30; i++) await log.append(batchOf(vals(i, 2, 20), (j) => base + i * 10 + j));
      }
      await m.getOrCreate('exit', 3); // an empty log
      await m.close({ exiting });
      const files = new Map<string, string>();
      for (const sub of readdirSync(dir!)) {
        const p = path.join(dir!, sub);
        if ((await fsp.stat(p)).isDirectory()) for (const f of readdirSync(p)) files.set(`${sub}/${f}`, (await fsp.readFile(path.join(p, f))).toString('hex'));
        else files.set(sub, (await fsp.readFile(p)).toString('hex'));
      }
      return { dir: dir!, files };
    };
    const closed = await filesAfter(false);
    const exited = await filesAfter(true);
    expect([...exited.files.keys()].sort()).toEqual([...closed.files.keys()].sort());
    expect(exited.files.get('.kafka_cleanshutdown')).toBe('');
    for (const [name, bytes] of closed.files) if (/\.(log|index|timeindex)$/.test(name)) expect(exited.files.get(name), name).toBe(bytes);
    expect([...exited.files.keys()].filter((n) => n.endsWith('.timeindex') && exited.files.get(n) !== '').length).toBeGreaterThan(3);
    const m2 = await LogManager.open({ logDirs: [exited.dir], defaults });
    for (const log of m2.all()) {
      expect(log.loadInfo.recoveredSegments).toBe(0);
      expect((await readAll(log)).length).toBe(log.partition === 3 ? 0 : 60);
      if (log.partition !== 3) expect(await log.offsetForTimestamp(base + 285)).toBe(58);
    }
    await m2.close();
  });

  it('after a failed fsync, leaves that log dir unmarked as cleanly shut down, so the next start recovers it', async () => {
    const logDirs = dirs(2);
    // the first log dir's disk fails every fsync with EIO; the second's works
    const disk = new FlushScheduler(4);
    const failing = {
      run: (flush: Parameters<FlushScheduler['run']>[0]) =>
        disk.run((durable) =>
          flush(async (segs) => {
            if (segs.some((x) => path.resolve(x.fsRoot) === path.resolve(logDirs[0]!))) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', syscall: 'fdatasync' });
            return durable(segs);
          }),
        ),
    } as unknown as FlushScheduler;
    const config = { logDirs, defaults: cfg({ flushIntervalMessages: 1_000_000 }) };
    const m = await LogManager.open({ ...config, flushScheduler: failing });
    const bad = await m.getOrCreate('t', 0);
    const good = await m.getOrCreate('t', 1);
    expect([path.dirname(bad.dir), path.dirname(good.dir)]).toEqual(logDirs);
    for (const log of [bad, good]) for (let i = 0; i < 5; i++) await log.append(batchOf(vals(i, 2, 20)));
    await expect(bad.flush()).rejects.toThrow('EIO');
    await good.flush();
    await m.close();
    expect(existsSync(path.join(logDirs[0]!, '.kafka_cleanshutdown'))).toBe(false);
    expect(existsSync(path.join(logDirs[1]!, '.kafka_cleanshutdown'))).toBe(true);
    const cp = parseCheckpoint(await fsp.readFile(path.join(logDirs[0]!, 'recovery-point-offset-checkpoint'), 'utf8'));
    expect([...cp.values()]).toEqual([0]);
    // the restart recovers the failed log past its recovery point (here the records did reach the disk)
    const m2 = await LogManager.open(config);
    expect(m2.get('t', 0)!.loadInfo.recoveredSegments).toBe(1);
    expect(m2.get('t', 1)!.loadInfo.recoveredSegments).toBe(0);
    expect(m2.get('t', 0)!.logEndOffset).toBe(10);
    await m2.close();
  });

  it('recovers after an unclean stop (no close) from the checkpointed recovery point', async () => {
    const logDirs = dirs(1);
    const m = await LogManager.open({ logDirs, defaults: cfg({ segmentBytes: 1000 }) });
    const log = await m.getOrCreate('t', 0);
    for (let i = 0; i < 50; i++) await log.append(batchOf(vals(i, 1, 40)));
    await log.flush();
    await m.checkpointRecoveryPoints();
    for (let i = 50; i < 60; i++) await log.append(batchOf(vals(i, 1, 40)));
    await log.flush();
    // crash: never closed
    const m2 = await LogManager.open({ logDirs, defaults: cfg({ segmentBytes: 1000 }) });
    const l2 = m2.get('t', 0)!;
    expect(l2.loadInfo.recoveredSegments).toBeGreaterThanOrEqual(1);
    expect(l2.loadInfo.recoveredSegments).toBeLessThan(l2.segmentBaseOffsets.length);
    expect((await readAll(l2)).map((r) => r.value!.toString())).toEqual(vals(0, 60, 40));
    await m2.close();
  });

  it('runs retention on its schedule with an injected clock; applies topic overrides; deletes logs', async () => {
    const clock = new ManualClock();
    const logDirs = dirs(1);
    const m = await LogManager.open({ logDirs, defaults: cfg({ segmentBytes: 1000, retentionCheckIntervalMs: 60_000, fileDeleteDelayMs: 10 }) }, clock);
    const log = await m.getOrCreate('ev', 0, { retentionMs: 1000 });
    expect(log.config.retentionMs).toBe(1000);
    for (let i = 0; i < 40; i++) await log.append(batchOf(vals(i, 1, 60), clock.now()));
    await log.flush();
    expect(log.segmentBaseOffsets.length).toBeGreaterThan(2);
    clock.advance(60_000);
    await until(() => log.logStartOffset === 40);
    m.updateConfig('ev', topicOverridesFromConfig({ 'retention.ms': '-1', 'segment.bytes': '5000' }));
    expect(log.config.retentionMs).toBe(-1);
    expect(log.config.segmentBytes).toBe(5000);
    await m.delete('ev', 0);
    expect(existsSync(log.dir)).toBe(false);
    expect(m.get('ev', 0)).toBeUndefined();
    await m.close();
  });

  it('writes and reads high watermarks (replication-offset-checkpoint)', async () => {
    const logDirs = dirs(2);
    const m = await LogManager.open({ logDirs, defaults: cfg() });
    await m.getOrCreate('a', 0);
    await m.getOrCreate('a', 1);
    await m.writeHighWatermarks(new Map([['a-0', 5], ['a-1', 7]]));
    expect(await m.readHighWatermarks()).toEqual(new Map([['a-0', 5], ['a-1', 7]]));
    const text = await fsp.readFile(path.join(m.get('a', 0)!.dir, '..', 'replication-offset-checkpoint'), 'utf8');
    expect(text).toBe('0\n1\na 0 5\n');
    await m.close();
  });
});

describe('checkpoint format', () => {
  it("is Kafka's text format", () => {
    const text = formatCheckpoint(new Map([['my-topic-1', 99], ['my-topic-0', 1234]]));
    expect(text).toBe('0\n2\nmy-topic 0 1234\nmy-topic 1 99\n');
    expect(parseCheckpoint(text)).toEqual(new Map([['my-topic-0', 1234], ['my-topic-1', 99]]));
    expect(() => parseCheckpoint('0\n3\na 0 1\n')).toThrow(/count/);
    expect(() => parseCheckpoint('1\n0\n')).toThrow(/version/);
  });
});

describe('log config', () => {
  it("reads log.* keys with Kafka's defaults", () => {
    const c = logConfigFromProperties({});
    expect(c).toEqual(DEFAULT_LOG_CONFIG);
    expect(c.segmentBytes).toBe(1073741824);
    expect(c.segmentMs).toBe(168 * 3_600_000);
    expect(c.retentionMs).toBe(168 * 3_600_000);
    expect(c.flushIntervalMessages).toBe(1);
    const d = logConfigFromProperties(new Map([
      ['log.segment.bytes', '1048576'], ['log.roll.hours', '1'], ['log.retention.hours', '24'], ['log.retention.minutes', '30'],
      ['log.retention.bytes', '1000000'], ['log.flush.interval.messages', '10000'], ['log.flush.scheduler.interval.ms', '500'],
      ['log.cleanup.policy', 'delete'], ['file.delete.delay.ms', '10'], ['log.index.interval.bytes', '1024'], ['log.index.size.max.bytes', '4096'],
    ]));
    expect(d).toMatchObject({ segmentBytes: 1048576, segmentMs: 3_600_000, retentionMs: 1_800_000, retentionBytes: 1_000_000, flushIntervalMessages: 10000, flushIntervalMs: 500, fileDeleteDelayMs: 10, indexIntervalBytes: 1024, maxIndexSize: 4096 });
    expect(logConfigFromProperties({ 'log.retention.ms': '5', 'log.retention.hours': '1' }).retentionMs).toBe(5);
    expect(logConfigFromProperties({ 'log.roll.ms': '7' }).segmentMs).toBe(7);
    expect(logConfigFromProperties({ 'log.flush.interval.ms': '9' }).flushIntervalMs).toBe(9);
  });

  it('names the key of a bad value', () => {
    expect(() => logConfigFromProperties({ 'log.segment.bytes': 'big' })).toThrow(/log\.segment\.bytes/);
    expect(() => logConfigFromProperties({ 'log.flush.interval.messages': '0' })).toThrow(ConfigError);
    expect(() => logConfigFromProperties({ 'log.cleanup.policy': 'shred' })).toThrow(/log\.cleanup\.policy/);
    expect(() => topicOverridesFromConfig({ 'retention.ms': 'x' })).toThrow(/retention\.ms/);
    expect(() => topicOverridesFromConfig({ 'no.such': '1' })).toThrow(/no\.such/);
  });

  it('maps topic-level names', () => {
    const o = topicOverridesFromConfig({ 'retention.ms': '1000', 'retention.bytes': '-1', 'segment.bytes': '2048', 'segment.ms': '60000', 'flush.messages': '5', 'flush.ms': '100' });
    expect(o).toEqual({ retentionMs: 1000, retentionBytes: -1, segmentBytes: 2048, segmentMs: 60000, flushIntervalMessages: 5, flushIntervalMs: 100 });
    expect(mergeLogConfig(DEFAULT_LOG_CONFIG, o).segmentBytes).toBe(2048);
  });
});
