/**
 * The idempotent producer against a model broker, many seeded runs: the model checks sequences
 * with the broker's own ProducerStateTable and refuses, as a real broker does, record sets over
 * message.max.bytes (before the sequence check), answers NOT_LEADER now and then, drops its
 * connection (having appended the request or not; everything sent after it on that connection
 * fails too), sometimes restarting without producer state, and moves leadership: the new
 * leader is announced in metadata a little before it takes over (until then it answers
 * NOT_LEADER), and takes over knowing the producers, as a follower does. Answers come back in
 * request order after random delays, so up to max.in.flight requests of a partition are out.
 *
 * What must hold, for every seed: every record is acknowledged, each partition's log holds its
 * records in the order they were produced (a resend may repeat records only after a restart cost
 * the broker its producer state, and never reorders them), and the offset a record was
 * acknowledged with holds that record. MODEL_SEED=n runs one seed; a failure prints the trace.
 */
import { describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/producer/index.js';
import type { Cluster } from '../../src/client/cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { decodeProduceRequest, encodeProduceResponse, type ProducePartitionResponse } from '../../src/protocol/apis/produce.js';
import { encodeInitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import { decodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { PartitionLog } from '../../src/storage/log.js';
import { ProducerStateTable } from '../../src/broker/replica/producer-state.js';
import { ErrorCode, KafkaError } from '../../src/common/errors.js';
import { prng } from '../helpers/prng.js';

const PARTITIONS = 3;
const MAX_RECORD_SET = 700;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class ModelBroker {
  readonly logs: string[][] = Array.from({ length: PARTITIONS }, () => []);
  #tables = Array.from({ length: PARTITIONS }, () => new ProducerStateTable());
  readonly #rand: () => number;
  #nextPid = 1000;
  /** The broker the metadata names as leader, and the one acting as leader (-1 between). */
  #announced = 1;
  #acting = 1;
  /** Requests arriving after a dropped one on the same connection fail until the client hears of it. */
  #dead = false;
  #moves = 0;
  #answers: Promise<void> = Promise.resolve();
  readonly #pending = new Set<{ reject: (e: Error) => void; settled: boolean }>();
  readonly faults = { tooLarge: 0, notLeader: 0, drops: 0, restarts: 0, moves: 0 };
  /** What happened, for the message of a failed check. */
  readonly trace: string[] = [];

  constructor(seed: number) {
    this.#rand = prng(seed);
  }

  cluster(): Cluster {
    const topic = (): unknown => ({
      errorCode: 0,
      topic: 't',
      partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, leader: this.#announced, errorCode: 0, replicas: [1, 2], isr: [1, 2] })),
    });
    const conns = new Map<number, unknown>();
    const connectionTo = (id: number): unknown => {
      let c = conns.get(id);
      if (!c) {
        c = {
          request: async (apiKey: number) => {
            expect(apiKey).toBe(ApiKey.InitProducerId);
            return new Reader(encodeInitProducerIdResponse(new Writer(32), 0, { throttleTimeMs: 0, errorCode: 0, producerId: this.#nextPid++, producerEpoch: 0 }).finish());
          },
          requestChunks: (apiKey: number, _v: number, head: (w: Writer) => void, chunks: readonly Buffer[]) => {
            expect(apiKey).toBe(ApiKey.Produce);
            const w = new Writer(64);
            head(w);
            return this.#produce(id, decodeProduceRequest(new Reader(Buffer.concat([w.finish(), ...chunks])), 3).topics[0]!.partitions);
          },
        };
        conns.set(id, c);
      }
      return c;
    };
    return {
      refresh: async () => ({ brokers: [], topics: [topic()] }),
      topicMetadata: async () => topic(),
      connectionTo,
      close: () => undefined,
    } as unknown as Cluster;
  }

  #produce(broker: number, parts: { partition: number; records: Buffer | null }[]): Promise<Reader> {
    const r = this.#rand();
    let drop = false;
    if (this.#dead) drop = true;
    else if (r < 0.015) {
      // the connection dies at this request, which may or may not have been appended
      this.faults.drops++;
      this.trace.push(`b${broker} connection drops`);
      drop = true;
      this.#dead = true;
      if (this.#rand() < 0.5) this.#appendAll(broker, parts);
      if (this.#rand() < 0.5) {
        this.#tables = Array.from({ length: PARTITIONS }, () => new ProducerStateTable()); // a restart
        this.faults.restarts++;
        this.trace.push(`b${broker} restarts`);
      }
    } else if (r < 0.025) {
      // leadership moves: announced at once, taken over a little later (until then the new
      // leader answers NOT_LEADER), knowing the producers: a follower keeps the producer table
      // from the batches it copies (the model's two replicas share one log)
      this.faults.moves++;
      const next = this.#announced === 1 ? 2 : 1;
      const move = ++this.#moves;
      this.#announced = next;
      this.#acting = -1;
      this.trace.push(`b${next} announced`);
      setTimeout(() => {
        if (move !== this.#moves) return; // a later move overtook this one
        this.#acting = next;
        this.trace.push(`b${next} takes over`);
      }, 1 + Math.floor(this.#rand() * 10));
    }
    const answers = drop ? undefined : this.#appendAll(broker, parts);
    const delay = Math.floor(this.#rand() * 3);
    return new Promise<Reader>((resolve, reject) => {
      const pending = { reject, settled: false };
      this.#pending.add(pending);
      this.#answers = this.#answers
        .then(() => sleep(delay))
        .then(async () => {
          if (pending.settled) return;
          if (drop) {
            // a closed connection fails every request still waiting on it, at once
            this.#dead = false;
            for (const p of this.#pending) {
              p.settled = true;
              p.reject(new Error('connection closed (model)'));
            }
            this.#pending.clear();
          } else {
            const partitions = await Promise.all(answers!);
            pending.settled = true;
            this.#pending.delete(pending);
            resolve(new Reader(encodeProduceResponse(new Writer(64), 3, { topics: [{ topic: 't', partitions }], throttleTimeMs: 0 }).finish()));
          }
        });
    });
  }

  #appendAll(broker: number, parts: { partition: number; records: Buffer | null }[]): (ProducePartitionResponse | Promise<ProducePartitionResponse>)[] {
    return parts.map(({ partition, records }) => {
      const answer = (errorCode: number, baseOffset = -1): ProducePartitionResponse => ({ partition, errorCode, baseOffset, logAppendTime: -1 });
      if (records!.length > MAX_RECORD_SET) {
        this.faults.tooLarge++;
        return answer(ErrorCode.MESSAGE_TOO_LARGE);
      }
      if (broker !== this.#acting || this.#rand() < 0.02) {
        this.trace.push(`b${broker} p${partition} NOT_LEADER (acting ${this.#acting})`);
        this.faults.notLeader++;
        return answer(ErrorCode.NOT_LEADER_FOR_PARTITION);
      }
      const list = PartitionLog.validateAll(records!);
      const log = this.logs[partition]!;
      const trace = (what: string): void => {
        this.trace.push(`b${broker} p${partition} ${list.map((b) => `${b.header.producerId}/${b.header.baseSequence}+${b.header.lastOffsetDelta + 1}`).join(',')} ${what} vals=${list.map((b) => decodeRecordBatch(records!, b.at).records.map((r) => r.value!.toString().split('-')[1]).join(' ')).join('|')}`);
      };
      try {
        const seq = this.#tables[partition]!.check(list);
        if (seq.kind === 'duplicate') {
          trace('duplicate');
          return seq.result.then((res) => answer(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, res.firstOffset));
        }
        const firstOffset = log.length;
        for (const b of list) for (const rec of decodeRecordBatch(records!, b.at).records) log.push(rec.value!.toString());
        seq.commit(Promise.resolve({ firstOffset, lastOffset: log.length - 1, logAppendTime: -1, recordCount: log.length - firstOffset }));
        trace(`appended at ${firstOffset}`);
        return answer(ErrorCode.NONE, firstOffset);
      } catch (err) {
        if (err instanceof KafkaError) {
          trace(`refused ${err.code}`);
          return answer(err.code);
        }
        throw err;
      }
    });
  }
}

async function run(seed: number): Promise<void> {
  const rand = prng(seed * 7919);
  const broker = new ModelBroker(seed);
  const producer = new Producer({ cluster: broker.cluster(), acks: 1, batchSize: 1000, lingerMs: Math.floor(rand() * 3), retryBackoffMs: 1 });
  await producer.partitionsFor('t');
  const acked = new Map<string, number>();
  const failures: unknown[] = [];
  const counts = new Array<number>(PARTITIONS).fill(0);
  for (let i = 0; i < 600; i++) {
    const p = Math.floor(rand() * PARTITIONS);
    const value = `${p}-${counts[p]++}-${'x'.repeat(Math.floor(rand() * 40))}`;
    producer.produce({ topic: 't', partition: p, value }, (err, md) => (err ? failures.push(err) : acked.set(value, md!.offset)));
    if (rand() < 0.2) await sleep(Math.floor(rand() * 2));
  }
  await producer.flush();
  await producer.close();
  const where = `seed ${seed} (faults ${JSON.stringify(broker.faults)})`;
  expect(failures, where).toEqual([]);
  expect(acked.size, where).toBe(600);
  for (let p = 0; p < PARTITIONS; p++) {
    const log = broker.logs[p]!;
    const order: number[] = [];
    const seen = new Set<string>();
    for (const v of log) {
      if (!seen.has(v)) order.push(Number(v.split('-')[1]));
      seen.add(v);
    }
    if (order.some((v, i) => v !== i)) console.log(broker.trace.filter((t) => !/^b\d p\d/.test(t) || t.startsWith(`b1 p${p}`) || t.startsWith(`b2 p${p}`)).join('\n'));
    expect(order, `partition ${p}, ${where}`).toEqual(Array.from({ length: counts[p]! }, (_, i) => i));
    // a resend is recognised unless the leader lost its producer state (a restart)
    if (broker.faults.restarts === 0) expect(log.length, `partition ${p} duplicates, ${where}`).toBe(order.length);
  }
  for (const [value, offset] of acked) {
    const p = Number(value.split('-')[0]);
    expect(broker.logs[p]![offset], `${value} acknowledged at offset ${offset}, ${where}`).toBe(value);
  }
}

describe('idempotent sender against a model broker with faults', () => {
  it('keeps every partition in order and acknowledges every record at its offset (60 seeds)', async () => {
    for (let seed = Number(process.env.MODEL_SEED ?? 1); seed <= Number(process.env.MODEL_SEED ?? 60); seed++) await run(seed);
  }, 120_000);
});
