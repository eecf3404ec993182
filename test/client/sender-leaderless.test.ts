/**
 * A record produced while the partition's metadata names no leader (an election in progress,
 * a broker just restarted): the sender keeps asking for metadata until a leader appears and then
 * sends the record, and when none appears it fails the record after delivery.timeout.ms instead
 * of holding it forever. (Found by configs.test: after a restart a send hung for good.)
 */
import { describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/producer/index.js';
import type { Cluster } from '../../src/client/cluster.js';
import { stubCluster } from '../helpers/stub-cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { encodeProduceResponse } from '../../src/protocol/apis/produce.js';

/** Metadata names no leader for the first `leaderlessAnswers` answers; produces are acknowledged at once. */
function leaderlessCluster(leaderlessAnswers: number): { cluster: Cluster; metadataCalls: () => number; produces: () => number } {
  let calls = 0;
  let produces = 0;
  const topic = () => ({ errorCode: 0, topic: 't', partitions: [{ partition: 0, leader: calls++ < leaderlessAnswers ? -1 : 1, errorCode: 0, replicas: [1], isr: [1] }] });
  const conn = {
    request: async () => {
      throw new Error('no producer id here');
    },
    requestChunks: async (apiKey: number) => {
      expect(apiKey).toBe(ApiKey.Produce);
      produces++;
      return new Reader(encodeProduceResponse(new Writer(64), 3, { topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, baseOffset: 0, logAppendTime: -1 }] }], throttleTimeMs: 0 }).finish());
    },
  };
  const cluster = stubCluster(topic, conn);
  return { cluster, metadataCalls: () => calls, produces: () => produces };
}

describe('a partition without a leader', { timeout: 15_000 }, () => {
  it('asks for metadata again until a leader appears, then sends', async () => {
    const s = leaderlessCluster(3);
    const p = new Producer({ cluster: s.cluster, acks: 1, idempotence: false, retryBackoffMs: 5, lingerMs: 0 });
    const md = await p.send({ topic: 't', partition: 0, value: 'v' });
    expect(md.offset).toBe(0);
    expect(s.metadataCalls()).toBeGreaterThan(3);
    expect(s.produces()).toBe(1);
    await p.close();
  });

  it('fails the record after delivery.timeout.ms when no leader ever appears', async () => {
    const s = leaderlessCluster(Number.MAX_SAFE_INTEGER);
    const p = new Producer({ cluster: s.cluster, acks: 1, idempotence: false, retryBackoffMs: 5, lingerMs: 0, deliveryTimeoutMs: 300, requestTimeoutMs: 200 });
    const started = Date.now();
    await expect(p.send({ topic: 't', partition: 0, value: 'v' })).rejects.toThrow(/delivery\.timeout\.ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(s.produces()).toBe(0);
    await p.close();
  });
});
