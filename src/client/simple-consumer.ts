/**
 * A consumer of explicitly assigned partitions: seek to an offset, the earliest or the latest
 * (ListOffsets v1), then fetch from each partition's leader (Fetch v4, long poll) and yield
 * records in offset order. The broker keeps no consumer state: the position lives here.
 */
import { Cluster, call } from './cluster.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../protocol/apis/list-offsets.js';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, TIMESTAMP_TYPE_MASK, splitBatches, validateBatch, type KafkaRecord } from '../protocol/records/record-batch.js';
import { COMPRESSION_CODEC_MASK, decompress } from '../protocol/records/compression.js';
import { CorruptDataError, ErrorCode, KafkaError, isRetriable } from '../common/errors.js';

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
            for (const b of splitBatches(p.records)) pos.offset = decodeInto(out, t.topic, p.partition, p.records, b.at, pos.offset);
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

/** Shared by every record without headers (frozen: one allocation fewer per record). */
const NO_HEADERS = Object.freeze([]) as unknown as KafkaRecord['headers'];

/**
 * Decodes the batch at `at` straight into ConsumedRecords (no intermediate record objects;
 * keys and values are views into the fetched bytes), skipping offsets below `from`. Checks the
 * CRC and every length like decodeRecordBatch. Returns the next offset to fetch.
 */
function decodeInto(out: ConsumedRecord[], topic: string, partition: number, buf: Buffer, at: number, from: number): number {
  const h = validateBatch(buf, at);
  const end = at + LOG_OVERHEAD + h.batchLength;
  const codec = h.attributes & COMPRESSION_CODEC_MASK;
  const data = codec === 0 ? buf : decompress(codec, buf.subarray(at + BATCH_HEADER_SIZE, end));
  let p = codec === 0 ? at + BATCH_HEADER_SIZE : 0;
  const limit = codec === 0 ? end : data.length;
  const logAppend = (h.attributes & TIMESTAMP_TYPE_MASK) !== 0;
  const bad = (what: string): never => {
    throw new CorruptDataError(`record batch at ${at} of ${topic}-${partition}: ${what}`, { at });
  };
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (p >= limit) bad('a varint runs past the end');
      const b = data[p++]!;
      if (shift < 28) v |= (b & 0x7f) << shift;
      else v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 63) bad('a varint is too long');
    }
    return shift < 28 ? (v >>> 1) ^ -(v & 1) : v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  };
  const bytes = (): Buffer | null => {
    const n = varint();
    if (n < 0) return null;
    if (p + n > limit) bad(`a length of ${n} runs past the end`);
    const v = data.subarray(p, p + n);
    p += n;
    return v;
  };
  let next = from;
  for (let i = 0; i < h.recordCount; i++) {
    const len = varint();
    const recEnd = p + len;
    if (len < 0 || recEnd > limit) bad(`record ${i} length ${len} exceeds the bytes that remain`);
    p++; // attributes
    const tsDelta = varint();
    const offset = h.baseOffset + varint();
    const key = bytes();
    const value = bytes();
    const nh = varint();
    if (nh < 0 || nh * 2 > recEnd - p) bad(`record ${i}: bad header count ${nh}`);
    const headers: KafkaRecord['headers'] = nh === 0 ? NO_HEADERS : [];
    for (let j = 0; j < nh; j++) {
      const hk = bytes();
      if (hk === null) bad(`record ${i}: null header key`);
      headers.push({ key: hk!.toString('utf8'), value: bytes() });
    }
    if (p !== recEnd) bad(`record ${i} does not end where its length says`);
    if (offset < from) continue;
    out.push({ topic, partition, offset, timestamp: logAppend ? h.maxTimestamp : h.firstTimestamp + tsDelta, key, value, headers });
    next = offset + 1;
  }
  if (p !== limit) bad(`${limit - p} bytes after the last of ${h.recordCount} records`);
  return next;
}
