/**
 * ControlledShutdown (api key 7), version 0: a broker asks the controller to move leadership
 * away before it stops (0.8 design; Protocol.java v0).
 *
 * NOTE: a ControlledShutdown v0 *request header* has no client_id (request header v0:
 * api_key, api_version, correlation_id); header.ts handles that case.
 *
 * ControlledShutdown Request (Version: 0) => broker_id
 *   broker_id => INT32
 *
 * ControlledShutdown Response (Version: 0) => error_code [partitions_remaining]
 *   error_code => INT16
 *   partitions_remaining => topic partition
 *     topic => STRING
 *     partition => INT32
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { TopicPartition } from './stop-replica.js';

export const CONTROLLED_SHUTDOWN_MIN_VERSION = 0;
export const CONTROLLED_SHUTDOWN_MAX_VERSION = 0;

export interface ControlledShutdownRequest {
  brokerId: number;
}
export interface ControlledShutdownResponse {
  errorCode: number;
  partitionsRemaining: TopicPartition[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.ControlledShutdown, v, CONTROLLED_SHUTDOWN_MIN_VERSION, CONTROLLED_SHUTDOWN_MAX_VERSION);

export function encodeControlledShutdownRequest(w: Writer, version: number, req: ControlledShutdownRequest): Writer {
  check(version);
  return w.int32(req.brokerId);
}

export function decodeControlledShutdownRequest(r: Reader, version: number): ControlledShutdownRequest {
  check(version);
  return { brokerId: r.int32() };
}

export function encodeControlledShutdownResponse(w: Writer, version: number, res: ControlledShutdownResponse): Writer {
  check(version);
  w.int16(res.errorCode);
  return w.array(res.partitionsRemaining, (w, p) => w.string(p.topic).int32(p.partition));
}

export function decodeControlledShutdownResponse(r: Reader, version: number): ControlledShutdownResponse {
  check(version);
  const errorCode = r.int16();
  const partitionsRemaining = r.array((r) => ({ topic: r.requiredString(), partition: r.int32() }), 6);
  return { errorCode, partitionsRemaining };
}
