/**
 * The connector's pure parts: configuration (0.8 names, defaults, clear errors), consumer ids,
 * wildcard subscriptions, finding ZooKeeper from cluster.env, and KafkaStream's at-least-once
 * bookkeeping (what counts as processed, generations, consumer.timeout.ms).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consumerConfig, validateSubscription } from '../../src/client/connector/config.js';
import { newConsumerId, parseConsumerId } from '../../src/client/connector/consumer-id.js';
import { expandWildcard } from '../../src/client/connector/registry.js';
import { candidateZooKeeper, readClusterEnv } from '../../src/client/connector/zookeeper-locator.js';
import { ConsumerTimeoutError, KafkaStream, PartitionTopicInfo, type ConsumerRecord } from '../../src/client/connector/stream.js';
import { fetchedRecords } from '../../src/client/connector/fetcher.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, RECORD_COUNT_OFFSET, encodeRecordBatch, splitBatches, validateBatch } from '../../src/protocol/records/record-batch.js';
import { crc32c } from '../../src/protocol/records/crc.js';
import { validateTopicName } from '../../src/admin/topic-admin.js';
import { ConfigError, CorruptDataError } from '../../src/common/errors.js';

const base = { 'group.id': 'g', 'zookeeper.connect': '127.0.0.1:2181' };

describe('consumerConfig', () => {
  it("has 0.8's defaults", () => {
    const c = consumerConfig(base);
    expect(c).toMatchObject({
      groupId: 'g',
      zookeeperConnect: '127.0.0.1:2181',
      zookeeperChroot: undefined,
      clientId: 'g',
      zookeeperSessionTimeoutMs: 6000,
      autoCommitEnable: true,
      autoCommitIntervalMs: 60000,
      autoOffsetReset: 'largest',
      rebalanceMaxRetries: 4,
      rebalanceBackoffMs: 2000,
      partitionAssignmentStrategy: 'range',
      fetchMessageMaxBytes: 1048576,
      queuedMaxMessageChunks: 2,
      consumerTimeoutMs: -1,
    });
  });

  it('reads a chroot, the newer reset names, and reports unknown keys', () => {
    const warnings: string[] = [];
    const c = consumerConfig(new Map([['group.id', 'g'], ['zookeeper.connect', 'a:1,b:2/kafka/x'], ['auto.offset.reset', 'earliest'], ['bogus.key', '1']]), (w) => warnings.push(w));
    expect(c.zookeeperConnect).toBe('a:1,b:2');
    expect(c.zookeeperChroot).toBe('/kafka/x');
    expect(c.autoOffsetReset).toBe('smallest');
    expect(warnings).toEqual(['unknown consumer property "bogus.key" is ignored']);
  });

  it('refuses bad values with the key in the message', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ 'zookeeper.connect': '127.0.0.1:2181' }, /group.id is required/],
      [{ 'group.id': 'g' }, /zookeeper.connect is required/],
      [{ ...base, 'zookeeper.connect': 'nohost' }, /zookeeper.connect "nohost" is not host:port/],
      [{ ...base, 'auto.commit.enable': 'yes' }, /auto.commit.enable must be true or false/],
      [{ ...base, 'rebalance.max.retries': '0' }, /rebalance.max.retries must be an integer >= 1/],
      [{ ...base, 'zookeeper.session.timeout.ms': '-5' }, /zookeeper.session.timeout.ms must be an integer >= 1/],
      [{ ...base, 'offsets.storage': 'cassandra' }, /offsets.storage must be zookeeper or kafka, got "cassandra"/],
      [{ ...base, 'consumer.id': 'a b' }, /consumer.id "a b" must not contain/],
      [{ ...base, 'group.id': '..' }, /not a valid group name/],
    ];
    for (const [props, msg] of bad) expect(() => consumerConfig(props), JSON.stringify(props)).toThrow(msg);
    expect(() => consumerConfig({})).toThrow(ConfigError);
  });

  it('checks subscriptions', () => {
    expect(() => validateSubscription({ t: 1, u: 3 }, validateTopicName)).not.toThrow();
    expect(() => validateSubscription({}, validateTopicName)).toThrow(/names no topic/);
    expect(() => validateSubscription({ 'a/b': 1 }, validateTopicName)).toThrow(/bad subscription: invalid topic name "a\/b"/);
    expect(() => validateSubscription({ t: 0 }, validateTopicName)).toThrow(/stream count from 1 to 1000, got 0/);
    expect(() => validateSubscription({ t: 1.5 }, validateTopicName)).toThrow(/stream count/);
  });
});

describe('consumer ids', () => {
  it('are <group>_<host>-<ms>-<8 hex>, or <group>_<consumer.id>', () => {
    const id = newConsumerId('grp', { host: 'h1', nowMs: 1700000000123, hex: '0a1b2c3d' });
    expect(id).toBe('grp_h1-1700000000123-0a1b2c3d');
    expect(parseConsumerId(id)).toEqual({ group: 'grp', host: 'h1', startedMs: 1700000000123, hex: '0a1b2c3d' });
    expect(newConsumerId('grp')).toMatch(/^grp_.+-\d{13}-[0-9a-f]{8}$/);
    expect(newConsumerId('grp', { consumerId: 'fixed' })).toBe('grp_fixed');
    expect(newConsumerId('a', {}) === newConsumerId('a', {})).toBe(false);
  });
});

describe('wildcard registrations (white_list, black_list)', () => {
  const topics = ['clicks', 'views', 'views2', 'logs.app'];
  it('white_list keys are topic names or regular expressions; black_list takes the others', () => {
    expect(expandWildcard({ subscription: { clicks: 1 }, pattern: 'white_list', timestamp: 0 }, topics)).toEqual({ clicks: 1 });
    expect(expandWildcard({ subscription: { 'views.*': 2 }, pattern: 'white_list', timestamp: 0 }, topics)).toEqual({ views: 2, views2: 2 });
    expect(expandWildcard({ subscription: { 'clicks,logs.app': 1 }, pattern: 'white_list', timestamp: 0 }, topics)).toEqual({ clicks: 1, 'logs.app': 1 });
    expect(expandWildcard({ subscription: { 'views.*': 1 }, pattern: 'black_list', timestamp: 0 }, topics)).toEqual({ clicks: 1, 'logs.app': 1 });
    const warnings: string[] = [];
    expect(expandWildcard({ subscription: { '(': 1 }, pattern: 'white_list', timestamp: 0 }, topics, (w) => warnings.push(w))).toEqual({});
    expect(warnings).toHaveLength(1);
  });
});

describe('finding ZooKeeper for --bootstrap-server', () => {
  it('takes zookeeper.connect, else cluster.env, else 127.0.0.1:2181', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'locator-'));
    try {
      expect(candidateZooKeeper('h:1/c', {}, dir)).toEqual({ connect: 'h:1/c', source: 'zookeeper.connect' });
      writeFileSync(path.join(dir, 'cluster.env'), 'SAVED_ZK_NODES=3\nSAVED_ZK_PORT=2191\nSAVED_BROKERS=3\nSAVED_PORT=9092\n');
      expect(readClusterEnv(path.join(dir, 'cluster.env'))).toBe('127.0.0.1:2191,127.0.0.1:2192,127.0.0.1:2193');
      expect(candidateZooKeeper(undefined, { KAFKA_CLUSTER_DIR: dir }, '/nonexistent')).toEqual({ connect: '127.0.0.1:2191,127.0.0.1:2192,127.0.0.1:2193', source: path.join(dir, 'cluster.env') });
      expect(readClusterEnv(path.join(dir, 'missing.env'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('KafkaStream', () => {
  const rec = (info: PartitionTopicInfo, offset: number): ConsumerRecord => ({ topic: info.topic, partition: info.partition, offset, timestamp: 0, key: null, value: Buffer.from(String(offset)), headers: [] });

  it('counts a record as processed when the next is asked for, or when marked; leaving the loop does not mark', async () => {
    const info = new PartitionTopicInfo('t', 0, 'c-0', 10);
    const s = new KafkaStream('t', 0);
    s.enqueue(info, [rec(info, 10), rec(info, 11), rec(info, 12)]);
    let seen = 0;
    for await (const r of s) {
      seen++;
      expect(info.consumedOffset).toBe(r.offset); // the one in hand is not processed yet
      if (r.offset === 11) break;
    }
    expect(seen).toBe(2);
    expect(info.consumedOffset).toBe(11); // 10 processed; 11 was in hand when the loop ended
    const it = s[Symbol.asyncIterator]();
    const r12 = (await it.next()).value!;
    expect(r12.offset).toBe(12);
    s.markProcessed(r12);
    expect(info.consumedOffset).toBe(13);
  });

  it('drops the records of an ended generation, and late marks of it', async () => {
    const old = new PartitionTopicInfo('t', 0, 'c-0', 0);
    const s = new KafkaStream('t', 0, { consumerTimeoutMs: 100 });
    s.enqueue(old, [rec(old, 0), rec(old, 1)]);
    const first = (await s.next()).value!;
    s.clear();
    old.active = false;
    KafkaStream.markProcessed(first);
    expect(old.consumedOffset).toBe(0);
    const next = new PartitionTopicInfo('t', 0, 'c-0', 0);
    s.enqueue(old, [rec(old, 5)]); // ignored: inactive
    s.enqueue(next, [rec(next, 0)]);
    expect((await s.next()).value!.offset).toBe(0);
    expect(s.queuedChunks).toBe(0);
  });

  it("takes a fetch's records a batch at a time, decoding each as it is reached, from the fetch offset on", () => {
    // three batches as a fetch answer holds them: offsets 0-2, 3-5 and 6-8; the fetch asked from 4
    const batch = (base: number) => encodeRecordBatch({ baseOffset: base, records: [0, 1, 2].map((i) => ({ value: Buffer.from(`v${base + i}`) })) });
    const buf = Buffer.concat([batch(0), batch(3), batch(6)]);
    const batches = splitBatches(buf);
    const info = new PartitionTopicInfo('t', 0, 'c-0', 4);
    const next = fetchedRecords(info, 't', 0, buf, batches, batches.map((b) => validateBatch(buf, b.at)), 4);
    let decoded = 0;
    const s = new KafkaStream('t', 0);
    s.enqueueBatches(info, () => {
      decoded++;
      return next();
    });
    expect(decoded).toBe(0); // nothing decoded until a record is asked for
    const first = s.poll()!;
    expect([first.offset, first.value!.toString()]).toEqual([4, 'v4']); // 3 is below the fetch offset
    expect(decoded).toBe(1);
    expect(s.poll()!.offset).toBe(5);
    expect(decoded).toBe(1); // the second batch's records are in hand
    expect(s.poll()!.offset).toBe(6);
    expect(decoded).toBe(2);
    expect([s.poll()!.offset, s.poll()!.offset]).toEqual([7, 8]);
    expect(s.poll()).toBeUndefined();
    expect(KafkaStream.partitionOf(first)).toBe(info);
    expect(info.consumedOffset).toBe(9); // each record counted as processed when the next was asked for
  });

  it('throws a batch that cannot be decoded once, then hands out the records after it; an ended generation stops the decoding', () => {
    const good = (base: number) => encodeRecordBatch({ baseOffset: base, records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }] });
    // a batch whose CRC matches but whose record count says 3 for 2 records (a producer's bug)
    const bad = good(2);
    bad.writeInt32BE(3, RECORD_COUNT_OFFSET);
    bad.writeUInt32BE(crc32c(bad.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
    const buf = Buffer.concat([good(0), bad, good(4)]);
    const batches = splitBatches(buf);
    const info = new PartitionTopicInfo('t', 0, 'c-0', 0);
    const s = new KafkaStream('t', 0);
    s.enqueueBatches(info, fetchedRecords(info, 't', 0, buf, batches, batches.map((b) => validateBatch(buf, b.at)), 0));
    expect([s.poll()!.offset, s.poll()!.offset]).toEqual([0, 1]);
    expect(() => s.poll()).toThrow(CorruptDataError);
    expect(s.poll()!.offset).toBe(4);

    const ended = new PartitionTopicInfo('t', 0, 'c-0', 0);
    let calls = 0;
    s.enqueueBatches(ended, () => (++calls === 1 ? [rec(ended, 0)] : [rec(ended, 1)]));
    expect(s.poll()!.offset).toBe(5); // the rest of the first chunk
    expect(s.poll()!.offset).toBe(0);
    ended.active = false; // a rebalance ended its generation
    expect(s.poll()).toBeUndefined();
    expect(calls).toBe(1);
  });

  it('throws ConsumerTimeoutError after consumer.timeout.ms without a record, and ends when closed', async () => {
    const s = new KafkaStream('t', 0, { consumerTimeoutMs: 50 });
    const t0 = Date.now();
    await expect(s.next()).rejects.toThrow(ConsumerTimeoutError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    const waiting = new KafkaStream('t', 1).next();
    const closer = new KafkaStream('t', 2);
    const p = closer.next();
    closer.close();
    expect(await p).toEqual({ done: true, value: undefined });
    void waiting;
  });
});
