/**
 * A consumer of explicitly assigned partitions: seek to an offset, the earliest or the latest
 * (ListOffsets v1), then fetch from each partition's leader (Fetch v4, long poll) and yield
 * records in offset order. The broker keeps no consumer state: the position lives here.
 */
import { Cluster, call } from './cluster.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../protocol/apis/list-offsets.js';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, TIMESTAMP_TYPE_MASK, readBatchHeader, splitBatches, validateBatch, type BatchList, type KafkaRecord } from '../protocol/records/record-batch.js';
import type { FetchResponse } from '../protocol/apis/fetch.js';
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

/** One partition's answer of pollBatches(): whole RecordBatches, CRC checked, not decoded. */
export interface FetchedBatches {
  topic: string;
  partition: number;
  /** Whole RecordBatches (v2) as stored; the first may start below fetchOffset. */
  records: Buffer;
  batchCount: number;
  /** The offset fetched from: records below it (in the first batch) were consumed before. */
  fetchOffset: number;
  /** The position after these batches. */
  nextOffset: number;
}

interface Position {
  topic: string;
  partition: number;
  offset: number;
}

interface Prefetch {
  positions: Position[];
  offsets: number[];
  response: Promise<FetchResponse>;
}

interface FetchedPartition {
  pos: Position;
  topic: string;
  partition: number;
  records: Buffer;
  batches: BatchList;
  fetchOffset: number;
  nextOffset: number;
}

function sameRequest(pre: Prefetch, positions: Position[], offsets: number[]): boolean {
  if (pre.positions.length !== positions.length) return false;
  for (let i = 0; i < positions.length; i++) if (pre.positions[i] !== positions[i] || pre.offsets[i] !== offsets[i]) return false;
  return true;
}

export class SimpleConsumer {
  readonly cluster: Cluster;
  readonly #positions = new Map<string, Position>();
  readonly #opts: Required<FetchOptions>;
  /** The Fetch sent ahead to each leader (see #fetchRound). */
  #prefetched = new Map<number, Prefetch>();

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

  /**
   * Where many partitions start: one ListOffsets per leader for all of them (a consumer given
   * a thousand partitions asks a few brokers once, not a thousand times one after another).
   * Every partition is positioned at its answer; returns the offsets in the order given.
   */
  async seekMany(partitions: { topic: string; partition: number }[], to: 'earliest' | 'latest'): Promise<number[]> {
    const timestamp = to === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    for (const topic of new Set(partitions.map((p) => p.topic))) await this.cluster.topicMetadata(topic);
    const byLeader = new Map<number, Map<string, number[]>>();
    for (const { topic, partition } of partitions) {
      const leader = this.cluster.leaderOf(topic, partition);
      let topics = byLeader.get(leader);
      if (!topics) byLeader.set(leader, (topics = new Map()));
      const list = topics.get(topic);
      if (list) list.push(partition);
      else topics.set(topic, [partition]);
    }
    const found = new Map<string, number>();
    await Promise.all(
      [...byLeader].map(async ([leader, topics]) => {
        const res = (await call(this.cluster.connectionTo(leader), API_CODECS[ApiKey.ListOffsets], 1, {
          replicaId: -1,
          topics: [...topics].map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition, timestamp, maxNumOffsets: 1 })) })),
        }))!;
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, undefined, { context: { topic: t.topic, partition: p.partition } });
            found.set(`${t.topic}\u0000${p.partition}`, p.offset ?? -1);
          }
        }
      }),
    );
    return partitions.map(({ topic, partition }) => {
      const k = `${topic}\u0000${partition}`;
      const offset = found.get(k);
      if (offset === undefined) throw new KafkaError(ErrorCode.UNKNOWN, `no offset answered for ${topic}-${partition}`, { context: { topic, partition } });
      this.#positions.set(k, { topic, partition, offset });
      return offset;
    });
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
    for (const { pos, topic, partition, records, fetchOffset, batches } of await this.#fetchRound()) {
      if (!this.#current(pos, fetchOffset)) continue;
      for (const b of batches) {
        decodeInto(out, topic, partition, records, b.at, fetchOffset);
        pos.offset = Math.max(pos.offset, b.header.baseOffset + b.header.lastOffsetDelta + 1);
      }
    }
    return out;
  }

  /**
   * One fetch round, batch by batch: for each partition that returned data, its whole
   * RecordBatches as the broker sent them (CRC checked, not decoded), and the position moves
   * past them. For tools that need counts and sizes rather than records (recordStats) and for
   * users who decode themselves.
   */
  async pollBatches(): Promise<FetchedBatches[]> {
    const out: FetchedBatches[] = [];
    for (const f of await this.#fetchRound()) {
      if (!this.#current(f.pos, f.fetchOffset)) continue;
      for (const b of f.batches) validateBatch(f.records, b.at);
      const last = f.batches[f.batches.length - 1]!;
      out.push({
        topic: f.topic,
        partition: f.partition,
        records: f.records.subarray(0, last.at + LOG_OVERHEAD + last.header.batchLength),
        batchCount: f.batches.length,
        fetchOffset: f.fetchOffset,
        nextOffset: f.nextOffset,
      });
      f.pos.offset = f.nextOffset;
    }
    return out;
  }

  /** False when a seek() replaced or moved the position while its Fetch was out: the answer is dropped. */
  #current(pos: Position, fetchOffset: number): boolean {
    return this.#positions.get(`${pos.topic}\u0000${pos.partition}`) === pos && pos.offset === fetchOffset;
  }

  /**
   * Fetches from every leader at the current positions and returns each partition's whole
   * batches (not yet checked). Pipelined: as soon as a leader answers, the next Fetch to it
   * is sent (from the offsets after this answer's batches) before the caller decodes, so the
   * broker reads the next chunk while this one is decoded. A prefetched answer is used only
   * when the positions are still exactly the offsets it was asked for (a seek, an error or a
   * leader change makes the next round ask afresh).
   */
  async #fetchRound(): Promise<FetchedPartition[]> {
    const byLeader = new Map<number, Position[]>();
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
    const prefetched = this.#prefetched;
    this.#prefetched = new Map();
    const rounds = await Promise.all(
      [...byLeader].map(async ([leader, positions]) => {
        const offsets = positions.map((p) => p.offset);
        const pre = prefetched.get(leader);
        let res: FetchResponse | undefined;
        if (pre && sameRequest(pre, positions, offsets)) res = await pre.response.catch(() => undefined);
        res ??= await this.#fetch(leader, positions, offsets).response;
        return this.#collect(leader, res, positions);
      }),
    );
    return rounds.flat();
  }

  #fetch(leader: number, positions: Position[], offsets: number[]): Prefetch {
    const topics = new Map<string, { partition: number; fetchOffset: number; maxBytes: number }[]>();
    positions.forEach((p, i) => {
      let l = topics.get(p.topic);
      if (!l) topics.set(p.topic, (l = []));
      l.push({ partition: p.partition, fetchOffset: offsets[i]!, maxBytes: this.#opts.maxBytes });
    });
    const req = {
      replicaId: -1,
      maxWaitMs: this.#opts.maxWaitMs,
      minBytes: this.#opts.minBytes,
      maxBytes: this.#opts.maxBytes,
      isolationLevel: 0,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
    let response: Promise<FetchResponse>;
    try {
      const conn = this.cluster.connectionTo(leader);
      response = call(conn, API_CODECS[ApiKey.Fetch], 4, req, { timeoutMs: this.#opts.maxWaitMs + this.cluster.requestTimeoutMs }) as Promise<FetchResponse>;
    } catch (err) {
      response = Promise.reject(err);
    }
    return { positions, offsets, response };
  }

  /** Splits an answer into whole batches per partition, sends the next Fetch, handles partition errors. */
  async #collect(leader: number, res: FetchResponse, positions: Position[]): Promise<FetchedPartition[]> {
    const out: FetchedPartition[] = [];
    const requested = new Map<string, Position>();
    for (const p of positions) requested.set(`${p.topic}\u0000${p.partition}`, p);
    const next = new Map<string, number>();
    let retriable: string[] | undefined;
    let fatal: KafkaError | undefined;
    for (const t of res.topics) {
      for (const p of t.partitions) {
        const key = `${t.topic}\u0000${p.partition}`;
        const pos = requested.get(key);
        if (pos === undefined) continue;
        const fetchOffset = pos.offset;
        if (p.errorCode !== ErrorCode.NONE) {
          if (isRetriable(p.errorCode)) (retriable ??= []).push(t.topic);
          else fatal ??= new KafkaError(p.errorCode, undefined, { context: { topic: t.topic, partition: p.partition, offset: fetchOffset } });
          continue;
        }
        if (!p.records || p.records.length === 0) continue;
        const batches = splitBatches(p.records);
        if (batches.length === 0) continue;
        const last = batches[batches.length - 1]!.header;
        const nextOffset = Math.max(fetchOffset, last.baseOffset + last.lastOffsetDelta + 1);
        next.set(key, nextOffset);
        out.push({ pos, topic: t.topic, partition: p.partition, records: p.records, batches, fetchOffset, nextOffset });
      }
    }
    if (!retriable && !fatal) {
      const offsets = positions.map((p) => next.get(`${p.topic}\u0000${p.partition}`) ?? p.offset);
      const pre = this.#fetch(leader, positions, offsets);
      pre.response.catch(() => undefined); // used (or dropped) by the next round
      this.#prefetched.set(leader, pre);
    }
    if (fatal) throw fatal;
    if (retriable) await this.cluster.refresh([...new Set(retriable)]).catch(() => undefined);
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

/** What recordStats counts. */
export interface RecordStats {
  records: number;
  keyBytes: number;
  valueBytes: number;
}

/**
 * Counts the records of pollBatches' answer at or after its fetchOffset, and their key and
 * value bytes, without decoding them into objects (compressed batches are decompressed).
 * Stops after `limit` records. Lengths are checked as in decoding.
 */
export function recordStats(f: FetchedBatches, limit = Infinity): RecordStats {
  const buf = f.records;
  const stats: RecordStats = { records: 0, keyBytes: 0, valueBytes: 0 };
  let at = 0;
  while (at < buf.length && stats.records < limit) {
    const h = readBatchHeader(buf, at);
    const end = at + LOG_OVERHEAD + h.batchLength;
    const codec = h.attributes & COMPRESSION_CODEC_MASK;
    if (h.baseOffset + h.lastOffsetDelta < f.fetchOffset) {
      at = end;
      continue;
    }
    const data = codec === 0 ? buf : decompress(codec, buf.subarray(at + BATCH_HEADER_SIZE, end));
    let p = codec === 0 ? at + BATCH_HEADER_SIZE : 0;
    const lim = codec === 0 ? end : data.length;
    const bad = (what: string): never => {
      throw new CorruptDataError(`record batch at ${at} of ${f.topic}-${f.partition}: ${what}`, { at });
    };
    // zig-zag varints of up to 32 bits are all record lengths, deltas and counts can be
    const varint = (): number => {
      let v = 0;
      for (let shift = 0; shift < 35; shift += 7) {
        if (p >= lim) bad('a varint runs past the end');
        const b = data[p++]!;
        v |= (b & 0x7f) << shift;
        if ((b & 0x80) === 0) return (v >>> 1) ^ -(v & 1);
      }
      return bad('a varint is too long');
    };
    for (let i = 0; i < h.recordCount && stats.records < limit; i++) {
      const len = varint();
      const recEnd = p + len;
      if (len < 0 || recEnd > lim) bad(`record ${i} length ${len} exceeds the bytes that remain`);
      p++; // attributes
      // timestampDelta is a varlong: skip its bytes
      while (p < recEnd && (data[p]! & 0x80) !== 0) p++;
      p++;
      const offset = h.baseOffset + varint();
      const k = varint();
      if (k > 0) p += k;
      const v = p < recEnd ? varint() : bad(`record ${i} ends before its value`);
      if (v > 0) p += v;
      if (p > recEnd) bad(`record ${i} does not end where its length says`);
      p = recEnd; // headers are not counted
      if (offset < f.fetchOffset) continue;
      stats.records++;
      if (k > 0) stats.keyBytes += k;
      if (v > 0) stats.valueBytes += v;
    }
    at = end;
  }
  return stats;
}
