/**
 * Replication on real brokers: an RF=3 topic with acks=all, min.insync.replicas=2. Replicas
 * hold byte-identical logs; the leader and then the controller are stopped cleanly (SIGTERM,
 * controlled shutdown) and killed (SIGKILL) under continuous produce; the checker finds no
 * acknowledged record lost or out of place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { check, readAll, startProducer, sleep } from '../helpers/checker.js';
import { FAST, controllerId, createReplicated, logBytes, state, waitFullIsr } from './helpers.js';

describe('replication with RF=3, acks=all, min.insync.replicas=2', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('replication', { ...FAST, 'min.insync.replicas': '2' }).start(3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps byte-identical replicas and a full ISR', async () => {
    await createReplicated(cluster, 'rep-basic', 1, 3);
    const run = startProducer(cluster.bootstrap, 'rep-basic', 1);
    await until('some acknowledged writes', () => run.acked.length >= 200, 30_000);
    await run.stop();
    const s = (await state(cluster, 'rep-basic', 0))!;
    expect(s.isr.sort()).toEqual([1, 2, 3]);
    const leaderBytes = logBytes(cluster, s.leader, 'rep-basic', 0);
    await until('followers to catch up byte for byte', () => [1, 2, 3].every((id) => logBytes(cluster, id, 'rep-basic', 0).equals(leaderBytes)), 20_000);
    const result = check(run.acked, await readAll(cluster.bootstrap, 'rep-basic', 1));
    expect(result.lost).toEqual([]);
    expect(result.misplaced).toEqual([]);
  });

  for (const target of ['leader', 'controller'] as const) {
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      it(`loses no acknowledged write when the ${target} gets ${signal} five times`, async () => {
        const topic = `rep-${target}-${signal.toLowerCase()}`;
        await createReplicated(cluster, topic, 3, 3);
        const run = startProducer(cluster.bootstrap, topic, 3, { prefix: topic });
        for (let round = 0; round < 5; round++) {
          await until('writes flowing', async () => {
            const before = run.acked.length;
            await sleep(300);
            return run.acked.length > before;
          }, 30_000);
          const victim = target === 'leader' ? (await state(cluster, topic, 0))!.leader : await controllerId(cluster);
          expect(victim).toBeGreaterThan(0);
          await cluster.stopBroker(victim, signal);
          if (target === 'leader') await until('a new leader', async () => ((await state(cluster, topic, 0))?.leader ?? victim) !== victim, 30_000);
          else await until('a new controller', async () => ![-1, victim].includes(await controllerId(cluster)), 30_000);
          await cluster.startBroker(victim, FAST);
          await waitFullIsr(cluster, topic, 3, 3);
        }
        await sleep(500);
        await run.stop();
        const result = check(run.acked, await readAll(cluster.bootstrap, topic, 3));
        expect(result.acked).toBeGreaterThan(50);
        expect(result.lost).toEqual([]);
        expect(result.misplaced).toEqual([]);
        expect(result.reordered).toBe(0);
      });
    }
  }
});
