/**
 * A consumer of explicitly assigned partitions: seek to an offset, the earliest or the latest
 * (ListOffsets v1), then fetch from each partition's leader (Fetch v4, long poll) and yield
 * records in offset order. The broker keeps no consumer state: the position lives here.
 */
import { Cluster, call } from './cluster.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../protocol/apis/list-offsets.js';
import { decodeRecordBatch, splitBatches, type KafkaRecord } from '../protocol/records/record-batch.js';
import { ErrorCode, KafkaError, isRetriable } from '../common/errors.js';

export interface ConsumedRecord extends KafkaRecord {
  topic: string;
  partition: number;
}

export interface FetchOptions {
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
}

export class SimpleConsumer {
  readonly cluster: Cluster;
  readonly #positions = new Map<string, { topic: string; partition: number; offset: number }>();
  readonly #opts: Required<FetchOptions>;

  constructor(cluster: Cluster, opts: FetchOptions = {}) {
    this.cluster = cluster;
    this.#opts = { maxWaitMs: opts.maxWaitMs ?? 500, minBytes: opts.minBytes ?? 1, maxBytes: opts.maxBytes ?? 1024 * 1024 };
  }

  /** The offset for a timestamp: -1 latest, -2 earliest, else the first at or after it. */
  async offsetFor(topic: string, partition: number, timestamp: number): Promise<number> {
    await this.cluster.topicMetadata(topic);
    const conn = this.cluster.connectionTo(this.cluster.leaderOf(topic, partition));
    const res = (await call(conn, API_CODECS[ApiKey.ListOffsets], 1, {
      replicaId: -1,
      topics: [{ topic, partitions: [{ partition, timestamp, maxNumOffsets: 1 }] }],
    }))!;
    const p = res.topics[0]!.partitions[0]!;
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, undefined, { context: { topic, partition } });
    return p.offset ?? -1;
  }

  async seek(topic: string, partition: number, to: number | 'earliest' | 'latest'): Promise<number> {
    const offset = to === 'earliest' ? await this.offsetFor(topic, partition, EARLIEST_TIMESTAMP) : to === 'latest' ? await this.offsetFor(topic, partition, LATEST_TIMESTAMP) : to;
    this.#positions.set(`${topic}\u0000${partition}`, { topic, partition, offset });
    return offset;
  }

  position(topic: string, partition: number): number | undefined {
    return this.#positions.get(`${topic}\u0000${partition}`)?.offset;
  }

  /** One fetch round over every assigned partition; returns the records it got. */
  async poll(): Promise<ConsumedRecord[]> {
    const out: ConsumedRecord[] = [];
    const byLeader = new Map<number, { topic: string; partition: number; offset: number }[]>();
    for (const pos of this.#positions.values()) {
      let leader = this.cluster.leaderOf(pos.topic, pos.partition);
      if (leader < 0) {
        await this.cluster.topicMetadata(pos.topic);
        leader = this.cluster.leaderOf(pos.topic, pos.partition);
      }
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(pos);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, positions]) => {
        const topics = new Map<string, { partition: number; fetchOffset: number; maxBytes: number }[]>();
        for (const p of positions) {
          let l = topics.get(p.topic);
          if (!l) topics.set(p.topic, (l = []));
          l.push({ partition: p.partition, fetchOffset: p.offset, maxBytes: this.#opts.maxBytes });
        }
        const req = {
          replicaId: -1,
          maxWaitMs: this.#opts.maxWaitMs,
          minBytes: this.#opts.minBytes,
          maxBytes: this.#opts.maxBytes,
          isolationLevel: 0,
          topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
        };
        const conn = this.cluster.connectionTo(leader);
        const res = (await call(conn, API_CODECS[ApiKey.Fetch], 4, req, { timeoutMs: this.#opts.maxWaitMs + this.cluster.requestTimeoutMs }))!;
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const pos = this.#positions.get(`${t.topic}\u0000${p.partition}`)!;
            if (p.errorCode !== ErrorCode.NONE) {
              if (isRetriable(p.errorCode)) {
                await this.cluster.refresh([t.topic]).catch(() => undefined);
                continue;
              }
              throw new KafkaError(p.errorCode, undefined, { context: { topic: t.topic, partition: p.partition, offset: pos.offset } });
            }
            if (!p.records || p.records.length === 0) continue;
            for (const b of splitBatches(p.records)) {
              for (const r of decodeRecordBatch(p.records, b.at).records) {
                if (r.offset < pos.offset) continue;
                out.push({ ...r, topic: t.topic, partition: p.partition });
                pos.offset = r.offset + 1;
              }
            }
          }
        }
      }),
    );
    return out;
  }

  /** A never-ending stream of records (the paper's iterator): waits for new ones instead of ending. */
  async *records(signal?: AbortSignal): AsyncGenerator<ConsumedRecord> {
    while (!signal?.aborted) {
      for (const r of await this.poll()) yield r;
    }
  }
}
