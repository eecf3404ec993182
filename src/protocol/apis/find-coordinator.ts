/**
 * FindCoordinator (api key 10; ConsumerMetadata in 0.8.2, GroupCoordinator in 0.9), versions 0-1.
 *
 * FindCoordinator Request (Version: 0) => group_id
 *   group_id => STRING
 * FindCoordinator Request (Version: 1) => key key_type
 *   key => STRING (the group id, or a transactional id)
 *   key_type => INT8 (0: group, 1: transaction)
 *
 * FindCoordinator Response (Version: 0) => error_code coordinator
 *   error_code => INT16
 *   coordinator => node_id host port
 *     node_id => INT32
 *     host => STRING
 *     port => INT32
 * FindCoordinator Response (Version: 1) => throttle_time_ms error_code error_message node_id host port
 *   throttle_time_ms => INT32
 *   error_message => NULLABLE_STRING
 */
import { ErrorCode, KafkaError } from '../../common/errors.js';
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const FIND_COORDINATOR_MIN_VERSION = 0;
export const FIND_COORDINATOR_MAX_VERSION = 1;

/** FindCoordinator v1 key_type values. */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const;

export interface FindCoordinatorRequest {
  /** The group id; v1+ calls it `key` (a transactional id when keyType is 1). */
  groupId: string;
  /** v1+; v0 decodes as 0 (group), and encoding v0 with 1 throws UNSUPPORTED_VERSION. Absent: 0. */
  keyType?: number;
}
export interface FindCoordinatorResponse {
  /** v1+; v0 decodes as 0. Absent: 0. */
  throttleTimeMs?: number;
  errorCode: number;
  /** v1+; v0 decodes as null. Absent: null. */
  errorMessage?: string | null;
  /** -1 with host '' and port -1 when there is no coordinator (with an error code). */
  nodeId: number;
  host: string;
  port: number;
}

const check = (v: number): void =>
  checkVersion(ApiKey.FindCoordinator, v, FIND_COORDINATOR_MIN_VERSION, FIND_COORDINATOR_MAX_VERSION);

export function encodeFindCoordinatorRequest(w: Writer, version: number, req: FindCoordinatorRequest): Writer {
  check(version);
  const keyType = req.keyType ?? CoordinatorType.GROUP;
  if (version === 0) {
    if (keyType !== CoordinatorType.GROUP) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `FindCoordinator v0 cannot ask for key type ${keyType} (v1+)`);
    }
    return w.string(req.groupId);
  }
  return w.string(req.groupId).int8(keyType);
}

export function decodeFindCoordinatorRequest(r: Reader, version: number): FindCoordinatorRequest {
  check(version);
  const groupId = r.requiredString();
  return { groupId, keyType: version >= 1 ? r.int8() : CoordinatorType.GROUP };
}

export function encodeFindCoordinatorResponse(w: Writer, version: number, res: FindCoordinatorResponse): Writer {
  check(version);
  if (version >= 1) w.int32(res.throttleTimeMs ?? 0);
  w.int16(res.errorCode);
  if (version >= 1) w.string(res.errorMessage ?? null);
  return w.int32(res.nodeId).string(res.host).int32(res.port);
}

export function decodeFindCoordinatorResponse(r: Reader, version: number): FindCoordinatorResponse {
  check(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const errorMessage = version >= 1 ? r.string() : null;
  return { throttleTimeMs, errorCode, errorMessage, nodeId: r.int32(), host: r.requiredString(), port: r.int32() };
}
