/**
 * A mixed consumer group: one member is our ZooKeeper consumer connector, the other a real
 * kafka-node 2.6.1 `HighLevelConsumer`, in one group on one 4-partition topic, against real
 * brokers. Both coordinate only through ZooKeeper (/consumers/<G>/ids, /owners, /offsets), each
 * computing the range assignment on its own, so they agree only if they read each other's
 * registrations alike and sort the members alike.
 *
 * What the two sides write and compute (read from both sources):
 *
 *   registration  ours:       {"version":1,"subscription":{"<T>":1},"pattern":"static","timestamp":"<ms>"}
 *                 kafka-node: {"version":1,"subscription":{"<T>": 1},"pattern":"white_list","timestamp":"<ms>"}
 *                             (created empty, then filled by a second request: setData)
 *   owner value   ours:       the thread id `<consumerId>-0`;  kafka-node: the bare consumer id
 *   range         ours (as 0.8): thread ids `<id>-<n>` sorted as strings, n streams per member;
 *                 kafka-node: consumer ids sorted, one slot per member whatever its stream count.
 *                 With one stream per member and ids of which neither is a prefix of the other
 *                 (our `<G>_<host>-<ms>-<hex>` against kafka-node's `<G>_<uuid v4>`), both orders
 *                 are the same, so both compute the same owners: this test uses one stream.
 *
 * Phases: our connector alone owns all 4 partitions and consumes batch A; kafka-node joins and
 * the group settles to 2 + 2 by the range formula; batch B, produced while the membership is
 * stable, is received by exactly one member per record (the partition's owner); kafka-node
 * leaves and our connector takes all 4 back and consumes batch C. Every record of A, B and C is
 * consumed at least once by the group. Throughout, two samplers check that no partition is ever
 * fetched by both members at once (both live in this process, so a snapshot of what each one
 * fetches is taken in one synchronous step) and that every owner znode names a member.
 *
 * The second test isolates kafka-node's two-step registration: a member whose registration is
 * read while still empty must get its share once the data is written (Kafka 0.8 fails such a
 * rebalance attempt and retries; a member that counted the empty registration as "subscribes
 * to nothing" and is watching only the children of /ids would never look again). Before the
 * connector handled this (it now fails the attempt for a few tries, and afterwards watches the
 * data of a registration it could not read), reading kafka-node's registration in that window
 * (it is empty for 15-50 ms here) left the group unbalanced for good: the connector kept all 4
 * partitions, kafka-node's claims failed until it gave up (FailedToRebalanceConsumerError).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { ConsumerConnector } from '../../src/client/connector/consumer-connector.js';
import { rangeAssign } from '../../src/client/connector/assignors.js';
import { consumerIdPath } from '../../src/zk/paths.js';
import { memberIds, owners, produce, type Produced } from '../helpers/consumer-process.js';

const require = createRequire(import.meta.url);
const kafka = require('kafka-node');

const PARTITIONS = 4;

interface Received {
  p: number;
  o: number;
  v: string | null;
  /** The phase the record arrived in. */
  phase: string;
}

/** kafka-node 2.6.1's assignment (lib/highLevelConsumer.js rebalanceAttempt), for one member. */
function kafkaNodeRange(memberIdsSorted: readonly string[], me: string, partitions: number): number[] {
  const i = memberIdsSorted.indexOf(me);
  const per = Math.floor(partitions / memberIdsSorted.length);
  const extra = partitions % memberIdsSorted.length;
  const start = per * i + Math.min(i, extra);
  const n = per + (i + 1 > extra ? 0 : 1);
  return Array.from({ length: n }, (_, k) => start + k);
}

describe('kafka-node HighLevelConsumer and our connector in one consumer group', () => {
  const suffix = Math.random().toString(16).slice(2, 8);
  const topic = `mixed-${suffix}`;
  const group = `mixed-grp-${suffix}`;
  let cluster: TestCluster;
  let ours: ConsumerConnector | undefined;
  let oursLoop: Promise<void> | undefined;
  let knClient: any;
  let hlc: any;
  let knClosed = true;

  beforeAll(async () => {
    cluster = await new TestCluster('kn-group').start(2);
    await createTopic(cluster.zk, topic, { partitions: PARTITIONS, replicationFactor: 1 });
  });

  const closeKafkaNode = async (): Promise<void> => {
    if (knClosed || !hlc) return;
    knClosed = true;
    await new Promise<void>((resolve) => hlc.close(true, () => resolve()));
  };

  afterAll(async () => {
    await closeKafkaNode().catch(() => undefined);
    await ours?.close().catch(() => undefined);
    await oursLoop?.catch(() => undefined);
    await cluster?.stop();
  });

  it('both register, split the 4 partitions 2 + 2 with one owner each, and consume every record (exactly once while the membership is stable)', async () => {
    let phase = 'A';
    const produced: Produced[] = [];

    // ---- our connector alone -------------------------------------------------------------
    const sub = await ConsumerConnector.subscribe(
      {
        'group.id': group,
        'zookeeper.connect': cluster.zkConnect,
        'zookeeper.session.timeout.ms': 6000,
        'rebalance.backoff.ms': 300,
        'rebalance.max.retries': 20,
        'auto.commit.interval.ms': 300,
        'auto.offset.reset': 'smallest',
        'fetch.wait.max.ms': 100,
      },
      [topic],
    );
    ours = sub.connector;
    const ourId = ours.consumerId;
    const ourOwnerValue = `${ourId}-0`;
    const oursGot: Received[] = [];
    const stream = sub.streams.get(topic)![0]!;
    oursLoop = (async () => {
      for await (const r of stream) oursGot.push({ p: r.partition, o: r.offset, v: r.value?.toString('utf8') ?? null, phase });
    })();

    // The samplers: what each member fetches, in one synchronous snapshot, and the owner znodes.
    const overlaps: string[] = [];
    const badOwners: string[] = [];
    let knId: string | undefined;
    const oursActive = (): number[] => (ours ? ours.owned.filter((o) => o.topic === topic).map((o) => o.partition) : []);
    const knActive = (): number[] =>
      hlc && !knClosed && !hlc.rebalancing && hlc.ready ? (hlc.topicPayloads as { topic: string; partition: string | number }[]).filter((t) => t.topic === topic).map((t) => Number(t.partition)) : [];
    const snapshot = setInterval(() => {
      const a = oursActive();
      const b = knActive();
      const both = a.filter((p) => b.includes(p));
      if (both.length > 0) overlaps.push(`phase ${phase}: partitions ${both.join(',')} fetched by both (ours ${a.join(',')}; kafka-node ${b.join(',')})`);
    }, 5);
    let sampling = true;
    const zkSampler = (async () => {
      while (sampling) {
        const have = await owners(cluster.zk, group, topic, PARTITIONS).catch(() => []);
        have.forEach((o, p) => {
          if (o !== undefined && o !== ourOwnerValue && o !== knId) badOwners.push(`phase ${phase}: ${topic}/${p} owned by ${o}`);
        });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    try {
      await until('our connector to own all 4 partitions', async () => {
        const have = await owners(cluster.zk, group, topic, PARTITIONS);
        return have.every((o) => o === ourOwnerValue) && oursActive().length === PARTITIONS;
      }, 20_000);
      produced.push(...(await produce(cluster.bootstrap, topic, PARTITIONS, 20, 'A')));
      const values = (got: Received[]) => new Set(got.map((r) => `${r.p}@${r.o}=${r.v}`));
      const key = (r: Produced) => `${r.partition}@${r.offset}=${r.value}`;
      await until('our connector to consume batch A', () => {
        const seen = values(oursGot);
        return produced.every((r) => seen.has(key(r)));
      }, 20_000);

      // ---- kafka-node joins ----------------------------------------------------------------
      phase = 'join';
      const knGot: Received[] = [];
      const knErrors: unknown[] = [];
      let knRebalances = 0;
      knClient = new kafka.Client(cluster.zkConnect, `kn-${suffix}`, { sessionTimeout: 6000, spinDelay: 100, retries: 2 });
      knClient.on('error', (e: unknown) => knErrors.push(e));
      hlc = new kafka.HighLevelConsumer(knClient, [{ topic }], {
        groupId: group,
        autoCommit: true,
        autoCommitIntervalMs: 300,
        fetchMaxWaitMs: 100,
        encoding: 'utf8',
      });
      knClosed = false;
      knId = hlc.id as string;
      hlc.on('message', (m: { topic: string; partition: number; offset: number; value: string | null }) => {
        if (m.topic === topic) knGot.push({ p: Number(m.partition), o: Number(m.offset), v: m.value, phase });
      });
      hlc.on('error', (e: unknown) => knErrors.push(e));
      hlc.on('rebalanced', () => knRebalances++);

      // 1. both are registered under /consumers/<G>/ids, with registrations both sides read.
      const ids = await until('both members to be registered', async () => {
        const now = (await memberIds(cluster.zk, group)).sort();
        return now.length === 2 ? now : false;
      }, 20_000);
      expect(ids).toEqual([ourId, knId].sort());
      const regOf = async (id: string) => JSON.parse((await cluster.zk.get(consumerIdPath(group, id)))!.data.toString('utf8'));
      const ourReg = await regOf(ourId);
      expect(ourReg).toMatchObject({ version: 1, subscription: { [topic]: 1 }, pattern: 'static' });
      const knReg = await until('kafka-node to fill in its registration', () => regOf(knId!).catch(() => false), 10_000);
      expect(knReg).toMatchObject({ version: 1, subscription: { [topic]: 1 }, pattern: 'white_list' });
      const knStat = (await cluster.zk.get(consumerIdPath(group, knId)))!.stat;
      // kafka-node creates its registration empty and fills it in with a second request.
      console.log(`kafka-node's registration was empty for ${knStat.mtime - knStat.ctime} ms (data version ${knStat.version})`);

      // Both sides' range formulas give the same split (see the header for why).
      const ourAssignment = rangeAssign({
        consumers: new Map([
          [ourId, { [topic]: 1 }],
          [knId, { [topic]: 1 }],
        ]),
        partitions: new Map([[topic, Array.from({ length: PARTITIONS }, (_, p) => p)]]),
      });
      const wantOurs = ourAssignment.filter((o) => o.threadId === ourOwnerValue).map((o) => o.partition);
      const wantKn = ourAssignment.filter((o) => o.threadId === `${knId}-0`).map((o) => o.partition);
      expect(wantOurs).toEqual(kafkaNodeRange(ids, ourId, PARTITIONS));
      expect(wantKn).toEqual(kafkaNodeRange(ids, knId, PARTITIONS));
      expect(wantOurs.length + wantKn.length).toBe(PARTITIONS);
      const expectedOwner = (p: number) => (wantOurs.includes(p) ? ourOwnerValue : knId);

      // 2. the group settles: one owner znode per partition, 2 + 2 by the formula, each member
      // fetching exactly the partitions whose znodes name it.
      const settleStart = Date.now();
      await until(
        `the group to settle to 2 + 2 (ours ${wantOurs.join(',')}, kafka-node ${wantKn.join(',')})`,
        async () => {
          const have = await owners(cluster.zk, group, topic, PARTITIONS);
          if (!have.every((o, p) => o === expectedOwner(p))) return false;
          // (kafka-node schedules another rebalance 500 ms later when it saw a change meanwhile)
          if (hlc.pendingRebalances > 0) return false;
          return JSON.stringify(oursActive()) === JSON.stringify(wantOurs) && JSON.stringify(knActive().sort((a, b) => a - b)) === JSON.stringify(wantKn);
        },
        20_000,
      ).catch(async (err: Error) => {
        const have = await owners(cluster.zk, group, topic, PARTITIONS).catch(() => []);
        throw new Error(
          `${err.message}; owner znodes: ${JSON.stringify(have)}; ours fetches ${oursActive().join(',') || 'nothing'}; ` +
            `kafka-node fetches ${knActive().join(',') || 'nothing'} (rebalancing ${hlc.rebalancing}); kafka-node errors: ${knErrors.map(String).join(' | ') || 'none'}`,
        );
      });
      console.log(`mixed group settled ${Date.now() - settleStart} ms after kafka-node joined; kafka-node rebalances: ${knRebalances}; ours: ${ours.rebalanceCount}`);
      const ownersNow = await owners(cluster.zk, group, topic, PARTITIONS);
      expect(new Set(ownersNow)).toEqual(new Set([ourOwnerValue, knId]));
      expect(ownersNow.filter((o) => o === ourOwnerValue)).toHaveLength(2);
      expect(ownersNow.filter((o) => o === knId)).toHaveLength(2);
      expect(overlaps).toEqual([]);
      expect(badOwners).toEqual([]);

      // Batch A was consumed before the hand-off; at least once by the group after it.
      const groupSeen = () => new Set([...values(oursGot), ...values(knGot)]);
      expect(produced.every((r) => groupSeen().has(key(r)))).toBe(true);

      // 3. stable membership: each record of batch B reaches exactly one member, its partition's owner.
      phase = 'B';
      const ourRebalancesBefore = ours.rebalanceCount;
      const knRebalancesBefore = knRebalances;
      const batchB = await produce(cluster.bootstrap, topic, PARTITIONS, 25, 'B');
      produced.push(...batchB);
      await until('the group to consume batch B', () => {
        const seen = groupSeen();
        return batchB.every((r) => seen.has(key(r)));
      }, 20_000);
      phase = 'B-done';
      expect(ours.rebalanceCount).toBe(ourRebalancesBefore);
      expect(knRebalances).toBe(knRebalancesBefore);
      const oursB = oursGot.filter((r) => r.v?.startsWith('B-'));
      const knB = knGot.filter((r) => r.v?.startsWith('B-'));
      for (const r of batchB) {
        const byOurs = oursB.filter((x) => x.p === r.partition && x.o === r.offset);
        const byKn = knB.filter((x) => x.p === r.partition && x.o === r.offset);
        expect(byOurs.length + byKn.length, `${key(r)}: received ${byOurs.length} times by ours, ${byKn.length} by kafka-node`).toBe(1);
        expect((byOurs.length === 1 ? ourOwnerValue : knId) === expectedOwner(r.partition), `${key(r)} was received by a member that does not own partition ${r.partition}`).toBe(true);
        expect((byOurs[0] ?? byKn[0])!.v).toBe(r.value);
      }
      expect(oursB.length + knB.length).toBe(batchB.length);
      expect(oursB.length).toBeGreaterThan(0);
      expect(knB.length).toBeGreaterThan(0);

      // 4. kafka-node leaves: our connector takes all 4 partitions back and consumes batch C.
      phase = 'leave';
      await closeKafkaNode();
      await until('our connector to own all 4 partitions again', async () => {
        const have = await owners(cluster.zk, group, topic, PARTITIONS);
        return (await memberIds(cluster.zk, group)).length === 1 && have.every((o) => o === ourOwnerValue) && oursActive().length === PARTITIONS;
      }, 30_000);
      phase = 'C';
      produced.push(...(await produce(cluster.bootstrap, topic, PARTITIONS, 20, 'C')));
      await until('the group to consume every record of A, B and C', () => {
        const seen = groupSeen();
        return produced.every((r) => seen.has(key(r)));
      }, 20_000);

      const deliveries = oursGot.length + knGot.length;
      console.log(`mixed group: ${produced.length} records, ${deliveries} deliveries (ours ${oursGot.length}, kafka-node ${knGot.length}), ${deliveries - groupSeen().size} duplicates; kafka-node errors: ${knErrors.length}`);
      // Every record consumed at least once, with the value produced at its offset.
      const byKey = new Map<string, string | null>();
      for (const r of [...oursGot, ...knGot]) {
        const k = `${r.p}@${r.o}`;
        if (byKey.has(k)) expect(byKey.get(k), `${k} read with two values`).toBe(r.v);
        byKey.set(k, r.v);
      }
      for (const r of produced) expect(byKey.get(`${r.partition}@${r.offset}`)).toBe(r.value);
      expect(overlaps).toEqual([]);
      expect(badOwners).toEqual([]);
    } finally {
      clearInterval(snapshot);
      sampling = false;
      await zkSampler;
    }
  });

  it("a member that registers as kafka-node does (create empty, then setData) gets its share once its registration is filled in", async () => {
    // kafka-node's Zookeeper.registerConsumer (lib/zookeeper.js) creates /consumers/<G>/ids/<id>
    // with no data and writes the registration with a second request (setData), tens of ms
    // later. A member that reads the group in between sees "" there. Kafka 0.8 fails that
    // rebalance attempt (TopicCount.constructTopicCount throws on an unparsable registration)
    // and retries after rebalance.backoff.ms, by when the data is there. The window is held
    // open here for a second so the outcome does not depend on who is faster.
    const group = `late-reg-${Math.random().toString(16).slice(2, 8)}`;
    const topic = `late-reg-topic-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: PARTITIONS, replicationFactor: 1 });
    const { connector } = await ConsumerConnector.subscribe(
      {
        'group.id': group,
        'zookeeper.connect': cluster.zkConnect,
        'zookeeper.session.timeout.ms': 6000,
        'rebalance.backoff.ms': 300,
        'rebalance.max.retries': 20,
        'auto.offset.reset': 'smallest',
      },
      [topic],
    );
    const lateId = `${group}_${randomUUID()}`;
    const latePath = consumerIdPath(group, lateId);
    try {
      const mine = `${connector.consumerId}-0`;
      await until('our connector to own all 4 partitions', async () => (await owners(cluster.zk, group, topic, PARTITIONS)).every((o) => o === mine) && connector.owned.length === PARTITIONS, 20_000);

      await cluster.zk.create(latePath, Buffer.alloc(0), { mode: 'ephemeral' });
      await new Promise((r) => setTimeout(r, 1000)); // kafka-node's window between create and setData, widened
      const registration = `{"version":1,"subscription":{"${topic}": 1},"pattern":"white_list","timestamp":"${Date.now()}"}`;
      await cluster.zk.set(latePath, registration);

      const ids = [connector.consumerId, lateId].sort();
      const want = kafkaNodeRange(ids, connector.consumerId, PARTITIONS);
      await until(
        `our connector to give up to the new member what the range formula gives it (to own ${want.join(',')})`,
        async () => {
          const owned = connector.owned.map((o) => o.partition);
          const zkOwners = await owners(cluster.zk, group, topic, PARTITIONS);
          return JSON.stringify(owned) === JSON.stringify(want) && zkOwners.every((o, p) => (want.includes(p) ? o === mine : o === undefined));
        },
        10_000,
      );
    } finally {
      await cluster.zk.delete(latePath).catch(() => undefined);
      await connector.close();
    }
  });
});
