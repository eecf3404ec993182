/**
 * The partitions this broker hosts. It follows the metadata cache: a log is opened (or
 * created) for every partition assigned to this broker, and removed when its topic is
 * deleted. Produce and Fetch reach a partition's log only through `leaderLog`, which refuses
 * a partition this broker does not lead (NotLeaderForPartition) or that does not exist
 * (UnknownTopicOrPartition).
 */
import type { LogManager } from '../storage/log-manager.js';
import type { PartitionLog } from '../storage/log.js';
import { topicOverridesFromConfig, type TopicOverrides } from '../storage/config.js';
import type { MetadataCache } from './metadata-cache.js';
import { ErrorCode, KafkaError } from '../common/errors.js';
import { Logger } from '../common/logger.js';

export class ReplicaManager {
  readonly #brokerId: number;
  readonly #logs: LogManager;
  readonly #metadata: MetadataCache;
  readonly #log: Logger;
  readonly #knownTopics = new Set<string>();
  #syncing: Promise<void> = Promise.resolve();

  constructor(brokerId: number, logs: LogManager, metadata: MetadataCache, logger = new Logger('replica-manager')) {
    this.#brokerId = brokerId;
    this.#logs = logs;
    this.#metadata = metadata;
    this.#log = logger;
    metadata.on('config', (topic: string, config: Record<string, string>) => this.#applyConfig(topic, config));
  }

  #applyConfig(topic: string, config: Record<string, string>): void {
    try {
      this.#logs.updateConfig(topic, topicOverridesFromConfig(config));
    } catch (err) {
      this.#log.warn('ignoring a bad topic config', { topic, error: err });
    }
  }

  /** Brings the hosted logs in line with the metadata; calls are serialized. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#sync()).catch((err: unknown) => {
      this.#log.error('failed to apply a metadata change', { error: err });
    });
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    for (const { topic, partition } of this.#metadata.assignedTo(this.#brokerId)) {
      if (!this.#logs.get(topic, partition)) {
        let overrides: TopicOverrides = {};
        try {
          overrides = topicOverridesFromConfig(this.#metadata.topicConfig(topic));
        } catch (err) {
          this.#log.warn('ignoring a bad topic config', { topic, error: err });
        }
        await this.#logs.getOrCreate(topic, partition, overrides);
        this.#log.info('hosting partition', { topic, partition });
      }
    }
    const topics = new Set(this.#metadata.topics());
    for (const t of topics) this.#knownTopics.add(t);
    for (const t of [...this.#knownTopics]) {
      if (topics.has(t)) continue;
      this.#knownTopics.delete(t);
      for (const log of this.#logs.all()) {
        if (log.topic === t) {
          await this.#logs.delete(t, log.partition);
          this.#log.info('deleted partition of a deleted topic', { topic: t, partition: log.partition });
        }
      }
    }
  }

  /** The log of a partition this broker leads, or a KafkaError saying why not. */
  leaderLog(topic: string, partition: number): PartitionLog {
    const meta = this.#metadata.partition(topic, partition);
    if (!meta) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic or partition ${topic}-${partition}`, { context: { topic, partition } });
    }
    if (meta.leader !== this.#brokerId) {
      throw new KafkaError(ErrorCode.NOT_LEADER_FOR_PARTITION, `broker ${this.#brokerId} is not the leader of ${topic}-${partition}`, {
        context: { topic, partition, leader: meta.leader },
      });
    }
    const log = this.#logs.get(topic, partition);
    if (!log) {
      throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `the log of ${topic}-${partition} is not open yet`, { context: { topic, partition } });
    }
    return log;
  }

  /** The log if this broker hosts the partition at all (leader or not). */
  localLog(topic: string, partition: number): PartitionLog | undefined {
    return this.#logs.get(topic, partition);
  }
}
