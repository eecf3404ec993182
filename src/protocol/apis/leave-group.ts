/**
 * LeaveGroup (api key 13), versions 0-1: a member leaves its group (on close), so the
 * coordinator rebalances at once instead of waiting for the session timeout.
 *
 * LeaveGroup Request (Version: 0-1) => group_id member_id
 *   group_id => STRING
 *   member_id => STRING
 *
 * LeaveGroup Response (Version: 0) => error_code
 *   error_code => INT16
 * LeaveGroup Response (Version: 1) => throttle_time_ms error_code
 *   throttle_time_ms => INT32
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const LEAVE_GROUP_MIN_VERSION = 0;
export const LEAVE_GROUP_MAX_VERSION = 1;

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
}
export interface LeaveGroupResponse {
  /** v1+; v0 decodes as 0. */
  throttleTimeMs: number;
  errorCode: number;
}

const check = (v: number): void => checkVersion(ApiKey.LeaveGroup, v, LEAVE_GROUP_MIN_VERSION, LEAVE_GROUP_MAX_VERSION);

export function encodeLeaveGroupRequest(w: Writer, version: number, req: LeaveGroupRequest): Writer {
  check(version);
  return w.string(req.groupId).string(req.memberId);
}

export function decodeLeaveGroupRequest(r: Reader, version: number): LeaveGroupRequest {
  check(version);
  return { groupId: r.requiredString(), memberId: r.requiredString() };
}

export function encodeLeaveGroupResponse(w: Writer, version: number, res: LeaveGroupResponse): Writer {
  check(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  return w.int16(res.errorCode);
}

export function decodeLeaveGroupResponse(r: Reader, version: number): LeaveGroupResponse {
  check(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, errorCode: r.int16() };
}
