/**
 * Topics on the target cluster. Before the first record of a topic is sent, the mirror makes
 * sure the target has it: when the target's metadata (all topics, so that asking creates
 * nothing) does not list it, it is created with CreateTopics with the source topic's partition
 * count and the target's default.replication.factor (TOPIC_ALREADY_EXISTS, another mirror
 * being quicker, is fine). With `create: false` the mirror leaves it to the target's
 * auto.create.topics.enable, as 0.9's MirrorMaker did.
 *
 * Partition counts are remembered per topic until forget() (at each rebalance: a source topic
 * may have grown).
 */
import { call, type Cluster } from '../client/cluster.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode, KafkaError, errorName } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

export class TargetTopics {
  readonly #cluster: Cluster;
  readonly #create: boolean;
  readonly #log: Logger;
  readonly #ready = new Map<string, Promise<void>>();

  constructor(cluster: Cluster, opts: { create: boolean; log: Logger }) {
    this.#cluster = cluster;
    this.#create = opts.create;
    this.#log = opts.log;
  }

  /** Resolves once `topic` exists on the target (created with `partitions` if it did not). */
  ensure(topic: string, partitions: () => Promise<number>): Promise<void> {
    if (!this.#create) return Promise.resolve();
    let p = this.#ready.get(topic);
    if (!p) {
      p = this.#ensure(topic, partitions);
      this.#ready.set(topic, p);
      p.catch(() => this.#ready.delete(topic)); // tried again with the next record
    }
    return p;
  }

  async #ensure(topic: string, partitions: () => Promise<number>): Promise<void> {
    const md = await this.#cluster.refresh(); // every topic: naming one would auto-create it
    if (md.topics.some((t) => t.topic === topic && t.errorCode === ErrorCode.NONE)) return;
    const numPartitions = await partitions();
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

  /** Forgets what was checked (the next record of each topic checks again). */
  forget(): void {
    this.#ready.clear();
  }
}
