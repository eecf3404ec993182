/**
 * A rebalance storm (docs/reliability.md, consumer groups on ZooKeeper): 8 consumer processes
 * on 16 partitions, 3 of them restarted every 2 s for 40 s (SIGTERM, and every other round
 * one SIGKILL, whose owner znodes linger until its session expires), while a producer keeps
 * writing. Pass: no sample shows a partition owned by an unregistered member, no two
 * consumers ever consumed one partition at once, every partition ends with exactly one owner
 * (the range formula over the live members), and every acknowledged record was consumed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { consumerIdOfThread, rangeAssign } from '../../src/client/connector/assignors.js';
import { allOwners, checkDelivery, checkNoOverlap, memberIds, produce, startConsumer, type ConsumerProcess, type Produced } from '../helpers/consumer-process.js';

const TOPIC = 'storm';
const GROUP = 'g-storm';
const PARTITIONS = 16;
const STORM_MS = Number(process.env.STORM_MS ?? 40_000); // STORM_MS=60000 for a longer one

describe('consumer connector: rebalance storm', () => {
  let cluster: TestCluster;
  const all: ConsumerProcess[] = [];
  beforeAll(async () => {
    cluster = await new TestCluster('connector-storm').start(1);
  });
  afterAll(async () => {
    await Promise.all(all.map((c) => c.stop()));
    await cluster?.stop();
  });

  it(`8 consumers on 16 partitions, 3 restarted every 2 s for ${STORM_MS / 1000} s`, { timeout: STORM_MS + 120_000 }, async () => {
    await createTopic(cluster.zk, TOPIC, { partitions: PARTITIONS, replicationFactor: 1 });
    const start = () => {
      const c = startConsumer({ zk: cluster.zkConnect, group: GROUP, topics: [TOPIC], props: { 'rebalance.max.retries': '4' } });
      all.push(c);
      return c;
    };
    let live = Array.from({ length: 8 }, start);
    await Promise.all(live.map((c) => c.started));

    const produced: Produced[] = [];
    let producing = true;
    let batch = 0;
    const producer = (async () => {
      while (producing) {
        produced.push(...(await produce(cluster.bootstrap, TOPIC, PARTITIONS, 5, `b${batch++}`)));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const violations: string[] = [];
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        // ids read before and after the owners: a member that registered in between counts
        const ids1 = new Set(await memberIds(cluster.zk, GROUP));
        const owned = await allOwners(cluster.zk, GROUP);
        const ids2 = new Set(await memberIds(cluster.zk, GROUP));
        for (const [tp, owner] of owned) {
          const id = consumerIdOfThread(owner);
          if (!ids1.has(id) && !ids2.has(id)) violations.push(`${tp} owned by ${owner}, not a registered member`);
        }
        samples++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const stormEnd = Date.now() + STORM_MS;
    for (let round = 0; Date.now() < stormEnd; round++) {
      const victims = [...live].sort(() => Math.random() - 0.5).slice(0, 3);
      await Promise.all(
        victims.map(async (v, i) => {
          v.kill(i === 0 && round % 2 === 1 ? 'SIGKILL' : 'SIGTERM');
          await v.exited;
        }),
      );
      live = live.filter((c) => !victims.includes(c));
      const fresh = victims.map(start);
      live.push(...fresh);
      await Promise.all(fresh.map((c) => c.started));
      await new Promise((r) => setTimeout(r, Math.max(0, 2000 - 300)));
    }
    producing = false;
    await producer;

    const settle = Date.now();
    await until(
      'every partition to have exactly one owner, by the formula over the live members',
      async () => {
        const ids = await memberIds(cluster.zk, GROUP);
        if (ids.join() !== live.map((c) => c.id).sort().join()) return false;
        const want = rangeAssign({ consumers: new Map(ids.map((id) => [id, { [TOPIC]: 1 }])), partitions: new Map([[TOPIC, Array.from({ length: PARTITIONS }, (_, i) => i)]]) });
        const have = await allOwners(cluster.zk, GROUP);
        return have.size === PARTITIONS && want.every((o) => have.get(`${TOPIC}/${o.partition}`) === o.threadId);
      },
      60_000,
      200,
    );
    console.log(`storm settled ${Date.now() - settle} ms after the last restart; ${all.length} consumer processes, ${samples} ownership samples`);
    sampling = false;
    await sampler;
    expect(violations).toEqual([]);

    await until('every acknowledged record to be consumed', () => {
      try {
        return checkDelivery(produced, all);
      } catch {
        return false;
      }
    }, 60_000, 250);
    const { duplicates, consumed } = checkDelivery(produced, all);
    const periods = checkNoOverlap(all);
    const failed = all.flatMap((c) => c.events.filter((e) => e.ev === 'failed')).length;
    console.log(`storm: ${produced.length} records, ${consumed} deliveries, ${duplicates} duplicates; ${periods} ownership hand-overs checked; ${failed} 'can't rebalance' reports`);
  });
});
