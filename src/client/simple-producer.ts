/**
 * SimpleProducer: the older "send this array to a topic" interface, now a thin use of the
 * Producer (src/client/producer/). Records are sent in order per partition through the
 * Producer's batching, retries and compression; `send` resolves with one result per partition
 * written (its first offset), or rejects with the first record's error.
 */
import { Cluster } from './cluster.js';
import type { RecordInput } from '../protocol/records/record-batch.js';
import { CompressionCodec } from '../protocol/records/compression.js';
import { ErrorCode, KafkaError } from '../common/errors.js';
import { Producer } from './producer/producer.js';
import type { RecordMetadata } from './producer/types.js';

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
  readonly producer: Producer;

  constructor(cluster: Cluster, opts: { acks?: number; compression?: CompressionCodec; retries?: number; lingerMs?: number } = {}) {
    this.cluster = cluster;
    this.acks = opts.acks ?? 1;
    this.compression = opts.compression ?? CompressionCodec.None;
    this.retries = opts.retries ?? 5;
    this.producer = new Producer({
      cluster,
      acks: this.acks as 0 | 1 | -1,
      compression: this.compression,
      retries: this.retries,
      lingerMs: opts.lingerMs ?? 0,
      maxBlockMs: 10_000,
    });
  }

  /** Sends records to one topic; resolves with one result per partition written. */
  async send(topic: string, records: ProducerRecord[]): Promise<SendResult[]> {
    const meta = this.cluster.topic(topic) ?? (await this.cluster.topicMetadata(topic));
    const n = meta.partitions.length;
    for (const r of records) {
      if (r.partition !== undefined && (r.partition < 0 || r.partition >= n)) {
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${r.partition} of "${topic}" does not exist (it has ${n})`);
      }
    }
    const mds: RecordMetadata[] = await Promise.all(records.map((r) => this.producer.send({ ...r, topic })));
    const first = new Map<number, number>();
    for (const md of mds) {
      const seen = first.get(md.partition);
      if (seen === undefined || (md.offset >= 0 && md.offset < seen)) first.set(md.partition, md.offset);
    }
    return [...first].map(([partition, baseOffset]) => ({ topic, partition, baseOffset }));
  }

  /** Waits for everything sent so far. */
  flush(): Promise<void> {
    return this.producer.flush();
  }
}
