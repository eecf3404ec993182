/**
 * Fetch (api key 1), versions 0-6.
 *
 * Fetch Request (Version: 0-2) => replica_id max_wait_time min_bytes [topics]
 * Fetch Request (Version: 3)   => replica_id max_wait_time min_bytes max_bytes [topics]
 * Fetch Request (Version: 4-6) => replica_id max_wait_time min_bytes max_bytes isolation_level [topics]
 *   replica_id => INT32 (-1 for a consumer, the broker id for a follower)
 *   max_wait_time => INT32
 *   min_bytes => INT32
 *   max_bytes => INT32 (v3+)
 *   isolation_level => INT8 (v4+; 0 read_uncommitted, 1 read_committed)
 *   topics => topic [partitions]
 *     topic => STRING
 *     partitions => partition fetch_offset [log_start_offset (v5+)] max_bytes
 *       partition => INT32
 *       fetch_offset => INT64
 *       log_start_offset => INT64 (v5+; a follower's log start offset, -1 from a consumer)
 *       max_bytes => INT32
 *
 * Fetch Response (Version: 0)   => [responses]
 * Fetch Response (Version: 1-6) => throttle_time_ms [responses]
 *   throttle_time_ms => INT32 (v1+)
 *   responses => topic [partition_responses]
 *     topic => STRING
 *     partition_responses => partition_header record_set
 *       partition_header => partition error_code high_watermark
 *                           [last_stable_offset (v4+)] [log_start_offset (v5+)] [aborted_transactions (v4+)]
 *         partition => INT32
 *         error_code => INT16
 *         high_watermark => INT64
 *         last_stable_offset => INT64 (v4+)
 *         log_start_offset => INT64 (v5+; the leader's first offset, -1 with an error)
 *         aborted_transactions => NULLABLE ARRAY of producer_id first_offset (v4+)
 *           producer_id => INT64
 *           first_offset => INT64
 *       record_set => RECORDS (BYTES: MessageSet magic 0 for v0-v1, magic 1 for v2-v3,
 *                     RecordBatches for v4+; may end with a partial entry)
 *
 * v6 is v5 on the wire (it tells the broker the client knows KAFKA_STORAGE_ERROR).
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const FETCH_MIN_VERSION = 0;
export const FETCH_MAX_VERSION = 6;

export const IsolationLevel = { READ_UNCOMMITTED: 0, READ_COMMITTED: 1 } as const;

export interface FetchPartitionRequest {
  partition: number;
  fetchOffset: number;
  /** v5+; encoding treats absent as -1, decoding v0-v4 gives -1. */
  logStartOffset?: number;
  maxBytes: number;
}
export interface FetchTopicRequest {
  topic: string;
  partitions: FetchPartitionRequest[];
}
export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  /** v3+; v0-v2 decode as 0x7fffffff (no limit). */
  maxBytes: number;
  /** v4+; v0-v3 decode as 0 (read_uncommitted). */
  isolationLevel: number;
  topics: FetchTopicRequest[];
}

export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}
export interface FetchPartitionResponse {
  partition: number;
  errorCode: number;
  highWatermark: number;
  /** v4+; -1 when unknown. */
  lastStableOffset: number;
  /** v5+; -1 when unknown. Encoding treats absent as -1. */
  logStartOffset?: number;
  /** v4+; null when none (the usual case). */
  abortedTransactions: AbortedTransaction[] | null;
  /**
   * The record set. A broker should send an empty buffer rather than null (as Kafka does):
   * kafkajs' v0-v3 readers mis-handle a -1 size.
   */
  records: Buffer | null;
}
export interface FetchTopicResponse {
  topic: string;
  partitions: FetchPartitionResponse[];
}
export interface FetchResponse {
  /** v1+. */
  throttleTimeMs: number;
  topics: FetchTopicResponse[];
}

const check = (v: number): void => checkVersion(ApiKey.Fetch, v, FETCH_MIN_VERSION, FETCH_MAX_VERSION);

/** The record format a Fetch response of this version must carry: magic 0, 1 or 2. */
export function fetchRecordMagic(version: number): 0 | 1 | 2 {
  return version <= 1 ? 0 : version <= 3 ? 1 : 2;
}

export function encodeFetchRequest(w: Writer, version: number, req: FetchRequest): Writer {
  check(version);
  w.int32(req.replicaId).int32(req.maxWaitMs).int32(req.minBytes);
  if (version >= 3) w.int32(req.maxBytes);
  if (version >= 4) w.int8(req.isolationLevel);
  return w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int64(p.fetchOffset);
      if (version >= 5) w.int64(p.logStartOffset ?? -1);
      w.int32(p.maxBytes);
    });
  });
}

export function decodeFetchRequest(r: Reader, version: number): FetchRequest {
  check(version);
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = version >= 3 ? r.int32() : 0x7fffffff;
  const isolationLevel = version >= 4 ? r.int8() : IsolationLevel.READ_UNCOMMITTED;
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array(
        (r) => ({ partition: r.int32(), fetchOffset: r.int64(), logStartOffset: version >= 5 ? r.int64() : -1, maxBytes: r.int32() }),
        version >= 5 ? 24 : 16,
      ),
    }),
    6,
  );
  return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, topics };
}

/** A partition's answer up to its record set (the same in both encoders below). */
function writePartitionHeader(w: Writer, version: number, p: FetchResponse['topics'][number]['partitions'][number]): void {
  w.int32(p.partition).int16(p.errorCode).int64(p.highWatermark);
  if (version >= 4) {
    w.int64(p.lastStableOffset);
    if (version >= 5) w.int64(p.logStartOffset ?? -1);
    w.array(p.abortedTransactions, (w, a) => w.int64(a.producerId).int64(a.firstOffset));
  }
}

export function encodeFetchResponse(w: Writer, version: number, res: FetchResponse): Writer {
  check(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  return w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      writePartitionHeader(w, version, p);
      w.bytes(p.records);
    });
  });
}

export function decodeFetchResponse(r: Reader, version: number): FetchResponse {
  check(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array(
        (r) => {
          const partition = r.int32();
          const errorCode = r.int16();
          const highWatermark = r.int64();
          const lastStableOffset = version >= 4 ? r.int64() : -1;
          const logStartOffset = version >= 5 ? r.int64() : -1;
          const abortedTransactions =
            version >= 4 ? r.nullableArray((r) => ({ producerId: r.int64(), firstOffset: r.int64() }), 16) : null;
          const records = r.bytes();
          return { partition, errorCode, highWatermark, lastStableOffset, logStartOffset, abortedTransactions, records };
        },
        version >= 5 ? 38 : version >= 4 ? 30 : 18,
      ),
    }),
    6,
  );
  return { throttleTimeMs, topics };
}

/** Record sets at least this large are handed to the socket as their own chunk instead of being copied. */
export const FETCH_ZERO_COPY_MIN_BYTES = 4096;

/**
 * The same bytes as encodeFetchResponse, as a list of chunks: everything but the large record
 * sets is written into `w` (which may already hold the response header), and each record set
 * of FETCH_ZERO_COPY_MIN_BYTES or more becomes a chunk of its own, not copied. The chunks
 * concatenated are the response body; a socket writes them with one writev. The record
 * buffers must not change until written (the broker's are fresh reads of the log).
 */
export function encodeFetchResponseChunks(w: Writer, version: number, res: FetchResponse): Buffer[] {
  check(version);
  const chunks: Buffer[] = [];
  let from = 0;
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      writePartitionHeader(w, version, p);
      const records = p.records;
      if (records !== null && records.length >= FETCH_ZERO_COPY_MIN_BYTES) {
        w.int32(records.length);
        chunks.push(w.view(from, w.length), records);
        from = w.length;
      } else {
        w.bytes(records);
      }
    });
  });
  if (w.length > from || chunks.length === 0) chunks.push(w.view(from, w.length));
  return chunks;
}
