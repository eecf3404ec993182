/**
 * OffsetCommit (api key 8), versions 0-3.
 *
 * OffsetCommit Request (Version: 0) => group_id [topics]
 *   group_id => STRING
 *   topics => topic [partitions]
 *     topic => STRING
 *     partitions => partition offset metadata
 *       partition => INT32
 *       offset => INT64
 *       metadata => NULLABLE_STRING
 * OffsetCommit Request (Version: 1) => group_id generation_id member_id [topics]
 *   generation_id => INT32 (-1 for a commit outside any group generation)
 *   member_id => STRING
 *   topics => topic [partitions]
 *     partitions => partition offset timestamp metadata
 *       timestamp => INT64 (-1: the broker uses its current time)
 * OffsetCommit Request (Version: 2-3) => group_id generation_id member_id retention_time_ms [topics]
 *   retention_time_ms => INT64 (-1: the broker's offsets.retention.minutes)
 *   topics => topic [partitions]
 *     partitions => partition offset metadata (no timestamp)
 *
 * OffsetCommit Response (Version: 0-2) => [responses]
 *   responses => topic [partition_responses]
 *     topic => STRING
 *     partition_responses => partition error_code
 *       partition => INT32
 *       error_code => INT16
 * OffsetCommit Response (Version: 3) => throttle_time_ms [responses]
 *   throttle_time_ms => INT32
 *
 * As in 0.8.2, v0 commits go to ZooKeeper (/consumers/<group>/offsets/<topic>/<partition>) and
 * v1+ commits to the broker's offset storage; the wire format is all this module knows.
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const OFFSET_COMMIT_MIN_VERSION = 0;
export const OFFSET_COMMIT_MAX_VERSION = 3;

export interface OffsetCommitPartitionRequest {
  partition: number;
  offset: number;
  /** v1 only; v0 and v2+ decode as -1 (and v2+ do not write it). */
  timestamp: number;
  metadata: string | null;
}
export interface OffsetCommitTopicRequest {
  topic: string;
  partitions: OffsetCommitPartitionRequest[];
}
export interface OffsetCommitRequest {
  groupId: string;
  /** v1+; v0 decodes as -1. */
  generationId: number;
  /** v1+; v0 decodes as ''. */
  memberId: string;
  /** v2+; v0-1 decode as -1 (the broker's default retention). Absent: -1. */
  retentionTimeMs?: number;
  topics: OffsetCommitTopicRequest[];
}

export interface OffsetCommitPartitionResponse {
  partition: number;
  errorCode: number;
}
export interface OffsetCommitTopicResponse {
  topic: string;
  partitions: OffsetCommitPartitionResponse[];
}
export interface OffsetCommitResponse {
  /** v3+; v0-2 decode as 0. Absent: 0. */
  throttleTimeMs?: number;
  topics: OffsetCommitTopicResponse[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.OffsetCommit, v, OFFSET_COMMIT_MIN_VERSION, OFFSET_COMMIT_MAX_VERSION);

export function encodeOffsetCommitRequest(w: Writer, version: number, req: OffsetCommitRequest): Writer {
  check(version);
  w.string(req.groupId);
  if (version >= 1) w.int32(req.generationId).string(req.memberId);
  if (version >= 2) w.int64(req.retentionTimeMs ?? -1);
  return w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int64(p.offset);
      if (version === 1) w.int64(p.timestamp);
      w.string(p.metadata);
    });
  });
}

export function decodeOffsetCommitRequest(r: Reader, version: number): OffsetCommitRequest {
  check(version);
  const groupId = r.requiredString();
  const generationId = version >= 1 ? r.int32() : -1;
  const memberId = version >= 1 ? r.requiredString() : '';
  const retentionTimeMs = version >= 2 ? r.int64() : -1;
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array(
        (r) => ({
          partition: r.int32(),
          offset: r.int64(),
          timestamp: version === 1 ? r.int64() : -1,
          metadata: r.string(),
        }),
        version === 1 ? 22 : 14,
      ),
    }),
    6,
  );
  return { groupId, generationId, memberId, retentionTimeMs, topics };
}

export function encodeOffsetCommitResponse(w: Writer, version: number, res: OffsetCommitResponse): Writer {
  check(version);
  if (version >= 3) w.int32(res.throttleTimeMs ?? 0);
  return w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p.partition).int16(p.errorCode));
  });
}

export function decodeOffsetCommitResponse(r: Reader, version: number): OffsetCommitResponse {
  check(version);
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array((r) => ({ partition: r.int32(), errorCode: r.int16() }), 6),
    }),
    6,
  );
  return { throttleTimeMs, topics };
}
