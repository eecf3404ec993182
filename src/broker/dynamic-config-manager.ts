/**
 * Dynamic topic and broker configs (TopicConfigManager.scala, later DynamicConfigManager): the
 * broker learns config changes from the notifications under /config/changes, never by
 * watching each config znode.
 *
 * - start(): lists /config/changes (the newest sequence seen becomes the last executed), then
 *   reads /config/topics/* and /config/brokers/{<default>,<id>}: everything announced up to that
 *   sequence is in what was read. Then a child watch on /config/changes processes, in sequence
 *   order, every notification newer than the last executed one: it re-reads the named entity's
 *   config (the notification is only a trigger) and emits
 *     'topic'  (topic, overrides)       for /config/topics/<T>
 *     'broker' (merged dynamic config)  for /config/brokers/<default> or /config/brokers/<this id>
 *   Payloads of 0.8 ("T"), 0.9 (version 1) and 0.10.1+ (version 2) are all read.
 * - SCRAM credentials (/config/users/<user>) are held in memory, read at start and again on a
 *   users/<user> notification: scramCredential() answers logins without touching ZooKeeper.
 * - Notifications older than 15 minutes are deleted at start and after each processing (as
 *   Kafka's ZkNodeChangeNotificationListener purges them; change-notifications.ts).
 * - topicConfig(T) answers from the cache, reading ZooKeeper once for a topic not seen yet (a
 *   topic created after start: its config is written before its partitions exist).
 * - knownTopicConfigs: the latest config read of every topic, synchronously (for the logs the
 *   broker loaded from disk before this manager started).
 */
import { EventEmitter } from 'node:events';
import type { ZkClient } from '../zk/client.js';
import { DEFAULT_BROKER_ENTITY, brokerConfigPath, childPath, configChangeSeqPrefix, configChangesPath, configTopicsPath, sequenceOf, topicConfigPath } from '../zk/paths.js';
import { decodeEntityConfigChange, decodeTopicConfig } from '../zk/payloads.js';
import { Logger } from '../common/logger.js';
import { CHANGE_EXPIRATION_MS, purgeObsoleteNotifications } from './change-notifications.js';
import { configUsersPath, sanitizeUser } from '../admin/scram-users.js';
import { decodeCredential, type ScramCredential, type ScramMechanism } from '../common/scram.js';

export { CHANGE_EXPIRATION_MS };

type Events = { topic: [string, Record<string, string>]; broker: [Record<string, string>] };

export class DynamicConfigManager extends EventEmitter<Events> {
  readonly #zk: ZkClient;
  readonly #brokerId: number;
  readonly #log: Logger;
  readonly #topics = new Map<string, Promise<Record<string, string>>>();
  /** The latest completed read of each topic's config (reads complete in the order they were made). */
  readonly #known = new Map<string, Record<string, string>>();
  #broker: Record<string, string> = {};
  /** /config/users/<sanitized user> -> its config (mechanism -> credential text). */
  readonly #users = new Map<string, Record<string, string>>();
  #lastExecuted = -1;
  #processing: Promise<void> = Promise.resolve();
  #unwatch: (() => void) | undefined;
  #stopped = false;

  readonly #changeExpirationMs: number;

  constructor(zk: ZkClient, brokerId: number, log = new Logger('dynamic-config'), opts: { changeExpirationMs?: number } = {}) {
    super();
    this.#zk = zk;
    this.#brokerId = brokerId;
    this.#log = log;
    this.#changeExpirationMs = opts.changeExpirationMs ?? CHANGE_EXPIRATION_MS;
  }

  async start(): Promise<void> {
    const now = Date.now();
    const changes = (await this.#zk.children(configChangesPath)) ?? [];
    for (const c of changes) this.#lastExecuted = Math.max(this.#lastExecuted, sequenceOf(c) ?? -1);
    for (const t of (await this.#zk.children(configTopicsPath)) ?? []) this.#topics.set(t, this.#read(t));
    await Promise.all(this.#topics.values());
    this.#broker = await this.#readBroker();
    await Promise.all(((await this.#zk.children(configUsersPath)) ?? []).map((u) => this.#readUser(u)));
    await this.#purge(now, changes);
    this.#unwatch = this.#zk.watchChildren(configChangesPath, (names) => {
      this.#processing = this.#processing.then(() => this.#process(names ?? [])).catch((err: unknown) => this.#log.warn('config change processing failed', { error: err }));
    });
  }

  /**
   * A user's SCRAM credential for a mechanism, from memory (as Kafka's CredentialCache): read at
   * start and again when /config/changes announces users/<name>, never at login, so a client
   * that is not authenticated yet cannot make the broker read ZooKeeper.
   */
  scramCredential(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    const v = this.#users.get(sanitizeUser(user))?.[mechanism];
    if (v === undefined) return undefined;
    try {
      return decodeCredential(v);
    } catch {
      return undefined;
    }
  }

  /** /config/users/<sanitized name> into the cache (gone or unreadable: no credentials). */
  async #readUser(sanitized: string): Promise<void> {
    const path = childPath(configUsersPath, sanitized);
    try {
      const node = await this.#zk.get(path);
      if (node) this.#users.set(sanitized, decodeTopicConfig(node.data, path));
      else this.#users.delete(sanitized);
    } catch (err) {
      this.#users.delete(sanitized);
      this.#log.warn('ignoring unreadable SCRAM credentials', { path, error: err });
    }
  }

  /** The dynamic broker config (cluster default overlaid with this broker's own). */
  get brokerConfig(): Record<string, string> {
    return { ...this.#broker };
  }

  /** A topic's overrides (topic-level names); {} when it has none. */
  topicConfig(topic: string): Promise<Record<string, string>> {
    let p = this.#topics.get(topic);
    if (!p) {
      p = this.#read(topic);
      this.#topics.set(topic, p);
    }
    return p;
  }

  /**
   * Reads a topic's config from ZooKeeper again (the cache may hold a deleted topic's: a topic
   * created again announces no change) and resolves with the newest read, this one or a later.
   */
  async refreshTopic(topic: string): Promise<Record<string, string>> {
    const p = this.#read(topic);
    this.#topics.set(topic, p);
    await p;
    return this.topicConfig(topic);
  }

  /** The latest config read of every topic seen (topic-level names), without waiting. */
  get knownTopicConfigs(): ReadonlyMap<string, Record<string, string>> {
    return new Map(this.#known);
  }

  /** Forgets a topic (deleted): its next use reads ZooKeeper again. */
  forgetTopic(topic: string): void {
    this.#topics.delete(topic);
    this.#known.delete(topic);
  }

  async #read(topic: string): Promise<Record<string, string>> {
    try {
      const node = await this.#zk.get(topicConfigPath(topic));
      const config = node ? decodeTopicConfig(node.data, topicConfigPath(topic)) : {};
      this.#known.set(topic, config);
      return config;
    } catch (err) {
      this.#log.warn('ignoring an unreadable topic config', { topic, error: err });
      return {};
    }
  }

  async #readBroker(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const entity of [DEFAULT_BROKER_ENTITY, String(this.#brokerId)]) {
      try {
        const node = await this.#zk.get(brokerConfigPath(entity));
        if (node) Object.assign(out, decodeTopicConfig(node.data, brokerConfigPath(entity)));
      } catch (err) {
        this.#log.warn('ignoring an unreadable broker config', { entity, error: err });
      }
    }
    return out;
  }

  async #process(names: string[]): Promise<void> {
    if (this.#stopped) return;
    const now = Date.now();
    const seqs = names.map((n) => ({ n, seq: sequenceOf(n) })).filter((x): x is { n: string; seq: number } => x.seq !== undefined).sort((a, b) => a.seq - b.seq);
    for (const { n, seq } of seqs) {
      if (seq <= this.#lastExecuted) continue;
      const path = childPath(configChangesPath, n);
      this.#lastExecuted = seq;
      const node = await this.#zk.get(path).catch(() => undefined);
      if (!node) continue;
      // a SCRAM credential change (users/<name>): that user's credentials are read again
      const user = /^\s*\{.*"entity_path"\s*:\s*"users\/([^"]+)"/.exec(node.data.toString());
      if (user) {
        await this.#readUser(user[1]!);
        this.#log.info('SCRAM credentials changed', { user: user[1] });
        continue;
      }
      try {
        const change = decodeEntityConfigChange(node.data, path);
        if (change.entityType === 'topics') {
          const p = this.#read(change.entityName);
          this.#topics.set(change.entityName, p);
          const cfg = await p;
          this.#log.info('topic config changed', { topic: change.entityName, config: JSON.stringify(cfg) });
          this.emit('topic', change.entityName, cfg);
        } else if (change.entityType === 'brokers' && (change.entityName === DEFAULT_BROKER_ENTITY || change.entityName === String(this.#brokerId))) {
          this.#broker = await this.#readBroker();
          this.#log.info('broker config changed', { entity: change.entityName, config: JSON.stringify(this.#broker) });
          this.emit('broker', { ...this.#broker });
        }
      } catch (err) {
        this.#log.warn('ignoring an unreadable config change notification', { path, error: err });
      }
    }
    // then, as Kafka: every notification older than the expiry (measured from before processing) goes
    await this.#purge(now, names);
  }

  async #purge(now: number, names: readonly string[]): Promise<void> {
    if (this.#stopped) return;
    const n = await purgeObsoleteNotifications(this.#zk, configChangesPath, configChangeSeqPrefix, { now, expirationMs: this.#changeExpirationMs, log: this.#log, names });
    if (n > 0) this.#log.info(`purged ${n} config change notification(s) older than ${this.#changeExpirationMs} ms`);
  }

  stop(): void {
    this.#stopped = true;
    this.#unwatch?.();
  }
}
