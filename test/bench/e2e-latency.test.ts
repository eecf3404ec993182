/**
 * The e2e section's bench (bench/e2e-latency.ts): its warm-up lasts at least --warmup, then until
 * the process has settled (little CPU off its event loop), at most 10 s; the records it sent then
 * are reported on their own line and not counted; every measured record arrives and is counted once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TestCluster } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { MAX_WARMUP_MS, SETTLED_OFF_LOOP_MS, warmupDone } from '../../bench/e2e-latency.js';

const script = path.resolve(__dirname, '../../dist/bench/e2e-latency.js');

describe('e2e-latency warm-up rule', () => {
  it('lasts at least the minimum, however quiet the process', () => {
    expect(warmupDone(500, 0, 1000)).toBe(false);
    expect(warmupDone(1000, 0, 1000)).toBe(true);
  });

  it('goes on while the process spends CPU off its event loop (JIT compiles, GC helpers)', () => {
    expect(warmupDone(2500, SETTLED_OFF_LOOP_MS, 1000)).toBe(false);
    expect(warmupDone(2500, 120, 1000)).toBe(false);
    expect(warmupDone(2500, SETTLED_OFF_LOOP_MS - 1, 1000)).toBe(true);
    // cpuUsage and event-loop time are sampled apart: a quiet window can come out negative
    expect(warmupDone(2500, -3, 1000)).toBe(true);
  });

  it('ends at the longest warm-up, settled or not, or at a longer minimum', () => {
    expect(warmupDone(MAX_WARMUP_MS - 1, 500, 1000)).toBe(false);
    expect(warmupDone(MAX_WARMUP_MS, 500, 1000)).toBe(true);
    expect(warmupDone(MAX_WARMUP_MS, 500, 15_000)).toBe(false);
    expect(warmupDone(15_000, 500, 15_000)).toBe(true);
  });
});

describe('e2e-latency against a broker', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('e2e-bench').start(1);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('counts every measured record once and reports the warm-up on its own line', { timeout: 60_000 }, async () => {
    await createTopic(cluster.zk, 'e2e-bench', { partitions: 1, replicationFactor: 1 });
    const child = spawn(process.execPath, [script, cluster.bootstrap, 'e2e-bench', '2000', '1', '--warmup', '0.5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(0);
    const [first, warm] = out.trim().split('\n');
    const m = /^e2e 2000 msg\/s: (\d+) records \(after (\d+) not counted\), p50 ([\d.]+) ms, p99 ([\d.]+) ms, p99\.9 ([\d.]+) ms, max ([\d.]+) ms$/.exec(first ?? '');
    expect(m, first).not.toBeNull();
    const [records, notCounted, p50, p99, p999, max] = m!.slice(1).map(Number);
    expect(records).toBe(2000); // 1 s at 2000/s, each arrived once
    expect(notCounted).toBeGreaterThanOrEqual(1000); // at least --warmup 0.5 s
    expect(notCounted).toBeLessThanOrEqual(20_000); // at most 10 s
    expect(p50).toBeLessThanOrEqual(p99!);
    expect(p99).toBeLessThanOrEqual(p999!);
    expect(p999).toBeLessThanOrEqual(max!);
    const w = /^ {2}warm-up: ([\d.]+) s \(at least 0\.5 s, then until .* at most 10 s\), its (\d+) records: p50 [\d.]+ ms, p99 [\d.]+ ms/.exec(warm ?? '');
    expect(w, warm).not.toBeNull();
    expect(Number(w![1])).toBeCloseTo(notCounted! / 2000, 1);
    expect(Number(w![2])).toBe(notCounted); // the warm-up's records all arrived, reported apart
  });
});
