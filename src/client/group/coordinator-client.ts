/**
 * A client of the broker's group coordinator (Kafka 0.9+): finds a group's coordinator and
 * talks to it about committed offsets and group state. It is the shared layer under the group
 * consumer (group-consumer.ts), the ZooKeeper connector's offsets.storage=kafka and
 * kafka-consumer-groups --bootstrap-server; it keeps no state but where each group's
 * coordinator was last found.
 *
 *   const cc = new CoordinatorClient(cluster);
 *   await cc.findCoordinator('g');                               // { nodeId, host, port }
 *   await cc.commitOffsets('g', [{ topic: 't', partition: 0, offset: 42 }]);
 *   await cc.fetchOffsets('g', [{ topic: 't', partition: 0 }]);  // [{ ..., offset: 42 }]
 *   await cc.fetchOffsets('g', null);                            // every partition 'g' committed
 *   await cc.describeGroups(['g']);                              // state, members, assignments
 *   await cc.listGroups();                                       // the groups of every broker
 *
 * Versions: FindCoordinator v1, OffsetCommit v2, OffsetFetch v3, DescribeGroups v1,
 * ListGroups v1 (what Kafka 0.11-2.0 clients send; every one is answered by the coordinator's
 * __consumer_offsets, never by ZooKeeper: OffsetCommit/OffsetFetch v0 are ZooKeeper's).
 *
 * Retries: the coordinator errors (COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS,
 * NOT_COORDINATOR) and lost connections are retried with a growing backoff (retryBackoffMs,
 * doubling up to maxRetryBackoffMs) until the call's deadline (timeoutMs, default 30 s);
 * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and a lost connection also forget the cached
 * coordinator, so the next attempt asks FindCoordinator again (the group's __consumer_offsets
 * partition may have a new leader). Every other error is the caller's: a KafkaError with the
 * code (commit and fetch), or the error code in the answer (describe, list).
 */
import { Cluster, call } from '../cluster.js';
import { API_CODECS, type ApiCodec } from '../../protocol/apis/index.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { CoordinatorType } from '../../protocol/apis/find-coordinator.js';
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription,
} from '../../protocol/consumer-protocol.js';
import { ConnectionError, RequestTimeoutError, type KafkaConnection } from '../../network/client-connection.js';
import { ErrorCode, KafkaError, errorName } from '../../common/errors.js';
import { Logger } from '../../common/logger.js';

/** The broker that coordinates a group. */
export interface CoordinatorNode {
  nodeId: number;
  host: string;
  port: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface OffsetToCommit extends TopicPartition {
  /** The next offset to consume (Kafka's convention: the last consumed offset + 1). */
  offset: number;
  /** Free text kept with the offset (offset.metadata.max.bytes on the broker, 4096 by default). */
  metadata?: string | null;
}

export interface CommittedOffset extends TopicPartition {
  /** -1 when the group committed nothing for the partition. */
  offset: number;
  metadata: string | null;
}

export interface CommitOptions {
  /** The committing member's generation; -1 (default) for a commit outside group management. */
  generationId?: number;
  /** The committing member's id; '' (default) for a commit outside group management. */
  memberId?: string;
  /** How long the broker keeps the offsets; -1 (default) for its offsets.retention.minutes. */
  retentionTimeMs?: number;
  /** Deadline of the whole call, retries included (default: the client's timeoutMs). */
  timeoutMs?: number;
}

/** One member of a described group; the consumer protocol's bytes are decoded for 'consumer' groups. */
export interface GroupMemberDescription {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** The member's JoinGroup metadata for the chosen protocol (empty unless the group is Stable). */
  metadata: Buffer;
  /** The member's SyncGroup assignment bytes (empty unless Stable, or when it got nothing). */
  assignmentBytes: Buffer;
  /** The decoded subscription of a 'consumer' group's member; null otherwise or when it does not decode. */
  subscription: ConsumerProtocolSubscription | null;
  /**
   * The decoded assignment of a Stable 'consumer' group's member (empty bytes: nothing
   * assigned); null when the group is not Stable, is not a 'consumer' group, or the bytes do
   * not decode.
   */
  assignment: ConsumerProtocolAssignment | null;
}

export interface GroupDescription {
  groupId: string;
  /** NONE, or why the group could not be described (then state is 'Dead' and members empty). */
  errorCode: number;
  /** 'Dead' (also for a group the coordinator does not know), 'Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable'. */
  state: string;
  /** 'consumer' for Kafka consumers; '' for a group without members. */
  protocolType: string;
  /** The chosen assignor ('range', 'roundrobin', ...) when Stable, else ''. */
  protocol: string;
  /** The coordinator that answered; null when none was found before the deadline. */
  coordinator: CoordinatorNode | null;
  members: GroupMemberDescription[];
}

export interface ListedGroup {
  groupId: string;
  /** 'consumer', or '' for a group that only commits offsets. */
  protocolType: string;
  /** The broker that coordinates it. */
  coordinatorId: number;
}

export interface ListGroupsResult {
  groups: ListedGroup[];
  /** Brokers that did not answer (a lost connection, or an error code until the deadline). */
  errors: { nodeId: number; error: Error }[];
}

export interface CoordinatorClientOptions {
  /** Default deadline of each call, retries included (default 30000). */
  timeoutMs?: number;
  /** First pause between retries (default 100, Kafka's retry.backoff.ms); doubles each time. */
  retryBackoffMs?: number;
  /** Longest pause between retries (default 1000). */
  maxRetryBackoffMs?: number;
  logger?: Logger;
}

export interface CoordinatorRequestOptions {
  /** Deadline of the call, retries included (default: the client's timeoutMs). */
  timeoutMs?: number;
  /** Timeout of one request (default: the cluster's requestTimeoutMs); JoinGroup needs the rebalance timeout and more. */
  requestTimeoutMs?: number;
  /** Once aborted, no further attempt is made: the call throws the signal's reason. */
  signal?: AbortSignal;
}

/** The errors after which a request is sent again (to the coordinator found anew for the first two). */
export const COORDINATOR_ERRORS: ReadonlySet<number> = new Set([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);

/** True for COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS and NOT_COORDINATOR. */
export function isCoordinatorError(code: number): boolean {
  return COORDINATOR_ERRORS.has(code);
}

/** A lost or timed-out connection: the coordinator is looked up again. */
export function isConnectionFailure(err: unknown): boolean {
  return err instanceof ConnectionError || err instanceof RequestTimeoutError;
}

/** An OffsetCommit some partition of which was refused; `failed` lists each such partition. */
export class OffsetCommitError extends KafkaError {
  readonly failed: (TopicPartition & { errorCode: number })[];
  constructor(groupId: string, failed: (TopicPartition & { errorCode: number })[]) {
    const first = failed[0]!;
    const list = failed.map((f) => `${f.topic}-${f.partition}: ${errorName(f.errorCode)}`).join(', ');
    super(first.errorCode, `offset commit of group "${groupId}" failed: ${list}`, { context: { groupId } });
    this.failed = failed;
  }
}

const FIND_COORDINATOR_VERSION = 1;
const OFFSET_COMMIT_VERSION = 2;
const OFFSET_FETCH_VERSION = 3;
const DESCRIBE_GROUPS_VERSION = 1;
const LIST_GROUPS_VERSION = 1;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function groupByTopic<T extends TopicPartition>(list: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const p of list) {
    let l = out.get(p.topic);
    if (!l) out.set(p.topic, (l = []));
    l.push(p);
  }
  return out;
}

export class CoordinatorClient {
  readonly cluster: Cluster;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #log: Logger;
  readonly #known = new Map<string, CoordinatorNode>();
  readonly #finding = new Map<string, Promise<CoordinatorNode>>();

  constructor(cluster: Cluster, opts: CoordinatorClientOptions = {}) {
    this.cluster = cluster;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#backoffMs = opts.retryBackoffMs ?? 100;
    this.#maxBackoffMs = Math.max(opts.maxRetryBackoffMs ?? 1000, this.#backoffMs);
    this.#log = opts.logger ?? new Logger('coordinator-client');
  }

  // ------------------------------------------------------------ the coordinator

  /**
   * The group's coordinator: the one found before (unless `refresh`), else asked of any broker
   * with FindCoordinator v1, retrying the coordinator errors (the first call on a cluster
   * creates __consumer_offsets: COORDINATOR_NOT_AVAILABLE until its leaders are elected) and
   * unreachable brokers until the deadline. Other errors (INVALID_GROUP_ID for '',
   * GROUP_AUTHORIZATION_FAILED) throw at once; the deadline throws a KafkaError with the last
   * coordinator error (COORDINATOR_NOT_AVAILABLE when none came).
   */
  async findCoordinator(groupId: string, opts: { timeoutMs?: number; refresh?: boolean } = {}): Promise<CoordinatorNode> {
    if (opts.refresh) this.markCoordinatorUnknown(groupId);
    const known = this.#known.get(groupId);
    if (known) return known;
    // callers asking at once share one lookup
    let finding = this.#finding.get(groupId);
    if (!finding) {
      finding = this.#lookup(groupId, Date.now() + (opts.timeoutMs ?? this.#timeoutMs)).finally(() => this.#finding.delete(groupId));
      this.#finding.set(groupId, finding);
    }
    return finding;
  }

  async #lookup(groupId: string, deadline: number): Promise<CoordinatorNode> {
    let lastCode: number = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    let lastWhy = 'no answer';
    for (let attempt = 0; ; attempt++) {
      try {
        const conn = await this.cluster.anyConnection();
        const res = (await call(conn, API_CODECS[ApiKey.FindCoordinator], FIND_COORDINATOR_VERSION, { groupId, keyType: CoordinatorType.GROUP }))!;
        if (res.errorCode === ErrorCode.NONE) {
          const node = { nodeId: res.nodeId, host: res.host, port: res.port };
          this.#known.set(groupId, node);
          return node;
        }
        if (!isCoordinatorError(res.errorCode)) {
          throw new KafkaError(res.errorCode, `FindCoordinator for group "${groupId}": ${errorName(res.errorCode)}${res.errorMessage ? ` (${res.errorMessage})` : ''}`, { context: { groupId } });
        }
        lastCode = res.errorCode;
        lastWhy = `${errorName(res.errorCode)}${res.errorMessage ? ` (${res.errorMessage})` : ''}`;
      } catch (err) {
        if (err instanceof KafkaError) throw err;
        lastWhy = (err as Error).message; // no broker reachable, a lost connection: try again
      }
      if (!(await this.#pause(attempt, deadline))) {
        throw new KafkaError(lastCode, `no coordinator found for group "${groupId}": ${lastWhy}`, { context: { groupId } });
      }
    }
  }

  /** Forgets where the group's coordinator is: the next call asks FindCoordinator again. */
  markCoordinatorUnknown(groupId: string): void {
    this.#known.delete(groupId);
  }

  /** The pooled connection to a coordinator (the cluster's pool: one per broker address). */
  connectionTo(node: CoordinatorNode): KafkaConnection {
    return this.cluster.pool.get(node.host, node.port);
  }

  /**
   * Sends one request to the group's coordinator and returns its answer, unless `errorOf` (the
   * answer's error code) is a coordinator error or the connection fails: then the coordinator
   * is forgotten when it moved or did not answer, and the request sent again after a backoff,
   * until the deadline (which throws a KafkaError with the last coordinator error, or
   * REQUEST_TIMED_OUT for connections). Any other code is returned with the answer. The
   * building block of every call here and of the group consumer's membership requests; an
   * aborted `signal` stops the retries (a closed member must not rejoin).
   */
  async send<Req, Res>(
    groupId: string,
    codec: ApiCodec<Req, Res>,
    version: number,
    req: Req,
    errorOf: (res: Res) => number,
    opts: CoordinatorRequestOptions = {},
  ): Promise<{ response: Res; coordinator: CoordinatorNode }> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.#timeoutMs);
    let lastCode: number = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    let lastWhy = '';
    for (let attempt = 0; ; attempt++) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const coordinator = await this.findCoordinator(groupId, { timeoutMs: Math.max(deadline - Date.now(), 1) });
      if (opts.signal?.aborted) throw opts.signal.reason;
      try {
        const res = (await call(this.connectionTo(coordinator), codec, version, req, { timeoutMs: opts.requestTimeoutMs }))!;
        const code = errorOf(res);
        if (!isCoordinatorError(code)) return { response: res, coordinator };
        if (code !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) this.#forget(groupId, coordinator);
        lastCode = code;
        lastWhy = errorName(code);
      } catch (err) {
        if (!isConnectionFailure(err)) throw err;
        this.#forget(groupId, coordinator);
        lastCode = err instanceof RequestTimeoutError ? ErrorCode.REQUEST_TIMED_OUT : ErrorCode.NETWORK_EXCEPTION;
        lastWhy = (err as Error).message;
      }
      this.#log.debug('retrying a coordinator request', { group: groupId, api: codec.apiKey, coordinator: coordinator.nodeId, why: lastWhy });
      if (!(await this.#pause(attempt, deadline))) {
        throw new KafkaError(lastCode, `group "${groupId}": coordinator ${coordinator.nodeId} (${coordinator.host}:${coordinator.port}) did not answer in time: ${lastWhy}`, {
          context: { groupId, coordinator: coordinator.nodeId },
        });
      }
    }
  }

  /** Forgets the coordinator only if it is still the one that failed (another call may have found the new one). */
  #forget(groupId: string, node: CoordinatorNode): void {
    const k = this.#known.get(groupId);
    if (k && k.nodeId === node.nodeId && k.host === node.host && k.port === node.port) this.#known.delete(groupId);
  }

  /** Waits before attempt+1; false when the deadline leaves no time for it. */
  async #pause(attempt: number, deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(this.#backoffMs * 2 ** Math.min(attempt, 16), this.#maxBackoffMs, left));
    return Date.now() < deadline;
  }

  // ------------------------------------------------------------ offsets

  /**
   * Commits offsets for a group (OffsetCommit v2 to its coordinator, which writes them to
   * __consumer_offsets). Outside group management (the defaults: generation -1, member '')
   * the coordinator takes the commit only while the group has no members; a member of a
   * broker-coordinated group passes its generation and member id. Resolves when every
   * partition was committed; throws OffsetCommitError when some were refused
   * (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, OFFSET_METADATA_TOO_LARGE,
   * UNKNOWN_TOPIC_OR_PARTITION, ...; `failed` names them), or a KafkaError at the deadline.
   */
  async commitOffsets(groupId: string, offsets: readonly OffsetToCommit[], opts: CommitOptions = {}): Promise<void> {
    if (offsets.length === 0) return;
    const req = {
      groupId,
      generationId: opts.generationId ?? -1,
      memberId: opts.memberId ?? '',
      retentionTimeMs: opts.retentionTimeMs ?? -1,
      topics: [...groupByTopic(offsets)].map(([topic, list]) => ({
        topic,
        partitions: list.map((o) => ({ partition: o.partition, offset: o.offset, timestamp: -1, metadata: o.metadata ?? '' })),
      })),
    };
    // the coordinator errors come per partition (all alike): one of them makes the whole commit go again
    const firstError = (res: { topics: { partitions: { errorCode: number }[] }[] }): number => {
      for (const t of res.topics) for (const p of t.partitions) if (isCoordinatorError(p.errorCode)) return p.errorCode;
      return ErrorCode.NONE;
    };
    const { response } = await this.send(groupId, API_CODECS[ApiKey.OffsetCommit], OFFSET_COMMIT_VERSION, req, firstError, opts);
    const failed: (TopicPartition & { errorCode: number })[] = [];
    const answered = new Set<string>();
    for (const t of response.topics) {
      for (const p of t.partitions) {
        answered.add(`${t.topic}\u0000${p.partition}`);
        if (p.errorCode !== ErrorCode.NONE) failed.push({ topic: t.topic, partition: p.partition, errorCode: p.errorCode });
      }
    }
    for (const o of offsets) {
      if (!answered.has(`${o.topic}\u0000${o.partition}`)) failed.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.UNKNOWN });
    }
    if (failed.length > 0) throw new OffsetCommitError(groupId, failed.sort(byTopicPartition));
  }

  /**
   * The group's committed offsets (OffsetFetch v3): of the given partitions (offset -1 where
   * nothing was committed), or, with null, of every partition the group has offsets for.
   * Sorted by topic and partition. A group-level or partition error other than the coordinator
   * errors throws a KafkaError.
   */
  async fetchOffsets(groupId: string, partitions: readonly TopicPartition[] | null, opts: { timeoutMs?: number } = {}): Promise<CommittedOffset[]> {
    if (partitions !== null && partitions.length === 0) return [];
    const req =
      partitions === null
        ? { groupId, topics: [], allTopics: true }
        : { groupId, topics: [...groupByTopic(partitions)].map(([topic, list]) => ({ topic, partitions: list.map((p) => p.partition) })) };
    const { response } = await this.send(groupId, API_CODECS[ApiKey.OffsetFetch], OFFSET_FETCH_VERSION, req, (res) => {
      if (isCoordinatorError(res.errorCode ?? ErrorCode.NONE)) return res.errorCode!;
      for (const t of res.topics) for (const p of t.partitions) if (isCoordinatorError(p.errorCode)) return p.errorCode;
      return ErrorCode.NONE;
    }, opts);
    if ((response.errorCode ?? ErrorCode.NONE) !== ErrorCode.NONE) {
      throw new KafkaError(response.errorCode!, `OffsetFetch for group "${groupId}": ${errorName(response.errorCode!)}`, { context: { groupId } });
    }
    const out: CommittedOffset[] = [];
    for (const t of response.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) {
          throw new KafkaError(p.errorCode, `OffsetFetch for group "${groupId}", ${t.topic}-${p.partition}: ${errorName(p.errorCode)}`, {
            context: { groupId, topic: t.topic, partition: p.partition },
          });
        }
        out.push({ topic: t.topic, partition: p.partition, offset: p.offset, metadata: p.metadata });
      }
    }
    return out.sort(byTopicPartition);
  }

  // ------------------------------------------------------------ groups

  /**
   * Describes groups (DescribeGroups v1, each to its own coordinator, groups sharing one in a
   * single request), in the order asked. Never throws for one group: a group whose coordinator
   * was not found or kept answering a coordinator error until the deadline has that code in
   * errorCode. A group nobody knows is answered NONE with state 'Dead', as Kafka does.
   */
  async describeGroups(groupIds: readonly string[], opts: { timeoutMs?: number } = {}): Promise<GroupDescription[]> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.#timeoutMs);
    const result = new Map<string, GroupDescription>();
    const dead = (groupId: string, errorCode: number, coordinator: CoordinatorNode | null): GroupDescription => ({
      groupId,
      errorCode,
      state: 'Dead',
      protocolType: '',
      protocol: '',
      coordinator,
      members: [],
    });
    let pending = [...new Set(groupIds)];
    for (let attempt = 0; pending.length > 0; attempt++) {
      // which coordinator has which group
      const byNode = new Map<string, { node: CoordinatorNode; groups: string[] }>();
      await Promise.all(
        pending.map(async (g) => {
          try {
            const node = await this.findCoordinator(g, { timeoutMs: Math.max(deadline - Date.now(), 1) });
            const k = `${node.nodeId}@${node.host}:${node.port}`;
            let e = byNode.get(k);
            if (!e) byNode.set(k, (e = { node, groups: [] }));
            e.groups.push(g);
          } catch (err) {
            result.set(g, dead(g, err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE, null));
          }
        }),
      );
      const retry: string[] = [];
      await Promise.all(
        [...byNode.values()].map(async ({ node, groups }) => {
          try {
            const res = (await call(this.connectionTo(node), API_CODECS[ApiKey.DescribeGroups], DESCRIBE_GROUPS_VERSION, { groups }))!;
            for (const g of res.groups) {
              if (isCoordinatorError(g.errorCode)) {
                if (g.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) this.#forget(g.groupId, node);
                result.set(g.groupId, dead(g.groupId, g.errorCode, node));
                retry.push(g.groupId);
                continue;
              }
              result.set(g.groupId, describe(g, node));
            }
          } catch (err) {
            if (!isConnectionFailure(err)) throw err;
            for (const g of groups) {
              this.#forget(g, node);
              result.set(g, dead(g, ErrorCode.NETWORK_EXCEPTION, node));
              retry.push(g);
            }
          }
        }),
      );
      pending = retry;
      if (pending.length > 0 && !(await this.#pause(attempt, deadline))) break;
    }
    return groupIds.map((g) => result.get(g) ?? dead(g, ErrorCode.UNKNOWN, null));
  }

  /**
   * Every group of every broker (ListGroups v1 to each broker in the cluster's metadata, at
   * once), sorted by group id. A broker loading a __consumer_offsets partition answers
   * COORDINATOR_LOAD_IN_PROGRESS and is asked again until the deadline; a broker that does not
   * answer, or still fails then, is listed in `errors` and the others' groups are returned.
   */
  async listGroups(opts: { timeoutMs?: number } = {}): Promise<ListGroupsResult> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.#timeoutMs);
    await this.cluster.refresh([]);
    const groups: ListedGroup[] = [];
    const errors: { nodeId: number; error: Error }[] = [];
    await Promise.all(
      [...this.cluster.brokers].map(async ([nodeId, addr]) => {
        for (let attempt = 0; ; attempt++) {
          let error: Error;
          try {
            const res = (await call(this.cluster.pool.get(addr.host, addr.port), API_CODECS[ApiKey.ListGroups], LIST_GROUPS_VERSION, {}))!;
            if (res.errorCode === ErrorCode.NONE) {
              for (const g of res.groups) groups.push({ groupId: g.groupId, protocolType: g.protocolType, coordinatorId: nodeId });
              return;
            }
            error = new KafkaError(res.errorCode, `ListGroups to broker ${nodeId}: ${errorName(res.errorCode)}`, { context: { nodeId } });
            if (res.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return void errors.push({ nodeId, error });
          } catch (err) {
            if (!isConnectionFailure(err)) throw err;
            error = err as Error;
          }
          if (!(await this.#pause(attempt, deadline))) return void errors.push({ nodeId, error });
        }
      }),
    );
    groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : a.coordinatorId - b.coordinatorId));
    errors.sort((a, b) => a.nodeId - b.nodeId);
    return { groups, errors };
  }
}

function describe(
  g: { errorCode: number; groupId: string; groupState: string; protocolType: string; protocolData: string; members: { memberId: string; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }[] },
  node: CoordinatorNode,
): GroupDescription {
  const consumer = g.protocolType === CONSUMER_PROTOCOL_TYPE;
  const stable = g.groupState === 'Stable';
  return {
    groupId: g.groupId,
    errorCode: g.errorCode,
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    coordinator: node,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: m.memberMetadata,
      assignmentBytes: m.memberAssignment,
      subscription: consumer && m.memberMetadata.length > 0 ? tryDecode(() => decodeConsumerProtocolSubscription(m.memberMetadata)) : null,
      assignment: consumer && stable ? tryDecode(() => decodeConsumerProtocolAssignment(m.memberAssignment)) : null,
    })),
  };
}

function tryDecode<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}
