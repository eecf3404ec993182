/**
 * Heartbeat (api key 12), versions 0-1: a member tells the coordinator it is alive; the error
 * code says when the group is rebalancing (REBALANCE_IN_PROGRESS: rejoin) or the member was
 * dropped (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION).
 *
 * Heartbeat Request (Version: 0-1) => group_id generation_id member_id
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 *
 * Heartbeat Response (Version: 0) => error_code
 *   error_code => INT16
 * Heartbeat Response (Version: 1) => throttle_time_ms error_code
 *   throttle_time_ms => INT32
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const HEARTBEAT_MIN_VERSION = 0;
export const HEARTBEAT_MAX_VERSION = 1;

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
}
export interface HeartbeatResponse {
  /** v1+; v0 decodes as 0. */
  throttleTimeMs: number;
  errorCode: number;
}

const check = (v: number): void => checkVersion(ApiKey.Heartbeat, v, HEARTBEAT_MIN_VERSION, HEARTBEAT_MAX_VERSION);

export function encodeHeartbeatRequest(w: Writer, version: number, req: HeartbeatRequest): Writer {
  check(version);
  return w.string(req.groupId).int32(req.generationId).string(req.memberId);
}

export function decodeHeartbeatRequest(r: Reader, version: number): HeartbeatRequest {
  check(version);
  return { groupId: r.requiredString(), generationId: r.int32(), memberId: r.requiredString() };
}

export function encodeHeartbeatResponse(w: Writer, version: number, res: HeartbeatResponse): Writer {
  check(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  return w.int16(res.errorCode);
}

export function decodeHeartbeatResponse(r: Reader, version: number): HeartbeatResponse {
  check(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, errorCode: r.int16() };
}
