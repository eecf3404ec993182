/**
 * The partitions this broker hosts, as the controller assigns them (ReplicaManager.scala):
 * LeaderAndIsr makes a replica leader or follower (creating its log when new), StopReplica
 * stops (and may delete) it, UpdateMetadata refreshes the metadata cache. Requests with a
 * controller epoch older than one already seen are refused with STALE_CONTROLLER_EPOCH (11),
 * so a deposed controller cannot steer this broker.
 *
 * Leaders shrink their ISR on a schedule (replica.lag.time.max.ms) and expand it as followers
 * catch up, writing the state znode by compare-and-set; the partitions changed are announced to
 * the controller in one ISR change notification per ISR_NOTIFY_DELAY_MS (Kafka batches them
 * too: a broker rejoining 10,000 ISRs leaves a few notifications, not 10,000). High watermarks
 * are checkpointed to replication-offset-checkpoint.
 *
 * A replica whose log fails a write (a full disk, EIO) while another replica can serve its
 * partition is taken offline until the broker restarts, as Kafka takes a failed log dir offline
 * (KIP-112): it stops serving and fetching, answers KAFKA_STORAGE_ERROR (to clients and to
 * LeaderAndIsr), and a log dir event tells the controller, which moves leadership to an in-sync
 * replica and shrinks the ISR. Only the replicas whose writes failed go, not the whole log dir:
 * one that is only read stays. A leader alone in its ISR stays too (nobody could take over):
 * it refuses writes with KAFKA_STORAGE_ERROR and takes them again once there is room.
 *
 * A LeaderAndIsr request is applied to up to APPLY_CONCURRENCY partitions at once (each new
 * partition creates its log and a leader writes its leader epoch checkpoint: file work that
 * overlaps well), reading each topic's config once per request.
 */
import { Batcher } from '../common/batcher.js';
import { storageErrorHint } from '../common/open-files.js';
import type { ClientSecurity } from '../network/client-security.js';
import type { LogManager } from '../storage/log-manager.js';
import type { PartitionLog } from '../storage/log.js';
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
import { Logger, someOf } from '../common/logger.js';
import type { MetadataCache } from './metadata-cache.js';
import type { DynamicConfigManager } from './dynamic-config-manager.js';
import { Partition } from './replica/partition.js';
import { LeaderEpochCache } from './replica/leader-epoch-cache.js';
import { ReplicaFetcherManager, type FetchRound } from './replica/replica-fetcher.js';
import { notifyIsrChange } from './controller/isr-change.js';
import { notifyLogDirFailure } from './controller/log-dir-events.js';

/** Told when this broker becomes a partition's leader (true) or stops being it (false). */
export type LeadershipListener = (topic: string, partition: number, leader: boolean) => void;

export interface ReplicaManagerConfig {
  brokerId: number;
  replicaLagTimeMaxMs: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchMaxBytes: number;
  highWatermarkCheckpointIntervalMs?: number;
  /** TLS / SASL of the inter-broker listener; undefined = PLAINTEXT. */
  interBrokerSecurity?: ClientSecurity;
}

const key = tpKey;

/** Partitions of one LeaderAndIsr applied at once (their leader epoch checkpoints are fsynced concurrently). */
const APPLY_CONCURRENCY = 128;
/** How long ISR changes gather before one notification announces them all. */
export const ISR_NOTIFY_DELAY_MS = 100;
/** Partitions per notification (its znode stays far below ZooKeeper's 1 MiB limit). */
const ISR_NOTIFY_MAX = 5000;

/** Runs `fn` over `items`, at most `limit` at once. */
async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

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
  readonly #isrListeners: ((topic: string, partition: number, from: number[], to: number[]) => void)[] = [];
  /** ISR changes not yet announced to the controller (one notification per ISR_NOTIFY_DELAY_MS). */
  readonly #isrChanges = new Batcher<{ topic: string; partition: number }>(ISR_NOTIFY_DELAY_MS, (changes) => this.#notifyIsrChanges(changes));
  /** Replicas taken offline after their log failed a write (until the broker restarts), and the error. */
  readonly #offline = new Map<string, unknown>();
  /** Replicas taken offline and not yet logged and announced (a full disk fails many at once). */
  readonly #newlyOffline = new Batcher<{ name: string; err: unknown }>(ISR_NOTIFY_DELAY_MS, (gone) => this.#announceOffline(gone));

  constructor(cfg: ReplicaManagerConfig, logs: LogManager, zk: ZkClient, metadata: MetadataCache, configs: DynamicConfigManager, logger = new Logger('replica-manager')) {
    this.#cfg = cfg;
    this.#logs = logs;
    this.#zk = zk;
    this.#metadata = metadata;
    this.#configs = configs;
    this.#log = logger;
    this.#fetchers = new ReplicaFetcherManager({ brokerId: cfg.brokerId, maxWaitMs: cfg.replicaFetchWaitMaxMs, maxBytes: cfg.replicaFetchMaxBytes, security: cfg.interBrokerSecurity }, logger.child('fetcher'));
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

  /** Calls `fn` after this broker, as leader, wrote an ISR change (shrink or expand) to ZooKeeper. */
  onIsrChange(fn: (topic: string, partition: number, from: number[], to: number[]) => void): void {
    this.#isrListeners.push(fn);
  }

  /** Calls `fn` after each round of a follower fetch that brought records (replica-fetcher.ts). */
  onFetchRound(fn: (r: FetchRound) => void): void {
    this.#fetchers.observeRounds(fn);
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
      const failures: { name: string; err: unknown }[] = [];
      const topicConfigs = new Map<string, Promise<unknown>>();
      await forEachBounded(req.partitionStates, APPLY_CONCURRENCY, async (s) => {
        let errorCode: number = ErrorCode.NONE;
        try {
          if (!s.replicas.includes(this.#cfg.brokerId)) return;
          if (this.#offline.has(key(s.topic, s.partition))) {
            results.push({ topic: s.topic, partition: s.partition, errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
            return;
          }
          const p = await this.#getOrCreatePartition(s.topic, s.partition, topicConfigs);
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
          // a failed system call (EMFILE, ENOSPC, EIO...): Kafka's KAFKA_STORAGE_ERROR
          errorCode = err instanceof KafkaError ? err.code : typeof (err as NodeJS.ErrnoException).syscall === 'string' ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN;
          failures.push({ name: `${s.topic}-${s.partition}`, err });
        }
        results.push({ topic: s.topic, partition: s.partition, errorCode });
      });
      this.#logFailures(failures, req.partitionStates.length);
      return { errorCode: ErrorCode.NONE, partitions: results };
    });
  }

  /**
   * One line per kind of failure of a LeaderAndIsr, however many partitions it hit (a broker
   * out of file descriptors fails hundreds at once), with what to do about it where known.
   */
  #logFailures(failures: readonly { name: string; err: unknown }[], total: number): void {
    const kinds = new Map<string, { err: unknown; names: string[] }>();
    for (const f of failures) {
      const e = f.err as NodeJS.ErrnoException;
      const kind = typeof e?.code === 'string' ? e.code : String(e?.message ?? e);
      const k = kinds.get(kind) ?? { err: f.err, names: [] };
      k.names.push(f.name);
      kinds.set(kind, k);
    }
    for (const { err, names } of kinds.values()) {
      const hint = storageErrorHint(err);
      this.#log.error(`LeaderAndIsr failed for ${names.length} of ${total} partitions; they are not served here until the broker restarts`, { partitions: someOf(names), error: err, ...(hint ? { hint } : {}) });
    }
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
          // a replica stopped but kept (controlled shutdown) checkpoints where it was
          if (!req.deletePartitions) this.#hwCheckpoint.set(key(topic, partition), p.highWatermark);
          p.close();
          this.#partitions.delete(key(topic, partition));
        }
        if (req.deletePartitions) {
          this.#offline.delete(key(topic, partition));
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

  /**
   * The hosted partition, created (with its log) if new. `topicConfigs` holds, per topic, the
   * creation that read the topic's config for this request: the topic's other new partitions
   * wait for it and then use the overrides it left with the log manager.
   */
  async #getOrCreatePartition(topic: string, partition: number, topicConfigs: Map<string, Promise<unknown>>): Promise<Partition> {
    const k = key(topic, partition);
    const have = this.#partitions.get(k);
    if (have) return have;
    let log: PartitionLog;
    const first = topicConfigs.get(topic);
    if (first) {
      await first.catch(() => undefined);
      log = await this.#logs.getOrCreate(topic, partition);
    } else {
      // The topic's config is read afresh, as Kafka reads it whenever it creates a log: a topic
      // deleted and created again announces no change, so a cached config may be the deleted topic's.
      const created = (async () => {
        let overrides: TopicOverrides = {};
        try {
          overrides = topicOverridesFromConfig(await this.#configs.refreshTopic(topic));
        } catch (err) {
          this.#log.warn('ignoring a bad topic config', { topic, error: err });
        }
        return this.#logs.getOrCreate(topic, partition, overrides);
      })();
      topicConfigs.set(topic, created);
      log = await created;
    }
    const again = this.#partitions.get(k);
    if (again) return again;
    const epochs = await LeaderEpochCache.load(log.dir);
    const raced = this.#partitions.get(k);
    if (raced) return raced;
    const p = new Partition(this.#cfg.brokerId, log, epochs, this.#hwCheckpoint.get(k) ?? 0, (part, isr) => this.#writeIsr(part, isr));
    p.on('error', (err) => this.#log.warn('partition error', { topic, partition, error: err }));
    p.on('storage-error', (err) => this.#storageFailed(p, err));
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
        this.#isrChanges.add(key(p.topic, p.partition), { topic: p.topic, partition: p.partition });
        for (const fn of this.#isrListeners) fn(p.topic, p.partition, st.isr, isr);
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

  /** Writes ISR changes as notifications (one per ISR_NOTIFY_MAX partitions). */
  async #notifyIsrChanges(changes: { topic: string; partition: number }[]): Promise<void> {
    for (let i = 0; i < changes.length; i += ISR_NOTIFY_MAX) {
      await notifyIsrChange(this.#zk, changes.slice(i, i + ISR_NOTIFY_MAX)).catch((err: unknown) => this.#log.warn('could not write an ISR change notification', { error: err }));
    }
  }

  /**
   * A replica's log failed a write: offline, unless it leads alone in its ISR (see the top of
   * this file). Logged and announced to the controller once per ISR_NOTIFY_DELAY_MS for every
   * replica taken offline meanwhile.
   */
  #storageFailed(p: Partition, err: unknown): void {
    const k = key(p.topic, p.partition);
    if (this.#partitions.get(k) !== p || !p.state) return;
    if (p.isLeader && !p.isr.some((r) => r !== this.#cfg.brokerId)) return;
    const wasLeader = p.isLeader;
    this.#offline.set(k, err);
    this.#hwCheckpoint.set(k, p.highWatermark);
    this.#fetchers.remove(p);
    p.close();
    this.#partitions.delete(k);
    if (wasLeader) this.#leadershipChanged(p.topic, p.partition, false);
    this.#newlyOffline.add(k, { name: `${p.topic}-${p.partition}`, err });
  }

  async #announceOffline(gone: { name: string; err: unknown }[]): Promise<void> {
    const err = gone[0]!.err;
    const hint = storageErrorHint(err);
    this.#log.error(`${gone.length} replicas offline after their logs failed a write: other replicas take them over; they are not served here until the broker restarts`, {
      partitions: someOf(gone.map((g) => g.name)),
      error: err,
      ...(hint ? { hint } : {}),
    });
    await notifyLogDirFailure(this.#zk, this.#cfg.brokerId).catch((e: unknown) => this.#log.warn('could not write a log dir event notification', { error: e }));
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
    const failed = this.#offline.get(key(topic, partition));
    if (failed !== undefined) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `the replica of ${topic}-${partition} on broker ${this.#cfg.brokerId} is offline since its log failed a write (${(failed as Error).message}); another replica takes over`, { cause: failed, context: { topic, partition } });
    }
    if (!p && !this.#metadata.partition(topic, partition)) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic or partition ${topic}-${partition}`, { context: { topic, partition } });
    }
    throw new KafkaError(ErrorCode.NOT_LEADER_FOR_PARTITION, `broker ${this.#cfg.brokerId} is not the leader of ${topic}-${partition}`, { context: { topic, partition } });
  }

  /** Was this broker's replica of the partition taken offline after its log failed a write? */
  isOffline(topic: string, partition: number): boolean {
    return this.#offline.has(key(topic, partition));
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
    this.#newlyOffline.cancel();
    await this.#isrChanges.flushNow();
    await this.#fetchers.shutdown();
    await this.checkpointHighWatermarks().catch(() => undefined);
    for (const p of this.#partitions.values()) p.close();
  }
}
