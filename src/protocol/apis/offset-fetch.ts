/**
 * OffsetFetch (api key 9), versions 0-3.
 *
 * OffsetFetch Request (Version: 0-3) => group_id [topics]
 *   group_id => STRING
 *   topics => topic [partitions] (v2+: a null array (-1) asks for every topic the group committed)
 *     topic => STRING
 *     partitions => partition
 *       partition => INT32
 *
 * OffsetFetch Response (Version: 0-1) => [responses]
 *   responses => topic [partition_responses]
 *     topic => STRING
 *     partition_responses => partition offset metadata error_code
 *       partition => INT32
 *       offset => INT64 (-1 when nothing was committed)
 *       metadata => NULLABLE_STRING
 *       error_code => INT16
 * OffsetFetch Response (Version: 2) => [responses] error_code
 *   error_code => INT16 (a group-level error: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...;
 *                        v0-1 carry it in every partition instead)
 * OffsetFetch Response (Version: 3) => throttle_time_ms [responses] error_code
 *   throttle_time_ms => INT32
 *
 * v0 reads offsets from ZooKeeper, v1+ from the broker's offset storage (0.8.2 semantics).
 */
import { ErrorCode, KafkaError } from '../../common/errors.js';
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const OFFSET_FETCH_MIN_VERSION = 0;
export const OFFSET_FETCH_MAX_VERSION = 3;

export interface OffsetFetchTopicRequest {
  topic: string;
  partitions: number[];
}
export interface OffsetFetchRequest {
  groupId: string;
  /** Empty when allTopics is set. */
  topics: OffsetFetchTopicRequest[];
  /**
   * v2+: every topic the group has offsets for (the topics array is null on the wire). Decodes
   * as false for v0-1 and for a non-null array; encoding v0-1 with it throws UNSUPPORTED_VERSION.
   * Absent: false.
   */
  allTopics?: boolean;
}

export interface OffsetFetchPartitionResponse {
  partition: number;
  offset: number;
  metadata: string | null;
  errorCode: number;
}
export interface OffsetFetchTopicResponse {
  topic: string;
  partitions: OffsetFetchPartitionResponse[];
}
export interface OffsetFetchResponse {
  /** v3+; v0-2 decode as 0. Absent: 0. */
  throttleTimeMs?: number;
  topics: OffsetFetchTopicResponse[];
  /** v2+, the group-level error; v0-1 decode as 0. Absent: 0. */
  errorCode?: number;
}

const check = (v: number): void =>
  checkVersion(ApiKey.OffsetFetch, v, OFFSET_FETCH_MIN_VERSION, OFFSET_FETCH_MAX_VERSION);

export function encodeOffsetFetchRequest(w: Writer, version: number, req: OffsetFetchRequest): Writer {
  check(version);
  w.string(req.groupId);
  if (req.allTopics) {
    if (version < 2) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `OffsetFetch v${version} cannot ask for all topics (v2+)`);
    return w.array(null, () => {});
  }
  return w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p));
  });
}

export function decodeOffsetFetchRequest(r: Reader, version: number): OffsetFetchRequest {
  check(version);
  const groupId = r.requiredString();
  const each = (r: Reader): OffsetFetchTopicRequest => ({ topic: r.requiredString(), partitions: r.array((r) => r.int32(), 4) });
  if (version < 2) return { groupId, topics: r.array(each, 6), allTopics: false };
  const topics = r.nullableArray(each, 6);
  return topics === null ? { groupId, topics: [], allTopics: true } : { groupId, topics, allTopics: false };
}

export function encodeOffsetFetchResponse(w: Writer, version: number, res: OffsetFetchResponse): Writer {
  check(version);
  if (version >= 3) w.int32(res.throttleTimeMs ?? 0);
  w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p.partition).int64(p.offset).string(p.metadata).int16(p.errorCode));
  });
  if (version >= 2) w.int16(res.errorCode ?? ErrorCode.NONE);
  return w;
}

export function decodeOffsetFetchResponse(r: Reader, version: number): OffsetFetchResponse {
  check(version);
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array(
        (r) => ({ partition: r.int32(), offset: r.int64(), metadata: r.string(), errorCode: r.int16() }),
        16,
      ),
    }),
    6,
  );
  const errorCode = version >= 2 ? r.int16() : ErrorCode.NONE;
  return { throttleTimeMs, topics, errorCode };
}
