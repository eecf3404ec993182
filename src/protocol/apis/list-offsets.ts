/**
 * ListOffsets (api key 2; "Offsets" in 0.8), versions 0-2.
 *
 * ListOffsets Request (Version: 0) => replica_id [topics]
 *   replica_id => INT32
 *   topics => topic [partitions]
 *     topic => STRING
 *     partitions => partition timestamp max_num_offsets
 *       partition => INT32
 *       timestamp => INT64 (-1 latest, -2 earliest, else a time in ms)
 *       max_num_offsets => INT32
 * ListOffsets Request (Version: 1) => replica_id [topics]
 *   topics => topic [partitions]
 *     partitions => partition timestamp
 * ListOffsets Request (Version: 2) => replica_id isolation_level [topics]
 *   isolation_level => INT8 (0 read_uncommitted, 1 read_committed)
 *
 * ListOffsets Response (Version: 0) => [responses]
 *   responses => topic [partition_responses]
 *     topic => STRING
 *     partition_responses => partition error_code [offsets]
 *       partition => INT32
 *       error_code => INT16
 *       offsets => INT64 (descending: segment base offsets, log end first)
 * ListOffsets Response (Version: 1) => [responses]
 *   responses => topic [partition_responses]
 *     partition_responses => partition error_code timestamp offset
 *       timestamp => INT64
 *       offset => INT64
 * ListOffsets Response (Version: 2) => throttle_time_ms [responses]   (responses as v1)
 *   throttle_time_ms => INT32
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const LIST_OFFSETS_MIN_VERSION = 0;
export const LIST_OFFSETS_MAX_VERSION = 2;

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface ListOffsetsPartitionRequest {
  partition: number;
  timestamp: number;
  /** v0 only; v1 decodes as 1. */
  maxNumOffsets: number;
}
export interface ListOffsetsTopicRequest {
  topic: string;
  partitions: ListOffsetsPartitionRequest[];
}
export interface ListOffsetsRequest {
  replicaId: number;
  /** v2+ (0 read_uncommitted, 1 read_committed); encoding treats absent as 0, decoding v0-v1 gives 0. */
  isolationLevel?: number;
  topics: ListOffsetsTopicRequest[];
}

export interface ListOffsetsPartitionResponse {
  partition: number;
  errorCode: number;
  /** v0: the offsets found. Encoding v1 falls back to `offsets[0]` when `offset` is absent. */
  offsets?: number[];
  /** v1: the timestamp of the offset found (-1 for latest/earliest). */
  timestamp?: number;
  /** v1: the offset found. Encoding v0 falls back to `[offset]` when `offsets` is absent. */
  offset?: number;
}
export interface ListOffsetsTopicResponse {
  topic: string;
  partitions: ListOffsetsPartitionResponse[];
}
export interface ListOffsetsResponse {
  /** v2+; encoding treats absent as 0. */
  throttleTimeMs?: number;
  topics: ListOffsetsTopicResponse[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.ListOffsets, v, LIST_OFFSETS_MIN_VERSION, LIST_OFFSETS_MAX_VERSION);

export function encodeListOffsetsRequest(w: Writer, version: number, req: ListOffsetsRequest): Writer {
  check(version);
  w.int32(req.replicaId);
  if (version >= 2) w.int8(req.isolationLevel ?? 0);
  return w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int64(p.timestamp);
      if (version === 0) w.int32(p.maxNumOffsets);
    });
  });
}

export function decodeListOffsetsRequest(r: Reader, version: number): ListOffsetsRequest {
  check(version);
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array(
        (r) => ({ partition: r.int32(), timestamp: r.int64(), maxNumOffsets: version === 0 ? r.int32() : 1 }),
        version === 0 ? 16 : 12,
      ),
    }),
    6,
  );
  return { replicaId, isolationLevel, topics };
}

export function encodeListOffsetsResponse(w: Writer, version: number, res: ListOffsetsResponse): Writer {
  check(version);
  if (version >= 2) w.int32(res.throttleTimeMs ?? 0);
  return w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode);
      if (version === 0) {
        const offsets = p.offsets ?? (p.offset !== undefined ? [p.offset] : []);
        w.array(offsets, (w, o) => w.int64(o));
      } else {
        w.int64(p.timestamp ?? -1).int64(p.offset ?? p.offsets?.[0] ?? -1);
      }
    });
  });
}

export function decodeListOffsetsResponse(r: Reader, version: number): ListOffsetsResponse {
  check(version);
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array(
        (r): ListOffsetsPartitionResponse =>
          version === 0
            ? { partition: r.int32(), errorCode: r.int16(), offsets: r.array((r) => r.int64(), 8) }
            : { partition: r.int32(), errorCode: r.int16(), timestamp: r.int64(), offset: r.int64() },
        version === 0 ? 10 : 22,
      ),
    }),
    6,
  );
  return { throttleTimeMs, topics };
}
