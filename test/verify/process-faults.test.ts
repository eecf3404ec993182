/**
 * kafka-verify.sh with process faults on the brokers (SIGKILL, SIGTERM, SIGSTOP of a partition
 * leader, of the controller, of a broker), acks=all, min.insync.replicas=2, unclean election
 * off: nothing acknowledged may be lost, and the tool must say PASS and exit 0.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runVerify } from './verify-helpers.js';

describe('kafka-verify: process faults on brokers', () => {
  it('loses nothing acknowledged through SIGKILL, SIGTERM and SIGSTOP of a leader, the controller and a broker', { timeout: 420_000 }, async () => {
    // 11+2 pause:broker-2 overlaps the SIGTERM of broker 2 before it: it must wait until broker 2 is started again
    const schedule = '2+3 kill:leader-0, 6+3 pause:controller, 10+3 term:broker-2, 11+2 pause:broker-2, 14+3 kill:controller, 18+3 pause:leader-1, 22+3 term:controller';
    // one ZooKeeper node: every fault here is a broker's (network-faults.test.ts faults an ensemble's leader)
    const r = await runVerify('process', ['--zk-nodes', '1', '--schedule', schedule, '--duration', '26', '--throughput', '200', '--seed', '11']);
    if (r.code !== 0) console.log(r.out, r.err);
    expect(r.summary.faults.map((f) => `${f.action}:${f.target}`)).toEqual(schedule.split(', ').map((e) => e.split(' ')[1]));
    expect(r.summary.faults.filter((f) => f.error)).toEqual([]);
    // faults on one broker never overlap: the pause waited for the restart, then lasted its 2 s
    const pause = r.summary.faults.find((f) => f.index === 4)!;
    expect(pause.detail[0]).toMatch(/waited for broker 2 to come back from an earlier fault/);
    const term = r.summary.faults.find((f) => f.index === 3)!;
    expect(pause.startMs).toBeGreaterThanOrEqual(term.endMs!);
    expect(pause.endMs! - pause.startMs).toBeGreaterThanOrEqual(2000);
    expect(r.summary.faults.every((f) => /^broker \d$/.test(f.resolved))).toBe(true);
    expect(r.summary.verdict.acked).toBeGreaterThan(500);
    expect(r.summary.verdict.lost).toEqual([]);
    expect(r.summary.verdict.misplaced).toEqual([]);
    expect(r.summary.verdict.violations).toEqual([]);
    expect(r.out).toMatch(/\nPASS\n$/);
    expect(r.code).toBe(0);
    // the report a student opens: charts with the faults drawn on them
    const html = readFileSync(path.join(r.dir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('kill:b');
    expect(existsSync(path.join(r.dir, 'producer.jsonl'))).toBe(true);
  });
});
