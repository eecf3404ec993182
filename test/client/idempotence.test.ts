/**
 * The idempotent producer against real brokers: producer ids come from ZooKeeper blocks that
 * never overlap between brokers; the partition leader drops a resent batch (answering with its
 * first offsets) and refuses a gap; the Producer keeps several requests of one partition in
 * flight and loses and reorders nothing across a SIGKILL of the leader; and with a replica, a
 * follower that takes over knows the producer from what it copied, so the batches resent after
 * the leader's SIGKILL are recognised: every record exactly once; a restarted leader learns the
 * producer again from the tail of its log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster, call } from '../../src/client/cluster.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { Producer } from '../../src/client/producer/index.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ErrorCode } from '../../src/common/errors.js';
import { latestProducerIdBlockPath } from '../../src/zk/paths.js';
import { PRODUCER_ID_BLOCK_SIZE } from '../../src/broker/producer-ids.js';

async function producerId(client: Cluster, broker: number): Promise<number> {
  const res = await call(client.connectionTo(broker), API_CODECS[ApiKey.InitProducerId], 0, { transactionalId: null, transactionTimeoutMs: 1000 });
  expect(res!.errorCode).toBe(ErrorCode.NONE);
  expect(res!.producerEpoch).toBe(0);
  return res!.producerId;
}

/** Produce v3 of one batch of records `s<seq>`.. with the given producer id and first sequence, to partition 0 of `topic` on `broker`. */
function rawProducer(client: Cluster, topic: string, pid: number, acks: number) {
  return async (broker: number, seq: number, n: number): Promise<{ errorCode: number; baseOffset: number }> => {
    const records = encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}` })), producerId: pid, producerEpoch: 0, baseSequence: seq });
    const res = await call(client.connectionTo(broker), API_CODECS[ApiKey.Produce], 3, { transactionalId: null, acks, timeoutMs: 5000, topics: [{ topic, partitions: [{ partition: 0, records }] }] });
    return res!.topics[0]!.partitions[0]!;
  };
}

/** Sends until the broker leads the partition (a new topic, a restarted broker: it may know neither the partition nor its leadership at first). */
function whenLeading(produce: ReturnType<typeof rawProducer>, broker: number, seq: number, n: number): Promise<{ errorCode: number; baseOffset: number }> {
  return until(`broker ${broker} to lead`, async () => {
    const r = await produce(broker, seq, n).catch(() => undefined);
    return r === undefined || r.errorCode === ErrorCode.NOT_LEADER_FOR_PARTITION || r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? undefined : r;
  }, 30_000);
}

/** Polls partition 0 of `topic` from the start until `n` records came; their values. */
async function readValues(client: Cluster, topic: string, n: number): Promise<string[]> {
  const c = new SimpleConsumer(client, { maxWaitMs: 100 });
  await c.seek(topic, 0, 'earliest');
  const got: string[] = [];
  await until(`${n} records`, async () => {
    got.push(...(await c.poll()).map((r) => r.value!.toString()));
    return got.length >= n;
  });
  return got;
}

describe('idempotent producer', () => {
  let cluster: TestCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await new TestCluster('idempotence', { 'auto.create.topics.enable': 'false' }).start(2);
    client = new Cluster({ brokers: cluster.bootstrap });
    await client.refresh([]);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('hands out producer ids from blocks claimed in /latest_producer_id_block, never the same twice', async () => {
    const a1 = await producerId(client, 1);
    const a2 = await producerId(client, 1);
    const b1 = await producerId(client, 2);
    expect(a2).toBe(a1 + 1);
    expect(Math.floor(a1 / PRODUCER_ID_BLOCK_SIZE)).not.toBe(Math.floor(b1 / PRODUCER_ID_BLOCK_SIZE));
    const node = await cluster.zk.get(latestProducerIdBlockPath);
    const json = JSON.parse(node!.data.toString()) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['block_end', 'block_start', 'broker', 'version']);
    expect(json.version).toBe(1);
    expect(typeof json.block_start).toBe('string');
    expect(Number(json.block_end) - Number(json.block_start)).toBe(PRODUCER_ID_BLOCK_SIZE - 1);
    const refused = await call(client.connectionTo(1), API_CODECS[ApiKey.InitProducerId], 0, { transactionalId: 'tx', transactionTimeoutMs: 1000 });
    expect(refused!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  });

  it('the leader appends a resent batch once and refuses a gap', async () => {
    await createTopic(cluster.zk, 'idem-raw', { partitions: 1, replicationFactor: 1 });
    const leader = await until('a leader', async () => (await client.refresh(['idem-raw'])).topics[0]?.partitions[0]?.leader);
    const pid = await producerId(client, leader);
    const raw = rawProducer(client, 'idem-raw', pid, 1);
    const produce = (seq: number, n: number): ReturnType<typeof raw> => raw(leader, seq, n);
    expect(await whenLeading(raw, leader, 0, 3)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(3, 2)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(await produce(3, 2)).toMatchObject({ errorCode: 0, baseOffset: 3 }); // resent: same offsets
    expect(await produce(0, 3)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect((await produce(9, 1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // 5..8 missing
    expect(await produce(5, 1)).toMatchObject({ errorCode: 0, baseOffset: 5 });
    expect(await readValues(client, 'idem-raw', 6)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    const c = new SimpleConsumer(client, { maxWaitMs: 100 });
    expect(await c.offsetFor('idem-raw', 0, -1)).toBe(6);
  });

  it('a follower that takes over knows the producer from what it copied: a resend is a duplicate, a gap is refused', async () => {
    await createTopic(cluster.zk, 'idem-takeover', { partitions: 1, replicationFactor: 2, assignment: new Map([[0, [1, 2]]]) });
    const state = async (): Promise<{ leader: number; isr: number[] }> => (await client.refresh(['idem-takeover'])).topics[0]!.partitions[0]!;
    await until('both replicas in the ISR', async () => (await state()).isr.length === 2);
    const first = (await state()).leader;
    const pid = await producerId(client, first);
    const produce = rawProducer(client, 'idem-takeover', pid, -1);
    // acks=all: both replicas have them
    expect(await whenLeading(produce, first, 0, 3)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(first, 3, 2)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    const port = cluster.brokers.get(first)!.port;
    await cluster.stopBroker(first, 'SIGKILL');
    const next = await until('the follower to lead', async () => {
      const l = (await state()).leader;
      return l >= 0 && l !== first ? l : undefined;
    });
    try {
      // the producer did not hear back about 3-4 and sends them again: written once
      expect(await whenLeading(produce, next, 3, 2)).toMatchObject({ errorCode: 0, baseOffset: 3 });
      expect((await produce(next, 7, 1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // 5-6 missing
      expect(await produce(next, 5, 2)).toMatchObject({ errorCode: 0, baseOffset: 5 });
      expect(await readValues(client, 'idem-takeover', 7)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
      const c = new SimpleConsumer(client, { maxWaitMs: 100 });
      expect(await c.offsetFor('idem-takeover', 0, -1)).toBe(7);
    } finally {
      await cluster.startBroker(first, { listeners: `PLAINTEXT://127.0.0.1:${port}` });
    }
  });

  it('a restarted leader learns the producer from the tail of its log: a resend is a duplicate, a gap is refused', async () => {
    await createTopic(cluster.zk, 'idem-restart', { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [2]]]) });
    const leader = await until('a leader', async () => (await client.refresh(['idem-restart'])).topics[0]?.partitions[0]?.leader);
    expect(leader).toBe(2);
    const pid = await producerId(client, leader);
    const produce = rawProducer(client, 'idem-restart', pid, 1);
    expect(await whenLeading(produce, 2, 0, 3)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(2, 3, 2)).toMatchObject({ errorCode: 0, baseOffset: 3 }); // acks=1: flushed
    const port = cluster.brokers.get(2)!.port;
    await cluster.stopBroker(2, 'SIGKILL');
    await cluster.startBroker(2, { listeners: `PLAINTEXT://127.0.0.1:${port}` });
    // the producer did not hear back about 3-4 and sends them again: written once
    expect(await whenLeading(produce, 2, 3, 2)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect((await produce(2, 7, 1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // 5-6 missing
    expect(await produce(2, 5, 2)).toMatchObject({ errorCode: 0, baseOffset: 5 });
    expect(await readValues(client, 'idem-restart', 7)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
    const c = new SimpleConsumer(client, { maxWaitMs: 100 });
    expect(await c.offsetFor('idem-restart', 0, -1)).toBe(7);
  });

  it('keeps several requests of one partition in flight, and a SIGKILL of the broker loses and reorders nothing', async () => {
    await createTopic(cluster.zk, 'idem-load', { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [2]]]) });
    const producer = new Producer({ brokers: cluster.bootstrap, acks: 1, retryBackoffMs: 50, requestTimeoutMs: 5000 });
    await producer.partitionsFor('idem-load');
    const pump = startPump(producer, 'idem-load', 500);
    await until('records flowing', () => producer.metrics().recordsSent > 200_000, 60_000);
    expect(pump.maxInFlight).toBeGreaterThan(1);
    const port = cluster.brokers.get(2)!.port;
    await cluster.stopBroker(2, 'SIGKILL');
    await cluster.startBroker(2, { listeners: `PLAINTEXT://127.0.0.1:${port}` });
    const atRestart = pump.sent;
    await until('records after the restart', () => producer.metrics().recordsSent > atRestart + 50_000, 90_000);
    await pump.stop();
    await producer.flush();
    expect(pump.failures).toEqual([]);
    await producer.close();

    const repeats = await readInOrder(cluster.bootstrap, 'idem-load', pump.sent);
    // a resend is only possible for requests in flight when the broker died
    expect(repeats).toBeLessThan(50_000);
  }, 180_000);

  it('exactly once across a failover: the new leader knows the producer from the batches it copied', async () => {
    await createTopic(cluster.zk, 'idem-failover', { partitions: 1, replicationFactor: 2, assignment: new Map([[0, [1, 2]]]) });
    const probe = new Cluster({ brokers: cluster.bootstrap });
    const partition = async (): Promise<{ leader: number; isr: number[] }> => (await probe.refresh(['idem-failover'])).topics[0]!.partitions[0]!;
    await until('both replicas in the ISR', async () => (await partition()).isr.length === 2);
    const producer = new Producer({ brokers: cluster.bootstrap, acks: -1, retryBackoffMs: 50, requestTimeoutMs: 5000 });
    await producer.partitionsFor('idem-failover');
    const pump = startPump(producer, 'idem-failover', 200);
    try {
      await until('records flowing', () => producer.metrics().recordsSent > 50_000, 60_000);
      const old = (await partition()).leader;
      const port = cluster.brokers.get(old)!.port;
      await cluster.stopBroker(old, 'SIGKILL');
      await until('the follower to lead', async () => ![-1, old].includes((await partition()).leader), 30_000);
      const atFailover = pump.sent;
      await until('records after the failover', () => producer.metrics().recordsSent > atFailover + 30_000, 90_000);
      await pump.stop();
      await producer.flush();
      expect(pump.failures).toEqual([]);
      await cluster.startBroker(old, { listeners: `PLAINTEXT://127.0.0.1:${port}` });
    } finally {
      await pump.stop();
      await producer.close();
      probe.close();
    }
    expect(await readInOrder(cluster.bootstrap, 'idem-failover', pump.sent)).toBe(0);
  }, 180_000);
});

/**
 * Produces values 0, 1, 2, ... (zero-padded to 90 digits) to `topic`, `perTick` records
 * per turn of the event loop, waiting whenever the buffer is full, until stop().
 */
function startPump(producer: Producer, topic: string, perTick: number) {
  const state = { sent: 0, maxInFlight: 0, failures: [] as unknown[], stop: async (): Promise<void> => undefined };
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      for (let i = 0; i < perTick; i++) {
        const value = Buffer.from(String(state.sent++).padStart(90, '0'));
        if (!producer.produce({ topic, value }, (e) => e && state.failures.push(e))) await producer.ready();
      }
      state.maxInFlight = Math.max(state.maxInFlight, producer.metrics().requestsInFlight);
      await new Promise((r) => setImmediate(r));
    }
  })();
  state.stop = async () => {
    stopped = true;
    await running;
  };
  return state;
}

/** Reads partition 0 of `topic`: every value 0..sent-1 in order; returns how many records repeat an earlier value. */
async function readInOrder(bootstrap: string, topic: string, sent: number): Promise<number> {
  const reader = new Cluster({ brokers: bootstrap });
  try {
    const c = new SimpleConsumer(reader, { maxWaitMs: 100, maxBytes: 4 * 1024 * 1024 });
    await c.seek(topic, 0, 'earliest');
    const end = await c.offsetFor(topic, 0, -1);
    let next = 0; // every value, in order; a value may repeat only as a resend of a run already seen
    let repeats = 0;
    while ((c.position(topic, 0) ?? 0) < end) {
      for (const r of await c.poll()) {
        const v = Number(r.value!.toString());
        if (v === next) next++;
        else {
          expect(v, `value at offset ${r.offset}`).toBeLessThan(next);
          repeats++;
        }
      }
    }
    expect(next).toBe(sent);
    return repeats;
  } finally {
    reader.close();
  }
}
