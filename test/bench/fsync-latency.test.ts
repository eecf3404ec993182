/**
 * The e2e section's floor (bench/fsync-latency.ts): back-to-back fdatasyncs, and with --rate a
 * group commit at that rate. Checks what the bench's reader relies on: every append paced in is
 * counted once, each fdatasync covers at least one, the percentiles are in order; a rate that is
 * not a positive number is refused with exit code 2.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const script = path.resolve(__dirname, '../../dist/bench/fsync-latency.js');

describe('fsync-latency bench', () => {
  it('prints the back-to-back line and a group commit covering every paced append once', { timeout: 30_000 }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fsync-latency-test-'));
    try {
      const r = spawnSync(process.execPath, [script, '0.5', dir, '--rate', '2000'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const [first, second] = r.stdout.trim().split('\n');
      expect(first).toMatch(/^fdatasync of a 100-byte append: \d+ calls, p50 [\d.]+ ms, p99 [\d.]+ ms, p99\.9 [\d.]+ ms, max [\d.]+ ms$/);
      const m = /^group commit at 2000 appends\/s: (\d+) appends, (\d+) fdatasyncs, write->durable p50 ([\d.]+) ms, p99 ([\d.]+) ms, p99\.9 ([\d.]+) ms, max ([\d.]+) ms$/.exec(second ?? '');
      expect(m, second).not.toBeNull();
      const [appends, fsyncs, p50, p99, p999, max] = m!.slice(1).map(Number);
      expect(appends).toBe(1000); // 0.5 s at 2000/s
      expect(fsyncs).toBeGreaterThanOrEqual(1);
      expect(fsyncs).toBeLessThanOrEqual(2000);
      expect(p50).toBeLessThanOrEqual(p99!);
      expect(p99).toBeLessThanOrEqual(p999!);
      expect(p999).toBeLessThanOrEqual(max!);
      expect(readdirSync(dir)).toEqual([]); // its files are removed
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a rate that is not a positive number', () => {
    const r = spawnSync(process.execPath, [script, '1', os.tmpdir(), '--rate', 'x'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: fsync-latency.js');
  });
});
