/**
 * StopReplica (api key 5), version 0: the controller tells a broker to stop fetching (and, with
 * delete_partitions, to delete) replicas (0.8 design; Protocol.java v0).
 *
 * StopReplica Request (Version: 0) => controller_id controller_epoch delete_partitions [partitions]
 *   controller_id => INT32
 *   controller_epoch => INT32
 *   delete_partitions => BOOLEAN
 *   partitions => topic partition
 *     topic => STRING
 *     partition => INT32
 *
 * StopReplica Response (Version: 0) => error_code [partitions]
 *   error_code => INT16
 *   partitions => topic partition error_code
 *     topic => STRING
 *     partition => INT32
 *     error_code => INT16
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { readPartitionErrors, writePartitionErrors, type PartitionError } from './leader-and-isr.js';

export const STOP_REPLICA_MIN_VERSION = 0;
export const STOP_REPLICA_MAX_VERSION = 0;

export interface TopicPartition {
  topic: string;
  partition: number;
}
export interface StopReplicaRequest {
  controllerId: number;
  controllerEpoch: number;
  deletePartitions: boolean;
  partitions: TopicPartition[];
}
export interface StopReplicaResponse {
  errorCode: number;
  partitions: PartitionError[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.StopReplica, v, STOP_REPLICA_MIN_VERSION, STOP_REPLICA_MAX_VERSION);

export function encodeStopReplicaRequest(w: Writer, version: number, req: StopReplicaRequest): Writer {
  check(version);
  w.int32(req.controllerId).int32(req.controllerEpoch).bool(req.deletePartitions);
  return w.array(req.partitions, (w, p) => w.string(p.topic).int32(p.partition));
}

export function decodeStopReplicaRequest(r: Reader, version: number): StopReplicaRequest {
  check(version);
  const controllerId = r.int32();
  const controllerEpoch = r.int32();
  const deletePartitions = r.bool();
  const partitions = r.array((r) => ({ topic: r.requiredString(), partition: r.int32() }), 6);
  return { controllerId, controllerEpoch, deletePartitions, partitions };
}

export function encodeStopReplicaResponse(w: Writer, version: number, res: StopReplicaResponse): Writer {
  check(version);
  w.int16(res.errorCode);
  writePartitionErrors(w, res.partitions);
  return w;
}

export function decodeStopReplicaResponse(r: Reader, version: number): StopReplicaResponse {
  check(version);
  const errorCode = r.int16();
  return { errorCode, partitions: readPartitionErrors(r) };
}
