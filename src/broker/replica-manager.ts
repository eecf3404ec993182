/**
 * The partitions this broker hosts, as the controller assigns them (ReplicaManager.scala):
 * LeaderAndIsr makes a replica leader or follower (creating its log when new), StopReplica
 * stops (and may delete) it, UpdateMetadata refreshes the metadata cache. Requests with a
 * controller epoch older than one already seen are refused with STALE_CONTROLLER_EPOCH (11),
 * so a deposed controller cannot steer this broker.
 *
 * Leaders shrink their ISR on a schedule (replica.lag.time.max.ms) and expand it as followers
 * catch up, writing the state znode by compare-and-set and leaving an ISR change notification
 * for the controller. High watermarks are checkpointed to replication-offset-checkpoint.
 */
import type { LogManager } from '../storage/log-manager.js';
import { tpKey } from '../storage/checkpoint.js';
import type { TopicOverrides } from '../storage/config.js';
import { topicOverridesFromConfig } from '../storage/topic-config.js';
import type { ZkClient } from '../zk/client.js';
import { BadVersionError } from '../zk/errors.js';
import { partitionStatePath } from '../zk/paths.js';
import { decodePartitionState, encodePartitionState } from '../zk/payloads.js';
import type { LeaderAndIsrRequest, LeaderAndIsrResponse, PartitionError } from '../protocol/apis/leader-and-isr.js';
import type { StopReplicaRequest, StopReplicaResponse } from '../protocol/apis/stop-replica.js';
import type { UpdateMetadataRequest } from '../protocol/apis/update-metadata.js';
import { ErrorCode, KafkaError } from '../common/errors.js';
import { Logger } from '../common/logger.js';
import type { MetadataCache } from './metadata-cache.js';
import type { DynamicConfigManager } from './dynamic-config-manager.js';
import { Partition } from './replica/partition.js';
import { LeaderEpochCache } from './replica/leader-epoch-cache.js';
import { ReplicaFetcherManager } from './replica/replica-fetcher.js';
import { notifyIsrChange } from './controller/isr-change.js';

/** Told when this broker becomes a partition's leader (true) or stops being it (false). */
export type LeadershipListener = (topic: string, partition: number, leader: boolean) => void;

export interface ReplicaManagerConfig {
  brokerId: number;
  replicaLagTimeMaxMs: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchMaxBytes: number;
  highWatermarkCheckpointIntervalMs?: number;
}

const key = tpKey;

export class ReplicaManager {
  readonly #cfg: ReplicaManagerConfig;
  readonly #logs: LogManager;
  readonly #zk: ZkClient;
  readonly #metadata: MetadataCache;
  readonly #configs: DynamicConfigManager;
  readonly #log: Logger;
  readonly #partitions = new Map<string, Partition>();
  readonly #fetchers: ReplicaFetcherManager;
  #controllerEpoch = 0;
  #hwCheckpoint = new Map<string, number>();
  #timers: NodeJS.Timeout[] = [];
  #serial: Promise<unknown> = Promise.resolve();
  readonly #leadershipListeners: LeadershipListener[] = [];

  constructor(cfg: ReplicaManagerConfig, logs: LogManager, zk: ZkClient, metadata: MetadataCache, configs: DynamicConfigManager, logger = new Logger('replica-manager')) {
    this.#cfg = cfg;
    this.#logs = logs;
    this.#zk = zk;
    this.#metadata = metadata;
    this.#configs = configs;
    this.#log = logger;
    this.#fetchers = new ReplicaFetcherManager({ brokerId: cfg.brokerId, maxWaitMs: cfg.replicaFetchWaitMaxMs, maxBytes: cfg.replicaFetchMaxBytes }, logger.child('fetcher'));
    configs.on('topic', (topic, config) => {
      try {
        this.#logs.updateConfig(topic, topicOverridesFromConfig(config));
      } catch (err) {
        this.#log.warn('ignoring a bad topic config', { topic, error: err });
      }
    });
  }

  /** Calls `fn` whenever this broker becomes a partition's leader or stops leading it (the group coordinator follows its partitions so). */
  onLeadershipChange(fn: LeadershipListener): void {
    this.#leadershipListeners.push(fn);
  }

  #leadershipChanged(topic: string, partition: number, leader: boolean): void {
    for (const fn of this.#leadershipListeners) {
      try {
        fn(topic, partition, leader);
      } catch (err) {
        this.#log.warn('a leadership listener failed', { topic, partition, error: err });
      }
    }
  }

  get controllerEpoch(): number {
    return this.#controllerEpoch;
  }

  async start(): Promise<void> {
    const hw = await this.#logs.readHighWatermarks();
    this.#hwCheckpoint = new Map(hw);
    const lag = this.#cfg.replicaLagTimeMaxMs;
    this.#timers.push(setInterval(() => this.#shrinkIsrs(), Math.max(100, Math.floor(lag / 2))));
    this.#timers.push(setInterval(() => void this.checkpointHighWatermarks().catch(() => undefined), this.#cfg.highWatermarkCheckpointIntervalMs ?? 5000));
    for (const t of this.#timers) t.unref();
  }

  /** Requests from the controller are applied one at a time, in arrival order. */
  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  #staleEpoch(epoch: number): boolean {
    if (epoch < this.#controllerEpoch) return true;
    this.#controllerEpoch = epoch;
    return false;
  }

  becomeLeaderOrFollower(req: LeaderAndIsrRequest): Promise<LeaderAndIsrResponse> {
    return this.#serialize(async () => {
      if (this.#staleEpoch(req.controllerEpoch)) {
        this.#log.warn('refusing LeaderAndIsr from a stale controller', { epoch: req.controllerEpoch, current: this.#controllerEpoch });
        return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH, partitions: [] };
      }
      const results: PartitionError[] = [];
      for (const s of req.partitionStates) {
        let errorCode: number = ErrorCode.NONE;
        try {
          if (!s.replicas.includes(this.#cfg.brokerId)) continue;
          const p = await this.#getOrCreatePartition(s.topic, s.partition);
          if (p.state && s.leaderEpoch <= p.leaderEpoch) {
            // already applied (or older): the leader's own ISR changes since then would be undone
            if (s.leaderEpoch < p.leaderEpoch) errorCode = ErrorCode.STALE_CONTROLLER_EPOCH;
          } else if (s.leader === this.#cfg.brokerId) {
            this.#fetchers.remove(p);
            await p.makeLeader(s, Date.now());
            this.#log.info('became leader', { topic: s.topic, partition: s.partition, leaderEpoch: s.leaderEpoch, isr: s.isr.join(',') });
            this.#leadershipChanged(s.topic, s.partition, true);
          } else {
            const changed = p.leaderId !== s.leader || p.leaderEpoch !== s.leaderEpoch || !p.state;
            const wasLeader = p.isLeader;
            p.makeFollower(s);
            const leader = req.liveLeaders.find((b) => b.id === s.leader) ?? this.#metadata.broker(s.leader);
            if (s.leader < 0 || !leader) this.#fetchers.remove(p);
            else if (changed) this.#fetchers.add(p, leader);
            if (wasLeader) this.#leadershipChanged(s.topic, s.partition, false);
          }
        } catch (err) {
          errorCode = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN;
          this.#log.error('LeaderAndIsr failed for a partition', { topic: s.topic, partition: s.partition, error: err });
        }
        results.push({ topic: s.topic, partition: s.partition, errorCode });
      }
      return { errorCode: ErrorCode.NONE, partitions: results };
    });
  }

  stopReplicas(req: StopReplicaRequest): Promise<StopReplicaResponse> {
    return this.#serialize(async () => {
      if (this.#staleEpoch(req.controllerEpoch)) return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH, partitions: [] };
      const results: PartitionError[] = [];
      for (const { topic, partition } of req.partitions) {
        const p = this.#partitions.get(key(topic, partition));
        if (p) {
          if (p.isLeader) this.#leadershipChanged(topic, partition, false);
          this.#fetchers.remove(p);
          p.close();
          this.#partitions.delete(key(topic, partition));
        }
        if (req.deletePartitions) {
          await this.#logs.delete(topic, partition);
          this.#configs.forgetTopic(topic);
          this.#hwCheckpoint.delete(key(topic, partition));
          this.#log.info('deleted replica', { topic, partition });
        }
        results.push({ topic, partition, errorCode: ErrorCode.NONE });
      }
      return { errorCode: ErrorCode.NONE, partitions: results };
    });
  }

  updateMetadata(req: UpdateMetadataRequest): number {
    if (this.#staleEpoch(req.controllerEpoch)) return ErrorCode.STALE_CONTROLLER_EPOCH;
    this.#metadata.apply(req);
    this.#fetchers.followAddresses((id) => this.#metadata.broker(id));
    return ErrorCode.NONE;
  }

  async #getOrCreatePartition(topic: string, partition: number): Promise<Partition> {
    const k = key(topic, partition);
    const have = this.#partitions.get(k);
    if (have) return have;
    // The topic's config is read afresh, as Kafka reads it whenever it creates a log: a topic
    // deleted and created again announces no change, so a cached config may be the deleted topic's.
    let overrides: TopicOverrides = {};
    try {
      overrides = topicOverridesFromConfig(await this.#configs.refreshTopic(topic));
    } catch (err) {
      this.#log.warn('ignoring a bad topic config', { topic, error: err });
    }
    const log = await this.#logs.getOrCreate(topic, partition, overrides);
    const epochs = await LeaderEpochCache.load(log.dir);
    const p = new Partition(this.#cfg.brokerId, log, epochs, this.#hwCheckpoint.get(k) ?? 0, (part, isr) => this.#writeIsr(part, isr));
    p.on('error', (err) => this.#log.warn('partition error', { topic, partition, error: err }));
    this.#partitions.set(k, p);
    return p;
  }

  /**
   * Compare-and-set of the state znode with the new ISR (leader and epoch unchanged). When the
   * znode moved on but still names this leader and epoch, only this leader wrote it since (the
   * controller always bumps the epoch): adopt its version and try once more.
   */
  async #writeIsr(p: Partition, isr: number[]): Promise<number | undefined> {
    const st = p.state;
    if (!st) return undefined;
    const path = partitionStatePath(p.topic, p.partition);
    const data = encodePartitionState({ leader: st.leader, leaderEpoch: st.leaderEpoch, controllerEpoch: st.controllerEpoch, isr });
    let version = st.zkVersion;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const next = await this.#zk.set(path, data, version);
        this.#log.info('ISR changed', { topic: p.topic, partition: p.partition, from: st.isr.join(','), to: isr.join(',') });
        await notifyIsrChange(this.#zk, [{ topic: p.topic, partition: p.partition }]).catch(() => undefined);
        return next;
      } catch (err) {
        if (!(err instanceof BadVersionError)) throw err;
        const node = await this.#zk.get(path);
        const cur = node && decodePartitionState(node.data);
        if (!node || !cur || cur.leader !== st.leader || cur.leaderEpoch !== st.leaderEpoch) {
          this.#log.info('ISR change refused: leadership moved on; waiting for the controller', { topic: p.topic, partition: p.partition, leaderEpoch: cur?.leaderEpoch });
          return undefined;
        }
        version = node.version;
      }
    }
    return undefined;
  }

  #shrinkIsrs(): void {
    const now = Date.now();
    for (const p of this.#partitions.values()) p.maybeShrinkIsr(now, this.#cfg.replicaLagTimeMaxMs);
  }

  async checkpointHighWatermarks(): Promise<void> {
    for (const [k, p] of this.#partitions) this.#hwCheckpoint.set(k, p.highWatermark);
    await this.#logs.writeHighWatermarks(this.#hwCheckpoint);
  }

  /** The partition if this broker leads it, else a KafkaError saying why not. */
  leaderPartition(topic: string, partition: number): Partition {
    const p = this.#partitions.get(key(topic, partition));
    if (p?.isLeader) return p;
    if (!p && !this.#metadata.partition(topic, partition)) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic or partition ${topic}-${partition}`, { context: { topic, partition } });
    }
    throw new KafkaError(ErrorCode.NOT_LEADER_FOR_PARTITION, `broker ${this.#cfg.brokerId} is not the leader of ${topic}-${partition}`, { context: { topic, partition } });
  }

  partition(topic: string, partition: number): Partition | undefined {
    return this.#partitions.get(key(topic, partition));
  }

  /** Partitions this broker leads (for controlled shutdown). */
  leaderships(): Partition[] {
    return [...this.#partitions.values()].filter((p) => p.isLeader);
  }

  async shutdown(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await this.#fetchers.shutdown();
    await this.checkpointHighWatermarks().catch(() => undefined);
    for (const p of this.#partitions.values()) p.close();
  }
}
