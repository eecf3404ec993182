/**
 * One REST consumer instance: a member of a ZooKeeper-coordinated group through 0.8's consumer
 * connector (src/client/connector). It registers as `/consumers/<G>/ids/<G>_<instance>`
 * (consumer.id is the instance name) once subscribed, and owns partitions as any 0.8 consumer.
 *
 * - The instance keeps one ZooKeeper session from its creation (offsets can be read and
 *   committed before a subscription); a subscription registers it and starts the rebalances.
 *   A new subscription replaces the old one: the connector is closed (its znodes go at once)
 *   and a new one subscribes, as a 0.8 consumer can subscribe only once.
 * - `topics` is a static subscription (one stream per topic); `topic_pattern` a whitelist
 *   (0.8's createMessageStreamsByFilter), so topics created later that match join.
 * - GET .../records takes what the streams hold, waiting up to the timeout for a first record,
 *   and stops at max_bytes (keys and values); a record taken but not answered is kept for the
 *   next call. Only records answered count as consumed: an offset commit without a body (or
 *   auto.commit.enable) commits exactly those.
 * - POST .../offsets with offsets commits, as Confluent does, offset + 1 (the offset given is
 *   the last record consumed; what is stored is the next one to read).
 *
 * Calls on one instance run one at a time.
 */
import { Logger } from '../common/logger.js';
import { ConfigError } from '../common/errors.js';
import { ConsumerConnector, TopicFilter } from '../client/connector/consumer-connector.js';
import { offsetStorageFor } from '../client/connector/offset-storage.js';
import type { ConsumerRecord, KafkaStream, PartitionTopicInfo } from '../client/connector/stream.js';
import { listTopics, validateTopicName } from '../admin/topic-admin.js';
import { Errors, RestError } from './errors.js';
import type { EmbeddedFormat } from './http-util.js';

export type Subscription = { topics: string[] } | { pattern: string };

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function configError(err: unknown): Error {
  if (err instanceof RestError) return err;
  if (err instanceof ConfigError) return Errors.invalidConsumerConfig(err.message);
  return Errors.zookeeper(err);
}

export class ConsumerInstance {
  readonly group: string;
  readonly name: string;
  readonly format: EmbeddedFormat;
  /** When the last call on this instance began or ended (idle instances are closed). */
  lastUsed = Date.now();
  /** Calls running now (an instance in use is never idle). */
  active = 0;
  readonly #props: Record<string, string>;
  readonly #log: Logger;
  #connector: ConsumerConnector;
  #subscription: Subscription | undefined;
  #filter: TopicFilter | undefined;
  #streams: KafkaStream[] = [];
  #leftover: ConsumerRecord[] = [];
  /** The partition generations of records answered (explicit commits move them too). */
  readonly #infos = new Map<string, PartitionTopicInfo>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(group: string, name: string, format: EmbeddedFormat, props: Record<string, string>, connector: ConsumerConnector, log: Logger) {
    this.group = group;
    this.name = name;
    this.format = format;
    this.#props = props;
    this.#connector = connector;
    this.#log = log;
  }

  /** Checks the configuration (42204) and opens the instance's ZooKeeper session (50001). */
  static async create(group: string, name: string, format: EmbeddedFormat, props: Record<string, string>): Promise<ConsumerInstance> {
    const log = new Logger(`rest-consumer ${group}/${name}`);
    let connector: ConsumerConnector;
    try {
      connector = await ConsumerConnector.create(props, { logger: log, markProcessedOnNext: false });
    } catch (err) {
      throw configError(err);
    }
    return new ConsumerInstance(group, name, format, props, connector, log);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs calls on this instance one at a time. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(() => {
      if (this.#closed) throw Errors.consumerInstanceNotFound(this.group, this.name);
      return fn();
    });
    this.#queue = p.catch(() => undefined);
    return p;
  }

  async subscribe(sub: Subscription): Promise<void> {
    let filter: TopicFilter | undefined;
    try {
      if ('topics' in sub) {
        if (sub.topics.length === 0) throw Errors.unprocessable('topics must name at least one topic');
        for (const t of sub.topics) validateTopicName(t);
      } else {
        filter = TopicFilter.whitelist(sub.pattern);
      }
    } catch (err) {
      throw err instanceof RestError ? err : Errors.unprocessable((err as Error).message);
    }
    if (this.#subscription) await this.#reset();
    try {
      if ('topics' in sub) {
        const streams = await this.#connector.createMessageStreams(Object.fromEntries([...new Set(sub.topics)].map((t) => [t, 1])));
        this.#streams = [...streams.values()].flat();
      } else {
        this.#streams = await this.#connector.createMessageStreamsByFilter(filter!, 1);
      }
    } catch (err) {
      await this.#reset().catch(() => undefined);
      throw configError(err);
    }
    this.#subscription = sub;
    this.#filter = filter;
  }

  async unsubscribe(): Promise<void> {
    if (this.#subscription) await this.#reset();
  }

  /** A fresh, unsubscribed connector in place of the current one. */
  async #reset(): Promise<void> {
    const old = this.#connector;
    this.#subscription = undefined;
    this.#filter = undefined;
    this.#streams = [];
    this.#leftover = [];
    this.#infos.clear();
    await old.close();
    try {
      this.#connector = await ConsumerConnector.create(this.#props, { logger: this.#log, markProcessedOnNext: false });
    } catch (err) {
      this.#closed = true;
      throw Errors.zookeeper(err);
    }
  }

  /** The subscribed topics (for a pattern: the existing topics it matches). */
  async topics(): Promise<string[]> {
    const sub = this.#subscription;
    if (!sub) return [];
    if ('topics' in sub) return [...new Set(sub.topics)].sort();
    const all = await listTopics(this.#connector.zk).catch((err: unknown) => {
      throw Errors.zookeeper(err);
    });
    return this.#filter!.select(all, this.#connector.config.excludeInternalTopics);
  }

  #current(r: ConsumerRecord): boolean {
    return this.#connector.partitionOf(r)?.active ?? false;
  }

  /**
   * Records for GET .../records: waits up to `timeoutMs` for the first, then takes what is queued
   * without waiting, up to `maxBytes` of keys and values (at least one record).
   */
  async read(timeoutMs: number, maxBytes: number): Promise<ConsumerRecord[]> {
    if (!this.#subscription) throw Errors.notSubscribed(this.name);
    const deadline = Date.now() + timeoutMs;
    const out: ConsumerRecord[] = [];
    let bytes = 0;
    const take = (r: ConsumerRecord): boolean => {
      const size = (r.key?.length ?? 0) + (r.value?.length ?? 0);
      if (out.length > 0 && bytes + size > maxBytes) return false;
      out.push(r);
      bytes += size;
      return true;
    };
    let full = false;
    while (this.#leftover.length > 0 && !full) {
      const r = this.#leftover[0]!;
      if (!this.#current(r)) this.#leftover.shift();
      else if (take(r)) this.#leftover.shift();
      else full = true;
    }
    while (!full) {
      let got = false;
      for (const s of this.#streams) {
        for (let r = s.poll(); r; r = full ? undefined : s.poll()) {
          got = true;
          if (!take(r)) {
            this.#leftover.push(r);
            full = true;
          }
        }
        if (full) break;
      }
      if (full || (out.length > 0 && !got) || Date.now() >= deadline || this.#closed) break;
      await sleep(Math.max(1, Math.min(10, deadline - Date.now())));
    }
    for (const r of out) {
      const info = this.#connector.partitionOf(r);
      if (!info) continue;
      info.markProcessed(r.offset);
      this.#infos.set(tpKey(r.topic, r.partition), info);
    }
    return out;
  }

  /** Commits what was answered (no offsets given), or the given offsets (+1, as Confluent). */
  async commit(offsets: TopicPartitionOffset[] | undefined): Promise<void> {
    if (offsets === undefined) {
      if (!this.#subscription) return;
      try {
        await this.#connector.commitOffsets();
      } catch (err) {
        throw Errors.zookeeper(err);
      }
      return;
    }
    for (const o of offsets) {
      const info = this.#infos.get(tpKey(o.topic, o.partition));
      if (info?.active) info.markProcessed(o.offset);
    }
    const storage = offsetStorageFor(this.#connector.config, this.#connector.zk, this.#log);
    try {
      const { error } = await storage.commit(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset + 1 })));
      if (error) throw error;
    } catch (err) {
      throw Errors.zookeeper(err);
    } finally {
      storage.close();
    }
  }

  /** The committed offsets (the next offset to read) of these partitions; none when never committed. */
  async committed(partitions: { topic: string; partition: number }[]): Promise<TopicPartitionOffset[]> {
    const storage = offsetStorageFor(this.#connector.config, this.#connector.zk, this.#log);
    try {
      const got = await storage.fetch(partitions);
      const out: TopicPartitionOffset[] = [];
      partitions.forEach((p, i) => {
        const o = got[i];
        if (o !== undefined && o >= 0) out.push({ topic: p.topic, partition: p.partition, offset: o });
      });
      return out;
    } catch (err) {
      throw Errors.zookeeper(err);
    } finally {
      storage.close();
    }
  }

  /** Leaves the group: commits (auto.commit.enable) and closes the session. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#connector.close().catch((err: unknown) => this.#log.warn('close failed', { error: err as Error }));
  }
}
