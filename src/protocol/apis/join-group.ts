/**
 * JoinGroup (api key 11), versions 0-2: a member asks the group coordinator to join (or rejoin)
 * a group. The coordinator answers once the group has settled: every member learns the
 * generation and the chosen protocol, and the leader also gets every member's metadata (from
 * which it computes the assignment it sends in SyncGroup).
 *
 * JoinGroup Request (Version: 0) => group_id session_timeout_ms member_id protocol_type [protocols]
 *   group_id => STRING
 *   session_timeout_ms => INT32
 *   member_id => STRING ('' on the first join)
 *   protocol_type => STRING ('consumer' for Kafka consumers)
 *   protocols => name metadata
 *     name => STRING (an assignor: 'range', 'roundrobin', ...)
 *     metadata => BYTES (for 'consumer': a ConsumerProtocolSubscription, see consumer-protocol.ts)
 * JoinGroup Request (Version: 1-2) => group_id session_timeout_ms rebalance_timeout_ms member_id protocol_type [protocols]
 *   rebalance_timeout_ms => INT32
 *
 * JoinGroup Response (Version: 0-1) => error_code generation_id protocol_name leader member_id [members]
 *   error_code => INT16
 *   generation_id => INT32 (-1 with an error)
 *   protocol_name => STRING ('' with an error)
 *   leader => STRING (the leader's member id)
 *   member_id => STRING (this member's id)
 *   members => member_id metadata (every member for the leader, empty for the others)
 *     member_id => STRING
 *     metadata => BYTES
 * JoinGroup Response (Version: 2) => throttle_time_ms error_code generation_id protocol_name leader member_id [members]
 *   throttle_time_ms => INT32
 *
 * BYTES fields are not nullable (a -1 length is corrupt). Decoders copy them out of the input
 * buffer, so a coordinator can keep them for the group's lifetime.
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const JOIN_GROUP_MIN_VERSION = 0;
export const JOIN_GROUP_MAX_VERSION = 2;

export interface JoinGroupProtocol {
  name: string;
  metadata: Buffer;
}
export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** v1+; v0 decodes as sessionTimeoutMs (what Kafka does for v0). */
  rebalanceTimeoutMs: number;
  /** '' on a member's first join. */
  memberId: string;
  protocolType: string;
  protocols: JoinGroupProtocol[];
}

export interface JoinGroupMember {
  memberId: string;
  metadata: Buffer;
}
export interface JoinGroupResponse {
  /** v2+; v0-1 decode as 0. */
  throttleTimeMs: number;
  errorCode: number;
  /** -1 with an error. */
  generationId: number;
  /** The chosen protocol (assignor); '' with an error. */
  protocolName: string;
  /** The leader's member id. */
  leader: string;
  memberId: string;
  /** Every member and its metadata for the leader; empty for the other members. */
  members: JoinGroupMember[];
}

const check = (v: number): void => checkVersion(ApiKey.JoinGroup, v, JOIN_GROUP_MIN_VERSION, JOIN_GROUP_MAX_VERSION);

export function encodeJoinGroupRequest(w: Writer, version: number, req: JoinGroupRequest): Writer {
  check(version);
  w.string(req.groupId).int32(req.sessionTimeoutMs);
  if (version >= 1) w.int32(req.rebalanceTimeoutMs);
  w.string(req.memberId).string(req.protocolType);
  return w.array(req.protocols, (w, p) => w.string(p.name).bytes(p.metadata));
}

export function decodeJoinGroupRequest(r: Reader, version: number): JoinGroupRequest {
  check(version);
  const groupId = r.requiredString();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.requiredString();
  const protocolType = r.requiredString();
  const protocols = r.array((r) => ({ name: r.requiredString(), metadata: Buffer.from(r.requiredBytes()) }), 6);
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, protocolType, protocols };
}

export function encodeJoinGroupResponse(w: Writer, version: number, res: JoinGroupResponse): Writer {
  check(version);
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId);
  return w.array(res.members, (w, m) => w.string(m.memberId).bytes(m.metadata));
}

export function decodeJoinGroupResponse(r: Reader, version: number): JoinGroupResponse {
  check(version);
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.requiredString();
  const leader = r.requiredString();
  const memberId = r.requiredString();
  const members = r.array((r) => ({ memberId: r.requiredString(), metadata: Buffer.from(r.requiredBytes()) }), 6);
  return { throttleTimeMs, errorCode, generationId, protocolName, leader, memberId, members };
}
