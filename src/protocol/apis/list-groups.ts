/**
 * ListGroups (api key 16), versions 0-1: the groups this broker coordinates.
 *
 * ListGroups Request (Version: 0-1) => (empty body)
 *
 * ListGroups Response (Version: 0) => error_code [groups]
 *   error_code => INT16
 *   groups => group_id protocol_type
 *     group_id => STRING
 *     protocol_type => STRING ('consumer', or '' for a group that only commits offsets)
 * ListGroups Response (Version: 1) => throttle_time_ms error_code [groups]
 *   throttle_time_ms => INT32
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const LIST_GROUPS_MIN_VERSION = 0;
export const LIST_GROUPS_MAX_VERSION = 1;

export type ListGroupsRequest = Record<string, never>;

export interface ListGroupsGroup {
  groupId: string;
  protocolType: string;
}
export interface ListGroupsResponse {
  /** v1+; v0 decodes as 0. */
  throttleTimeMs: number;
  errorCode: number;
  groups: ListGroupsGroup[];
}

const check = (v: number): void => checkVersion(ApiKey.ListGroups, v, LIST_GROUPS_MIN_VERSION, LIST_GROUPS_MAX_VERSION);

export function encodeListGroupsRequest(w: Writer, version: number, _req: ListGroupsRequest = {}): Writer {
  check(version);
  return w;
}

export function decodeListGroupsRequest(_r: Reader, version: number): ListGroupsRequest {
  check(version);
  return {};
}

export function encodeListGroupsResponse(w: Writer, version: number, res: ListGroupsResponse): Writer {
  check(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
  return w.array(res.groups, (w, g) => w.string(g.groupId).string(g.protocolType));
}

export function decodeListGroupsResponse(r: Reader, version: number): ListGroupsResponse {
  check(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const groups = r.array((r) => ({ groupId: r.requiredString(), protocolType: r.requiredString() }), 4);
  return { throttleTimeMs, errorCode, groups };
}
