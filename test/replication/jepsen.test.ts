/**
 * Jepsen 2013 ("Call me maybe: Kafka"), reproduced: the ISR shrinks to the leader (both
 * followers paused with SIGSTOP), writes continue, the leader is killed, the followers resume.
 *   unclean.leader.election.enable=true as the TOPIC's config (the brokers' default is false:
 *     the controller reads the topic's override), min ISR 1: a follower outside the ISR becomes
 *     leader and the checker reports the acknowledged writes it never had (the control);
 *   unclean election off, min ISR 1: the partition waits for a leader from the ISR and, once
 *     the old leader returns, nothing acknowledged is lost;
 *   min ISR 2: the writes after the shrink are refused (error 19) and nothing acknowledged is lost.
 */
import { describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { check, readAll, startProducer, sleep } from '../helpers/checker.js';
import { ErrorCode } from '../../src/common/errors.js';
import { FAST, createReplicated, state } from './helpers.js';

async function scenario(opts: { unclean: boolean; minIsr: number; uncleanPerTopic?: boolean }) {
  const cluster = await new TestCluster(`jepsen-${opts.unclean ? 'unclean' : 'clean'}-${opts.minIsr}`, {
    ...FAST,
    'unclean.leader.election.enable': String(opts.unclean && !opts.uncleanPerTopic),
    'min.insync.replicas': String(opts.minIsr),
    'controlled.shutdown.enable': 'false',
  }).start(3);
  try {
    const topic = 'jepsen';
    await createReplicated(cluster, topic, 1, 3, opts.uncleanPerTopic ? { 'unclean.leader.election.enable': String(opts.unclean) } : {});
    const run = startProducer(cluster.bootstrap, topic, 1, { prefix: 'j' });
    await until('writes flowing', () => run.acked.length >= 20, 30_000);
    const leader = (await state(cluster, topic, 0))!.leader;
    const followers = [1, 2, 3].filter((id) => id !== leader);
    for (const f of followers) cluster.signal(f, 'SIGSTOP');
    await until('the ISR to shrink to the leader', async () => JSON.stringify((await state(cluster, topic, 0))?.isr) === JSON.stringify([leader]), 30_000);
    const ackedAtShrink = run.acked.length;
    await sleep(1500); // writes continue (or are refused) with the ISR = the leader alone
    const ackedAfterShrink = run.acked.length - ackedAtShrink;
    await cluster.stopBroker(leader, 'SIGKILL');
    for (const f of followers) cluster.signal(f, 'SIGCONT');
    return { cluster, run, leader, followers, ackedAfterShrink };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

describe('Jepsen 2013: the ISR shrinks to the leader, which then dies', () => {
  it('with unclean leader election on for the topic (brokers: off), the checker reports the lost writes (the control)', async () => {
    const { cluster, run, followers, ackedAfterShrink } = await scenario({ unclean: true, minIsr: 1, uncleanPerTopic: true });
    try {
      expect(ackedAfterShrink).toBeGreaterThan(0);
      await until('a follower outside the ISR to be elected', async () => followers.includes((await state(cluster, 'jepsen', 0))?.leader ?? -1), 30_000);
      await sleep(1000);
      await run.stop();
      const result = check(run.acked, await readAll(cluster.bootstrap, 'jepsen', 1));
      expect(result.lost.length + result.misplaced.length).toBeGreaterThan(0);
    } finally {
      await run.stop();
      await cluster.stop();
    }
  });

  it('with unclean leader election off, the partition waits for its leader and loses nothing', async () => {
    const { cluster, run, leader, followers, ackedAfterShrink } = await scenario({ unclean: false, minIsr: 1 });
    try {
      expect(ackedAfterShrink).toBeGreaterThan(0);
      // the followers are back, but neither may lead: the controller says so and elects nobody
      await until('the controller to find no ISR member to elect', () =>
        [...cluster.brokers.values()].some((b) => b.id !== leader && b.output().includes('no replica may lead; partition offline')), 30_000);
      await sleep(1000);
      expect(followers).not.toContain((await state(cluster, 'jepsen', 0))?.leader);
      await cluster.startBroker(leader, { ...FAST, 'unclean.leader.election.enable': 'false', 'min.insync.replicas': '1' });
      await until('the old leader to lead again', async () => (await state(cluster, 'jepsen', 0))?.leader === leader, 30_000);
      await until('writes flowing again', async () => {
        const n = run.acked.length;
        await sleep(300);
        return run.acked.length > n;
      }, 30_000).catch((err) => {
        if (process.env.DEBUG_JEPSEN) for (const b of cluster.brokers.values()) console.log(`==== broker ${b.id}\n${b.output().slice(-6000)}`);
        console.log('producer errors', [...run.errors]);
        throw err;
      });
      await run.stop();
      const result = check(run.acked, await readAll(cluster.bootstrap, 'jepsen', 1));
      expect(result.lost).toEqual([]);
      expect(result.misplaced).toEqual([]);
    } finally {
      await run.stop();
      await cluster.stop();
    }
  });

  it('with min.insync.replicas=2 the writes are refused once the ISR shrinks, and nothing acknowledged is lost', async () => {
    const { cluster, run, leader, ackedAfterShrink } = await scenario({ unclean: false, minIsr: 2 });
    try {
      expect(ackedAfterShrink).toBeLessThanOrEqual(1); // at most one in flight when the ISR changed
      expect(run.errors.get(ErrorCode.NOT_ENOUGH_REPLICAS) ?? 0).toBeGreaterThan(0);
      await cluster.startBroker(leader, { ...FAST, 'unclean.leader.election.enable': 'false', 'min.insync.replicas': '2' });
      // the old leader must be elected again, then a follower catch up and rejoin the ISR
      // before min.insync.replicas=2 accepts writes; on a loaded machine that chain can take a while
      await until('writes accepted again', async () => {
        const n = run.acked.length;
        await sleep(500);
        return run.acked.length > n;
      }, 60_000).catch(async (err) => {
        console.log('partition state', JSON.stringify(await state(cluster, 'jepsen', 0)), 'producer errors', [...run.errors]);
        if (process.env.DEBUG_JEPSEN) for (const b of cluster.brokers.values()) console.log(`==== broker ${b.id}\n${b.output().slice(-6000)}`);
        throw err;
      });
      await run.stop();
      const result = check(run.acked, await readAll(cluster.bootstrap, 'jepsen', 1));
      expect(result.lost).toEqual([]);
      expect(result.misplaced).toEqual([]);
    } finally {
      await run.stop();
      await cluster.stop();
    }
  });
});
