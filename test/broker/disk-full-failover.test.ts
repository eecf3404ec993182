/**
 * A replicated partition whose replica's disk is full fails over to an in-sync replica, as
 * Kafka takes a failed log dir offline (KIP-112), instead of refusing writes until someone
 * makes room. Broker 2 runs under `ulimit -f` (writes past the limit fail with EFBIG, as on a
 * full disk with ENOSPC; no root needed); it leads one RF=2 partition and follows another.
 * Its writes fail as leader and as follower; both replicas go offline, it says so once, the
 * controller (told through /log_dir_event_notification) moves the leadership to broker 1 and
 * shrinks the ISRs, and the acks=all producer carries on without losing or repeating a record.
 * After a restart with room, broker 2 rejoins both ISRs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { Producer } from '../../src/client/producer/index.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { state, waitFullIsr } from '../replication/helpers.js';

const LIMIT_KB = 256;
const RECORDS = 600; // 1 KB each: past the limit on broker 2
// a lag limit well above the test's length: under load, broker 1 must not drop out of the ISR of
// broker 2's partition (a leader alone in its ISR is not failed over); the ISRs shrink here only
// because the controller takes broker 2's replicas offline
const PROPS = { 'replica.lag.time.max.ms': '20000', 'replica.fetch.wait.max.ms': '100', 'leader.imbalance.check.interval.seconds': '3600' };
// segments larger than the limit: the active segment runs into it instead of rolling
const FULL = { ...PROPS, 'log.segment.bytes': String(4 * 1024 * 1024) };

describe(`a replica whose disk is full (ulimit -f ${LIMIT_KB})`, () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('disk-full-failover', PROPS).start(0);
    await Promise.all([cluster.startBroker(1), cluster.startBroker(2, FULL, { fileSizeLimitKb: LIMIT_KB })]);
    await cluster.waitForMetadata();
    await createTopic(cluster.zk, 'led', { partitions: 1, replicationFactor: 2, assignment: new Map([[0, [2, 1]]]) });
    await createTopic(cluster.zk, 'followed', { partitions: 1, replicationFactor: 2, assignment: new Map([[0, [1, 2]]]) });
    await waitFullIsr(cluster, 'led', 1, 2);
    await waitFullIsr(cluster, 'followed', 1, 2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('takes the failed replicas offline, fails the leadership over, and loses and repeats nothing', async () => {
    expect((await state(cluster, 'led', 0))!.leader).toBe(2);
    const producer = new Producer({ brokers: cluster.bootstrap, acks: -1 });
    const value = (topic: string, i: number) => Buffer.concat([Buffer.from(`${topic}-${i}:`), Buffer.alloc(1000, 'x')]);
    try {
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < RECORDS; i++) for (const topic of ['led', 'followed']) sends.push(producer.send({ topic, partition: 0, value: value(topic, i) }));
      // every write is acknowledged: none is refused for good
      await Promise.all(sends);
    } finally {
      await producer.close();
    }
    // broker 1 leads both, alone in their ISRs; broker 2's replicas are offline
    const led = (await state(cluster, 'led', 0))!;
    expect(led.leader).toBe(1);
    expect(led.isr).toEqual([1]);
    await until('the ISR of followed to shrink to broker 1', async () => (await state(cluster, 'followed', 0))!.isr.join() === '1', 15_000);

    const b2 = cluster.brokers.get(2)!.output();
    const lines = b2.match(/replicas offline after their logs failed a write.*/g) ?? [];
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.join('\n')).toMatch(/led-0/);
    expect(lines.join('\n')).toMatch(/followed-0/);
    expect(lines[0]).toMatch(/EFBIG/);
    expect(lines[0]).toMatch(/ulimit -f/);
    // no line per refused request
    expect(b2).not.toMatch(/produce refused/);
    const all = b2 + cluster.brokers.get(1)!.output();
    expect(all).toMatch(/broker 2 reported a storage failure/);
    expect(all).toMatch(/replicas offline on broker 2/);

    // every record once, in order, from the new leader
    const client = new Cluster({ brokers: cluster.bootstrap });
    try {
      for (const topic of ['led', 'followed']) {
        const consumer = new SimpleConsumer(client, { maxWaitMs: 100 });
        await consumer.seek(topic, 0, 'earliest');
        const got: string[] = [];
        while (got.length < RECORDS) {
          const rs = await consumer.poll();
          if (rs.length === 0) break;
          for (const r of rs) got.push(r.value!.subarray(0, r.value!.indexOf(':')).toString());
        }
        expect(got).toEqual(Array.from({ length: RECORDS }, (_, i) => `${topic}-${i}`));
        expect(await consumer.offsetFor(topic, 0, -1)).toBe(RECORDS);
      }
    } finally {
      client.close();
    }
  });

  it('after a restart with room, the broker rejoins both ISRs', async () => {
    expect(await cluster.stopBroker(2)).toBe(0);
    await cluster.startBroker(2, PROPS);
    await waitFullIsr(cluster, 'led', 1, 2);
    await waitFullIsr(cluster, 'followed', 1, 2);
    expect(cluster.brokers.get(2)!.output()).not.toMatch(/offline/);
  });
});
