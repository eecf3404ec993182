/**
 * FindCoordinator (api key 10; ConsumerMetadata in 0.8.2, GroupCoordinator in 0.9), version 0.
 *
 * FindCoordinator Request (Version: 0) => group_id
 *   group_id => STRING
 *
 * FindCoordinator Response (Version: 0) => error_code coordinator
 *   error_code => INT16
 *   coordinator => node_id host port
 *     node_id => INT32
 *     host => STRING
 *     port => INT32
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const FIND_COORDINATOR_MIN_VERSION = 0;
export const FIND_COORDINATOR_MAX_VERSION = 0;

export interface FindCoordinatorRequest {
  groupId: string;
}
export interface FindCoordinatorResponse {
  errorCode: number;
  /** -1 with host '' and port -1 when there is no coordinator (with an error code). */
  nodeId: number;
  host: string;
  port: number;
}

const check = (v: number): void =>
  checkVersion(ApiKey.FindCoordinator, v, FIND_COORDINATOR_MIN_VERSION, FIND_COORDINATOR_MAX_VERSION);

export function encodeFindCoordinatorRequest(w: Writer, version: number, req: FindCoordinatorRequest): Writer {
  check(version);
  return w.string(req.groupId);
}

export function decodeFindCoordinatorRequest(r: Reader, version: number): FindCoordinatorRequest {
  check(version);
  return { groupId: r.requiredString() };
}

export function encodeFindCoordinatorResponse(w: Writer, version: number, res: FindCoordinatorResponse): Writer {
  check(version);
  return w.int16(res.errorCode).int32(res.nodeId).string(res.host).int32(res.port);
}

export function decodeFindCoordinatorResponse(r: Reader, version: number): FindCoordinatorResponse {
  check(version);
  return { errorCode: r.int16(), nodeId: r.int32(), host: r.requiredString(), port: r.int32() };
}
