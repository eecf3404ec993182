/**
 * The group coordinator's settings, read from server.properties under Kafka's names and with
 * Kafka's defaults (KafkaConfig: offsets.* and group.*).
 */
import { ConfigReader } from '../common/config-reader.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions: partitions of __consumer_offsets when it is created. */
  offsetsTopicNumPartitions: number;
  /** offsets.topic.replication.factor: capped by the live brokers when the topic is created. */
  offsetsTopicReplicationFactor: number;
  /** offsets.topic.segment.bytes: kept small so the cleaner compacts the topic early. */
  offsetsTopicSegmentBytes: number;
  /** offsets.topic.compression.codec: 0 none, 1 gzip, 2 snappy, 3 lz4. */
  offsetsTopicCompressionCodec: number;
  /** offsets.retention.minutes, in ms: committed offsets of an empty group are dropped this long after its last commit. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offsets.commit.timeout.ms: a commit waits this long for the offsets topic's ISR. */
  offsetsCommitTimeoutMs: number;
  /** offsets.load.buffer.size: bytes read at a time when a coordinator loads its partition. */
  offsetsLoadBufferSize: number;
  /** offset.metadata.max.bytes: the longest metadata string a commit may carry. */
  offsetMetadataMaxBytes: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms: the session timeouts a member may ask for. */
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long an empty group waits for more members before its first rebalance. */
  groupInitialRebalanceDelayMs: number;
  /** group.max.size: members one group may have. */
  groupMaxSize: number;
}

export function groupCoordinatorConfigFromProperties(props: ReadonlyMap<string, string>): GroupCoordinatorConfig {
  const c = new ConfigReader(props);
  return {
    offsetsTopicNumPartitions: c.int('offsets.topic.num.partitions', 50, { min: 1 }),
    offsetsTopicReplicationFactor: c.int('offsets.topic.replication.factor', 3, { min: 1 }),
    offsetsTopicSegmentBytes: c.int('offsets.topic.segment.bytes', 104857600, { min: 1024 }),
    offsetsTopicCompressionCodec: c.int('offsets.topic.compression.codec', 0, { min: 0, max: 3 }),
    offsetsRetentionMs: c.long('offsets.retention.minutes', 10080, { min: 1 }) * 60_000,
    offsetsRetentionCheckIntervalMs: c.long('offsets.retention.check.interval.ms', 600000, { min: 1 }),
    offsetsCommitTimeoutMs: c.int('offsets.commit.timeout.ms', 5000, { min: 1 }),
    offsetsLoadBufferSize: c.int('offsets.load.buffer.size', 5242880, { min: 1 }),
    offsetMetadataMaxBytes: c.int('offset.metadata.max.bytes', 4096, { min: 0 }),
    groupMinSessionTimeoutMs: c.int('group.min.session.timeout.ms', 6000, { min: 0 }),
    groupMaxSessionTimeoutMs: c.int('group.max.session.timeout.ms', 1800000, { min: 0 }),
    groupInitialRebalanceDelayMs: c.int('group.initial.rebalance.delay.ms', 3000, { min: 0 }),
    groupMaxSize: c.int('group.max.size', 2147483647, { min: 1 }),
  };
}
