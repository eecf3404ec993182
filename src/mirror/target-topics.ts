/**
 * What the mirror knows about topics, learnt once and then answered synchronously on the
 * per-record path:
 *
 * - whether a target topic exists. Before the first record of a topic is sent, the mirror
 *   makes sure: when the target's metadata (all topics, so that asking creates nothing) does
 *   not list it, it is created with CreateTopics with the source topic's partition count and the
 *   target's default.replication.factor (TOPIC_ALREADY_EXISTS, another mirror being quicker, is
 *   fine). With `create: false` that is left to the target's auto.create.topics.enable, as
 *   0.9's MirrorMaker did.
 * - partition counts of source topics (from the source's ZooKeeper) and target topics (from
 *   the producer's metadata), for creating topics and for --preserve.partitions.
 *
 * forget() (at each rebalance) drops it all: a source topic may have grown, a target topic may
 * have been deleted.
 */
import { call, type Cluster } from '../client/cluster.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode, KafkaError, errorName } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

export interface TopicSources {
  /** The partition count of a source topic. */
  sourcePartitions(topic: string): Promise<number>;
  /** The partition count of a target topic. */
  targetPartitions(topic: string): Promise<number>;
}

export class TargetTopics {
  readonly #cluster: Cluster;
  readonly #create: boolean;
  readonly #log: Logger;
  readonly #sources: TopicSources;
  readonly #known = new Set<string>();
  readonly #counts = new Map<string, number>();
  readonly #pending = new Map<string, Promise<void>>();

  constructor(cluster: Cluster, sources: TopicSources, opts: { create: boolean; log: Logger }) {
    this.#cluster = cluster;
    this.#sources = sources;
    this.#create = opts.create;
    this.#log = opts.log;
  }

  /** True when records may be sent to `topic` now (it exists, or creating is not ours). */
  known(topic: string): boolean {
    return !this.#create || this.#known.has(topic);
  }

  /** Resolves once `topic` exists on the target (created like `sourceTopic` if it did not). */
  ensure(topic: string, sourceTopic: string): Promise<void> {
    return this.#once(`ensure:${topic}`, async () => {
      await this.#ensure(topic, sourceTopic);
      this.#known.add(topic);
    });
  }

  /**
   * The source partition when source and target topics have as many partitions, undefined
   * when they differ, or a promise to ask again once both counts are known.
   */
  samePartition(sourceTopic: string, partition: number, targetTopic: string): number | undefined | Promise<void> {
    const s = this.#counts.get(`s:${sourceTopic}`);
    const t = this.#counts.get(`t:${targetTopic}`);
    if (s === undefined || t === undefined) return Promise.all([this.#sourceCount(sourceTopic), this.#targetCount(targetTopic)]).then(() => undefined);
    return s === t ? partition : undefined;
  }

  forget(): void {
    this.#known.clear();
    this.#counts.clear();
  }

  #sourceCount(topic: string): Promise<number> {
    return this.#count(`s:${topic}`, () => this.#sources.sourcePartitions(topic));
  }

  #targetCount(topic: string): Promise<number> {
    return this.#count(`t:${topic}`, () => this.#sources.targetPartitions(topic));
  }

  async #count(key: string, read: () => Promise<number>): Promise<number> {
    const known = this.#counts.get(key);
    if (known !== undefined) return known;
    await this.#once(key, async () => void this.#counts.set(key, await read()));
    return this.#counts.get(key) ?? (await read());
  }

  /** One lookup at a time per key; a failed one is tried again by the next caller. */
  #once(key: string, run: () => Promise<void>): Promise<void> {
    let p = this.#pending.get(key);
    if (!p) {
      p = run().finally(() => this.#pending.delete(key));
      this.#pending.set(key, p);
    }
    return p;
  }

  async #ensure(topic: string, sourceTopic: string): Promise<void> {
    const md = await this.#cluster.refresh(); // every topic: naming one would auto-create it
    if (md.topics.some((t) => t.topic === topic && t.errorCode === ErrorCode.NONE)) return;
    const numPartitions = await this.#sourceCount(sourceTopic);
    const controller = this.#cluster.controllerId;
    const conn = controller >= 0 && this.#cluster.brokers.has(controller) ? this.#cluster.connectionTo(controller) : await this.#cluster.anyConnection();
    const res = (await call(conn, API_CODECS[ApiKey.CreateTopics], 0, {
      topics: [{ topic, numPartitions, replicationFactor: -1, replicaAssignment: [], configs: [] }],
      timeoutMs: 30_000,
    }))!;
    const code = res.topics.find((t) => t.topic === topic)?.errorCode ?? ErrorCode.UNKNOWN;
    if (code === ErrorCode.TOPIC_ALREADY_EXISTS) return;
    if (code !== ErrorCode.NONE) {
      throw new KafkaError(code, `cannot create topic "${topic}" on the target: ${errorName(code)}`, { context: { topic } });
    }
    this.#log.info(`created topic "${topic}" on the target with ${numPartitions} partition(s)`);
  }
}
