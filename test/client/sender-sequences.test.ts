/**
 * The idempotent producer's ordering rules, driven answer by answer against a scripted broker
 * (a pure unit test of the sender's algorithm; the same rules run against real brokers in
 * idempotence.test.ts): a batch keeps its producer id and sequence when it is resent; the
 * OUT_OF_ORDER answers that echo an earlier failure are requeued behind it, in order, and the
 * partition resends one batch at a time; an OUT_OF_ORDER answer that is no such echo makes the
 * producer take a new producer id and number its batches afresh from 0; nothing is pipelined
 * before the leader has acknowledged the id; a batch split after MESSAGE_TOO_LARGE goes before
 * the batches behind it. (sender-model.test.ts runs the same rules against a model broker with
 * random faults.)
 */
import { describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/producer/index.js';
import type { Cluster } from '../../src/client/cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { encodeProduceResponse } from '../../src/protocol/apis/produce.js';
import { encodeInitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import { readBatchHeader } from '../../src/protocol/records/record-batch.js';
import { ErrorCode } from '../../src/common/errors.js';

interface SentBatch {
  producerId: number;
  baseSequence: number;
  values: number;
}
interface PendingProduce {
  batches: SentBatch[];
  answer(errorCode: number, baseOffset?: number): void;
}

/** A broker whose answers the test gives one by one. */
class ScriptedBroker {
  readonly produces: PendingProduce[] = [];
  readonly producerIds: number[];
  initCalls = 0;

  constructor(producerIds: number[]) {
    this.producerIds = producerIds;
  }

  cluster(): Cluster {
    const topic = { errorCode: 0, topic: 't', partitions: [{ partition: 0, leader: 1, errorCode: 0, replicas: [1], isr: [1] }] };
    const conn = {
      request: async (apiKey: number) => {
        expect(apiKey).toBe(ApiKey.InitProducerId);
        const id = this.producerIds[this.initCalls++]!;
        return new Reader(encodeInitProducerIdResponse(new Writer(32), 0, { throttleTimeMs: 0, errorCode: 0, producerId: id, producerEpoch: 0 }).finish());
      },
      requestChunks: (apiKey: number, _v: number, _head: unknown, chunks: readonly Buffer[]) => {
        expect(apiKey).toBe(ApiKey.Produce);
        const batches = chunks
          .filter((c) => c.length >= 61 && c.readInt32BE(8) === c.length - 12 && c[16] === 2)
          .map((c) => {
            const h = readBatchHeader(c, 0);
            return { producerId: h.producerId, baseSequence: h.baseSequence, values: h.recordCount };
          });
        return new Promise<Reader>((resolve) => {
          this.produces.push({
            batches,
            answer: (errorCode, baseOffset = -1) =>
              resolve(new Reader(encodeProduceResponse(new Writer(64), 3, { topics: [{ topic: 't', partitions: [{ partition: 0, errorCode, baseOffset, logAppendTime: -1 }] }], throttleTimeMs: 0 }).finish())),
          });
        });
      },
    };
    return {
      refresh: async () => ({ brokers: [], topics: [topic] }),
      topicMetadata: async () => topic,
      connectionTo: () => conn,
      close: () => undefined,
    } as unknown as Cluster;
  }

  /** Waits for the n-th Produce (1-based) to arrive. */
  async produce(n: number): Promise<PendingProduce> {
    const deadline = Date.now() + 5000;
    while (this.produces.length < n) {
      if (Date.now() > deadline) throw new Error(`produce ${n} never came (${this.produces.length} so far)`);
      await new Promise((r) => setTimeout(r, 1));
    }
    return this.produces[n - 1]!;
  }
}

/** A producer whose every record is its own batch (batch.size just fits one). */
function producerOn(broker: ScriptedBroker): Producer {
  return new Producer({ cluster: broker.cluster(), acks: 1, batchSize: 80, retryBackoffMs: 1, lingerMs: 0 });
}

describe('idempotent sender: sequences and order across failures', () => {
  it('requeues the echoes of a failure behind it and resends in order with the same id and sequences', async () => {
    const broker = new ScriptedBroker([100]);
    const producer = producerOn(broker);
    await producer.partitionsFor('t');
    const acked: string[] = [];
    const send = (v: string): Promise<void> => producer.send({ topic: 't', value: v }).then((md) => void acked.push(`${v}@${md.offset}`));
    const z = send('z');
    const r0 = await broker.produce(1);
    const a = send('a');
    await new Promise((r) => setTimeout(r, 20));
    // a leader that has not acknowledged this producer id yet accepts any first sequence: if the
    // first request failed before its check, a second would be appended past the gap
    expect(broker.produces).toHaveLength(1);
    r0.answer(ErrorCode.NONE, 0);
    const r1 = await broker.produce(2);
    const b = send('b');
    const r2 = await broker.produce(3); // a second request of the partition while the first is out
    expect(r0.batches).toEqual([{ producerId: 100, baseSequence: 0, values: 1 }]);
    expect(r1.batches).toEqual([{ producerId: 100, baseSequence: 1, values: 1 }]);
    expect(r2.batches).toEqual([{ producerId: 100, baseSequence: 2, values: 1 }]);

    r1.answer(ErrorCode.NOT_LEADER_FOR_PARTITION);
    r2.answer(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // the broker refused the gap a left
    const r3 = await broker.produce(4);
    expect(r3.batches).toEqual([{ producerId: 100, baseSequence: 1, values: 1 }]); // a alone, unchanged
    await new Promise((r) => setTimeout(r, 20));
    expect(broker.produces).toHaveLength(4); // b waits for a
    r3.answer(ErrorCode.NONE, 1);
    const r4 = await broker.produce(5);
    expect(r4.batches).toEqual([{ producerId: 100, baseSequence: 2, values: 1 }]);
    r4.answer(ErrorCode.NONE, 2);
    await Promise.all([z, a, b]);
    expect(acked).toEqual(['z@0', 'a@1', 'b@2']);
    expect(broker.initCalls).toBe(1);
    await producer.close();
  });

  it('after MESSAGE_TOO_LARGE splits a batch, the batches behind it wait and follow the halves in order', async () => {
    const broker = new ScriptedBroker([100]);
    const producer = new Producer({ cluster: broker.cluster(), acks: 1, batchSize: 200, retryBackoffMs: 1, lingerMs: 0 });
    await producer.partitionsFor('t');
    const z = producer.send({ topic: 't', value: 'z' });
    (await broker.produce(1)).answer(ErrorCode.NONE, 0); // the leader knows the id: requests may pipeline
    await z;
    // four records in one batch, then two more requests behind it
    const big = ['a', 'b', 'c', 'd'].map((v) => producer.send({ topic: 't', value: v }));
    producer.flush().catch(() => undefined);
    const r2 = await broker.produce(2);
    const e = producer.send({ topic: 't', value: 'e' });
    const r3 = await broker.produce(3);
    expect(r2.batches).toEqual([{ producerId: 100, baseSequence: 1, values: 4 }]);
    expect(r3.batches).toEqual([{ producerId: 100, baseSequence: 5, values: 1 }]);
    r2.answer(ErrorCode.MESSAGE_TOO_LARGE);
    await new Promise((r) => setTimeout(r, 20));
    expect(broker.produces).toHaveLength(3); // the halves wait for the request still out
    r3.answer(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // the echo of the refused batch
    const r4 = await broker.produce(4);
    expect(r4.batches).toEqual([{ producerId: 100, baseSequence: 1, values: 2 }]); // the first half, alone
    await new Promise((r) => setTimeout(r, 20));
    expect(broker.produces).toHaveLength(4);
    r4.answer(ErrorCode.NONE, 1);
    const r5 = await broker.produce(5);
    expect(r5.batches[0]).toEqual({ producerId: 100, baseSequence: 3, values: 2 });
    const rest = r5.batches.length === 2 ? r5 : await broker.produce(6);
    expect(rest.batches[rest.batches.length - 1]).toEqual({ producerId: 100, baseSequence: 5, values: 1 });
    r5.answer(ErrorCode.NONE, 3);
    if (rest !== r5) rest.answer(ErrorCode.NONE, 5);
    expect((await Promise.all([...big, e])).map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(broker.initCalls).toBe(1);
    await producer.close();
  });

  it('takes a new producer id when an OUT_OF_ORDER answer is no echo, and numbers the batches afresh', async () => {
    const broker = new ScriptedBroker([100, 200]);
    const producer = producerOn(broker);
    await producer.partitionsFor('t');
    const a = producer.send({ topic: 't', value: 'a' });
    (await broker.produce(1)).answer(ErrorCode.NONE, 0);
    await a;
    const b = producer.send({ topic: 't', value: 'b' });
    const r2 = await broker.produce(2);
    expect(r2.batches).toEqual([{ producerId: 100, baseSequence: 1, values: 1 }]);
    r2.answer(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // the leader lost our state
    const r3 = await broker.produce(3);
    expect(broker.initCalls).toBe(2);
    expect(r3.batches).toEqual([{ producerId: 200, baseSequence: 0, values: 1 }]);
    r3.answer(ErrorCode.NONE, 1);
    expect((await b).offset).toBe(1);
    const c = producer.send({ topic: 't', value: 'c' });
    const r4 = await broker.produce(4);
    expect(r4.batches).toEqual([{ producerId: 200, baseSequence: 1, values: 1 }]);
    r4.answer(ErrorCode.NONE, 2);
    expect((await c).offset).toBe(2);
    await producer.close();
  });

  it('without idempotence keeps one request per partition in flight and sends no producer id', async () => {
    const broker = new ScriptedBroker([]);
    const producer = new Producer({ cluster: broker.cluster(), acks: 1, batchSize: 80, retryBackoffMs: 1, idempotence: false });
    await producer.partitionsFor('t');
    const a = producer.send({ topic: 't', value: 'a' });
    const r1 = await broker.produce(1);
    const b = producer.send({ topic: 't', value: 'b' });
    await new Promise((r) => setTimeout(r, 20));
    expect(broker.produces).toHaveLength(1);
    expect(r1.batches).toEqual([{ producerId: -1, baseSequence: -1, values: 1 }]);
    r1.answer(ErrorCode.NONE, 0);
    (await broker.produce(2)).answer(ErrorCode.NONE, 1);
    await Promise.all([a, b]);
    expect(broker.initCalls).toBe(0);
    await producer.close();
  });
});
