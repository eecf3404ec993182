/**
 * Produce (api key 0), versions 0-5.
 *
 * Produce Request (Version: 0-2) => acks timeout [topic_data]
 * Produce Request (Version: 3-5) => transactional_id acks timeout [topic_data]
 *   transactional_id => NULLABLE_STRING
 *   acks => INT16
 *   timeout => INT32
 *   topic_data => topic [data]
 *     topic => STRING
 *     data => partition record_set
 *       partition => INT32
 *       record_set => RECORDS (BYTES: INT32 size, then a MessageSet (magic 0 in v0-v1,
 *                     magic 0/1 in v2) or RecordBatches (magic 2, v3+))
 *
 * Produce Response (Version: 0) => [responses]
 * Produce Response (Version: 1) => [responses] throttle_time_ms
 * Produce Response (Version: 2-4) => [responses] throttle_time_ms   (partitions add log_append_time)
 * Produce Response (Version: 5) => [responses] throttle_time_ms     (partitions add log_start_offset)
 *   responses => topic [partition_responses]
 *     topic => STRING
 *     partition_responses => partition error_code base_offset [log_append_time (v2+)] [log_start_offset (v5+)]
 *       partition => INT32
 *       error_code => INT16
 *       base_offset => INT64
 *       log_append_time => INT64 (-1 when the topic uses CreateTime)
 *       log_start_offset => INT64 (the partition's first offset; -1 with an error)
 *   throttle_time_ms => INT32 (v1+)
 *
 * v4 is v3 on the wire (it tells the broker the client knows KAFKA_STORAGE_ERROR).
 * The record set stays a Buffer view into the request: this module does not parse it.
 * acks = 0 means the broker sends no response at all.
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const PRODUCE_MIN_VERSION = 0;
export const PRODUCE_MAX_VERSION = 5;

export interface ProducePartitionData {
  partition: number;
  /** The record set bytes (MessageSet or RecordBatches); null when sent as null bytes. */
  records: Buffer | null;
}
export interface ProduceTopicData {
  topic: string;
  partitions: ProducePartitionData[];
}
export interface ProduceRequest {
  /** v3+; null when the producer is not transactional. */
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: ProduceTopicData[];
}

export interface ProducePartitionResponse {
  partition: number;
  errorCode: number;
  baseOffset: number;
  /** v2+: the broker's append time when the topic uses LogAppendTime, else -1. */
  logAppendTime: number;
  /** v5+: the partition's log start offset; -1 when unknown. Encoding treats absent as -1. */
  logStartOffset?: number;
}
export interface ProduceTopicResponse {
  topic: string;
  partitions: ProducePartitionResponse[];
}
export interface ProduceResponse {
  topics: ProduceTopicResponse[];
  /** v1+. */
  throttleTimeMs: number;
}

const check = (v: number): void => checkVersion(ApiKey.Produce, v, PRODUCE_MIN_VERSION, PRODUCE_MAX_VERSION);

export function encodeProduceRequest(w: Writer, version: number, req: ProduceRequest): Writer {
  check(version);
  if (version >= 3) w.string(req.transactionalId);
  w.int16(req.acks).int32(req.timeoutMs);
  return w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p.partition).bytes(p.records));
  });
}

export function decodeProduceRequest(r: Reader, version: number): ProduceRequest {
  check(version);
  const transactionalId = version >= 3 ? r.string() : null;
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array((r) => ({ partition: r.int32(), records: r.bytes() }), 8),
    }),
    6,
  );
  return { transactionalId, acks, timeoutMs, topics };
}

export function encodeProduceResponse(w: Writer, version: number, res: ProduceResponse): Writer {
  check(version);
  w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode).int64(p.baseOffset);
      if (version >= 2) w.int64(p.logAppendTime);
      if (version >= 5) w.int64(p.logStartOffset ?? -1);
    });
  });
  if (version >= 1) w.int32(res.throttleTimeMs);
  return w;
}

export function decodeProduceResponse(r: Reader, version: number): ProduceResponse {
  check(version);
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array(
        (r) => ({
          partition: r.int32(),
          errorCode: r.int16(),
          baseOffset: r.int64(),
          logAppendTime: version >= 2 ? r.int64() : -1,
          logStartOffset: version >= 5 ? r.int64() : -1,
        }),
        version >= 5 ? 30 : version >= 2 ? 22 : 14,
      ),
    }),
    6,
  );
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { topics, throttleTimeMs };
}
