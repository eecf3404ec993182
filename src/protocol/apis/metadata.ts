/**
 * Metadata (api key 3; "TopicMetadata" in 0.8), versions 0-5.
 *
 * Metadata Request (Version: 0) => [topics]
 *   topics => STRING            (an empty array asks for every topic)
 * Metadata Request (Version: 1-3) => [topics]
 *   topics => STRING            (a null array (-1) asks for every topic, an empty one for none)
 * Metadata Request (Version: 4-5) => [topics] allow_auto_topic_creation
 *   allow_auto_topic_creation => BOOLEAN
 *
 * Metadata Response (Version: 0) => [brokers] [topic_metadata]
 *   brokers => node_id host port
 *     node_id => INT32
 *     host => STRING
 *     port => INT32
 *   topic_metadata => topic_error_code topic [partition_metadata]
 *     topic_error_code => INT16
 *     topic => STRING
 *     partition_metadata => partition_error_code partition_id leader [replicas] [isr]
 *       partition_error_code => INT16
 *       partition_id => INT32
 *       leader => INT32 (-1 when there is none)
 *       replicas => INT32
 *       isr => INT32
 * Metadata Response (Version: 1) => [brokers] controller_id [topic_metadata]
 *   brokers => node_id host port rack
 *     rack => NULLABLE_STRING
 *   controller_id => INT32
 *   topic_metadata => topic_error_code topic is_internal [partition_metadata]
 *     is_internal => BOOLEAN
 * Metadata Response (Version: 2) => [brokers] cluster_id controller_id [topic_metadata]
 *   cluster_id => NULLABLE_STRING
 * Metadata Response (Version: 3-4) => throttle_time_ms [brokers] cluster_id controller_id [topic_metadata]
 *   throttle_time_ms => INT32
 * Metadata Response (Version: 5) => throttle_time_ms [brokers] cluster_id controller_id [topic_metadata]
 *   topic_metadata => topic_error_code topic is_internal [partition_metadata]
 *     partition_metadata => partition_error_code partition_id leader [replicas] [isr] [offline_replicas]
 *       offline_replicas => INT32 (replicas whose broker is not live)
 *
 * In this codec `topics: null` means "all topics" in every version: v0 encodes it as an empty
 * array, and decoding v0 turns an empty (or null) array into null. v0 cannot ask for no topics.
 * Fields a version does not carry decode as: rack null, controller_id -1, cluster_id null,
 * throttle_time_ms 0, offline_replicas [], allow_auto_topic_creation true (what v0-v3 meant);
 * the encoders take the fields added after v1 as optional, with those same defaults.
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const METADATA_MIN_VERSION = 0;
export const METADATA_MAX_VERSION = 5;

export interface MetadataRequest {
  /** null: every topic. */
  topics: string[] | null;
  /**
   * v4+: false asks the broker not to create a missing topic (whatever auto.create.topics.enable
   * says). Encoding treats absent as true; decoding v0-v3 gives true.
   */
  allowAutoTopicCreation?: boolean;
}

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
  /** v1+. */
  rack: string | null;
}
export interface MetadataPartition {
  errorCode: number;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  /** v5+: the replicas that are not live brokers. */
  offlineReplicas?: number[];
}
export interface MetadataTopic {
  errorCode: number;
  topic: string;
  /** v1+. */
  isInternal: boolean;
  partitions: MetadataPartition[];
}
export interface MetadataResponse {
  /** v3+. */
  throttleTimeMs?: number;
  brokers: MetadataBroker[];
  /** v2+; null when unknown. */
  clusterId?: string | null;
  /** v1+; -1 when unknown. */
  controllerId: number;
  topics: MetadataTopic[];
}

const check = (v: number): void => checkVersion(ApiKey.Metadata, v, METADATA_MIN_VERSION, METADATA_MAX_VERSION);

export function encodeMetadataRequest(w: Writer, version: number, req: MetadataRequest): Writer {
  check(version);
  const topics = version === 0 ? (req.topics ?? []) : req.topics;
  w.array(topics, (w, t) => w.string(t));
  if (version >= 4) w.bool(req.allowAutoTopicCreation ?? true);
  return w;
}

export function decodeMetadataRequest(r: Reader, version: number): MetadataRequest {
  check(version);
  let topics = r.nullableArray((r) => r.requiredString(), 2);
  if (version === 0 && topics !== null && topics.length === 0) topics = null;
  const allowAutoTopicCreation = version >= 4 ? r.bool() : true;
  return { topics, allowAutoTopicCreation };
}

export function encodeMetadataResponse(w: Writer, version: number, res: MetadataResponse): Writer {
  check(version);
  if (version >= 3) w.int32(res.throttleTimeMs ?? 0);
  w.array(res.brokers, (w, b) => {
    w.int32(b.nodeId).string(b.host).int32(b.port);
    if (version >= 1) w.string(b.rack);
  });
  if (version >= 2) w.string(res.clusterId ?? null);
  if (version >= 1) w.int32(res.controllerId);
  return w.array(res.topics, (w, t) => {
    w.int16(t.errorCode).string(t.topic);
    if (version >= 1) w.bool(t.isInternal);
    w.array(t.partitions, (w, p) => {
      w.int16(p.errorCode).int32(p.partition).int32(p.leader);
      w.array(p.replicas, (w, id) => w.int32(id));
      w.array(p.isr, (w, id) => w.int32(id));
      if (version >= 5) w.array(p.offlineReplicas ?? [], (w, id) => w.int32(id));
    });
  });
}

export function decodeMetadataResponse(r: Reader, version: number): MetadataResponse {
  check(version);
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const brokers = r.array(
    (r) => ({
      nodeId: r.int32(),
      host: r.requiredString(),
      port: r.int32(),
      rack: version >= 1 ? r.string() : null,
    }),
    version >= 1 ? 12 : 10,
  );
  const clusterId = version >= 2 ? r.string() : null;
  const controllerId = version >= 1 ? r.int32() : -1;
  const topics = r.array(
    (r) => ({
      errorCode: r.int16(),
      topic: r.requiredString(),
      isInternal: version >= 1 ? r.bool() : false,
      partitions: r.array(
        (r) => ({
          errorCode: r.int16(),
          partition: r.int32(),
          leader: r.int32(),
          replicas: r.array((r) => r.int32(), 4),
          isr: r.array((r) => r.int32(), 4),
          offlineReplicas: version >= 5 ? r.array((r) => r.int32(), 4) : [],
        }),
        version >= 5 ? 22 : 18,
      ),
    }),
    version >= 1 ? 9 : 8,
  );
  return { throttleTimeMs, brokers, clusterId, controllerId, topics };
}
