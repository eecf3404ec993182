/**
 * The ZooKeeper consumer connector with real processes: brokers and consumers are processes,
 * ZooKeeper is the shared ensemble (a chroot per cluster). Membership changes, a SIGKILL,
 * and the delivery checker of docs/reliability.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { rangeAssign } from '../../src/client/connector/assignors.js';
import { checkDelivery, checkNoOverlap, memberIds, owners, produce, startConsumer, type ConsumerProcess, type Produced } from '../helpers/consumer-process.js';

const SESSION_MS = 4000;
const BACKOFF_MS = 500;

/** The owners the range formula gives the registered members. */
function expectedOwners(ids: string[], topic: string, partitions: number): string[] {
  const owners = rangeAssign({ consumers: new Map(ids.map((id) => [id, { [topic]: 1 }])), partitions: new Map([[topic, Array.from({ length: partitions }, (_, i) => i)]]) });
  return owners.map((o) => o.threadId);
}

describe('consumer connector: a group of processes', () => {
  let cluster: TestCluster;
  const consumers: ConsumerProcess[] = [];
  beforeAll(async () => {
    cluster = await new TestCluster('connector-group').start(2);
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await cluster?.stop();
  });

  it('3 consumers own 2 of 6 partitions each; a 4th joins by the formula; a SIGKILLed one is taken over; every record is consumed in order', async () => {
    const topic = 'grp6';
    const group = 'g6';
    await createTopic(cluster.zk, topic, { partitions: 6, replicationFactor: 1 });
    const produced: Produced[] = await produce(cluster.bootstrap, topic, 6, 50, 'a');
    const start = () => {
      const c = startConsumer({ zk: cluster.zkConnect, group, topics: [topic] });
      consumers.push(c);
      return c;
    };
    const ownersMatch = async (n: number) => {
      const ids = await memberIds(cluster.zk, group);
      if (ids.length !== n) return false;
      const want = expectedOwners(ids, topic, 6);
      const have = await owners(cluster.zk, group, topic, 6);
      return JSON.stringify(want) === JSON.stringify(have) ? have : false;
    };

    const [a, b, c] = [start(), start(), start()];
    await Promise.all([a.started, b.started, c.started]);
    const three = await until('3 consumers to own 2 partitions each', () => ownersMatch(3), 30_000);
    const counts = new Map<string, number>();
    for (const o of three) counts.set(o!, (counts.get(o!) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2, 2]);
    for (const x of [a, b, c]) expect([...counts.keys()]).toContain(`${x.id}-0`);

    const d = start();
    await d.started;
    const four = await until('4 consumers to own partitions by the range formula', () => ownersMatch(4), 30_000);
    expect(new Set(four).size).toBe(4);
    produced.push(...(await produce(cluster.bootstrap, topic, 6, 50, 'b')));

    // SIGKILL one: its ephemerals stay until its session expires, then the others take over.
    const victim = b;
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await victim.exited;
    await until('the 3 survivors to own all 6 partitions', () => ownersMatch(3), 30_000, 25);
    const takeover = Date.now() - killedAt;
    // ZooKeeper expires the session after the timeout rounded up to ticks (tickTime 2000), then
    // one rebalance (or a few, backing off) follows.
    console.log(`takeover after SIGKILL: ${takeover} ms (session ${SESSION_MS} ms, backoff ${BACKOFF_MS} ms)`);
    expect(takeover).toBeLessThan(SESSION_MS + 2000 + 4 * BACKOFF_MS + 4000);

    produced.push(...(await produce(cluster.bootstrap, topic, 6, 50, 'c')));
    await until('every record to be consumed', () => {
      try {
        return checkDelivery(produced, consumers);
      } catch {
        return false;
      }
    }, 30_000, 200);
    const { duplicates, consumed } = checkDelivery(produced, consumers);
    console.log(`consumed ${consumed} deliveries of ${produced.length} records, ${duplicates} duplicates`);
    checkNoOverlap(consumers);
  });
});
