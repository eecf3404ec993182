/**
 * CreateTopics (api key 19), version 0.
 *
 * CreateTopics Request (Version: 0) => [create_topic_requests] timeout
 *   create_topic_requests => topic num_partitions replication_factor [replica_assignment] [config_entries]
 *     topic => STRING
 *     num_partitions => INT32 (-1 when replica_assignment is given)
 *     replication_factor => INT16 (-1 when replica_assignment is given)
 *     replica_assignment => partition [replicas]
 *       partition => INT32
 *       replicas => INT32
 *     config_entries => config_name config_value
 *       config_name => STRING
 *       config_value => NULLABLE_STRING
 *   timeout => INT32
 *
 * CreateTopics Response (Version: 0) => [topic_errors]
 *   topic_errors => topic error_code
 *     topic => STRING
 *     error_code => INT16
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const CREATE_TOPICS_MIN_VERSION = 0;
export const CREATE_TOPICS_MAX_VERSION = 0;

export interface ReplicaAssignment {
  partition: number;
  replicas: number[];
}
export interface TopicConfigEntry {
  name: string;
  value: string | null;
}
export interface CreatableTopic {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  replicaAssignment: ReplicaAssignment[];
  configs: TopicConfigEntry[];
}
export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
}

export interface CreateTopicsTopicResult {
  topic: string;
  errorCode: number;
}
export interface CreateTopicsResponse {
  topics: CreateTopicsTopicResult[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.CreateTopics, v, CREATE_TOPICS_MIN_VERSION, CREATE_TOPICS_MAX_VERSION);

export function encodeCreateTopicsRequest(w: Writer, version: number, req: CreateTopicsRequest): Writer {
  check(version);
  w.array(req.topics, (w, t) => {
    w.string(t.topic).int32(t.numPartitions).int16(t.replicationFactor);
    w.array(t.replicaAssignment, (w, a) => {
      w.int32(a.partition);
      w.array(a.replicas, (w, id) => w.int32(id));
    });
    w.array(t.configs, (w, c) => w.string(c.name).string(c.value));
  });
  return w.int32(req.timeoutMs);
}

export function decodeCreateTopicsRequest(r: Reader, version: number): CreateTopicsRequest {
  check(version);
  const topics = r.array(
    (r) => ({
      topic: r.requiredString(),
      numPartitions: r.int32(),
      replicationFactor: r.int16(),
      replicaAssignment: r.array((r) => ({ partition: r.int32(), replicas: r.array((r) => r.int32(), 4) }), 8),
      configs: r.array((r) => ({ name: r.requiredString(), value: r.string() }), 4),
    }),
    16,
  );
  const timeoutMs = r.int32();
  return { topics, timeoutMs };
}

export function encodeCreateTopicsResponse(w: Writer, version: number, res: CreateTopicsResponse): Writer {
  check(version);
  return w.array(res.topics, (w, t) => w.string(t.topic).int16(t.errorCode));
}

export function decodeCreateTopicsResponse(r: Reader, version: number): CreateTopicsResponse {
  check(version);
  return { topics: r.array((r) => ({ topic: r.requiredString(), errorCode: r.int16() }), 4) };
}
