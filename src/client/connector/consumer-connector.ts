/**
 * ConsumerConnector: Kafka 0.8's ZooKeeper-coordinated high-level consumer
 * (ZookeeperConsumerConnector.scala). It keeps all four registries of the paper:
 *
 *   /consumers/<G>/ids/<consumerId>   ephemeral: {"version":1,"subscription":{"<T>":<streams>},"pattern":"static","timestamp":"<ms>"}
 *                                     (a wildcard subscription: {"<regex>":<streams>} with "white_list" or "black_list")
 *   /consumers/<G>/owners/<T>/<P>     ephemeral: the owning thread id `<consumerId>-<n>`
 *   /consumers/<G>/offsets/<T>/<P>    persistent: the next offset to consume, decimal text
 *   /brokers/ids, /brokers/topics/<T> read (and watched) to find partitions and brokers
 *
 * (With offsets.storage=kafka the offsets are kept by the group's offset manager, a broker,
 * instead, or as well with dual.commit.enabled: offset-storage.ts. Everything else stays.)
 *
 * Secure listeners: with security.protocol (SSL, SASL_PLAINTEXT, SASL_SSL; ssl.*, sasl.*) each
 * broker is reached at the endpoint of its registration whose listener maps to that protocol
 * (the one named like it first: broker-endpoints.ts), never at the top-level PLAINTEXT host/port.
 * Brokers registered with no such listener: subscribe fails with NoListenerError (and a later
 * rebalance reports it on the streams). What the brokers refuse (no Describe/Read ACL on a
 * topic, no ACL on the group with offsets.storage=kafka, bad credentials) is thrown by the
 * streams' next() and logged as an error, and tried again later.
 *
 * Watches on the children of `/consumers/<G>/ids` and `/brokers/ids` and the data of each
 * subscribed `/brokers/topics/<T>` (topic-watches.ts; with a whitelist or blacklist,
 * createMessageStreamsByFilter, the children of `/brokers/topics` too, so that a matching topic
 * created later joins) only mark a rebalance as needed; one loop performs it, when
 * what the watches see differs from what the last successful rebalance saw. An attempt:
 *
 *   1. reads the members, the brokers and the subscribed topics' partitions (if ZooKeeper is
 *      away this fails here, and fetching goes on);
 *   2. computes the assignment (assignors.ts: range or roundrobin);
 *   3. stops fetching, drops queued records, calls the rebalance listener's
 *      beforeReleasingPartitions, commits the processed offsets (auto-commit on), deletes its
 *      own owner znodes;
 *   4. reads the offsets of its new partitions;
 *   5. creates their owner znodes (ephemeral); if one exists for someone else (or a
 *      predecessor's session has not expired yet), it deletes what this attempt created and
 *      the attempt fails;
 *   6. starts fetching (fetcher.ts) from the offsets read, or per auto.offset.reset.
 *
 * A failed attempt is retried after rebalance.backoff.ms (sooner if the owner znodes that made
 * it fail are all deleted before: nothing is held meanwhile); after every rebalance.max.retries
 * failures an error naming the group and the consumer is logged (and 'rebalanceFailed'
 * emitted), and it keeps trying: an owner left by a killed member goes away when its session
 * expires. On session expiry fetching stops at once (the owner znodes died with the session);
 * the consumer re-registers and rebalances. close() stops fetching, calls the listener, commits
 * (auto-commit on) and closes the session, which deletes its registration and owner znodes at once.
 */
import { EventEmitter } from 'node:events';
import { ZkClient } from '../../zk/client.js';
import { NodeExistsError } from '../../zk/errors.js';
import { brokerIdsPath, consumerIdPath, consumerIdsPath } from '../../zk/paths.js';
import { encodeConsumerRegistration } from '../../zk/payloads.js';
import { Cluster } from '../cluster.js';
import { brokerAddresses, brokerAddressesOrThrow, noListenerError, readBrokerRegistrations } from '../broker-endpoints.js';
import type { SecurityProtocol } from '../../network/tls-config.js';
import { Logger } from '../../common/logger.js';
import { ErrorCode, KafkaError, ProjectError } from '../../common/errors.js';
import { SaslAuthenticationError } from '../../network/sasl-client.js';
import { validateTopicName } from '../../admin/topic-admin.js';
import { assign, ownedBy, type PartitionOwner } from './assignors.js';
import { consumerConfig, validateStreamCount, validateSubscription, type ConsumerConfig, type ConsumerProperties } from './config.js';
import { newConsumerId } from './consumer-id.js';
import { Fetcher } from './fetcher.js';
import { offsetStorageFor, type OffsetStorage } from './offset-storage.js';
import { groupViewKey, readMembers, readTopicPartitions, type Subscription } from './registry.js';
import { OwnerConflictError, claimPartition, describeOwned, releasePartitions } from './ownership.js';
import { WakeableSleep, backOff, watchForChange } from './waits.js';
import { KafkaStream, PartitionTopicInfo, type ConsumerRecord } from './stream.js';
import { TopicFilter } from './topic-filter.js';
import { TopicWatches, type TopicSubscription } from './topic-watches.js';
import { MetricsServer } from '../../common/metrics-server.js';
import { connectorMetrics } from '../client-metrics.js';

export type { PartitionOwner } from './assignors.js';
export { TopicFilter } from './topic-filter.js';

/** 0.8's ConsumerRebalanceListener (as the 0.9 MirrorMaker used it). */
export interface ConsumerRebalanceListener {
  /**
   * Fetching has stopped and queued records are dropped; the owner znodes of `owned` are about
   * to be deleted (a rebalance, or close()). The connector waits for the promise; commitOffsets()
   * may be called here. A rejection is logged and the release goes on.
   */
  beforeReleasingPartitions(owned: PartitionOwner[]): void | Promise<void>;
}

export interface ConnectorOptions {
  logger?: Logger;
  rebalanceListener?: ConsumerRebalanceListener;
  /**
   * Whether asking a stream for the next record marks the previous one processed (default
   * true, see stream.ts). With false only markProcessed() does: for records handed on
   * asynchronously (the mirror marks a record once the target acknowledged it).
   */
  markProcessedOnNext?: boolean;
}

/** An owner znode held by someone else (another member, or a predecessor whose session lives on). */
export { OwnerConflictError };
/** The connector is closed. */
export class ConnectorClosedError extends ProjectError {}

export interface ConnectorEvents {
  /** A rebalance succeeded: what this consumer now owns and fetches. */
  assigned: [owned: PartitionOwner[], info: { attempt: number; durationMs: number }];
  /** Fetching stopped (and offsets were committed): these owner znodes are about to go. */
  revoked: [owned: PartitionOwner[]];
  /** rebalance.max.retries attempts in a row failed (the connector keeps trying). */
  rebalanceFailed: [error: Error];
  /** An out-of-range offset was reset by auto.offset.reset. */
  offsetReset: [info: { topic: string; partition: number; from: number; to: number }];
}

const NOT_YET = Symbol('not yet delivered');

/** An error only a change of ACLs or credentials cures. */
function isRefusal(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof SaslAuthenticationError) return true;
    if (e instanceof KafkaError && (e.code === ErrorCode.GROUP_AUTHORIZATION_FAILED || e.code === ErrorCode.TOPIC_AUTHORIZATION_FAILED || e.code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED)) return true;
  }
  return false;
}
/** Attempts that wait for an unreadable registration to be written before counting it as subscribing to nothing. */
export const UNREADABLE_REGISTRATION_ATTEMPTS = 3;

export class ConsumerConnector extends EventEmitter<ConnectorEvents> {
  readonly config: ConsumerConfig;
  readonly consumerId: string;
  readonly log: Logger;
  readonly #zk: ZkClient;
  readonly #offsets: OffsetStorage;
  readonly #listener: ConsumerRebalanceListener | undefined;
  readonly #markOnNext: boolean;
  /** The static subscription, or the wildcard's filter and stream count. */
  #subscription: { kind: 'static'; topics: Subscription } | { kind: 'wildcard'; filter: TopicFilter; streams: number } | undefined;
  #registration: Buffer | undefined;
  /** Static: topic -> its streams. Wildcard: the streams under the key ''. */
  readonly #streams = new Map<string, KafkaStream[]>();
  #topicWatches: TopicWatches | undefined;
  #cluster: { key: string; cluster: Cluster } | undefined;
  #fetcher: Fetcher | undefined;
  #fetcherStopping: Promise<void> = Promise.resolve();
  /** Partitions of the current generation (all active). */
  #registry: PartitionTopicInfo[] = [];
  /** Owner znodes this consumer holds (kept until their deletion succeeded). */
  #owned: PartitionOwner[] = [];
  #sessionEpoch = 0;
  #closing = false;
  #closed: Promise<void> | undefined;
  #unwatch: (() => void)[] = [];
  #seen: { ids: string[] | typeof NOT_YET; brokers: string[] | typeof NOT_YET } = { ids: NOT_YET, brokers: NOT_YET };
  #lastView: string | undefined;
  #wanted = false;
  #forced = false;
  #loopWake: (() => void) | undefined;
  readonly #sleeper = new WakeableSleep();
  /** Sleeping out rebalance.backoff.ms after a failed attempt. */
  #backingOff = false;
  /** The members (sorted ids) the current attempt computed its assignment from. */
  #attemptMembers: string | undefined;
  /** Owner znodes held by others that made the last attempt fail. */
  #blockers: string[] = [];
  /** Registrations that did not parse in the last attempt: a change to one ends the back-off. */
  #changing: string[] = [];
  /** Data watches on registrations counted with no subscription (see #watchUnreadable). */
  readonly #unreadableWatches = new Map<string, () => void>();
  #loop: Promise<void> = Promise.resolve();
  #commitChain: Promise<void> = Promise.resolve();
  #autoCommit: NodeJS.Timeout | undefined;
  #rebalances = 0;
  #warned = new Set<string>();

  /**
   * Checks the configuration (ConfigError before anything touches ZooKeeper), then opens the
   * ZooKeeper session. Nothing is registered until createMessageStreams.
   */
  static async create(props: ConsumerProperties, opts: ConnectorOptions = {}): Promise<ConsumerConnector> {
    const log = opts.logger ?? new Logger('consumer');
    const config = consumerConfig(props, (m) => log.warn(m));
    const zk = await ZkClient.connect({
      connectString: config.zookeeperConnect,
      chroot: config.zookeeperChroot,
      sessionTimeoutMs: config.zookeeperSessionTimeoutMs,
      connectTimeoutMs: config.zookeeperConnectionTimeoutMs,
    });
    const connector = new ConsumerConnector(config, zk, log, opts);
    if (config.metricsPort !== undefined) {
      try {
        await connector.#serveMetrics(config.metricsPort);
      } catch (err) {
        await connector.close();
        throw err;
      }
    }
    return connector;
  }

  /** Records processed so far, by topic (the metrics' running totals). */
  readonly #consumed = new Map<string, number>();
  #metricsServer: MetricsServer | undefined;

  /** Where /metrics is served, with metrics.port set. */
  get metricsUrl(): string | undefined {
    return this.#metricsServer ? `http://127.0.0.1:${this.#metricsServer.port}/metrics` : undefined;
  }

  async #serveMetrics(port: number): Promise<void> {
    const m = connectorMetrics({ clientId: this.config.clientId, partitions: () => this.#registry, consumedByTopic: () => this.#consumed });
    this.on('assigned', (_owned: unknown, info: { durationMs: number }) => m.rebalanced(info.durationMs));
    this.#metricsServer = await MetricsServer.start(m.registry, '127.0.0.1', port);
    this.log.info('serving metrics', { url: `http://127.0.0.1:${this.#metricsServer.port}/metrics` });
  }

  /** create + createMessageStreams in one call; closes the session if the subscription is refused. */
  static async subscribe(props: ConsumerProperties, subscription: Subscription | string[], opts: ConnectorOptions = {}): Promise<{ connector: ConsumerConnector; streams: Map<string, KafkaStream[]> }> {
    const sub = Array.isArray(subscription) ? Object.fromEntries(subscription.map((t) => [t, 1])) : subscription;
    validateSubscription(sub, validateTopicName);
    const connector = await ConsumerConnector.create(props, opts);
    try {
      return { connector, streams: await connector.createMessageStreams(sub) };
    } catch (err) {
      await connector.close();
      throw err;
    }
  }

  /** create + createMessageStreamsByFilter in one call; closes the session if the filter is refused. */
  static async subscribeByFilter(props: ConsumerProperties, filter: TopicFilter, numStreams = 1, opts: ConnectorOptions = {}): Promise<{ connector: ConsumerConnector; streams: KafkaStream[] }> {
    validateStreamCount(numStreams);
    const connector = await ConsumerConnector.create(props, opts);
    try {
      return { connector, streams: await connector.createMessageStreamsByFilter(filter, numStreams) };
    } catch (err) {
      await connector.close();
      throw err;
    }
  }

  private constructor(config: ConsumerConfig, zk: ZkClient, log: Logger, opts: ConnectorOptions) {
    super();
    this.config = config;
    this.#listener = opts.rebalanceListener;
    this.#markOnNext = opts.markProcessedOnNext ?? true;
    this.#zk = zk;
    this.consumerId = newConsumerId(config.groupId, { consumerId: config.consumerId });
    this.log = log;
    this.#offsets = offsetStorageFor(config, zk, log);
    zk.on('state', (s) => {
      if (s === 'expired') this.#onSessionExpired();
    });
    zk.onSessionExpired(async () => {
      if (this.#closing || !this.#registration) return;
      await this.#register();
      this.#markRebalance('a new ZooKeeper session', true);
    });
  }

  /** The security protocol of the brokers' endpoints this consumer connects to (security.protocol). */
  get #protocol(): SecurityProtocol {
    return this.config.security?.protocol ?? 'PLAINTEXT';
  }

  get groupId(): string {
    return this.config.groupId;
  }

  /** The ZooKeeper client (for tools and tests; the connector owns it). */
  get zk(): ZkClient {
    return this.#zk;
  }

  /** What this consumer owns now (empty while rebalancing). */
  get owned(): PartitionOwner[] {
    return this.#registry.map((i) => ({ topic: i.topic, partition: i.partition, threadId: i.threadId }));
  }

  /** Successful rebalances so far. */
  get rebalanceCount(): number {
    return this.#rebalances;
  }

  /**
   * Registers the consumer with its subscription (topic -> number of streams), starts the
   * watches and the first rebalance, and returns the streams: topic -> one KafkaStream per
   * stream (thread `<consumerId>-<n>` is stream n). Once per connector.
   */
  async createMessageStreams(subscription: Subscription): Promise<Map<string, KafkaStream[]>> {
    this.#checkSubscribable();
    validateSubscription(subscription, validateTopicName);
    this.#subscription = { kind: 'static', topics: { ...subscription } };
    for (const [topic, n] of Object.entries(subscription)) this.#streams.set(topic, this.#newStreams(topic, n));
    await this.#start(encodeConsumerRegistration({ subscription, pattern: 'static' }), { subscription });
    return this.#streams;
  }

  /**
   * 0.8's createMessageStreamsByFilter: subscribes to every topic the whitelist or blacklist
   * allows, now and later (a matching topic created while running joins at the next
   * rebalance), with `numStreams` streams shared by all those topics (thread `<consumerId>-<n>`
   * reads its partitions of every topic into stream n). Once per connector.
   */
  async createMessageStreamsByFilter(filter: TopicFilter, numStreams = 1): Promise<KafkaStream[]> {
    this.#checkSubscribable();
    validateStreamCount(numStreams);
    this.#subscription = { kind: 'wildcard', filter, streams: numStreams };
    const streams = this.#newStreams(`${filter}`, numStreams);
    this.#streams.set('', streams);
    await this.#start(encodeConsumerRegistration({ subscription: { [filter.regex]: numStreams }, pattern: filter.kind }), { filter: `${filter}`, streams: numStreams });
    return streams;
  }

  #checkSubscribable(): void {
    if (this.#closing) throw new ConnectorClosedError('the connector is closed');
    if (this.#subscription) throw new ProjectError('createMessageStreams may be called once per connector');
  }

  #newStreams(label: string, n: number): KafkaStream[] {
    const opts = { consumerTimeoutMs: this.config.consumerTimeoutMs, onSpace: () => this.#fetcher?.wake(), markOnNext: this.#markOnNext };
    return Array.from({ length: n }, (_, i) => new KafkaStream(label, i, opts));
  }

  /** Registers, starts the watches, the auto-commit timer and the rebalance loop. */
  async #start(registration: Buffer, what: Record<string, unknown>): Promise<void> {
    // brokers we could never talk to (none has a listener of our security.protocol): say so now
    brokerAddressesOrThrow(await readBrokerRegistrations(this.#zk), this.#protocol);
    this.#registration = registration;
    await this.#register();
    this.log.info('registered', { group: this.groupId, consumer: this.consumerId, ...what, offsets: this.#offsets.name });
    this.#watch();
    if (this.config.autoCommitEnable) {
      this.#autoCommit = setInterval(() => void this.commitOffsets().catch((err) => this.log.warn('auto-commit failed; will retry', { error: err as Error })), this.config.autoCommitIntervalMs);
    }
    this.#markRebalance('start', true);
    this.#loop = this.#runLoop();
  }

  /** Marks a record as processed (see stream.ts): commits cover it. */
  markProcessed(record: ConsumerRecord): void {
    KafkaStream.markProcessed(record);
  }

  /**
   * The partition generation a record belongs to: `markProcessed(offset)` on it marks every
   * record of that partition through `offset`, without holding the records (a mark after the
   * generation ended is ignored).
   */
  partitionOf(record: ConsumerRecord): PartitionTopicInfo | undefined {
    return KafkaStream.partitionOf(record);
  }

  /** Where the offsets are kept: 'zookeeper', 'kafka' or 'kafka+zookeeper' (dual commit). */
  get offsetsStorage(): string {
    return this.#offsets.name;
  }

  /**
   * Commits the processed offsets of the owned partitions: to /consumers/<G>/offsets (only
   * changed ones), or with offsets.storage=kafka to the group's offset manager (all of them;
   * to ZooKeeper as well with dual.commit.enabled). Rejects with the first failure; the
   * partitions that were committed are, the others go again with the next commit.
   */
  commitOffsets(): Promise<void> {
    const run = this.#commitChain.then(() => this.#commit(this.#registry));
    this.#commitChain = run.catch(() => undefined);
    return run;
  }

  async #commit(infos: readonly PartitionTopicInfo[]): Promise<void> {
    const todo = infos.filter((i) => i.active && i.consumedOffset >= 0);
    if (todo.length === 0) return;
    const offsets = todo.map((i) => ({ topic: i.topic, partition: i.partition, offset: i.consumedOffset }));
    const { committed, error } = await this.#offsets.commit(offsets);
    const byKey = new Map(todo.map((i) => [`${i.topic}/${i.partition}`, i]));
    for (const c of committed) {
      const i = byKey.get(`${c.topic}/${c.partition}`);
      if (i && i.committedOffset !== c.offset) {
        i.committedOffset = c.offset;
        this.log.debug('committed', { topic: c.topic, partition: c.partition, offset: c.offset, to: this.#offsets.name });
      }
    }
    if (error) throw error;
  }

  /**
   * The commit at close: with offsets.storage=kafka a failure is retried up to
   * offsets.commit.max.retries times, offsets.channel.backoff.ms apart (as 0.8.2 did at shutdown).
   */
  async #commitAtClose(): Promise<void> {
    const retries = this.config.offsetsStorage === 'kafka' ? this.config.offsetsCommitMaxRetries : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.commitOffsets();
        return;
      } catch (err) {
        if (attempt >= retries || !this.#offsets.retriable(err as Error)) {
          this.log.warn('commit at close failed', { error: err as Error, attempts: attempt + 1 });
          return;
        }
        this.log.info(`commit at close failed; retrying in ${this.config.offsetsChannelBackoffMs} ms`, { error: err as Error });
        await new Promise((r) => setTimeout(r, this.config.offsetsChannelBackoffMs));
      }
    }
  }

  /** Stops fetching, commits (auto-commit on) and closes the session (its znodes go at once). */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    if (this.#autoCommit) clearInterval(this.#autoCommit);
    for (const u of this.#unwatch) u();
    this.#topicWatches?.stop();
    for (const u of this.#unreadableWatches.values()) u();
    this.#unreadableWatches.clear();
    this.#loopWake?.();
    this.#sleeper.wake();
    await this.#loop.catch(() => undefined);
    try {
      await this.#stopFetching();
      if (this.#owned.length > 0) await this.#beforeRelease();
      if (this.config.autoCommitEnable && this.#registry.length > 0) await this.#commitAtClose();
      if (this.#owned.length > 0) this.emit('revoked', [...this.#owned]);
      for (const i of this.#registry) i.active = false;
    } finally {
      for (const list of this.#streams.values()) for (const s of list) s.close();
      await this.#zk.close();
      this.#offsets.close();
      this.#cluster?.cluster.close();
      await this.#metricsServer?.close();
      this.log.info('closed', { consumer: this.consumerId });
    }
  }

  // ---- registration and watches ------------------------------------------------------------

  async #register(): Promise<void> {
    const path = consumerIdPath(this.groupId, this.consumerId);
    const data = this.#registration!;
    const deadline = Date.now() + 2 * this.config.zookeeperSessionTimeoutMs + 5000;
    for (;;) {
      try {
        await this.#zk.create(path, data, { mode: 'ephemeral', parents: true });
        return;
      } catch (err) {
        if (!(err instanceof NodeExistsError)) throw err;
      }
      const node = await this.#zk.get(path);
      if (node && node.data.equals(data) && node.stat.ephemeralOwner === this.#sessionOwner()) return;
      // Only a configured consumer.id can meet an earlier registration: a predecessor with
      // the same id whose session has not expired yet. Wait for it, as 0.8 did.
      if (Date.now() > deadline) throw new OwnerConflictError(`consumer id ${this.consumerId} is registered by another session in group ${this.groupId}`, { context: { path } });
      this.log.warn('my consumer id is still registered by an earlier session; waiting for it to expire', { path });
      await this.#sleeper.sleep(Math.max(500, this.config.rebalanceBackoffMs));
    }
  }

  #sessionOwner(): bigint {
    return this.#zk.sessionOwner;
  }

  #watch(): void {
    // Always mark: the loop compares what the watches see with what the last rebalance saw
    // once no attempt is under way (a change seen during an attempt must not be lost).
    const changed = (what: string) => this.#markRebalance(what);
    this.#unwatch.push(
      this.#zk.watchChildren(consumerIdsPath(this.groupId), (ids) => {
        this.#seen.ids = ids ?? [];
        changed('group members changed');
      }),
      this.#zk.watchChildren(brokerIdsPath, (ids) => {
        this.#seen.brokers = (ids ?? []).filter((id) => /^\d+$/.test(id)).sort((a, b) => Number(a) - Number(b));
        changed('brokers changed');
      }),
    );
    const sub = this.#subscription!;
    const topics: TopicSubscription =
      sub.kind === 'static' ? { kind: 'static', topics: Object.keys(sub.topics) } : { kind: 'wildcard', filter: sub.filter, excludeInternalTopics: this.config.excludeInternalTopics };
    this.#topicWatches = new TopicWatches(this.#zk, topics, changed);
  }

  /** What the watches see, in the form of #viewKey; undefined until each delivered once. */
  #watchView(): string | undefined {
    const { ids, brokers } = this.#seen;
    const topics = this.#topicWatches?.view();
    if (ids === NOT_YET || brokers === NOT_YET || topics === undefined) return undefined;
    return groupViewKey(ids, brokers, topics);
  }

  #onSessionExpired(): void {
    this.#sessionEpoch++;
    this.log.warn('ZooKeeper session expired: stopped fetching; will re-register and rebalance', { consumer: this.consumerId });
    // The owner znodes died with the session: someone else may own these partitions now.
    const lost = this.#owned;
    for (const i of this.#registry) i.active = false;
    this.#registry = [];
    this.#owned = [];
    void this.#stopFetching();
    if (lost.length > 0) this.emit('revoked', lost);
  }

  #stopFetching(): Promise<void> {
    const f = this.#fetcher;
    this.#fetcher = undefined;
    for (const list of this.#streams.values()) for (const s of list) s.clear();
    if (f) this.#fetcherStopping = this.#fetcherStopping.then(() => f.stop());
    return this.#fetcherStopping;
  }

  // ---- the rebalance loop -------------------------------------------------------------------

  /**
   * Watches the data of registrations counted with no subscription: when one is written at
   * last, the group rebalances (the member watches alone would not notice a change of data).
   */
  #watchUnreadable(paths: readonly string[]): void {
    for (const [path, unwatch] of this.#unreadableWatches) {
      if (paths.includes(path)) continue;
      unwatch();
      this.#unreadableWatches.delete(path);
    }
    for (const path of paths) {
      if (this.#unreadableWatches.has(path)) continue;
      const unwatch = watchForChange(this.#zk, path, (node) => {
        if (this.#unreadableWatches.get(path) !== unwatch) return;
        this.#unreadableWatches.delete(path);
        unwatch();
        if (node) this.#markRebalance(`the registration ${path} changed`, true);
      });
      this.#unreadableWatches.set(path, unwatch);
    }
  }

  #markRebalance(reason: string, force = false): void {
    this.#wanted = true;
    if (force) this.#forced = true;
    if (this.#backingOff && reason === 'group members changed') this.#sleeper.wake();
    this.log.debug('rebalance needed', { reason });
    const w = this.#loopWake;
    this.#loopWake = undefined;
    w?.();
  }

  async #runLoop(): Promise<void> {
    while (!this.#closing) {
      const view = this.#watchView();
      const needed = this.#forced || (this.#wanted && view !== undefined && view !== this.#lastView);
      this.#wanted = false;
      if (!needed) {
        await new Promise<void>((resolve) => (this.#loopWake = resolve));
        continue;
      }
      this.#forced = false;
      await this.#syncedRebalance();
    }
  }

  async #syncedRebalance(): Promise<void> {
    const max = this.config.rebalanceMaxRetries;
    for (let attempt = 1; !this.#closing; attempt++) {
      const started = Date.now();
      let error: Error | undefined;
      try {
        if (await this.#attempt(attempt, started)) return;
      } catch (err) {
        error = err as Error;
      }
      if (this.#closing) return;
      this.log.info(`rebalance attempt ${attempt} failed; backing off ${this.config.rebalanceBackoffMs} ms`, { group: this.groupId, consumer: this.consumerId, ...(error ? { error } : {}) });
      // the brokers refusing us (no ACL on the group for offsets.storage=kafka, bad credentials)
      // will not pass by waiting: the application hears of it on its streams (and we keep trying)
      if (error && isRefusal(error)) {
        if (attempt === 1) this.log.error(`${this.consumerId} cannot rebalance in group ${this.groupId}: ${error.message}`, { error });
        for (const list of this.#streams.values()) for (const st of list) st.fail(error);
      }
      // waiting for a registration to be written is no failure to report
      if (attempt % max === 0 && this.#changing.length === 0) {
        const e = new ProjectError(`${this.consumerId} can't rebalance after ${attempt} attempts in group ${this.groupId}; still trying`, { cause: error });
        this.log.error(e.message, error ? { error } : undefined);
        this.emit('rebalanceFailed', e);
      }
      // an attempt that read a membership already out of date (members were still joining)
      // failed because of it: try the new one at once, not after rebalance.backoff.ms (0.8 slept
      // it out, so members starting together took 2 s and more to settle); likewise a change of
      // the group seen while backing off ends the back-off
      const ids = this.#seen.ids;
      if (this.#attemptMembers !== undefined && ids !== NOT_YET && [...ids].sort().join(',') !== this.#attemptMembers) continue;
      this.#backingOff = true;
      try {
        await backOff(this.#zk, this.#sleeper, this.config.rebalanceBackoffMs, this.#blockers, this.#changing);
      } finally {
        this.#backingOff = false;
      }
    }
  }

  async #attempt(attempt: number, started: number): Promise<boolean> {
    const zk = this.#zk;
    const group = this.groupId;
    const epoch = this.#sessionEpoch;
    this.#blockers = [];
    this.#changing = [];
    this.#attemptMembers = undefined;

    // 1. Read the registries; ZooKeeper being away fails the attempt before fetching stops.
    const read = () => readMembers(zk, group, (m) => this.#warnOnce(m), { excludeInternalTopics: this.config.excludeInternalTopics });
    let members = await read();
    if (!members.some((m) => m.consumerId === this.consumerId)) {
      await this.#register();
      members = await read();
    }
    // A registration that does not parse may be one being written: kafka-node creates its
    // znode empty and sets the data a moment later, and a change of data moves no watch of
    // ours. So, as 0.8 (whose TopicCount threw), the attempt fails while fetching goes on, and
    // the back-off ends when that znode changes; after a few attempts the member is counted
    // with no subscription (registry.ts) rather than holding the group up for good.
    const unreadable = members.filter((m) => m.registration === undefined).map((m) => consumerIdPath(group, m.consumerId));
    if (unreadable.length > 0 && attempt <= UNREADABLE_REGISTRATION_ATTEMPTS) {
      this.#changing = unreadable;
      this.log.info(`waiting for the registration of ${unreadable.join(', ')} to be readable`, { attempt });
      return false;
    }
    this.#watchUnreadable(unreadable);
    const registered = await readBrokerRegistrations(zk);
    const brokers = brokerAddresses(registered, this.#protocol);
    // a wildcard's topics: those of /brokers/topics the filter allows, as readMembers expanded them
    const sub = this.#subscription!;
    const topics = sub.kind === 'static' ? Object.keys(sub.topics) : Object.keys(members.find((m) => m.consumerId === this.consumerId)?.subscription ?? {});
    const partitions = await readTopicPartitions(zk, topics);
    const topicsView = new Map(topics.map((t) => [t, partitions.get(t)?.join(',') ?? 'none']));
    const view = groupViewKey(
      members.map((m) => m.consumerId),
      registered.map((b) => String(b.id)),
      topicsView,
    );
    this.#attemptMembers = members.map((m) => m.consumerId).join(',');

    // 2. The assignment every member computes alike.
    const all = assign(this.config.partitionAssignmentStrategy, {
      consumers: new Map(members.map((m) => [m.consumerId, m.subscription])),
      partitions,
    });
    const mine = brokers.size === 0 ? [] : ownedBy(all, this.consumerId);
    let noListener: Error | undefined;
    if (registered.length === 0) this.log.warn('no broker is registered; owning nothing until one is', { group });
    else if (brokers.size === 0) {
      // brokers, but none we can talk to: the application hears of it on its streams
      const err = noListenerError(registered, this.#protocol);
      this.log.error(`${err.message}; owning nothing until one has`, { group });
      noListener = err;
    }

    // 3. Stop fetching, commit, release.
    await this.#revoke();
    if (this.#closing || epoch !== this.#sessionEpoch) return false;
    if (noListener) for (const list of this.#streams.values()) for (const s of list) s.fail(noListener);

    // 4. Offsets of the new partitions (from ZooKeeper, the offset manager, or the larger of both).
    const offsets = await this.#offsets.fetch(mine);

    // 5. Claim them.
    const claimed: PartitionOwner[] = [];
    const failures: { owner: PartitionOwner; error: unknown }[] = [];
    await Promise.all(
      mine.map(async (o) => {
        try {
          await claimPartition(this.#zk, this.groupId, o);
          claimed.push(o);
        } catch (error) {
          failures.push({ owner: o, error });
        }
      }),
    );
    this.#owned = claimed;
    this.#blockers = failures.flatMap((f) => (f.error instanceof OwnerConflictError ? [String(f.error.context.path)] : []));
    if (failures.length > 0 || this.#closing || epoch !== this.#sessionEpoch) {
      await this.#releaseOwners();
      const f = failures[0];
      if (f) {
        const why = f.error instanceof OwnerConflictError ? f.error.message : `claiming ${f.owner.topic}/${f.owner.partition} failed: ${(f.error as Error).message}`;
        this.log.info(`${why}; released the ${claimed.length} partition(s) this attempt claimed`, { attempt, conflicts: failures.length });
      }
      return false;
    }

    // 6. Fetch from the committed offsets.
    const infos = mine.map((o, i) => new PartitionTopicInfo(o.topic, o.partition, o.threadId, offsets[i]));
    for (const info of infos) info.tally = this.#consumed;
    this.#registry = infos;
    this.#lastView = view;
    this.#rebalances++;
    if (infos.length > 0) {
      const fetcher = new Fetcher(this.#clusterFor(brokers), {
        clientId: this.config.clientId,
        fetchMessageMaxBytes: this.config.fetchMessageMaxBytes,
        fetchMinBytes: this.config.fetchMinBytes,
        fetchWaitMaxMs: this.config.fetchWaitMaxMs,
        queuedMaxMessageChunks: this.config.queuedMaxMessageChunks,
        refreshLeaderBackoffMs: this.config.refreshLeaderBackoffMs,
        socketTimeoutMs: this.config.socketTimeoutMs,
        autoOffsetReset: this.config.autoOffsetReset,
        security: this.config.security,
        log: this.log,
        onOffsetReset: (info, from, to) => this.emit('offsetReset', { topic: info.topic, partition: info.partition, from, to }),
      });
      this.#fetcher = fetcher;
      fetcher.start(infos.map((info) => ({ info, stream: this.#streamOf(info) })));
    }
    const durationMs = Date.now() - started;
    this.log.info('rebalanced', {
      group,
      consumer: this.consumerId,
      attempt,
      ms: durationMs,
      owns: describeOwned(mine),
    });
    this.emit('assigned', [...mine], { attempt, durationMs });
    return true;
  }

  #streamOf(info: PartitionTopicInfo): KafkaStream {
    const n = Number(/-(\d+)$/.exec(info.threadId)?.[1] ?? 0);
    const list = this.#streams.get(this.#subscription!.kind === 'static' ? info.topic : '')!;
    return list[n] ?? list[0]!;
  }

  #clusterFor(brokers: Map<number, { host: string; port: number }>): Cluster {
    const key = [...brokers].map(([id, b]) => `${id}@${b.host}:${b.port}`).join(',');
    if (this.#cluster?.key !== key) {
      this.#cluster?.cluster.close();
      this.#cluster = { key, cluster: new Cluster({ brokers: [...brokers.values()], clientId: this.config.clientId, requestTimeoutMs: this.config.socketTimeoutMs, security: this.config.security }) };
    }
    return this.#cluster.cluster;
  }

  /** Step 3: stop fetching, the listener, commit (auto-commit on), delete own owner znodes. */
  async #revoke(): Promise<void> {
    await this.#stopFetching();
    if (this.#owned.length > 0) await this.#beforeRelease();
    const infos = this.#registry;
    if (infos.length > 0 && this.config.autoCommitEnable) {
      await this.commitOffsets().catch((err) => this.log.warn('commit before rebalancing failed', { error: err as Error }));
    }
    for (const i of infos) i.active = false;
    this.#registry = [];
    if (this.#owned.length > 0) {
      this.emit('revoked', [...this.#owned]);
      await this.#releaseOwners();
    }
  }

  async #beforeRelease(): Promise<void> {
    if (!this.#listener) return;
    try {
      await this.#listener.beforeReleasingPartitions([...this.#owned]);
    } catch (err) {
      this.log.warn('the rebalance listener failed before releasing partitions', { error: err as Error });
    }
  }

  /** Deletes the owner znodes in #owned that are still ours; keeps those whose deletion failed. */
  async #releaseOwners(): Promise<void> {
    const { left, error } = await releasePartitions(this.#zk, this.groupId, this.#owned);
    this.#owned = left;
    if (error) throw error;
  }

  #warnOnce(msg: string): void {
    if (this.#warned.has(msg)) return;
    this.#warned.add(msg);
    this.log.warn(msg, { group: this.groupId });
  }
}
