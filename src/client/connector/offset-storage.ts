/**
 * Where the connector keeps its group's offsets (0.8.2's offsets.storage and
 * dual.commit.enabled). Membership, ownership and rebalancing stay in ZooKeeper whichever is
 * chosen; only the committed offsets move.
 *
 *   zookeeper            /consumers/<G>/offsets/<T>/<P> (offsets.ts), as 0.8 and 0.8.1
 *   kafka                the group's offset manager: the broker's group coordinator, which keeps
 *                        them in __consumer_offsets (CoordinatorClient: OffsetCommit v2 with
 *                        generation -1 and member '', as a group outside the coordinator's
 *                        management commits; OffsetFetch v3)
 *   kafka + dual commit  commits go to Kafka, then to ZooKeeper for each partition Kafka
 *                        took; fetches read both and take the larger (0.8.2's migration rule:
 *                        members still committing to ZooKeeper only are never lost)
 *
 * Commits: every storage is given every owned partition's offset each time. ZooKeeper is
 * written only where the offset differs from what it holds (as far as this consumer knows: what
 * it read or wrote last, 0.8.2's checkpointedZkOffsets). Kafka is sent them all, as 0.8.2 did:
 * to the coordinator a ZooKeeper-coordinated group never has members, so its offsets expire
 * offsets.retention.minutes after their last commit, and re-committing keeps a live group's idle
 * partitions from losing theirs.
 *
 * The brokers are found in ZooKeeper (/brokers/ids, read again when none of them answers); the
 * offset manager by FindCoordinator. A request to it times out after
 * offsets.channel.socket.timeout.ms, which is also the deadline of one commit or fetch, the
 * coordinator's errors (moved, loading, not available yet) retried meanwhile with a backoff of at
 * most offsets.channel.backoff.ms.
 */
import type { ZkClient } from '../../zk/client.js';
import { ErrorCode, KafkaError, ProjectError } from '../../common/errors.js';
import { Logger } from '../../common/logger.js';
import { brokerIdsPath } from '../../zk/paths.js';
import { Cluster } from '../cluster.js';
import { CoordinatorClient, OffsetCommitError } from '../group/coordinator-client.js';
import type { ConsumerConfig } from './config.js';
import { commitOffset, readOffset } from './offsets.js';
import type { ClientSecurity } from '../../network/client-security.js';
import { readBrokers } from './registry.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface PartitionOffset extends TopicPartition {
  /** The next offset to consume. */
  offset: number;
}

export interface CommitResult {
  /** The partitions whose offset is now stored (by this commit, or already before it). */
  committed: PartitionOffset[];
  /** Why the others are not (the first failure). */
  error?: Error;
}

export interface OffsetStorage {
  /** 'zookeeper', 'kafka', or 'kafka+zookeeper' (dual commit). */
  readonly name: string;
  /** The committed offsets of these partitions, in their order (undefined: none). */
  fetch(partitions: readonly TopicPartition[]): Promise<(number | undefined)[]>;
  /** Commits these offsets; never rejects for a partition that was refused (see CommitResult). */
  commit(offsets: readonly PartitionOffset[]): Promise<CommitResult>;
  /** Whether a failed commit (at close) is worth sending again. */
  retriable(error: Error): boolean;
  close(): void;
}

const key = (p: TopicPartition): string => `${p.topic}\u0000${p.partition}`;

/** The storage the configuration asks for. */
export function offsetStorageFor(config: ConsumerConfig, zk: ZkClient, log: Logger): OffsetStorage {
  const zkStorage = new ZooKeeperOffsetStorage(zk, config.groupId);
  if (config.offsetsStorage === 'zookeeper') return zkStorage;
  const kafka = new KafkaOffsetStorage(zk, config.groupId, {
    clientId: config.clientId,
    socketTimeoutMs: config.offsetsChannelSocketTimeoutMs,
    backoffMs: config.offsetsChannelBackoffMs,
    log,
    security: config.security,
  });
  return config.dualCommitEnabled ? new DualOffsetStorage(kafka, zkStorage) : kafka;
}

/** /consumers/<G>/offsets/<T>/<P>. */
export class ZooKeeperOffsetStorage implements OffsetStorage {
  readonly name = 'zookeeper';
  readonly #zk: ZkClient;
  readonly #group: string;
  /** What ZooKeeper holds, as far as this consumer knows (read or written last). */
  readonly #checkpoint = new Map<string, number | undefined>();

  constructor(zk: ZkClient, group: string) {
    this.#zk = zk;
    this.#group = group;
  }

  async fetch(partitions: readonly TopicPartition[]): Promise<(number | undefined)[]> {
    return Promise.all(
      partitions.map(async (p) => {
        const v = await readOffset(this.#zk, this.#group, p.topic, p.partition);
        this.#checkpoint.set(key(p), v);
        return v;
      }),
    );
  }

  async commit(offsets: readonly PartitionOffset[]): Promise<CommitResult> {
    const committed: PartitionOffset[] = [];
    let error: Error | undefined;
    await Promise.all(
      offsets.map(async (o) => {
        if (this.#checkpoint.get(key(o)) !== o.offset) {
          try {
            await commitOffset(this.#zk, this.#group, o.topic, o.partition, o.offset);
          } catch (err) {
            error ??= err as Error;
            return;
          }
          this.#checkpoint.set(key(o), o.offset);
        }
        committed.push(o);
      }),
    );
    return { committed, error };
  }

  retriable(): boolean {
    return false; // 0.8.2 did not retry ZooKeeper writes at close either
  }

  close(): void {}
}

/**
 * Errors a commit sent again cannot get past: metadata too large (0.8.2's one exception), and
 * the answers of a coordinator managing a group of that name itself (members of the broker's
 * own protocol: a ZooKeeper-coordinated group cannot commit as one of them).
 */
const NOT_RETRIABLE: ReadonlySet<number> = new Set([
  ErrorCode.OFFSET_METADATA_TOO_LARGE,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.INVALID_COMMIT_OFFSET_SIZE,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
]);

/** The group's offset manager (the broker's group coordinator, __consumer_offsets). */
export class KafkaOffsetStorage implements OffsetStorage {
  readonly name = 'kafka';
  readonly #zk: ZkClient;
  readonly #group: string;
  readonly #opts: { clientId: string; socketTimeoutMs: number; backoffMs: number; log: Logger; security?: ClientSecurity };
  #client: Promise<CoordinatorClient> | undefined;
  #cluster: Cluster | undefined;
  #closed = false;

  constructor(zk: ZkClient, group: string, opts: { clientId: string; socketTimeoutMs: number; backoffMs: number; log?: Logger; security?: ClientSecurity }) {
    this.#zk = zk;
    this.#group = group;
    this.#opts = { ...opts, log: opts.log ?? new Logger('consumer') };
  }

  /** The coordinator client, made on first use from the brokers registered in ZooKeeper. */
  coordinator(): Promise<CoordinatorClient> {
    this.#client ??= this.#connect().catch((err) => {
      this.#client = undefined; // no broker yet: look again next time
      throw err;
    });
    return this.#client;
  }

  async #connect(): Promise<CoordinatorClient> {
    const discover = async (): Promise<{ host: string; port: number }[]> => [...(await readBrokers(this.#zk, this.#opts.security?.protocol)).values()];
    const brokers = await discover();
    if (brokers.length === 0) {
      throw new ProjectError(`no broker is registered under ${brokerIdsPath}: offsets.storage=kafka commits to and fetches from the group's offset manager, a broker`, {
        context: { group: this.#group },
      });
    }
    if (this.#closed) throw new ProjectError('the offset storage is closed');
    const { clientId, socketTimeoutMs, backoffMs, log, security } = this.#opts;
    this.#cluster = new Cluster({ brokers, clientId, requestTimeoutMs: socketTimeoutMs, discover, security });
    return new CoordinatorClient(this.#cluster, {
      timeoutMs: socketTimeoutMs,
      retryBackoffMs: Math.min(100, backoffMs),
      maxRetryBackoffMs: backoffMs,
      logger: log,
    });
  }

  async fetch(partitions: readonly TopicPartition[]): Promise<(number | undefined)[]> {
    if (partitions.length === 0) return [];
    const cc = await this.coordinator();
    const got = new Map((await cc.fetchOffsets(this.#group, partitions.map((p) => ({ topic: p.topic, partition: p.partition })))).map((o) => [key(o), o.offset]));
    return partitions.map((p) => {
      const v = got.get(key(p));
      return v === undefined || v < 0 ? undefined : v;
    });
  }

  async commit(offsets: readonly PartitionOffset[]): Promise<CommitResult> {
    if (offsets.length === 0) return { committed: [] };
    try {
      const cc = await this.coordinator();
      await cc.commitOffsets(this.#group, offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
      return { committed: [...offsets] };
    } catch (err) {
      if (err instanceof OffsetCommitError) {
        const failed = new Set(err.failed.map(key));
        return { committed: offsets.filter((o) => !failed.has(key(o))), error: err };
      }
      return { committed: [], error: err as Error };
    }
  }

  retriable(error: Error): boolean {
    if (error instanceof OffsetCommitError) return error.failed.some((f) => !NOT_RETRIABLE.has(f.errorCode));
    if (error instanceof KafkaError) return !NOT_RETRIABLE.has(error.code);
    return true;
  }

  close(): void {
    this.#closed = true;
    this.#cluster?.close();
  }
}

/** Kafka, and ZooKeeper as well (0.8.2's dual.commit.enabled: a group on its way to Kafka). */
export class DualOffsetStorage implements OffsetStorage {
  readonly name = 'kafka+zookeeper';
  readonly kafka: KafkaOffsetStorage;
  readonly zookeeper: ZooKeeperOffsetStorage;

  constructor(kafka: KafkaOffsetStorage, zookeeper: ZooKeeperOffsetStorage) {
    this.kafka = kafka;
    this.zookeeper = zookeeper;
  }

  /** The larger of the two offsets (either may be missing). */
  async fetch(partitions: readonly TopicPartition[]): Promise<(number | undefined)[]> {
    const [k, z] = await Promise.all([this.kafka.fetch(partitions), this.zookeeper.fetch(partitions)]);
    return partitions.map((_, i) => {
      const a = k[i];
      const b = z[i];
      return a === undefined ? b : b === undefined ? a : Math.max(a, b);
    });
  }

  /** To Kafka, then to ZooKeeper for each partition Kafka took (0.8.2's order). */
  async commit(offsets: readonly PartitionOffset[]): Promise<CommitResult> {
    const k = await this.kafka.commit(offsets);
    const z = await this.zookeeper.commit(k.committed);
    return { committed: z.committed, error: k.error ?? z.error };
  }

  retriable(error: Error): boolean {
    return this.kafka.retriable(error);
  }

  close(): void {
    this.kafka.close();
  }
}
