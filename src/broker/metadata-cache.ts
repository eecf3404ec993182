/**
 * The broker's view of the cluster, kept current from the ZooKeeper registries with watches
 * (never polling): live brokers from `/brokers/ids`, topics and their replica assignments from
 * `/brokers/topics/<T>`. Every broker answers Metadata for the whole cluster from here.
 *
 * Leadership (one replica per partition, before the controller takes it over): the leader of a
 * partition is the first live broker of its assignment; the ISR is the leader alone.
 */
import { EventEmitter } from 'node:events';
import type { ZkClient } from '../zk/client.js';
import { brokerIdsPath, brokerIdPath, brokerTopicsPath, topicPath, topicConfigPath } from '../zk/paths.js';
import { decodeBrokerRegistration, decodeTopicAssignment, decodeTopicConfig } from '../zk/payloads.js';
import { Logger } from '../common/logger.js';

export interface BrokerEndpoint {
  id: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  topic: string;
  partition: number;
  replicas: number[];
  leader: number;
  isr: number[];
}

export class MetadataCache extends EventEmitter {
  readonly #zk: ZkClient;
  readonly #log: Logger;
  readonly #brokers = new Map<number, BrokerEndpoint>();
  /** topic -> partition -> replicas */
  readonly #assignments = new Map<string, Map<number, number[]>>();
  readonly #topicUnwatch = new Map<string, () => void>();
  /** topic -> its overrides from /config/topics/<T> */
  readonly #configs = new Map<string, Record<string, string>>();
  readonly #unwatch: (() => void)[] = [];
  #ready: Promise<void> | undefined;

  constructor(zk: ZkClient, logger = new Logger('metadata')) {
    super();
    this.#zk = zk;
    this.#log = logger;
  }

  /** Starts the watches; resolves once the first view of brokers and topics is loaded. */
  start(): Promise<void> {
    this.#ready ??= (async () => {
      let brokersLoaded!: () => void;
      let topicsLoaded!: () => void;
      const b = new Promise<void>((r) => (brokersLoaded = r));
      const t = new Promise<void>((r) => (topicsLoaded = r));
      this.#unwatch.push(
        this.#zk.watchChildren(brokerIdsPath, async (ids) => {
          await this.#onBrokers(ids ?? []);
          brokersLoaded();
        }),
      );
      this.#unwatch.push(
        this.#zk.watchChildren(brokerTopicsPath, async (topics) => {
          await this.#onTopics(topics ?? []);
          topicsLoaded();
        }),
      );
      await Promise.all([b, t]);
    })();
    return this.#ready;
  }

  stop(): void {
    for (const u of this.#unwatch) u();
    for (const u of this.#topicUnwatch.values()) u();
    this.#unwatch.length = 0;
    this.#topicUnwatch.clear();
  }

  async #onBrokers(ids: string[]): Promise<void> {
    const live = new Set(ids.map(Number).filter((n) => Number.isInteger(n)));
    for (const id of [...this.#brokers.keys()]) if (!live.has(id)) this.#brokers.delete(id);
    await Promise.all(
      [...live].map(async (id) => {
        const node = await this.#zk.get(brokerIdPath(id));
        if (!node) return;
        try {
          const reg = decodeBrokerRegistration(node.data);
          this.#brokers.set(id, { id, host: reg.host, port: reg.port });
        } catch (err) {
          this.#log.warn('ignoring an unreadable broker registration', { id, error: err });
        }
      }),
    );
    this.emit('change');
  }

  async #onTopics(topics: string[]): Promise<void> {
    const current = new Set(topics);
    for (const [t, unwatch] of this.#topicUnwatch) {
      if (!current.has(t)) {
        unwatch();
        this.#topicUnwatch.delete(t);
        this.#assignments.delete(t);
        this.#configs.delete(t);
      }
    }
    const loads: Promise<void>[] = [];
    for (const t of current) {
      if (this.#topicUnwatch.has(t)) continue;
      loads.push(
        new Promise<void>((loaded) => {
          const unwatch = this.#zk.watchData(topicPath(t), (node) => {
            if (!node) this.#assignments.delete(t);
            else {
              try {
                this.#assignments.set(t, decodeTopicAssignment(node.data));
              } catch (err) {
                this.#log.warn('ignoring an unreadable topic assignment', { topic: t, error: err });
              }
            }
            loaded();
            this.emit('change');
          });
          const unwatchConfig = this.#zk.watchData(topicConfigPath(t), (node) => {
            try {
              this.#configs.set(t, node ? decodeTopicConfig(node.data) : {});
            } catch (err) {
              this.#log.warn('ignoring an unreadable topic config', { topic: t, error: err });
            }
            this.emit('config', t, this.#configs.get(t) ?? {});
          });
          this.#topicUnwatch.set(t, () => {
            unwatch();
            unwatchConfig();
          });
        }),
      );
    }
    await Promise.all(loads);
    this.emit('change');
  }

  /** A topic's config overrides (topic-level names), empty when it has none. */
  topicConfig(topic: string): Record<string, string> {
    return this.#configs.get(topic) ?? {};
  }

  brokers(): BrokerEndpoint[] {
    return [...this.#brokers.values()].sort((a, b) => a.id - b.id);
  }

  broker(id: number): BrokerEndpoint | undefined {
    return this.#brokers.get(id);
  }

  isAlive(id: number): boolean {
    return this.#brokers.has(id);
  }

  topics(): string[] {
    return [...this.#assignments.keys()].sort();
  }

  hasTopic(topic: string): boolean {
    return this.#assignments.has(topic);
  }

  /** The partitions of a topic, or undefined when the topic does not exist. */
  partitions(topic: string): PartitionMetadata[] | undefined {
    const a = this.#assignments.get(topic);
    if (!a) return undefined;
    return [...a.entries()].sort((x, y) => x[0] - y[0]).map(([p]) => this.partition(topic, p)!);
  }

  partition(topic: string, partition: number): PartitionMetadata | undefined {
    const replicas = this.#assignments.get(topic)?.get(partition);
    if (!replicas) return undefined;
    const leader = replicas.find((r) => this.#brokers.has(r)) ?? -1;
    return { topic, partition, replicas, leader, isr: leader >= 0 ? [leader] : [] };
  }

  /** Every partition assigned to a broker, as [topic, partition] pairs. */
  assignedTo(brokerId: number): { topic: string; partition: number }[] {
    const out: { topic: string; partition: number }[] = [];
    for (const [topic, parts] of this.#assignments) {
      for (const [partition, replicas] of parts) if (replicas.includes(brokerId)) out.push({ topic, partition });
    }
    return out;
  }
}
