/**
 * One member's side of the group protocol (Kafka's AbstractCoordinator): joining a group
 * through its coordinator, the leader's assignment, heartbeats, leaving. Protocol-neutral: the
 * caller (group-consumer.ts) gives the protocols' metadata and, when this member leads,
 * computes the assignment.
 *
 *   join(): FindCoordinator -> JoinGroup v2 -> (leader: assign) -> SyncGroup v1, again until a
 *     generation is complete:
 *       JoinGroup UNKNOWN_MEMBER_ID          rejoin as a new member (member id '')
 *       JoinGroup/SyncGroup ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS   rejoin
 *       SyncGroup UNKNOWN_MEMBER_ID          rejoin as a new member
 *       NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, a lost connection   the coordinator is
 *                                            found anew (CoordinatorClient), then rejoin
 *       COORDINATOR_LOAD_IN_PROGRESS         the same request again after a backoff
 *       anything else (INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, INVALID_GROUP_ID,
 *       GROUP_MAX_SIZE_REACHED, GROUP_AUTHORIZATION_FAILED, ...)   a KafkaError for the caller
 *   heartbeats: every heartbeatIntervalMs while the generation is current (also once a rejoin
 *     is requested, until the JoinGroup goes out, as Java's heartbeat thread does):
 *       REBALANCE_IN_PROGRESS                rejoin requested (the generation is still valid
 *                                            for a last commit)
 *       ILLEGAL_GENERATION                   rejoin requested, generation lost
 *       UNKNOWN_MEMBER_ID                    rejoin requested as a new member, generation lost
 *       NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, a lost connection   the coordinator is
 *                                            found anew and the heartbeat sent after retryBackoffMs
 *   max.poll.interval.ms: a member whose caller has not polled for that long leaves the group
 *     (LeaveGroup; it rejoins as a new member at its next poll), as the Java consumer does.
 *   leave(): LeaveGroup v1, errors ignored (the session timeout removes the member anyway).
 */
import { API_CODECS } from '../../protocol/apis/index.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { JoinGroupMember, JoinGroupProtocol } from '../../protocol/apis/join-group.js';
import type { SyncGroupAssignment } from '../../protocol/apis/sync-group.js';
import { call } from '../cluster.js';
import { ErrorCode, KafkaError, ProjectError, errorName } from '../../common/errors.js';
import { Logger } from '../../common/logger.js';
import { CoordinatorClient, isConnectionFailure, isCoordinatorError } from './coordinator-client.js';

export interface MembershipOptions {
  groupId: string;
  protocolType: string;
  sessionTimeoutMs: number;
  /** Sent in JoinGroup: how long the coordinator waits for every member to rejoin. */
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** A member not polled for this long leaves the group (0: never). */
  maxPollIntervalMs: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  logger: Logger;
}

/** A completed generation of the group, as this member saw it. */
export interface Generation {
  generationId: number;
  memberId: string;
  leaderId: string;
  /** The protocol (assignor) the coordinator chose. */
  protocol: string;
  isLeader: boolean;
}

export interface JoinHandler {
  /** The protocols to offer in JoinGroup, most preferred first. */
  protocols(): JoinGroupProtocol[];
  /** Leader only: every member's assignment for the chosen protocol. */
  assign(protocol: string, members: JoinGroupMember[]): Promise<SyncGroupAssignment[]>;
}

export type MembershipState = 'unjoined' | 'joining' | 'stable' | 'closed';

/** The member was closed while it joined. */
export class MembershipClosedError extends ProjectError {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class GroupMembership {
  readonly #cc: CoordinatorClient;
  readonly #o: MembershipOptions;
  readonly #log: Logger;
  #state: MembershipState = 'unjoined';
  #memberId = '';
  #generation: Generation | undefined;
  /** False once the coordinator said the generation is over (no commit can go with it). */
  #generationValid = false;
  #rejoinReason: string | undefined;
  #hbTimer: NodeJS.Timeout | undefined;
  /** Bumped whenever heartbeats stop, so an answer that arrives later is ignored. */
  #hbEpoch = 0;
  #lastPoll = Date.now();
  #waiters: (() => void)[] = [];
  /** Aborted by close(): no JoinGroup or SyncGroup is sent again after it. */
  readonly #closed = new AbortController();

  constructor(cc: CoordinatorClient, opts: MembershipOptions) {
    this.#cc = cc;
    this.#o = opts;
    this.#log = opts.logger;
  }

  get state(): MembershipState {
    return this.#state;
  }

  /** The member id the coordinator gave ('' before the first join and after UNKNOWN_MEMBER_ID). */
  get memberId(): string {
    return this.#memberId;
  }

  /** The current generation; undefined until joined, and once the coordinator ended it. */
  get generation(): Generation | undefined {
    return this.#generationValid ? this.#generation : undefined;
  }

  /** Why the member must rejoin before it goes on; undefined while the generation stands. */
  get rejoinReason(): string | undefined {
    return this.#state === 'stable' ? this.#rejoinReason : this.#state === 'closed' ? undefined : (this.#rejoinReason ?? 'not joined');
  }

  get needsJoin(): boolean {
    return this.#state !== 'closed' && (this.#state !== 'stable' || this.#rejoinReason !== undefined);
  }

  /** The caller polled: the max.poll.interval.ms clock starts again. */
  pollTick(): void {
    this.#lastPoll = Date.now();
  }

  /** Asks for a rejoin at the next join(); wakes whoever waits in waitForRejoin(). */
  requestRejoin(reason: string): void {
    if (this.#state === 'closed') return;
    if (this.#rejoinReason === undefined) this.#log.info('rejoin needed', { group: this.#o.groupId, member: this.#memberId, reason });
    this.#rejoinReason ??= reason;
    this.#wake();
  }

  /** The coordinator ended this member's generation (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID from a commit). */
  generationLost(code: number): void {
    this.#generationValid = false;
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.#memberId = '';
    this.requestRejoin(errorName(code));
  }

  /** Resolves after `ms`, or earlier when a rejoin is requested or the member closes. */
  waitForRejoin(ms: number): Promise<void> {
    if (this.needsJoin || this.#state === 'closed' || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve();
      }, ms);
      this.#waiters.push(done);
    });
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /**
   * Joins (or rejoins) the group and returns the completed generation with this member's
   * assignment bytes; heartbeats start. Loops through the retriable outcomes above; throws a
   * KafkaError for the others and MembershipClosedError when close() came meanwhile.
   */
  async join(handler: JoinHandler): Promise<{ generation: Generation; assignment: Buffer }> {
    for (let attempt = 0; ; attempt++) {
      this.#checkOpen();
      this.#stopHeartbeats();
      this.#state = 'joining';
      this.#generationValid = false;
      const retry = async (why: string, backoff = true): Promise<void> => {
        this.#log.debug('rejoining', { group: this.#o.groupId, member: this.#memberId, why });
        if (backoff) await sleep(Math.min(this.#o.retryBackoffMs * 2 ** Math.min(attempt, 4), 1000));
      };
      let joined;
      try {
        joined = (
          await this.#cc.send(
            this.#o.groupId,
            API_CODECS[ApiKey.JoinGroup],
            2,
            {
              groupId: this.#o.groupId,
              sessionTimeoutMs: this.#o.sessionTimeoutMs,
              rebalanceTimeoutMs: this.#o.rebalanceTimeoutMs,
              memberId: this.#memberId,
              protocolType: this.#o.protocolType,
              protocols: handler.protocols(),
            },
            (r) => r.errorCode,
            // the coordinator holds a JoinGroup until every member rejoined, up to the rebalance timeout
            {
              requestTimeoutMs: Math.max(this.#o.requestTimeoutMs, this.#o.rebalanceTimeoutMs + 5000),
              timeoutMs: this.#o.requestTimeoutMs,
              signal: this.#closed.signal,
            },
          )
        ).response;
      } catch (err) {
        this.#checkOpen();
        if (!this.#retriable(err)) throw err;
        await retry((err as Error).message);
        continue;
      }
      this.#checkOpen();
      if (joined.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.#memberId = '';
        await retry('JoinGroup: UNKNOWN_MEMBER_ID', false);
        continue;
      }
      if (joined.errorCode === ErrorCode.ILLEGAL_GENERATION || joined.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) {
        await retry(`JoinGroup: ${errorName(joined.errorCode)}`);
        continue;
      }
      if (joined.errorCode !== ErrorCode.NONE) {
        this.#state = 'unjoined';
        throw new KafkaError(joined.errorCode, `joining group "${this.#o.groupId}" failed: ${errorName(joined.errorCode)}`, { context: { groupId: this.#o.groupId } });
      }
      this.#memberId = joined.memberId;
      const generation: Generation = {
        generationId: joined.generationId,
        memberId: joined.memberId,
        leaderId: joined.leader,
        protocol: joined.protocolName,
        isLeader: joined.leader === joined.memberId,
      };
      this.#log.debug('joined', { group: this.#o.groupId, ...generation });
      let assignments: SyncGroupAssignment[] = [];
      if (generation.isLeader) {
        try {
          assignments = await handler.assign(generation.protocol, joined.members);
        } catch (err) {
          this.#checkOpen();
          // no metadata now (a broker down): join again; the coordinator waits for the leader's SyncGroup meanwhile
          if (!this.#retriable(err) && !(err instanceof KafkaError && err.retriable)) throw err;
          await retry(`the assignment failed: ${(err as Error).message}`);
          continue;
        }
      }
      this.#checkOpen();
      let synced;
      try {
        synced = (
          await this.#cc.send(
            this.#o.groupId,
            API_CODECS[ApiKey.SyncGroup],
            1,
            { groupId: this.#o.groupId, generationId: generation.generationId, memberId: generation.memberId, assignments },
            // a coordinator error means rejoining (below), not sending this SyncGroup elsewhere
            () => ErrorCode.NONE,
            { timeoutMs: this.#o.requestTimeoutMs, signal: this.#closed.signal },
          )
        ).response;
      } catch (err) {
        this.#checkOpen();
        if (!this.#retriable(err)) throw err;
        await retry((err as Error).message);
        continue;
      }
      this.#checkOpen();
      if (synced.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.#memberId = '';
        await retry('SyncGroup: UNKNOWN_MEMBER_ID', false);
        continue;
      }
      if (synced.errorCode === ErrorCode.ILLEGAL_GENERATION || synced.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) {
        await retry(`SyncGroup: ${errorName(synced.errorCode)}`, false);
        continue;
      }
      if (isCoordinatorError(synced.errorCode)) {
        if (synced.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) this.#cc.markCoordinatorUnknown(this.#o.groupId);
        await retry(`SyncGroup: ${errorName(synced.errorCode)}`);
        continue;
      }
      if (synced.errorCode !== ErrorCode.NONE) {
        this.#state = 'unjoined';
        throw new KafkaError(synced.errorCode, `syncing group "${this.#o.groupId}" failed: ${errorName(synced.errorCode)}`, { context: { groupId: this.#o.groupId } });
      }
      this.#generation = generation;
      this.#generationValid = true;
      this.#rejoinReason = undefined;
      this.#state = 'stable';
      this.#lastPoll = Date.now();
      this.#startHeartbeats();
      return { generation, assignment: synced.assignment };
    }
  }

  /** Coordinator errors past the CoordinatorClient's deadline, lost connections, no broker reachable. */
  #retriable(err: unknown): boolean {
    if (err instanceof MembershipClosedError) return false;
    if (isConnectionFailure(err)) return true;
    if (err instanceof KafkaError) return isCoordinatorError(err.code) || err.code === ErrorCode.REQUEST_TIMED_OUT || err.code === ErrorCode.NETWORK_EXCEPTION;
    return err instanceof ProjectError && /no broker reachable/.test(err.message);
  }

  #checkOpen(): void {
    if (this.#state === 'closed') throw new MembershipClosedError(`the member of group "${this.#o.groupId}" was closed`);
  }

  // ------------------------------------------------------------ heartbeats

  #startHeartbeats(): void {
    this.#stopHeartbeats();
    const epoch = this.#hbEpoch;
    this.#scheduleHeartbeat(epoch, this.#o.heartbeatIntervalMs);
  }

  #stopHeartbeats(): void {
    clearTimeout(this.#hbTimer);
    this.#hbTimer = undefined;
    this.#hbEpoch++;
  }

  #scheduleHeartbeat(epoch: number, delayMs: number): void {
    if (epoch !== this.#hbEpoch || this.#state !== 'stable') return;
    this.#hbTimer = setTimeout(() => void this.#heartbeat(epoch), delayMs);
    this.#hbTimer.unref?.();
  }

  async #heartbeat(epoch: number): Promise<void> {
    const gen = this.#generation;
    if (epoch !== this.#hbEpoch || this.#state !== 'stable' || !gen) return;
    if (this.#o.maxPollIntervalMs > 0 && Date.now() - this.#lastPoll > this.#o.maxPollIntervalMs) {
      this.#log.warn(
        'the consumer was not polled for longer than max.poll.interval.ms: leaving the group (its partitions go to the others; the next poll rejoins)',
        { group: this.#o.groupId, member: this.#memberId, maxPollIntervalMs: this.#o.maxPollIntervalMs },
      );
      await this.#leaveAndReset('max.poll.interval.ms expired');
      return;
    }
    let next = this.#o.heartbeatIntervalMs;
    try {
      const coordinator = await this.#cc.findCoordinator(this.#o.groupId, { timeoutMs: this.#o.sessionTimeoutMs });
      const res = (await call(
        this.#cc.connectionTo(coordinator),
        API_CODECS[ApiKey.Heartbeat],
        1,
        { groupId: this.#o.groupId, generationId: gen.generationId, memberId: gen.memberId },
        { timeoutMs: Math.min(this.#o.requestTimeoutMs, this.#o.sessionTimeoutMs) },
      ))!;
      if (epoch !== this.#hbEpoch) return;
      switch (res.errorCode) {
        case ErrorCode.NONE:
          break;
        case ErrorCode.REBALANCE_IN_PROGRESS:
          this.requestRejoin('the group is rebalancing');
          break;
        case ErrorCode.ILLEGAL_GENERATION:
        case ErrorCode.UNKNOWN_MEMBER_ID:
          this.generationLost(res.errorCode);
          break;
        case ErrorCode.NOT_COORDINATOR:
        case ErrorCode.COORDINATOR_NOT_AVAILABLE:
          this.#cc.markCoordinatorUnknown(this.#o.groupId);
          next = this.#o.retryBackoffMs;
          break;
        default:
          this.#log.warn('heartbeat failed', { group: this.#o.groupId, member: gen.memberId, error: errorName(res.errorCode) });
          next = this.#o.retryBackoffMs;
      }
    } catch (err) {
      if (epoch !== this.#hbEpoch) return;
      if (isConnectionFailure(err)) this.#cc.markCoordinatorUnknown(this.#o.groupId);
      this.#log.debug('heartbeat failed', { group: this.#o.groupId, member: gen.memberId, error: err as Error });
      next = this.#o.retryBackoffMs;
    }
    this.#scheduleHeartbeat(epoch, next);
  }

  async #leaveAndReset(reason: string): Promise<void> {
    this.#stopHeartbeats();
    const memberId = this.#memberId;
    this.#generationValid = false;
    this.#memberId = '';
    this.#state = 'unjoined';
    this.#rejoinReason = reason;
    this.#wake();
    await this.#sendLeave(memberId);
  }

  async #sendLeave(memberId: string): Promise<void> {
    if (memberId === '') return;
    try {
      const { response } = await this.#cc.send(this.#o.groupId, API_CODECS[ApiKey.LeaveGroup], 1, { groupId: this.#o.groupId, memberId }, (r) => r.errorCode, {
        timeoutMs: Math.min(this.#o.requestTimeoutMs, 5000),
      });
      if (response.errorCode !== ErrorCode.NONE) this.#log.debug('LeaveGroup answered', { group: this.#o.groupId, member: memberId, error: errorName(response.errorCode) });
    } catch (err) {
      this.#log.debug('LeaveGroup failed', { group: this.#o.groupId, member: memberId, error: err as Error });
    }
  }

  /**
   * Ends the membership: heartbeats stop, a join in progress ends with MembershipClosedError,
   * and unless `leaveGroup` is false a LeaveGroup goes out (the coordinator rebalances at once;
   * without it the member stays in the group until its session times out, as a crashed
   * process would).
   */
  async close(opts: { leaveGroup?: boolean } = {}): Promise<void> {
    if (this.#state === 'closed') return;
    this.#stopHeartbeats();
    const memberId = this.#memberId;
    this.#state = 'closed';
    this.#generationValid = false;
    this.#closed.abort(new MembershipClosedError(`the member of group "${this.#o.groupId}" was closed`));
    this.#wake();
    if (opts.leaveGroup ?? true) await this.#sendLeave(memberId);
  }
}
