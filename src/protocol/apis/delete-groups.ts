/**
 * DeleteGroups (api key 42), versions 0-1 (Kafka 1.1 / 2.0): removes groups that have no
 * members, with their committed offsets.
 *
 * DeleteGroups Request (Version: 0-1) => [groups_names]
 *   groups_names => STRING
 *
 * DeleteGroups Response (Version: 0-1) => throttle_time_ms [results]
 *   throttle_time_ms => INT32
 *   results => group_id error_code
 *     group_id => STRING
 *     error_code => INT16 (NONE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, NOT_COORDINATOR,
 *                          COORDINATOR_LOAD_IN_PROGRESS, INVALID_GROUP_ID, ...)
 *
 * The two versions share a layout; v1 only changes when a broker applies the throttle.
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const DELETE_GROUPS_MIN_VERSION = 0;
export const DELETE_GROUPS_MAX_VERSION = 1;

export interface DeleteGroupsRequest {
  groups: string[];
}
export interface DeleteGroupsResult {
  groupId: string;
  errorCode: number;
}
export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: DeleteGroupsResult[];
}

const check = (v: number): void => checkVersion(ApiKey.DeleteGroups, v, DELETE_GROUPS_MIN_VERSION, DELETE_GROUPS_MAX_VERSION);

export function encodeDeleteGroupsRequest(w: Writer, version: number, req: DeleteGroupsRequest): Writer {
  check(version);
  return w.array(req.groups, (w, g) => w.string(g));
}

export function decodeDeleteGroupsRequest(r: Reader, version: number): DeleteGroupsRequest {
  check(version);
  return { groups: r.array((r) => r.requiredString(), 2) };
}

export function encodeDeleteGroupsResponse(w: Writer, version: number, res: DeleteGroupsResponse): Writer {
  check(version);
  w.int32(res.throttleTimeMs);
  return w.array(res.results, (w, g) => w.string(g.groupId).int16(g.errorCode));
}

export function decodeDeleteGroupsResponse(r: Reader, version: number): DeleteGroupsResponse {
  check(version);
  const throttleTimeMs = r.int32();
  const results = r.array((r) => ({ groupId: r.requiredString(), errorCode: r.int16() }), 4);
  return { throttleTimeMs, results };
}
