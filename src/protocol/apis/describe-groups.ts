/**
 * DescribeGroups (api key 15), versions 0-1: the state, protocol and members of groups.
 *
 * DescribeGroups Request (Version: 0-1) => [groups]
 *   groups => STRING
 *
 * DescribeGroups Response (Version: 0) => [groups]
 *   groups => error_code group_id group_state protocol_type protocol_data [members]
 *     error_code => INT16
 *     group_id => STRING
 *     group_state => STRING ('Dead', 'Empty', 'PreparingRebalance', 'CompletingRebalance'
 *                            ('AwaitingSync' before Kafka 2.0), 'Stable')
 *     protocol_type => STRING ('consumer', or '' for a group without members)
 *     protocol_data => STRING (the chosen protocol (assignor) when Stable, else '')
 *     members => member_id client_id client_host member_metadata member_assignment
 *       member_id => STRING
 *       client_id => STRING
 *       client_host => STRING
 *       member_metadata => BYTES (empty unless the group is Stable)
 *       member_assignment => BYTES (empty unless the group is Stable)
 * DescribeGroups Response (Version: 1) => throttle_time_ms [groups]
 *   throttle_time_ms => INT32
 *
 * A group the coordinator does not know is answered (by Kafka) with error 0 and state 'Dead'.
 * BYTES fields are not nullable (a -1 length is corrupt). Decoders copy them out of the input.
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const DESCRIBE_GROUPS_MIN_VERSION = 0;
export const DESCRIBE_GROUPS_MAX_VERSION = 1;

export interface DescribeGroupsRequest {
  groups: string[];
}

export interface DescribeGroupsMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** The member's JoinGroup metadata for the chosen protocol; empty unless Stable. */
  memberMetadata: Buffer;
  /** The member's SyncGroup assignment; empty unless Stable. */
  memberAssignment: Buffer;
}
export interface DescribeGroupsGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  /** The chosen protocol (assignor) when Stable, else ''. */
  protocolData: string;
  members: DescribeGroupsMember[];
}
export interface DescribeGroupsResponse {
  /** v1+; v0 decodes as 0. */
  throttleTimeMs: number;
  groups: DescribeGroupsGroup[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.DescribeGroups, v, DESCRIBE_GROUPS_MIN_VERSION, DESCRIBE_GROUPS_MAX_VERSION);

export function encodeDescribeGroupsRequest(w: Writer, version: number, req: DescribeGroupsRequest): Writer {
  check(version);
  return w.array(req.groups, (w, g) => w.string(g));
}

export function decodeDescribeGroupsRequest(r: Reader, version: number): DescribeGroupsRequest {
  check(version);
  return { groups: r.array((r) => r.requiredString(), 2) };
}

export function encodeDescribeGroupsResponse(w: Writer, version: number, res: DescribeGroupsResponse): Writer {
  check(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  return w.array(res.groups, (w, g) => {
    w.int16(g.errorCode).string(g.groupId).string(g.groupState).string(g.protocolType).string(g.protocolData);
    w.array(g.members, (w, m) => {
      w.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.memberMetadata).bytes(m.memberAssignment);
    });
  });
}

export function decodeDescribeGroupsResponse(r: Reader, version: number): DescribeGroupsResponse {
  check(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const groups = r.array(
    (r) => ({
      errorCode: r.int16(),
      groupId: r.requiredString(),
      groupState: r.requiredString(),
      protocolType: r.requiredString(),
      protocolData: r.requiredString(),
      members: r.array(
        (r) => ({
          memberId: r.requiredString(),
          clientId: r.requiredString(),
          clientHost: r.requiredString(),
          memberMetadata: Buffer.from(r.requiredBytes()),
          memberAssignment: Buffer.from(r.requiredBytes()),
        }),
        14,
      ),
    }),
    14,
  );
  return { throttleTimeMs, groups };
}
