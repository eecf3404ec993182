/**
 * A broker whose log cannot grow (a full disk; here `ulimit -f`, which fails writes past the
 * limit with EFBIG as a full disk does with ENOSPC, and needs no root): produce requests get
 * KAFKA_STORAGE_ERROR (NOT_LEADER_FOR_PARTITION before Produce v4, as Kafka answers them), which
 * clients retry, instead of UNKNOWN; the broker says so once with what to do, not once per
 * refused request; what it acknowledged before is all there, and the log takes appends again
 * at the same offset once there is room.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster, call } from '../../src/client/cluster.js';
import { Producer } from '../../src/client/producer/index.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ErrorCode } from '../../src/common/errors.js';
import { storageErrorHint } from '../../src/common/open-files.js';

const LIMIT_KB = 256;

describe('a broker whose disk is full', () => {
  it('names what to do for each kind of storage error, and nothing for others', () => {
    const err = (code: string) => Object.assign(new Error(code), { code, syscall: 'write' });
    expect(storageErrorHint(err('ENOSPC'))).toMatch(/full.*make room.*again by itself once there is room/);
    expect(storageErrorHint(err('EFBIG'))).toMatch(/ulimit -f/);
    expect(storageErrorHint(err('EIO'))).toMatch(/I\/O error/);
    expect(storageErrorHint(err('EMFILE'))).toMatch(/file descriptors/);
    expect(storageErrorHint(err('ENOENT'))).toBeUndefined();
    expect(storageErrorHint(new Error('plain'))).toBeUndefined();
  });

  describe(`under ulimit -f ${LIMIT_KB}`, () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await new TestCluster('disk-full').start(0);
      // segments larger than the limit: the active segment runs into it instead of rolling
      await cluster.startBroker(1, { 'log.segment.bytes': String(4 * 1024 * 1024) }, { fileSizeLimitKb: LIMIT_KB });
      await cluster.waitForMetadata();
      await createTopic(cluster.zk, 'full', { partitions: 1, replicationFactor: 1 });
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('refuses writes with KAFKA_STORAGE_ERROR, says so once with the cause, and keeps every record it acknowledged', async () => {
      const b = cluster.brokers.get(1)!;
      const producer = new Producer({ brokers: cluster.bootstrap, acks: 1, deliveryTimeoutMs: 3000, requestTimeoutMs: 2000 });
      const value = Buffer.alloc(1000, 'x');
      let acked = 0;
      let refused: Error | undefined;
      try {
        while (acked < 2 * LIMIT_KB) {
          try {
            const r = await producer.send({ topic: 'full', partition: 0, value });
            expect(r.offset).toBe(acked);
            acked++;
          } catch (e) {
            refused = e as Error;
            break;
          }
        }
      } finally {
        await producer.close();
      }
      // the limit was reached, and the client was told a retriable storage error, not UNKNOWN
      expect(acked).toBeGreaterThan(100);
      expect(acked).toBeLessThan(LIMIT_KB);
      expect(refused?.message).toMatch(/KAFKA_STORAGE_ERROR/);
      // the producer retried for its delivery timeout: many refusals, one line with the cause and what to do
      const lines = b.output().match(/produce refused.*/g) ?? [];
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/EFBIG/);
      expect(lines[0]).toMatch(/ulimit -f/);

      const client = new Cluster({ brokers: cluster.bootstrap });
      try {
        await client.refresh(['full']);
        const conn = client.connectionTo(1);
        const batch = () => encodeRecordBatch({ records: [{ value }] });
        const produce = async (version: number) =>
          (await call(conn, API_CODECS[ApiKey.Produce], version, { transactionalId: null, acks: 1, timeoutMs: 5000, topics: [{ topic: 'full', partitions: [{ partition: 0, records: batch() }] }] }))!.topics[0]!.partitions[0]!.errorCode;
        // Produce v4 knows KAFKA_STORAGE_ERROR; older versions get NOT_LEADER_FOR_PARTITION, as from Kafka
        expect(await produce(4)).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
        expect(await produce(3)).toBe(ErrorCode.NOT_LEADER_FOR_PARTITION);
        // every acknowledged record is there, and nothing else
        const consumer = new SimpleConsumer(client, { maxWaitMs: 100 });
        expect(await consumer.offsetFor('full', 0, -1)).toBe(acked);
        await consumer.seek('full', 0, 'earliest');
        let read = 0;
        while (read < acked) {
          const got = await consumer.poll();
          if (got.length === 0) break;
          for (const r of got) {
            expect(r.offset).toBe(read);
            expect(r.value?.equals(value)).toBe(true);
            read++;
          }
        }
        expect(read).toBe(acked);
      } finally {
        client.close();
      }
    });

    it('after a restart with room, appends go on at the next offset', async () => {
      expect(await cluster.stopBroker(1)).toBe(0);
      await cluster.startBroker(1, { 'log.segment.bytes': String(4 * 1024 * 1024) });
      await cluster.waitForMetadata();
      const client = new Cluster({ brokers: cluster.bootstrap });
      const producer = new Producer({ brokers: cluster.bootstrap, acks: 1 });
      try {
        const end = await new SimpleConsumer(client).offsetFor('full', 0, -1);
        const r = await until('a write to the restarted broker', async () => producer.send({ topic: 'full', partition: 0, value: 'room again' }).catch(() => undefined));
        expect(r.offset).toBe(end);
      } finally {
        await producer.close();
        client.close();
      }
    });
  });
});
