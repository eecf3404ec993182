/**
 * SyncGroup (api key 14), versions 0-1: after JoinGroup, the leader sends the assignment it
 * computed for every member, the others send none; each member gets its own assignment back
 * once the leader's has arrived.
 *
 * SyncGroup Request (Version: 0-1) => group_id generation_id member_id [assignments]
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 *   assignments => member_id assignment (the leader's; empty from the other members)
 *     member_id => STRING
 *     assignment => BYTES (for 'consumer': a ConsumerProtocolAssignment, see consumer-protocol.ts)
 *
 * SyncGroup Response (Version: 0) => error_code assignment
 *   error_code => INT16
 *   assignment => BYTES (this member's; empty with an error, or when the leader gave it none)
 * SyncGroup Response (Version: 1) => throttle_time_ms error_code assignment
 *   throttle_time_ms => INT32
 *
 * BYTES fields are not nullable (a -1 length is corrupt). Decoders copy them out of the input.
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const SYNC_GROUP_MIN_VERSION = 0;
export const SYNC_GROUP_MAX_VERSION = 1;

export interface SyncGroupAssignment {
  memberId: string;
  assignment: Buffer;
}
export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** The leader's assignment for every member; empty from the other members. */
  assignments: SyncGroupAssignment[];
}

export interface SyncGroupResponse {
  /** v1+; v0 decodes as 0. */
  throttleTimeMs: number;
  errorCode: number;
  /** This member's assignment; empty with an error. */
  assignment: Buffer;
}

const check = (v: number): void => checkVersion(ApiKey.SyncGroup, v, SYNC_GROUP_MIN_VERSION, SYNC_GROUP_MAX_VERSION);

export function encodeSyncGroupRequest(w: Writer, version: number, req: SyncGroupRequest): Writer {
  check(version);
  w.string(req.groupId).int32(req.generationId).string(req.memberId);
  return w.array(req.assignments, (w, a) => w.string(a.memberId).bytes(a.assignment));
}

export function decodeSyncGroupRequest(r: Reader, version: number): SyncGroupRequest {
  check(version);
  const groupId = r.requiredString();
  const generationId = r.int32();
  const memberId = r.requiredString();
  const assignments = r.array((r) => ({ memberId: r.requiredString(), assignment: Buffer.from(r.requiredBytes()) }), 6);
  return { groupId, generationId, memberId, assignments };
}

export function encodeSyncGroupResponse(w: Writer, version: number, res: SyncGroupResponse): Writer {
  check(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  return w.int16(res.errorCode).bytes(res.assignment);
}

export function decodeSyncGroupResponse(r: Reader, version: number): SyncGroupResponse {
  check(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, errorCode: r.int16(), assignment: Buffer.from(r.requiredBytes()) };
}
