/**
 * Kafka 0.8's documented loss case, made by kafka-verify.sh (Jepsen 2013): the followers of a
 * one-partition topic are paused until the ISR shrinks to the leader, the leader goes on
 * acknowledging alone, then it is killed; the followers come back first.
 *   acks=1, min.insync.replicas=1, unclean.leader.election.enable=true: a follower outside the
 *     ISR is elected and the acknowledged writes it never had are gone: the checker must say so
 *     (VIOLATION, exit 1). A checker that never fails proves nothing.
 *   the same schedule with acks=all, min.insync.replicas=2, unclean election off: writes are
 *     refused while the ISR is short, the partition waits for its old leader, nothing is lost.
 */
import { describe, expect, it } from 'vitest';
import { runVerify } from './verify-helpers.js';

const SCHEDULE = '2+9 pause:followers-0, 7+8 kill:leader-0';
// one ZooKeeper node: the faults are the brokers' (two more JVMs only slowed the suite)
const COMMON = ['--zk-nodes', '1', '--partitions', '1', '--schedule', SCHEDULE, '--duration', '17', '--throughput', '200', '--consumer', 'none'];

describe('kafka-verify: the Jepsen 2013 loss', () => {
  it('catches the loss with acks=1 and unclean leader election', { timeout: 420_000 }, async () => {
    const r = await runVerify('jepsen-unclean', [...COMMON, '--acks', '1', '--min-insync-replicas', '1', '--unclean-leader-election', '--allow-duplicates']);
    if (r.code !== 1) console.log(r.out, r.err);
    expect(r.summary.faults.filter((f) => f.error)).toEqual([]);
    expect(r.summary.verdict.lost.length + r.summary.verdict.misplaced.length).toBeGreaterThan(0);
    expect(r.out).toMatch(/\nVIOLATION: .*acknowledged/);
    expect(r.code).toBe(1);
  });

  it('loses nothing with acks=all, min.insync.replicas=2 and unclean election off', { timeout: 420_000 }, async () => {
    const r = await runVerify('jepsen-clean', [...COMMON, '--acks', 'all', '--min-insync-replicas', '2']);
    if (r.code !== 0) console.log(r.out, r.err);
    expect(r.summary.faults.filter((f) => f.error)).toEqual([]);
    expect(r.summary.verdict.lost).toEqual([]);
    expect(r.summary.verdict.misplaced).toEqual([]);
    expect(r.summary.verdict.violations).toEqual([]);
    expect(r.code).toBe(0);
  });
});
