/**
 * OffsetFetch (api key 9), versions 0-1 (the same wire format).
 *
 * OffsetFetch Request (Version: 0-1) => group_id [topics]
 *   group_id => STRING
 *   topics => topic [partitions]
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
 *
 * v0 reads offsets from ZooKeeper, v1 from the broker's offset storage (0.8.2 semantics).
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const OFFSET_FETCH_MIN_VERSION = 0;
export const OFFSET_FETCH_MAX_VERSION = 1;

export interface OffsetFetchTopicRequest {
  topic: string;
  partitions: number[];
}
export interface OffsetFetchRequest {
  groupId: string;
  topics: OffsetFetchTopicRequest[];
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
  topics: OffsetFetchTopicResponse[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.OffsetFetch, v, OFFSET_FETCH_MIN_VERSION, OFFSET_FETCH_MAX_VERSION);

export function encodeOffsetFetchRequest(w: Writer, version: number, req: OffsetFetchRequest): Writer {
  check(version);
  w.string(req.groupId);
  return w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p));
  });
}

export function decodeOffsetFetchRequest(r: Reader, version: number): OffsetFetchRequest {
  check(version);
  const groupId = r.requiredString();
  const topics = r.array((r) => ({ topic: r.requiredString(), partitions: r.array((r) => r.int32(), 4) }), 6);
  return { groupId, topics };
}

export function encodeOffsetFetchResponse(w: Writer, version: number, res: OffsetFetchResponse): Writer {
  check(version);
  return w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p.partition).int64(p.offset).string(p.metadata).int16(p.errorCode));
  });
}

export function decodeOffsetFetchResponse(r: Reader, version: number): OffsetFetchResponse {
  check(version);
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
  return { topics };
}
