/**
 * A small producer: sends records to a partition's leader as one RecordBatch v2 (Produce v3)
 * with acks 0, 1 or -1 and the chosen compression; retries leader errors after refreshing
 * metadata. Keyed records go to the partition murmur2 picks (as the Java client and kafkajs);
 * unkeyed ones round-robin.
 */
import { Cluster, call } from './cluster.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import { encodeRecordBatch, type RecordInput } from '../protocol/records/record-batch.js';
import { CompressionCodec } from '../protocol/records/compression.js';
import { ErrorCode, KafkaError, isRetriable } from '../common/errors.js';
import { murmur2Partition } from './partitioner.js';

export interface ProducerRecord extends RecordInput {
  partition?: number;
}

export interface SendResult {
  topic: string;
  partition: number;
  baseOffset: number;
}

export class SimpleProducer {
  readonly cluster: Cluster;
  readonly acks: number;
  readonly compression: CompressionCodec;
  readonly retries: number;
  #rr = 0;

  constructor(cluster: Cluster, opts: { acks?: number; compression?: CompressionCodec; retries?: number } = {}) {
    this.cluster = cluster;
    this.acks = opts.acks ?? 1;
    this.compression = opts.compression ?? CompressionCodec.None;
    this.retries = opts.retries ?? 5;
  }

  /** Sends records to one topic; resolves with one result per partition written. */
  async send(topic: string, records: ProducerRecord[]): Promise<SendResult[]> {
    const meta = this.cluster.topic(topic) ?? (await this.cluster.topicMetadata(topic));
    const n = meta.partitions.length;
    const byPartition = new Map<number, RecordInput[]>();
    for (const r of records) {
      const p = r.partition ?? (r.key !== undefined && r.key !== null ? murmur2Partition(r.key, n) : this.#rr++ % n);
      if (p < 0 || p >= n) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${p} of "${topic}" does not exist (it has ${n})`);
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(r);
    }
    return Promise.all([...byPartition].map(([p, recs]) => this.#sendBatch(topic, p, encodeRecordBatch({ records: recs, compression: this.compression }))));
  }

  async #sendBatch(topic: string, partition: number, batch: Buffer): Promise<SendResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        let leader = this.cluster.leaderOf(topic, partition);
        if (leader < 0) {
          await this.cluster.topicMetadata(topic);
          leader = this.cluster.leaderOf(topic, partition);
        }
        const conn = this.cluster.connectionTo(leader);
        const req = { transactionalId: null, acks: this.acks, timeoutMs: 30_000, topics: [{ topic, partitions: [{ partition, records: batch }] }] };
        const res = await call(conn, API_CODECS[ApiKey.Produce], 3, req, { expectResponse: this.acks !== 0 });
        if (!res) return { topic, partition, baseOffset: -1 };
        const pr = res.topics[0]!.partitions[0]!;
        if (pr.errorCode !== ErrorCode.NONE) throw new KafkaError(pr.errorCode, undefined, { context: { topic, partition } });
        return { topic, partition, baseOffset: pr.baseOffset };
      } catch (err) {
        const retriable = !(err instanceof KafkaError) || isRetriable(err.code);
        if (!retriable || attempt >= this.retries) throw err;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        await this.cluster.refresh([topic]).catch(() => undefined);
      }
    }
  }
}
