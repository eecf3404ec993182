/**
 * LeaderAndIsr (api key 4), version 0: the controller tells a broker which partitions it leads
 * or follows (0.8 design; Kafka 0.8.2 LeaderAndIsrRequest.scala, Protocol.java v0).
 *
 * LeaderAndIsr Request (Version: 0) => controller_id controller_epoch [partition_states] [live_leaders]
 *   controller_id => INT32
 *   controller_epoch => INT32
 *   partition_states => topic partition controller_epoch leader leader_epoch [isr] zk_version [replicas]
 *     topic => STRING
 *     partition => INT32
 *     controller_epoch => INT32
 *     leader => INT32
 *     leader_epoch => INT32
 *     isr => INT32
 *     zk_version => INT32
 *     replicas => INT32
 *   live_leaders => id host port
 *     id => INT32
 *     host => STRING
 *     port => INT32
 *
 * LeaderAndIsr Response (Version: 0) => error_code [partitions]
 *   error_code => INT16
 *   partitions => topic partition error_code
 *     topic => STRING
 *     partition => INT32
 *     error_code => INT16
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const LEADER_AND_ISR_MIN_VERSION = 0;
export const LEADER_AND_ISR_MAX_VERSION = 0;

/** One partition's state as the controller sends it (LeaderAndIsr and UpdateMetadata v0). */
export interface PartitionState {
  topic: string;
  partition: number;
  controllerEpoch: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  zkVersion: number;
  replicas: number[];
}
/** A broker endpoint as the controller sends it (LeaderAndIsr and UpdateMetadata v0). */
export interface BrokerEndpoint {
  id: number;
  host: string;
  port: number;
}
export interface LeaderAndIsrRequest {
  controllerId: number;
  controllerEpoch: number;
  partitionStates: PartitionState[];
  liveLeaders: BrokerEndpoint[];
}
export interface PartitionError {
  topic: string;
  partition: number;
  errorCode: number;
}
export interface LeaderAndIsrResponse {
  errorCode: number;
  partitions: PartitionError[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.LeaderAndIsr, v, LEADER_AND_ISR_MIN_VERSION, LEADER_AND_ISR_MAX_VERSION);

/** topic(2) partition epoch leader leader_epoch(16) isr(4) zk_version(4) replicas(4). */
export const PARTITION_STATE_MIN_SIZE = 30;

export function writePartitionState(w: Writer, s: PartitionState): void {
  w.string(s.topic).int32(s.partition).int32(s.controllerEpoch).int32(s.leader).int32(s.leaderEpoch);
  w.array(s.isr, (w, id) => w.int32(id));
  w.int32(s.zkVersion);
  w.array(s.replicas, (w, id) => w.int32(id));
}

export function readPartitionState(r: Reader): PartitionState {
  return {
    topic: r.requiredString(),
    partition: r.int32(),
    controllerEpoch: r.int32(),
    leader: r.int32(),
    leaderEpoch: r.int32(),
    isr: r.array((r) => r.int32(), 4),
    zkVersion: r.int32(),
    replicas: r.array((r) => r.int32(), 4),
  };
}

export function writeBrokerEndpoint(w: Writer, b: BrokerEndpoint): void {
  w.int32(b.id).string(b.host).int32(b.port);
}

export function readBrokerEndpoint(r: Reader): BrokerEndpoint {
  return { id: r.int32(), host: r.requiredString(), port: r.int32() };
}

export function writePartitionErrors(w: Writer, partitions: readonly PartitionError[]): void {
  w.array(partitions, (w, p) => w.string(p.topic).int32(p.partition).int16(p.errorCode));
}

export function readPartitionErrors(r: Reader): PartitionError[] {
  return r.array((r) => ({ topic: r.requiredString(), partition: r.int32(), errorCode: r.int16() }), 8);
}

export function encodeLeaderAndIsrRequest(w: Writer, version: number, req: LeaderAndIsrRequest): Writer {
  check(version);
  w.int32(req.controllerId).int32(req.controllerEpoch);
  w.array(req.partitionStates, writePartitionState);
  return w.array(req.liveLeaders, writeBrokerEndpoint);
}

export function decodeLeaderAndIsrRequest(r: Reader, version: number): LeaderAndIsrRequest {
  check(version);
  const controllerId = r.int32();
  const controllerEpoch = r.int32();
  const partitionStates = r.array(readPartitionState, PARTITION_STATE_MIN_SIZE);
  const liveLeaders = r.array(readBrokerEndpoint, 10);
  return { controllerId, controllerEpoch, partitionStates, liveLeaders };
}

export function encodeLeaderAndIsrResponse(w: Writer, version: number, res: LeaderAndIsrResponse): Writer {
  check(version);
  w.int16(res.errorCode);
  writePartitionErrors(w, res.partitions);
  return w;
}

export function decodeLeaderAndIsrResponse(r: Reader, version: number): LeaderAndIsrResponse {
  check(version);
  const errorCode = r.int16();
  return { errorCode, partitions: readPartitionErrors(r) };
}
