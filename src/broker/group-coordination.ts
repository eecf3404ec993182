/**
 * Wires the group coordinator (src/coordinator/) into the broker: its groups live in the
 * __consumer_offsets partitions this broker leads (the replica manager says when that changes),
 * its writes are leader appends that wait for the ISR, and the topic is created on first use
 * with offsets.topic.* settings, compacted.
 */
import { encodeRecordBatch } from '../protocol/records/record-batch.js';
import type { CompressionCodec } from '../protocol/records/compression.js';
import { createTopic, liveBrokerIds } from '../admin/topic-admin.js';
import { ErrorCode, KafkaError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { OFFSETS_TOPIC, type GroupCoordinatorConfig } from '../coordinator/config.js';
import { GroupCoordinator } from '../coordinator/group-coordinator.js';
import { GroupMetadataManager, type OffsetsLog } from '../coordinator/group-metadata-manager.js';
import type { ReplicaManager } from './replica-manager.js';
import type { ZkClient } from '../zk/client.js';

export function createGroupCoordinator(cfg: GroupCoordinatorConfig, replicas: ReplicaManager, logger: Logger): { coordinator: GroupCoordinator; stop(): void } {
  const log: OffsetsLog = {
    async append(partition, records, timeoutMs) {
      const p = replicas.leaderPartition(OFFSETS_TOPIC, partition);
      const batch = encodeRecordBatch({ records, compression: cfg.offsetsTopicCompressionCodec as CompressionCodec });
      const info = await p.appendAsLeader(batch);
      await p.waitForHighWatermark(info.lastOffset, timeoutMs);
    },
    reader(partition) {
      const p = replicas.partition(OFFSETS_TOPIC, partition);
      if (!p) return undefined;
      return { logStartOffset: p.log.logStartOffset, read: (offset, maxBytes) => p.log.read(offset, maxBytes) };
    },
  };
  const manager = new GroupMetadataManager(
    { numPartitions: cfg.offsetsTopicNumPartitions, commitTimeoutMs: cfg.offsetsCommitTimeoutMs, loadBufferSize: cfg.offsetsLoadBufferSize },
    log,
    logger.child('group-metadata'),
  );
  const coordinator = new GroupCoordinator(cfg, manager, logger);
  replicas.onLeadershipChange((topic, partition, leader) => {
    if (topic !== OFFSETS_TOPIC) return;
    if (leader) void manager.onElection(partition);
    else manager.onResignation(partition);
  });
  const timer = setInterval(() => void coordinator.expireOffsets().catch((err: unknown) => logger.warn('offset expiry failed', { error: err })), cfg.offsetsRetentionCheckIntervalMs);
  timer.unref();
  return {
    coordinator,
    stop() {
      clearInterval(timer);
      coordinator.shutdown();
    },
  };
}

/**
 * Creates __consumer_offsets when it does not exist yet (the first FindCoordinator does it, as
 * in Kafka): offsets.topic.num.partitions partitions, offsets.topic.replication.factor replicas
 * capped by the live brokers, compacted. A topic created by another broker meanwhile is fine.
 */
export async function ensureOffsetsTopic(zk: ZkClient, cfg: GroupCoordinatorConfig, logger: Logger): Promise<void> {
  const live = await liveBrokerIds(zk);
  if (live.length === 0) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no live brokers to host the offsets topic');
  const replicationFactor = Math.min(cfg.offsetsTopicReplicationFactor, live.length);
  try {
    await createTopic(zk, OFFSETS_TOPIC, {
      partitions: cfg.offsetsTopicNumPartitions,
      replicationFactor,
      config: { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(cfg.offsetsTopicSegmentBytes) },
    });
    logger.info('created the offsets topic', { topic: OFFSETS_TOPIC, partitions: cfg.offsetsTopicNumPartitions, replicationFactor });
  } catch (err) {
    if (!(err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw err;
  }
}
