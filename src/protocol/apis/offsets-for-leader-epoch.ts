/**
 * OffsetsForLeaderEpoch (api key 23), versions 0-1 (KIP-101, KIP-279): a follower asks the leader where a
 * leader epoch ended, so it can truncate its log to exactly what the leader has instead of
 * blindly to its high watermark (which loses committed data across two quick failovers).
 *
 * OffsetsForLeaderEpoch Request (Version: 0) => [topics]
 *   topics => topic [partitions]
 *     topic => STRING
 *     partitions => partition leader_epoch
 *       partition => INT32
 *       leader_epoch => INT32
 *
 * OffsetsForLeaderEpoch Response (Version: 0) => [topics]
 *   topics => topic [partitions]
 *     topic => STRING
 *     partitions => error_code partition end_offset
 *       error_code => INT16
 *       partition => INT32
 *       end_offset => INT64   (-1 with an error, or when the epoch is unknown)
 * OffsetsForLeaderEpoch Response (Version: 1) adds leader_epoch INT32 before end_offset: the
 *   largest epoch the leader has at or below the one asked, which end_offset ends (KIP-279). A
 *   follower truncates to the smaller of end_offset and its own end of that epoch.
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const OFFSETS_FOR_LEADER_EPOCH_MIN_VERSION = 0;
export const OFFSETS_FOR_LEADER_EPOCH_MAX_VERSION = 1;

export interface OffsetsForLeaderEpochRequest {
  topics: { topic: string; partitions: { partition: number; leaderEpoch: number }[] }[];
}
export interface OffsetsForLeaderEpochResponse {
  /** leaderEpoch: v1 only (-1 when decoding v0). */
  topics: { topic: string; partitions: { errorCode: number; partition: number; leaderEpoch?: number; endOffset: number }[] }[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.OffsetsForLeaderEpoch, v, OFFSETS_FOR_LEADER_EPOCH_MIN_VERSION, OFFSETS_FOR_LEADER_EPOCH_MAX_VERSION);

export function encodeOffsetsForLeaderEpochRequest(w: Writer, version: number, req: OffsetsForLeaderEpochRequest): Writer {
  check(version);
  return w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p.partition).int32(p.leaderEpoch));
  });
}

export function decodeOffsetsForLeaderEpochRequest(r: Reader, version: number): OffsetsForLeaderEpochRequest {
  check(version);
  const topics = r.array((r) => ({ topic: r.requiredString(), partitions: r.array((r) => ({ partition: r.int32(), leaderEpoch: r.int32() }), 8) }), 6);
  return { topics };
}

export function encodeOffsetsForLeaderEpochResponse(w: Writer, version: number, res: OffsetsForLeaderEpochResponse): Writer {
  check(version);
  return w.array(res.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int16(p.errorCode).int32(p.partition);
      if (version >= 1) w.int32(p.leaderEpoch ?? -1);
      w.int64(p.endOffset);
    });
  });
}

export function decodeOffsetsForLeaderEpochResponse(r: Reader, version: number): OffsetsForLeaderEpochResponse {
  check(version);
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      partitions: r.array((r) => {
        const errorCode = r.int16();
        const partition = r.int32();
        const leaderEpoch = version >= 1 ? r.int32() : -1;
        return { errorCode, partition, leaderEpoch, endOffset: r.int64() };
      }, 14),
    }),
    6,
  );
  return { topics };
}
