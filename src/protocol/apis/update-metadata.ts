/**
 * UpdateMetadata (api key 6), version 0: the controller pushes partition states and live brokers
 * to every broker's metadata cache (0.8 design; Protocol.java v0).
 *
 * UpdateMetadata Request (Version: 0) => controller_id controller_epoch [partition_states] [live_brokers]
 *   controller_id => INT32
 *   controller_epoch => INT32
 *   partition_states => topic partition controller_epoch leader leader_epoch [isr] zk_version [replicas]
 *     (as in LeaderAndIsr v0)
 *   live_brokers => id host port
 *     id => INT32
 *     host => STRING
 *     port => INT32
 *
 * UpdateMetadata Response (Version: 0) => error_code
 *   error_code => INT16
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import {
  PARTITION_STATE_MIN_SIZE,
  readBrokerEndpoint,
  readPartitionState,
  writeBrokerEndpoint,
  writePartitionState,
  type BrokerEndpoint,
  type PartitionState,
} from './leader-and-isr.js';

export const UPDATE_METADATA_MIN_VERSION = 0;
export const UPDATE_METADATA_MAX_VERSION = 0;

export interface UpdateMetadataRequest {
  controllerId: number;
  controllerEpoch: number;
  partitionStates: PartitionState[];
  liveBrokers: BrokerEndpoint[];
}
export interface UpdateMetadataResponse {
  errorCode: number;
}

const check = (v: number): void =>
  checkVersion(ApiKey.UpdateMetadata, v, UPDATE_METADATA_MIN_VERSION, UPDATE_METADATA_MAX_VERSION);

export function encodeUpdateMetadataRequest(w: Writer, version: number, req: UpdateMetadataRequest): Writer {
  check(version);
  w.int32(req.controllerId).int32(req.controllerEpoch);
  w.array(req.partitionStates, writePartitionState);
  return w.array(req.liveBrokers, writeBrokerEndpoint);
}

export function decodeUpdateMetadataRequest(r: Reader, version: number): UpdateMetadataRequest {
  check(version);
  const controllerId = r.int32();
  const controllerEpoch = r.int32();
  const partitionStates = r.array(readPartitionState, PARTITION_STATE_MIN_SIZE);
  const liveBrokers = r.array(readBrokerEndpoint, 10);
  return { controllerId, controllerEpoch, partitionStates, liveBrokers };
}

export function encodeUpdateMetadataResponse(w: Writer, version: number, res: UpdateMetadataResponse): Writer {
  check(version);
  return w.int16(res.errorCode);
}

export function decodeUpdateMetadataResponse(r: Reader, version: number): UpdateMetadataResponse {
  check(version);
  return { errorCode: r.int16() };
}
