/**
 * A consumer in a broker-coordinated group (Kafka 0.9+'s KafkaConsumer with subscribe()): the
 * group's coordinator balances the subscribed topics' partitions over the members, and each
 * member fetches its share through a SimpleConsumer. Offsets are committed to the coordinator
 * (__consumer_offsets), never to ZooKeeper.
 *
 *   const c = new GroupConsumer({ 'bootstrap.servers': 'h:9092', 'group.id': 'g' });
 *   c.on('assigned', (a) => ...);           // every completed rebalance, positions included
 *   c.subscribe(['t']);
 *   for (;;) for (const r of await c.poll(1000)) handle(r);
 *   await c.close();                         // commits, leaves the group
 *
 * poll() does the group work in the caller's turn, as the Java consumer does: it (re)joins
 * when needed (membership.ts: JoinGroup, the leader assigns with the chosen assignor,
 * SyncGroup), sets the positions of newly assigned partitions from the committed offsets or
 * auto.offset.reset, starts a commit every auto.commit.interval.ms (not waited for, but
 * before any later commit goes), and returns up to max.poll.records
 * records. Heartbeats run on a timer between polls. A rebalance is eager: before rejoining,
 * the member commits what poll() has returned so far (with enable.auto.commit), then revokes
 * every partition ('revoked'); after it, every assigned partition starts again from its
 * committed offset ('assigned'). So a member that leaves or dies loses nothing its successors
 * need: they go on from the last commit (records returned after it are consumed again).
 *
 * The position of a partition is the offset after the last record poll() returned (records
 * fetched ahead are held back, not counted); commitSync() without arguments commits these.
 *
 * The leader looks at the subscribed topics' partition counts every metadata.max.age.ms (every
 * 5 s at most while a subscribed topic is missing) and rebalances the group when they changed.
 *
 * Not done: cooperative rebalancing, static membership, pattern subscriptions, pause/resume.
 */
import { EventEmitter } from 'node:events';
import { Cluster } from '../cluster.js';
import { SimpleConsumer, type ConsumedRecord } from '../simple-consumer.js';
import { ErrorCode, KafkaError, ProjectError, errorName } from '../../common/errors.js';
import { Logger } from '../../common/logger.js';
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
} from '../../protocol/consumer-protocol.js';
import type { JoinGroupMember } from '../../protocol/apis/join-group.js';
import type { SyncGroupAssignment } from '../../protocol/apis/sync-group.js';
import { CoordinatorClient, OffsetCommitError, isConnectionFailure, type OffsetToCommit, type TopicPartition, type CommittedOffset } from './coordinator-client.js';
import { GroupMembership, MembershipClosedError, type Generation } from './membership.js';
import { groupConsumerConfig, type GroupConsumerConfig, type GroupConsumerProperties } from './config.js';
import type { AssignorMember } from './assignors.js';

export type { GroupConsumerConfig, GroupConsumerProperties } from './config.js';

/** Where an assigned partition starts. */
export interface StartPosition extends TopicPartition {
  offset: number;
  /** 'committed': the group's committed offset; 'earliest' / 'latest': auto.offset.reset (nothing committed). */
  from: 'committed' | 'earliest' | 'latest';
}

/** A completed rebalance: this member's share and where each partition starts. */
export interface AssignedEvent {
  groupId: string;
  generationId: number;
  memberId: string;
  leaderId: string;
  isLeader: boolean;
  /** The assignor the coordinator chose. */
  protocol: string;
  /** Sorted by topic and partition. */
  partitions: TopicPartition[];
  positions: StartPosition[];
}

/** Partitions given up: before a rejoin (after the commit) and on close. */
export interface RevokedEvent {
  groupId: string;
  generationId: number;
  memberId: string;
  partitions: TopicPartition[];
  /** The positions at revocation (committed too, with enable.auto.commit and a current generation). */
  positions: (TopicPartition & { offset: number })[];
}

export interface GroupConsumerEvents {
  assigned: [AssignedEvent];
  revoked: [RevokedEvent];
}

export interface GroupConsumerOptions {
  /** A cluster to share (not closed by close()); by default one is made from bootstrap.servers. */
  cluster?: Cluster;
  logger?: Logger;
}

/** A commit that cannot go with the member's generation (the group rebalanced; poll() rejoins). */
export class CommitFailedError extends ProjectError {
  readonly code: number;
  constructor(message: string, code: number, cause?: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

/** auto.offset.reset=none and a partition without a committed offset (or out of range). */
export class NoOffsetForPartitionError extends ProjectError {}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const byTp = (a: TopicPartition, b: TopicPartition): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MISSING_TOPIC_RECHECK_MS = 5000;

export class GroupConsumer extends EventEmitter<GroupConsumerEvents> {
  readonly config: GroupConsumerConfig;
  readonly cluster: Cluster;
  /** The coordinator client this consumer uses (shares its cluster). */
  readonly coordinator: CoordinatorClient;
  readonly #ownCluster: boolean;
  readonly #log: Logger;
  readonly #membership: GroupMembership;
  #topics: string[] = [];
  #assigned: TopicPartition[] = [];
  /** Next offset poll() returns, per assigned partition (what a commit commits). */
  #positions = new Map<string, TopicPartition & { offset: number }>();
  #needPositions = false;
  #fetcher: SimpleConsumer | undefined;
  /** Fetched, not yet returned. */
  #buffer: ConsumedRecord[] = [];
  #nextAutoCommit = 0;
  /** The auto commit under way (poll() does not wait for it; a revocation, commitSync and close do). */
  #autoCommit: Promise<void> | undefined;
  /** Leader only: partition counts its assignment was computed from, and when to look again. */
  #assignedFrom: Map<string, number> | undefined;
  #nextMetadataCheck = 0;
  #polling: Promise<unknown> | undefined;
  #closing = false;
  #closed = false;

  constructor(config: GroupConsumerConfig | GroupConsumerProperties, opts: GroupConsumerOptions = {}) {
    super();
    this.#log = opts.logger ?? new Logger('group-consumer');
    this.config = isConfig(config) ? config : groupConsumerConfig(config, (m) => this.#log.warn(m));
    if (opts.cluster) {
      this.cluster = opts.cluster;
      this.#ownCluster = false;
    } else {
      if (this.config.bootstrapServers === '') throw new ProjectError('consumer property bootstrap.servers is required (or pass a cluster)');
      this.cluster = new Cluster({ brokers: this.config.bootstrapServers, clientId: this.config.clientId, requestTimeoutMs: this.config.requestTimeoutMs, security: this.config.security });
      this.#ownCluster = true;
    }
    this.coordinator = new CoordinatorClient(this.cluster, { timeoutMs: this.config.requestTimeoutMs, retryBackoffMs: Math.max(this.config.retryBackoffMs, 1), logger: this.#log });
    this.#membership = new GroupMembership(this.coordinator, {
      groupId: this.config.groupId,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      sessionTimeoutMs: this.config.sessionTimeoutMs,
      rebalanceTimeoutMs: this.config.maxPollIntervalMs,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      maxPollIntervalMs: this.config.maxPollIntervalMs,
      requestTimeoutMs: this.config.requestTimeoutMs,
      retryBackoffMs: this.config.retryBackoffMs,
      logger: this.#log,
    });
  }

  get groupId(): string {
    return this.config.groupId;
  }

  /** The current generation (member id, leader, assignor); undefined while not a member of one. */
  get generation(): Generation | undefined {
    return this.#membership.generation;
  }

  /** The member id the coordinator gave ('' before joining). */
  get memberId(): string {
    return this.#membership.memberId;
  }

  /** The partitions assigned in the current generation, sorted. */
  assignment(): TopicPartition[] {
    return this.#assigned.map((p) => ({ ...p }));
  }

  /** The topics subscribed to. */
  subscription(): string[] {
    return [...this.#topics];
  }

  /**
   * Subscribes to topics (replacing the previous subscription). Takes effect at the next
   * poll(): a member rejoins when its subscription changed.
   */
  subscribe(topics: readonly string[]): void {
    this.#checkOpen();
    const next = [...new Set(topics)].sort();
    if (next.length === 0) throw new ProjectError('subscribe() needs at least one topic');
    if (next.join('\u0000') === this.#topics.join('\u0000')) return;
    this.#topics = next;
    if (this.#membership.state === 'stable') this.#membership.requestRejoin('the subscription changed');
  }

  /** The position (next offset poll() returns) of an assigned partition. */
  position(topic: string, partition: number): number | undefined {
    return this.#positions.get(key(topic, partition))?.offset;
  }

  /** Moves an assigned partition's position; records fetched ahead for it are dropped. */
  seek(topic: string, partition: number, offset: number): void {
    const pos = this.#positions.get(key(topic, partition));
    if (!pos || !this.#fetcher) throw new ProjectError(`${topic}-${partition} is not assigned to this consumer`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ProjectError(`cannot seek ${topic}-${partition} to ${offset}`);
    pos.offset = offset;
    void this.#fetcher.seek(topic, partition, offset);
    this.#buffer = this.#buffer.filter((r) => r.topic !== topic || r.partition !== partition);
  }

  /** The group's committed offsets of partitions (offset -1: none). */
  committed(partitions: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    return this.coordinator.fetchOffsets(this.config.groupId, partitions);
  }

  /**
   * Joins or rejoins the group when needed, starts an auto commit when auto.commit.interval.ms
   * has passed, and returns up to max.poll.records records: those fetched ahead, else one fetch round
   * (a long poll of up to fetch.max.wait.ms), repeated until records come or `timeoutMs` has
   * passed (0: one round). Joining waits for the group, however long that takes. Not to be
   * called again before it returns; after close() it returns [].
   */
  async poll(timeoutMs = 0, opts: { maxRecords?: number } = {}): Promise<ConsumedRecord[]> {
    this.#checkOpen();
    if (this.#polling) throw new ProjectError('poll() is already running: call it from one loop');
    if (this.#topics.length === 0) throw new ProjectError('subscribe() to some topic before poll()');
    const max = Math.max(1, Math.min(opts.maxRecords ?? this.config.maxPollRecords, this.config.maxPollRecords));
    const p = this.#poll(Date.now() + Math.max(timeoutMs, 0), max);
    this.#polling = p;
    try {
      return await p;
    } catch (err) {
      if (err instanceof MembershipClosedError || (this.#closing && isConnectionFailure(err))) return [];
      throw err;
    } finally {
      this.#polling = undefined;
      this.#membership.pollTick();
    }
  }

  async #poll(deadline: number, max: number): Promise<ConsumedRecord[]> {
    this.#membership.pollTick();
    for (;;) {
      if (this.#closing) return [];
      await this.#ensureActive();
      if (this.#closing) return [];
      this.#maybeAutoCommit();
      await this.#maybeCheckMetadata();
      if (this.#membership.needsJoin) continue;
      if (this.#buffer.length === 0) {
        if (this.#fetcher && this.#assigned.length > 0) this.#buffer = await this.#fetch();
        else await this.#membership.waitForRejoin(Math.min(this.config.fetchMaxWaitMs || 100, Math.max(deadline - Date.now(), 1)));
      }
      if (this.#closing) return [];
      if (this.#buffer.length > 0) return this.#take(max);
      if (Date.now() >= deadline) return [];
    }
  }

  /** Hands out up to `max` buffered records and moves the positions past them. */
  #take(max: number): ConsumedRecord[] {
    const out = this.#buffer.length <= max ? this.#buffer : this.#buffer.slice(0, max);
    this.#buffer = this.#buffer.length <= max ? [] : this.#buffer.slice(max);
    for (const r of out) {
      const pos = this.#positions.get(key(r.topic, r.partition));
      if (pos && r.offset >= pos.offset) pos.offset = r.offset + 1;
    }
    return out;
  }

  /** One fetch round; errors a later round may not have are logged and answered with nothing. */
  async #fetch(): Promise<ConsumedRecord[]> {
    const fetcher = this.#fetcher!;
    try {
      const got = await fetcher.poll();
      // a rebalance or seek meanwhile: what came for positions that moved is not ours to return
      return got.filter((r) => {
        const pos = this.#positions.get(key(r.topic, r.partition));
        return this.#fetcher === fetcher && pos !== undefined && r.offset >= pos.offset;
      });
    } catch (err) {
      if (this.#fetcher !== fetcher) return [];
      if (err instanceof KafkaError && err.code === ErrorCode.OFFSET_OUT_OF_RANGE && typeof err.context.topic === 'string') {
        const { topic, partition, offset } = err.context as { topic: string; partition: number; offset: number };
        await this.#reset(topic, partition, `offset ${offset} is out of range`);
        return [];
      }
      // a leader moving, a broker down, no broker reachable: later rounds may do better
      if (err instanceof KafkaError ? err.retriable : isConnectionFailure(err) || err instanceof ProjectError) {
        if (this.#closing) return [];
        this.#log.debug('fetch failed; trying again', { group: this.config.groupId, error: err as Error });
        await this.cluster.refresh(this.#assignedTopics()).catch(() => undefined);
        await sleep(this.config.retryBackoffMs);
        return [];
      }
      throw err;
    }
  }

  #assignedTopics(): string[] {
    return [...new Set(this.#assigned.map((p) => p.topic))];
  }

  async #reset(topic: string, partition: number, why: string): Promise<StartPosition> {
    const policy = this.config.autoOffsetReset;
    if (policy === 'none') throw new NoOffsetForPartitionError(`${topic}-${partition}: ${why} and auto.offset.reset is none`, { context: { topic, partition } });
    const offset = await this.#fetcher!.seek(topic, partition, policy);
    const pos = this.#positions.get(key(topic, partition));
    if (pos) pos.offset = offset;
    this.#buffer = this.#buffer.filter((r) => r.topic !== topic || r.partition !== partition);
    this.#log.info('resetting offset', { group: this.config.groupId, partition: `${topic}-${partition}`, why, to: `${policy} (${offset})` });
    return { topic, partition, offset, from: policy };
  }

  /** #reset for many partitions at once: one ListOffsets per leader. */
  async #resetMany(fetcher: SimpleConsumer, partitions: { topic: string; partition: number }[], why: string): Promise<StartPosition[]> {
    const policy = this.config.autoOffsetReset;
    if (policy === 'none') {
      const { topic, partition } = partitions[0]!;
      throw new NoOffsetForPartitionError(`${topic}-${partition}: ${why} and auto.offset.reset is none`, { context: { topic, partition } });
    }
    const offsets = await fetcher.seekMany(partitions, policy);
    const starts = partitions.map((p, i) => ({ ...p, offset: offsets[i]!, from: policy }));
    for (const s of starts) {
      const pos = this.#positions.get(key(s.topic, s.partition));
      if (pos) pos.offset = s.offset;
    }
    const reset = new Set(partitions.map((p) => key(p.topic, p.partition)));
    this.#buffer = this.#buffer.filter((r) => !reset.has(key(r.topic, r.partition)));
    // a line per partition as #reset writes it; one line for many (a member of a large group)
    if (starts.length <= 20) {
      for (const st of starts) this.#log.info('resetting offset', { group: this.config.groupId, partition: `${st.topic}-${st.partition}`, why, to: `${policy} (${st.offset})` });
    } else {
      this.#log.info('resetting offsets', { group: this.config.groupId, why, to: policy, partitions: starts.length });
    }
    return starts;
  }

  // ------------------------------------------------------------ rebalancing

  async #ensureActive(): Promise<void> {
    while (this.#membership.needsJoin) {
      if (this.#closing) return;
      if (this.#assigned.length > 0 || this.#fetcher) await this.#revoke(this.config.enableAutoCommit);
      const { generation, assignment } = await this.#membership.join({
        protocols: () =>
          this.config.assignors.map((a) => ({ name: a.name, metadata: encodeConsumerProtocolSubscription({ version: 0, topics: this.#topics, userData: null }) })),
        assign: (protocol, members) => this.#assign(protocol, members),
      });
      const a = decodeConsumerProtocolAssignment(assignment);
      const mine = a.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))).sort(byTp);
      this.#assigned = mine;
      this.#positions = new Map(mine.map((p) => [key(p.topic, p.partition), { ...p, offset: -1 }]));
      this.#fetcher = new SimpleConsumer(this.cluster, { maxWaitMs: this.config.fetchMaxWaitMs, minBytes: this.config.fetchMinBytes, maxBytes: this.config.maxPartitionFetchBytes });
      this.#buffer = [];
      this.#needPositions = true;
      this.#nextAutoCommit = Date.now() + this.config.autoCommitIntervalMs;
      this.#log.info('partitions assigned', {
        group: this.config.groupId,
        generation: generation.generationId,
        member: generation.memberId,
        leader: generation.isLeader,
        protocol: generation.protocol,
        partitions: mine.map((p) => `${p.topic}-${p.partition}`).join(',') || '(none)',
      });
    }
    if (this.#needPositions && !this.#closing) await this.#initPositions();
  }

  /** Every assigned partition starts at its committed offset, else where auto.offset.reset says. */
  async #initPositions(): Promise<void> {
    const gen = this.#membership.generation;
    const fetcher = this.#fetcher!;
    let starts: StartPosition[];
    try {
      const committed = new Map((await this.coordinator.fetchOffsets(this.config.groupId, this.#assigned)).map((c) => [key(c.topic, c.partition), c.offset]));
      starts = [];
      const uncommitted: { topic: string; partition: number }[] = [];
      for (const p of this.#assigned) {
        const c = committed.get(key(p.topic, p.partition)) ?? -1;
        if (c >= 0) {
          await fetcher.seek(p.topic, p.partition, c);
          this.#positions.get(key(p.topic, p.partition))!.offset = c;
          starts.push({ ...p, offset: c, from: 'committed' });
        } else uncommitted.push(p);
      }
      if (this.#fetcher !== fetcher) return;
      if (uncommitted.length > 0) starts.push(...(await this.#resetMany(fetcher, uncommitted, 'no committed offset')));
      if (this.#fetcher !== fetcher) return;
    } catch (err) {
      if (err instanceof NoOffsetForPartitionError) throw err;
      if ((err instanceof KafkaError && err.retriable) || isConnectionFailure(err)) {
        this.#log.debug('cannot set the positions yet', { group: this.config.groupId, error: err as Error });
        await sleep(this.config.retryBackoffMs);
        return; // the next round tries again
      }
      throw err;
    }
    this.#needPositions = false;
    if (!gen) return;
    this.emit('assigned', {
      groupId: this.config.groupId,
      generationId: gen.generationId,
      memberId: gen.memberId,
      leaderId: gen.leaderId,
      isLeader: gen.isLeader,
      protocol: gen.protocol,
      partitions: this.assignment(),
      positions: starts,
    });
  }

  /** Commits (when `commit`) while the generation is current, then gives every partition up. */
  async #revoke(commit: boolean): Promise<void> {
    await this.#settleAutoCommit();
    const gen = this.#membership.generation;
    const positions = this.#committable();
    if (commit && gen && !this.#needPositions && positions.length > 0) {
      try {
        await this.#commit(positions, gen);
      } catch (err) {
        this.#log.warn('commit before revoking failed (the next owner starts from the previous commit)', { group: this.config.groupId, error: err as Error });
      }
    }
    const revoked = this.#assigned;
    this.#assigned = [];
    this.#positions = new Map();
    this.#fetcher = undefined;
    this.#buffer = [];
    this.#assignedFrom = undefined;
    if (revoked.length > 0 || gen) {
      this.#log.info('partitions revoked', { group: this.config.groupId, partitions: revoked.map((p) => `${p.topic}-${p.partition}`).join(',') || '(none)' });
      this.emit('revoked', {
        groupId: this.config.groupId,
        generationId: gen?.generationId ?? -1,
        memberId: this.#membership.memberId,
        partitions: revoked,
        positions,
      });
    }
  }

  /** The leader's part: every member's share by the chosen assignor, from fresh metadata. */
  async #assign(protocol: string, members: JoinGroupMember[]): Promise<SyncGroupAssignment[]> {
    const assignor = this.config.assignors.find((a) => a.name === protocol);
    if (!assignor) throw new ProjectError(`the coordinator chose assignor "${protocol}", which this consumer does not offer`);
    const subs: AssignorMember[] = members.map((m) => {
      try {
        return { memberId: m.memberId, topics: decodeConsumerProtocolSubscription(m.metadata).topics };
      } catch (err) {
        this.#log.warn('a member subscription does not decode; it gets nothing', { group: this.config.groupId, member: m.memberId, error: err as Error });
        return { memberId: m.memberId, topics: [] };
      }
    });
    const topics = [...new Set(subs.flatMap((s) => s.topics))].sort();
    const counts = await this.#partitionCounts(topics);
    const result = assignor.assign(subs, counts);
    this.#assignedFrom = counts;
    this.#nextMetadataCheck = Date.now() + this.#metadataCheckInterval(counts.size < topics.length);
    this.#log.debug('assigned the group', {
      group: this.config.groupId,
      protocol,
      assignment: Object.fromEntries([...result].map(([id, tps]) => [id, tps.map((t) => `${t.topic}:${t.partitions.join('/')}`).join(' ')])),
    });
    return [...result].map(([memberId, tps]) => ({ memberId, assignment: encodeConsumerProtocolAssignment({ version: 0, topics: tps, userData: null }) }));
  }

  async #partitionCounts(topics: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    const meta = await this.cluster.refresh(topics);
    for (const t of meta.topics) {
      if (topics.includes(t.topic) && t.partitions.length > 0 && (t.errorCode === ErrorCode.NONE || t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE)) counts.set(t.topic, t.partitions.length);
    }
    return counts;
  }

  /** The leader looks for partition count changes of the group's topics; a change rebalances. */
  async #maybeCheckMetadata(): Promise<void> {
    const from = this.#assignedFrom;
    if (!from || !this.#membership.generation?.isLeader || Date.now() < this.#nextMetadataCheck) return;
    this.#nextMetadataCheck = Date.now() + this.#metadataCheckInterval(false);
    try {
      const topics = [...new Set([...from.keys(), ...this.#topics])].sort();
      const now = await this.#partitionCounts(topics);
      const changed = topics.some((t) => now.get(t) !== from.get(t) && (now.has(t) || from.has(t)));
      if (changed) this.#membership.requestRejoin('partition counts of subscribed topics changed');
      else if (now.size < topics.length) this.#nextMetadataCheck = Date.now() + this.#metadataCheckInterval(true);
    } catch (err) {
      this.#nextMetadataCheck = Date.now() + this.#metadataCheckInterval(true);
      this.#log.debug('metadata check failed', { group: this.config.groupId, error: err as Error });
    }
  }

  #metadataCheckInterval(missing: boolean): number {
    return missing ? Math.min(MISSING_TOPIC_RECHECK_MS, this.config.metadataMaxAgeMs) : this.config.metadataMaxAgeMs;
  }

  // ------------------------------------------------------------ commits

  #committable(): (TopicPartition & { offset: number })[] {
    return [...this.#positions.values()].filter((p) => p.offset >= 0).map((p) => ({ ...p })).sort(byTp);
  }

  /** Starts a commit of the positions every auto.commit.interval.ms (one at a time; poll() goes on meanwhile). */
  #maybeAutoCommit(): void {
    if (!this.config.enableAutoCommit || Date.now() < this.#nextAutoCommit || this.#needPositions || this.#autoCommit) return;
    this.#nextAutoCommit = Date.now() + this.config.autoCommitIntervalMs;
    const gen = this.#membership.generation;
    if (!gen || this.#membership.needsJoin) return; // the commit before the rejoin covers it
    const positions = this.#committable();
    if (positions.length === 0) return;
    this.#autoCommit = this.#commit(positions, gen)
      .catch((err) => this.#log.warn('auto commit failed', { group: this.config.groupId, error: err as Error }))
      .finally(() => (this.#autoCommit = undefined));
  }

  /** Lets an auto commit under way land first, so that it cannot overwrite a later commit. */
  async #settleAutoCommit(): Promise<void> {
    while (this.#autoCommit) await this.#autoCommit;
  }

  /**
   * Commits offsets with the current generation: `offsets` (next offsets to consume), or by
   * default the position of every assigned partition. Throws CommitFailedError when the
   * member has no current generation or the coordinator refuses it (ILLEGAL_GENERATION,
   * UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS: the group rebalanced and poll() will rejoin),
   * OffsetCommitError for other refusals.
   */
  async commitSync(offsets?: readonly OffsetToCommit[]): Promise<void> {
    this.#checkOpen();
    const gen = this.#membership.generation;
    if (!gen) {
      throw new CommitFailedError(`group "${this.config.groupId}": the commit cannot go, this consumer is not a member of a current generation (the group rebalanced; poll() rejoins)`, ErrorCode.ILLEGAL_GENERATION);
    }
    await this.#settleAutoCommit();
    await this.#commit(offsets ?? this.#committable(), gen);
  }

  async #commit(offsets: readonly OffsetToCommit[], gen: Generation): Promise<void> {
    if (offsets.length === 0) return;
    try {
      await this.coordinator.commitOffsets(this.config.groupId, offsets, { generationId: gen.generationId, memberId: gen.memberId });
      this.#log.debug('committed', { group: this.config.groupId, generation: gen.generationId, offsets: offsets.map((o) => `${o.topic}-${o.partition}@${o.offset}`).join(',') });
    } catch (err) {
      if (err instanceof OffsetCommitError) {
        const code = err.code;
        if (code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.UNKNOWN_MEMBER_ID) this.#membership.generationLost(code);
        if (code === ErrorCode.REBALANCE_IN_PROGRESS) this.#membership.requestRejoin('the group is rebalancing');
        if (code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.REBALANCE_IN_PROGRESS) {
          throw new CommitFailedError(`group "${this.config.groupId}": the commit was refused (${errorName(code)}): the group rebalanced; poll() rejoins`, code, err);
        }
      }
      throw err;
    }
  }

  // ------------------------------------------------------------ closing

  #checkOpen(): void {
    if (this.#closing || this.#closed) throw new ProjectError('the consumer is closed');
  }

  /**
   * Commits the positions (`commit`, by default enable.auto.commit), revokes,
   * leaves the group (unless `leaveGroup` is false: then the coordinator notices only when the
   * session times out, as with a crashed process) and closes the connections it made. A
   * poll() running meanwhile returns [] (its records not handed out); a join in progress is
   * abandoned.
   */
  async close(opts: { commit?: boolean; leaveGroup?: boolean } = {}): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const running = this.#polling;
    if (running && this.#membership.state !== 'joining') {
      // a fetch round ends within fetch.max.wait.ms
      await Promise.race([running.catch(() => undefined), sleep(this.config.fetchMaxWaitMs + this.config.requestTimeoutMs)]);
    }
    try {
      await this.#settleAutoCommit();
      if (this.#membership.state === 'stable') await this.#revoke(opts.commit ?? this.config.enableAutoCommit);
      await this.#membership.close({ leaveGroup: opts.leaveGroup ?? true });
    } finally {
      this.#closed = true;
      this.#fetcher = undefined;
      this.#buffer = [];
      if (this.#ownCluster) this.cluster.close();
    }
  }
}

function isConfig(c: GroupConsumerConfig | GroupConsumerProperties): c is GroupConsumerConfig {
  return !(c instanceof Map) && typeof (c as GroupConsumerConfig).groupId === 'string' && Array.isArray((c as GroupConsumerConfig).assignors);
}
