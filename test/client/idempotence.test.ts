/**
 * The idempotent producer against real brokers: producer ids come from ZooKeeper blocks that
 * never overlap between brokers; the partition leader drops a resent batch (answering with its
 * first offsets) and refuses a gap; the Producer keeps several requests of one partition in
 * flight and loses and reorders nothing across a SIGKILL of the leader; and with a replica, a
 * follower that takes over knows the producer from what it copied, so the batches resent after
 * the leader's SIGKILL are recognised: every record exactly once.
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
    const produce = async (seq: number, n: number): Promise<{ errorCode: number; baseOffset: number }> => {
      const records = encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}` })), producerId: pid, producerEpoch: 0, baseSequence: seq });
      const res = await call(client.connectionTo(leader), API_CODECS[ApiKey.Produce], 3, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topics: [{ topic: 'idem-raw', partitions: [{ partition: 0, records }] }],
      });
      return res!.topics[0]!.partitions[0]!;
    };
    expect(await produce(0, 3)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(3, 2)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(await produce(3, 2)).toMatchObject({ errorCode: 0, baseOffset: 3 }); // resent: same offsets
    expect(await produce(0, 3)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect((await produce(9, 1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // 5..8 missing
    expect(await produce(5, 1)).toMatchObject({ errorCode: 0, baseOffset: 5 });
    const c = new SimpleConsumer(client, { maxWaitMs: 100 });
    await c.seek('idem-raw', 0, 'earliest');
    const got: string[] = [];
    await until('6 records', async () => {
      got.push(...(await c.poll()).map((r) => r.value!.toString()));
      return got.length >= 6;
    });
    expect(got).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(await c.offsetFor('idem-raw', 0, -1)).toBe(6);
  });

  it('a follower that takes over knows the producer from what it copied: a resend is a duplicate, a gap is refused', async () => {
    await createTopic(cluster.zk, 'idem-takeover', { partitions: 1, replicationFactor: 2, assignment: new Map([[0, [1, 2]]]) });
    const state = async (): Promise<{ leader: number; isr: number[] }> => (await client.refresh(['idem-takeover'])).topics[0]!.partitions[0]!;
    await until('both replicas in the ISR', async () => (await state()).isr.length === 2);
    const first = (await state()).leader;
    const pid = await producerId(client, first);
    const produce = async (broker: number, seq: number, n: number): Promise<{ errorCode: number; baseOffset: number }> => {
      const records = encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}` })), producerId: pid, producerEpoch: 0, baseSequence: seq });
      const res = await call(client.connectionTo(broker), API_CODECS[ApiKey.Produce], 3, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topics: [{ topic: 'idem-takeover', partitions: [{ partition: 0, records }] }],
      });
      return res!.topics[0]!.partitions[0]!;
    };
    // acks=all: both replicas have them
    expect(await produce(first, 0, 3)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(first, 3, 2)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    const port = cluster.brokers.get(first)!.port;
    await cluster.stopBroker(first, 'SIGKILL');
    const next = await until('the follower to lead', async () => {
      const l = (await state()).leader;
      return l >= 0 && l !== first ? l : undefined;
    });
    try {
      // the producer did not hear back about 3-4 and sends them again: written once
      expect(await until('the new leader to answer', async () => {
        const r = await produce(next, 3, 2);
        return r.errorCode === ErrorCode.NOT_LEADER_FOR_PARTITION ? undefined : r;
      })).toMatchObject({ errorCode: 0, baseOffset: 3 });
      expect((await produce(next, 7, 1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // 5-6 missing
      expect(await produce(next, 5, 2)).toMatchObject({ errorCode: 0, baseOffset: 5 });
      const c = new SimpleConsumer(client, { maxWaitMs: 100 });
      await c.seek('idem-takeover', 0, 'earliest');
      const got: string[] = [];
      await until('7 records', async () => {
        got.push(...(await c.poll()).map((r) => r.value!.toString()));
        return got.length >= 7;
      });
      expect(got).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
      expect(await c.offsetFor('idem-takeover', 0, -1)).toBe(7);
    } finally {
      await cluster.startBroker(first, { listeners: `PLAINTEXT://127.0.0.1:${port}` });
    }
  });

  it('keeps several requests of one partition in flight, and a SIGKILL of the broker loses and reorders nothing', async () => {
    await createTopic(cluster.zk, 'idem-load', { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [2]]]) });
    const producer = new Producer({ brokers: cluster.bootstrap, acks: 1, retryBackoffMs: 50, requestTimeoutMs: 5000 });
    await producer.partitionsFor('idem-load');
    const failures: unknown[] = [];
    let sent = 0;
    let maxInFlight = 0;
    let stop = false;
    const value = (i: number): Buffer => Buffer.from(String(i).padStart(90, '0'));
    const pump = (async () => {
      while (!stop) {
        for (let i = 0; i < 500; i++) {
          if (!producer.produce({ topic: 'idem-load', value: value(sent++) }, (e) => e && failures.push(e))) await producer.ready();
        }
        maxInFlight = Math.max(maxInFlight, producer.metrics().requestsInFlight);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await until('records flowing', () => producer.metrics().recordsSent > 200_000, 60_000);
    expect(maxInFlight).toBeGreaterThan(1);
    const port = cluster.brokers.get(2)!.port;
    await cluster.stopBroker(2, 'SIGKILL');
    await cluster.startBroker(2, { listeners: `PLAINTEXT://127.0.0.1:${port}` });
    const atRestart = sent;
    await until('records after the restart', () => producer.metrics().recordsSent > atRestart + 50_000, 90_000);
    stop = true;
    await pump;
    await producer.flush();
    expect(failures).toEqual([]);
    await producer.close();

    const repeats = await readInOrder(cluster.bootstrap, 'idem-load', sent);
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
    const failures: unknown[] = [];
    let sent = 0;
    let stop = false;
    const value = (i: number): Buffer => Buffer.from(String(i).padStart(90, '0'));
    const pump = (async () => {
      while (!stop) {
        for (let i = 0; i < 200; i++) {
          if (!producer.produce({ topic: 'idem-failover', value: value(sent++) }, (e) => e && failures.push(e))) await producer.ready();
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      await until('records flowing', () => producer.metrics().recordsSent > 50_000, 60_000);
      const old = (await partition()).leader;
      const port = cluster.brokers.get(old)!.port;
      await cluster.stopBroker(old, 'SIGKILL');
      await until('the follower to lead', async () => ![-1, old].includes((await partition()).leader), 30_000);
      const atFailover = sent;
      await until('records after the failover', () => producer.metrics().recordsSent > atFailover + 30_000, 90_000);
      stop = true;
      await pump;
      await producer.flush();
      expect(failures).toEqual([]);
      await cluster.startBroker(old, { listeners: `PLAINTEXT://127.0.0.1:${port}` });
    } finally {
      stop = true;
      await producer.close();
      probe.close();
    }
    expect(await readInOrder(cluster.bootstrap, 'idem-failover', sent)).toBe(0);
  }, 180_000);
});

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
