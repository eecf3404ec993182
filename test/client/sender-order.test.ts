/**
 * Which partitions a request takes when more is ready than one request holds: those whose first
 * waiting batch is oldest, whatever their place in the accumulator. (Taken in the accumulator's
 * order, the partitions first in it were served whenever their requests came back and the rest
 * waited: keyed records over 512 partitions had a p99 of 430-460 ms instead of ~200.)
 * A stub connection holds every Produce request until the test answers it; one request in
 * flight and a max.request.size that one batch fills make each request carry one partition.
 */
import { describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/producer/index.js';
import type { Cluster } from '../../src/client/cluster.js';
import { stubCluster } from '../helpers/stub-cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { decodeProduceRequest, encodeProduceResponse } from '../../src/protocol/apis/produce.js';

const PARTITIONS = 3;

/** `onRequest(n)` runs inside the sender's drain as it sends request n (from 1). */
function heldCluster(onRequest: (n: number) => void): { cluster: Cluster; requests: number[][]; answerNext: () => void } {
  const requests: number[][] = [];
  const waiting: (() => void)[] = [];
  const conn = {
    request: async () => {
      throw new Error('no producer id here');
    },
    requestChunks: (apiKey: number, version: number, head: (w: Writer) => void, chunks: readonly Buffer[]) => {
      expect(apiKey).toBe(ApiKey.Produce);
      const w = new Writer(64);
      head(w);
      const parts = decodeProduceRequest(new Reader(Buffer.concat([w.finish(), ...chunks])), version).topics[0]!.partitions.map((p) => p.partition);
      requests.push(parts);
      onRequest(requests.length);
      return new Promise<Reader>((resolve) =>
        waiting.push(() =>
          resolve(
            new Reader(
              encodeProduceResponse(new Writer(64), version, {
                topics: [{ topic: 't', partitions: parts.map((partition) => ({ partition, errorCode: 0, baseOffset: 0, logAppendTime: -1 })) }],
                throttleTimeMs: 0,
              }).finish(),
            ),
          ),
        ),
      );
    },
  };
  const topic = () => ({ errorCode: 0, topic: 't', partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, leader: 1, errorCode: 0, replicas: [1], isr: [1] })) });
  const cluster = stubCluster(topic, conn);
  return { cluster, requests, answerNext: () => waiting.shift()!() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('the order in which partitions are sent', { timeout: 15_000 }, () => {
  it('takes the partition whose first batch waited longest, not the first in the accumulator', async () => {
    const acked: string[] = [];
    const all: Promise<void>[] = [];
    const send = (partition: number, value: string): void => void all.push(p.send({ topic: 't', partition, value }).then(() => void acked.push(value)));
    // as request 2 takes partition 0's last batch, a record for it opens another: partition 0
    // never empties, so it stays first in the accumulator, with a batch younger than partition 1's
    const s = heldCluster((n) => n === 2 && send(0, 'c'));
    // a batch holds one record (batch.size 77), a request one batch (max.request.size 100), and
    // one request is out at a time
    const p = new Producer({ cluster: s.cluster, acks: 1, idempotence: false, lingerMs: 0, batchSize: 77, maxInFlight: 1, maxRequestSize: 100 });
    send(0, 'a0');
    send(0, 'a1');
    await until('the first request', () => s.requests.length === 1);
    await sleep(10);
    send(1, 'b');
    await sleep(10);
    for (let n = 2; n <= 4; n++) {
      s.answerNext();
      await until(`request ${n}`, () => s.requests.length === n);
    }
    s.answerNext();
    await until('every answer', () => acked.length === 4);
    await Promise.all(all);
    expect(s.requests).toEqual([[0], [0], [1], [0]]);
    expect(acked).toEqual(['a0', 'a1', 'b', 'c']);
    await p.close();
  });
});
