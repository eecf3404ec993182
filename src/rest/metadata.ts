/**
 * The proxy's metadata answers, read from ZooKeeper as the 0.8 tools read it (no broker is
 * asked): GET /topics lists /brokers/topics; GET /topics/{t} reads the assignment
 * /brokers/topics/<T>, each partition's state /brokers/topics/<T>/partitions/<P>/state (leader,
 * ISR) and the overrides in /config/topics/<T>; GET /brokers lists /brokers/ids.
 *
 * Produce requests need a topic's partition count; TopicCache keeps what it read for
 * `ttlMs` (a topic that does not exist is read again on every request, so one created a moment
 * ago is found at once).
 */
import type { ZkClient } from '../zk/client.js';
import { partitionStatePath } from '../zk/paths.js';
import { decodePartitionState } from '../zk/payloads.js';
import { listTopics, liveBrokerIds, readAssignment, validateTopicName } from '../admin/topic-admin.js';
import { readEntityConfig } from '../admin/config-admin.js';
import { Errors } from './errors.js';

export interface ReplicaView {
  broker: number;
  leader: boolean;
  in_sync: boolean;
}
export interface PartitionView {
  partition: number;
  leader: number;
  replicas: ReplicaView[];
}
export interface TopicView {
  name: string;
  configs: Record<string, string>;
  partitions: PartitionView[];
}

function validName(topic: string): boolean {
  try {
    validateTopicName(topic);
    return true;
  } catch {
    return false;
  }
}

/** The ZooKeeper reads behind the metadata resources; a failure of ZooKeeper itself is 50001. */
export class Metadata {
  readonly #zk: ZkClient;

  constructor(zk: ZkClient) {
    this.#zk = zk;
  }

  async #zkCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw Errors.zookeeper(err);
    }
  }

  topics(): Promise<string[]> {
    return this.#zkCall(() => listTopics(this.#zk));
  }

  async brokers(): Promise<{ brokers: number[] }> {
    return { brokers: await this.#zkCall(() => liveBrokerIds(this.#zk)) };
  }

  /** The topic's assignment (partition -> replicas), or 40401. */
  async assignment(topic: string): Promise<Map<number, number[]>> {
    if (!validName(topic)) throw Errors.topicNotFound(topic);
    const a = await this.#zkCall(() => readAssignment(this.#zk, topic));
    if (!a) throw Errors.topicNotFound(topic);
    return a.assignment;
  }

  async #partition(topic: string, partition: number, replicas: number[]): Promise<PartitionView> {
    const node = await this.#zkCall(() => this.#zk.get(partitionStatePath(topic, partition)));
    let leader = -1;
    let isr: number[] = [];
    if (node) {
      try {
        const s = decodePartitionState(node.data);
        leader = s.leader;
        isr = s.isr;
      } catch {
        // an unreadable state znode: shown as leaderless
      }
    }
    return { partition, leader, replicas: replicas.map((b) => ({ broker: b, leader: b === leader, in_sync: isr.includes(b) })) };
  }

  async partitions(topic: string): Promise<PartitionView[]> {
    const a = await this.assignment(topic);
    const ids = [...a.keys()].sort((x, y) => x - y);
    return Promise.all(ids.map((p) => this.#partition(topic, p, a.get(p)!)));
  }

  async partition(topic: string, partition: number): Promise<PartitionView> {
    const a = await this.assignment(topic);
    const replicas = a.get(partition);
    if (!replicas) throw Errors.partitionNotFound(topic, partition);
    return this.#partition(topic, partition, replicas);
  }

  async topic(topic: string): Promise<TopicView> {
    const partitions = await this.partitions(topic);
    const configs = await this.#zkCall(() => readEntityConfig(this.#zk, 'topics', topic));
    return { name: topic, configs, partitions };
  }
}

/** Partition counts of topics for produce requests, kept `ttlMs`. */
export class TopicCache {
  readonly #metadata: Metadata;
  readonly #ttlMs: number;
  readonly #known = new Map<string, { count: number; at: number }>();

  constructor(metadata: Metadata, ttlMs = 5000) {
    this.#metadata = metadata;
    this.#ttlMs = ttlMs;
  }

  /** The partition count, or 40401. */
  async partitionCount(topic: string): Promise<number> {
    const k = this.#known.get(topic);
    if (k && Date.now() - k.at < this.#ttlMs) return k.count;
    const a = await this.#metadata.assignment(topic).catch((err: unknown) => {
      this.#known.delete(topic);
      throw err;
    });
    this.#known.set(topic, { count: a.size, at: Date.now() });
    if (this.#known.size > 10_000) this.#known.delete(this.#known.keys().next().value!);
    return a.size;
  }
}
