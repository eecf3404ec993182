/**
 * The group coordinator (Kafka 0.9+, GroupCoordinator.scala): group membership, rebalances and
 * committed offsets of the groups whose __consumer_offsets partition this broker leads.
 *
 * A rebalance: a member's JoinGroup (or a member leaving or timing out) moves the group to
 * PreparingRebalance; the coordinator holds every JoinGroup until all known members have
 * rejoined or the longest rebalance timeout passes (members that did not rejoin are dropped),
 * then opens the next generation, picks the protocol most members prefer, and answers: the
 * leader gets every member's subscription, the others nothing. The leader computes the
 * assignment (client side) and sends it in its SyncGroup; the coordinator writes the group to
 * its partition and answers every member's SyncGroup with its own share. Heartbeats keep a
 * member's session; one that misses its session timeout is removed and the group rebalances.
 * An empty group's first rebalance waits group.initial.rebalance.delay.ms for more members.
 *
 * Error codes follow Kafka 2.0 for the versions spoken here (JoinGroup v0-v2 has no
 * MEMBER_ID_REQUIRED: a new member gets its id in its first JoinGroup answer).
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../common/errors.js';
import { Logger } from '../common/logger.js';
import type { GroupCoordinatorConfig } from './config.js';
import { GroupMetadata, MemberMetadata, offsetKey, parseOffsetKey, type CommittedOffset, type GroupSummary, type JoinResult, type MemberProtocol, type SyncResult } from './group.js';
import type { GroupMetadataManager } from './group-metadata-manager.js';

export interface JoinGroupArgs {
  groupId: string;
  memberId: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  /** v0 has none: the session timeout is used. */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
}

export interface CommitArgs {
  groupId: string;
  /** -1 with memberId '' for a commit outside group management (a "simple" consumer). */
  generationId: number;
  memberId: string;
  /** OffsetCommit v2-v4 retention_time; -1 for the broker's offsets.retention.minutes. */
  retentionMs: number;
  offsets: { topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }[];
}

export interface FetchedOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

const NO_JOIN = (errorCode: number, memberId = ''): JoinResult => ({ errorCode, generationId: -1, protocolName: '', leaderId: '', memberId, members: [] });
const NO_SYNC = (errorCode: number): SyncResult => ({ errorCode, assignment: Buffer.alloc(0) });

export class GroupCoordinator {
  readonly #cfg: GroupCoordinatorConfig;
  readonly #groups: GroupMetadataManager;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Empty groups whose first rebalance is the delayed, initial one, and whether a member joined during its delay. */
  readonly #initialJoin = new Map<GroupMetadata, { newMemberAdded: boolean; remainingMs: number }>();

  constructor(cfg: GroupCoordinatorConfig, groups: GroupMetadataManager, logger = new Logger('group-coordinator'), now: () => number = Date.now) {
    this.#cfg = cfg;
    this.#groups = groups;
    this.#log = logger;
    this.#now = now;
    groups.onLoaded = (g) => this.#onGroupLoaded(g);
    groups.onUnloaded = (g) => this.#onGroupUnloaded(g);
  }

  get manager(): GroupMetadataManager {
    return this.#groups;
  }

  /** NONE, or why this broker cannot answer for the group now. */
  #check(groupId: string): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (this.#groups.isLoading(groupId)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!this.#groups.isLocal(groupId)) return ErrorCode.NOT_COORDINATOR;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- JoinGroup

  joinGroup(a: JoinGroupArgs): Promise<JoinResult> {
    const err = this.#check(a.groupId);
    if (err !== ErrorCode.NONE) return Promise.resolve(NO_JOIN(err, a.memberId));
    if (a.sessionTimeoutMs < this.#cfg.groupMinSessionTimeoutMs || a.sessionTimeoutMs > this.#cfg.groupMaxSessionTimeoutMs) {
      return Promise.resolve(NO_JOIN(ErrorCode.INVALID_SESSION_TIMEOUT, a.memberId));
    }
    let group = this.#groups.get(a.groupId);
    if (!group) {
      // only a new member may create the group, and only with a protocol to create it with (a
      // refused join leaves no empty group behind, for expiry to delete under the next join)
      if (a.memberId !== '') return Promise.resolve(NO_JOIN(ErrorCode.UNKNOWN_MEMBER_ID, a.memberId));
      if (a.protocolType === '' || a.protocols.length === 0) return Promise.resolve(NO_JOIN(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, a.memberId));
      group = this.#groups.add(new GroupMetadata(a.groupId, this.#groups.partitionFor(a.groupId), this.#now()));
    }
    return new Promise<JoinResult>((resolve) => this.#doJoin(group, a, resolve));
  }

  #doJoin(group: GroupMetadata, a: JoinGroupArgs, respond: (r: JoinResult) => void): void {
    const names = a.protocols.map((p) => p.name);
    // a group being deleted (expired, or its partition moving away): the member finds its
    // coordinator again and retries, as Kafka (2.0+) answers it
    if (group.is('Dead')) return respond(NO_JOIN(ErrorCode.COORDINATOR_NOT_AVAILABLE, a.memberId));
    if (a.protocolType === '' || names.length === 0 || !group.supportsProtocols(a.protocolType, names)) {
      return respond(NO_JOIN(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, a.memberId));
    }
    if (a.memberId !== '' && !group.members.has(a.memberId)) return respond(NO_JOIN(ErrorCode.UNKNOWN_MEMBER_ID, a.memberId));
    if (a.memberId === '' && group.members.size >= this.#cfg.groupMaxSize) return respond(NO_JOIN(ErrorCode.GROUP_MAX_SIZE_REACHED));
    const member = a.memberId === '' ? undefined : group.members.get(a.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        if (!member) this.#addMemberAndRebalance(group, a, respond);
        else this.#updateMemberAndRebalance(group, member, a, respond);
        break;
      case 'CompletingRebalance':
        if (!member) this.#addMemberAndRebalance(group, a, respond);
        else if (member.matches(a.protocols)) respond(this.#joinAnswer(group, member)); // a resent JoinGroup: the same answer
        else this.#updateMemberAndRebalance(group, member, a, respond);
        break;
      case 'Empty':
      case 'Stable':
        if (!member) this.#addMemberAndRebalance(group, a, respond);
        else if (member.memberId === group.leaderId || !member.matches(a.protocols)) this.#updateMemberAndRebalance(group, member, a, respond);
        else respond({ ...this.#joinAnswer(group, member), members: [] });
        break;
      default:
        break;
    }
    if (group.is('PreparingRebalance')) this.#tryCompleteJoin(group);
  }

  #joinAnswer(group: GroupMetadata, member: MemberMetadata): JoinResult {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolName: group.protocol ?? '',
      leaderId: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader ? [...group.members.values()].map((m) => ({ memberId: m.memberId, metadata: m.metadataFor(group.protocol!) })) : [],
    };
  }

  #addMemberAndRebalance(group: GroupMetadata, a: JoinGroupArgs, respond: (r: JoinResult) => void): void {
    const memberId = `${a.clientId}-${randomUUID()}`;
    const member = new MemberMetadata(memberId, a.clientId, a.clientHost, a.sessionTimeoutMs, a.rebalanceTimeoutMs, a.protocols);
    member.awaitingJoin = respond;
    if (!group.hasMembers) group.protocolType = a.protocolType;
    group.add(member);
    const initial = this.#initialJoin.get(group);
    if (initial) initial.newMemberAdded = true;
    this.#scheduleSession(group, member);
    this.#maybePrepareRebalance(group, `member ${memberId} joined`);
  }

  #updateMemberAndRebalance(group: GroupMetadata, member: MemberMetadata, a: JoinGroupArgs, respond: (r: JoinResult) => void): void {
    member.protocols = a.protocols;
    member.sessionTimeoutMs = a.sessionTimeoutMs;
    member.rebalanceTimeoutMs = a.rebalanceTimeoutMs;
    member.awaitingJoin = respond;
    this.#maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
  }

  #maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.#prepareRebalance(group, reason);
  }

  #prepareRebalance(group: GroupMetadata, reason: string): void {
    // members waiting for the assignment of a generation that will not be
    if (group.is('CompletingRebalance')) this.#propagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    const now = this.#now();
    const wasEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance', now);
    const timeout = Math.max(group.rebalanceTimeoutMs, 0);
    clearTimeout(group.joinTimer);
    if (wasEmpty && this.#cfg.groupInitialRebalanceDelayMs > 0) {
      const delay = Math.min(this.#cfg.groupInitialRebalanceDelayMs, timeout);
      this.#initialJoin.set(group, { newMemberAdded: false, remainingMs: Math.max(timeout - delay, 0) });
      this.#scheduleJoin(group, delay);
    } else {
      this.#initialJoin.delete(group);
      this.#scheduleJoin(group, timeout);
    }
    this.#log.info('preparing to rebalance', { group: group.groupId, generation: group.generationId, reason });
    // nobody left to wait for (the last member left): the group is Empty before the answer, as in Kafka
    this.#tryCompleteJoin(group);
  }

  #scheduleJoin(group: GroupMetadata, delayMs: number): void {
    group.joinDeadline = this.#now() + delayMs;
    group.joinTimer = setTimeout(() => this.#onJoinTimer(group), delayMs);
    group.joinTimer.unref?.();
  }

  #onJoinTimer(group: GroupMetadata): void {
    group.joinTimer = undefined;
    if (!group.is('PreparingRebalance')) return;
    const initial = this.#initialJoin.get(group);
    if (initial && initial.newMemberAdded && initial.remainingMs > 0) {
      // more members came during the delay: wait once more, within the rebalance timeout
      const delay = Math.min(this.#cfg.groupInitialRebalanceDelayMs, initial.remainingMs);
      this.#initialJoin.set(group, { newMemberAdded: false, remainingMs: Math.max(initial.remainingMs - delay, 0) });
      this.#scheduleJoin(group, delay);
      return;
    }
    this.#completeJoin(group);
  }

  /** Completes the rebalance early once every known member rejoined (never during the initial delay). */
  #tryCompleteJoin(group: GroupMetadata): void {
    if (!group.is('PreparingRebalance') || this.#initialJoin.has(group)) return;
    if (group.allMembersJoined) this.#completeJoin(group);
  }

  #completeJoin(group: GroupMetadata): void {
    clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
    this.#initialJoin.delete(group);
    if (!group.is('PreparingRebalance')) return;
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin) continue;
      this.#log.info('removing a member that did not rejoin in time', { group: group.groupId, member: m.memberId });
      clearTimeout(m.sessionTimer);
      group.remove(m.memberId);
    }
    const now = this.#now();
    group.initNextGeneration(now);
    if (group.is('Empty')) {
      this.#log.info('group is empty', { group: group.groupId, generation: group.generationId });
      void this.#groups.storeGroup(group, new Map()).then((code) => {
        if (code !== ErrorCode.NONE) this.#log.warn('failed to write an empty group', { group: group.groupId, error: code });
      });
      return;
    }
    this.#log.info('stabilizing group', { group: group.groupId, generation: group.generationId, protocol: group.protocol, members: group.members.size });
    for (const m of group.members.values()) {
      const respond = m.awaitingJoin!;
      m.awaitingJoin = undefined;
      respond(this.#joinAnswer(group, m));
      this.#scheduleSession(group, m);
    }
  }

  // ---------------------------------------------------------------- SyncGroup

  syncGroup(groupId: string, generationId: number, memberId: string, assignments: Map<string, Buffer>): Promise<SyncResult> {
    const err = this.#check(groupId);
    if (err === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return Promise.resolve(NO_SYNC(ErrorCode.REBALANCE_IN_PROGRESS)); // the member rejoins, as Kafka has it
    if (err !== ErrorCode.NONE) return Promise.resolve(NO_SYNC(err));
    const group = this.#groups.get(groupId);
    if (group?.is('Dead')) return Promise.resolve(NO_SYNC(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group) return Promise.resolve(NO_SYNC(ErrorCode.UNKNOWN_MEMBER_ID));
    const member = group.members.get(memberId);
    if (!member) return Promise.resolve(NO_SYNC(ErrorCode.UNKNOWN_MEMBER_ID));
    if (generationId !== group.generationId) return Promise.resolve(NO_SYNC(ErrorCode.ILLEGAL_GENERATION));
    switch (group.state) {
      case 'Empty':
        return Promise.resolve(NO_SYNC(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(NO_SYNC(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.#scheduleSession(group, member);
        return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
      default:
        break;
    }
    return new Promise<SyncResult>((resolve) => {
      member.awaitingSync = resolve;
      if (memberId !== group.leaderId) return;
      // the leader's assignment: members it left out get nothing; members unknown here are ignored
      const full = new Map<string, Buffer>();
      for (const id of group.members.keys()) full.set(id, assignments.get(id) ?? Buffer.alloc(0));
      const generation = group.generationId;
      void this.#groups.storeGroup(group, full).then((code) => {
        if (!group.is('CompletingRebalance') || group.generationId !== generation) return; // moved on meanwhile
        if (code !== ErrorCode.NONE) {
          this.#propagateAssignmentError(group, code);
          this.#prepareRebalance(group, `failed to write the group: error ${code}`);
          return;
        }
        for (const [id, a] of full) {
          const m = group.members.get(id);
          if (m) m.assignment = a;
        }
        group.transitionTo('Stable', this.#now());
        this.#log.info('group stable', { group: group.groupId, generation });
        this.#propagateAssignment(group, ErrorCode.NONE);
      });
    });
  }

  #propagateAssignment(group: GroupMetadata, errorCode: number): void {
    for (const m of group.members.values()) {
      const respond = m.awaitingSync;
      if (!respond) continue;
      m.awaitingSync = undefined;
      respond({ errorCode, assignment: errorCode === ErrorCode.NONE ? m.assignment : Buffer.alloc(0) });
      this.#scheduleSession(group, m);
    }
  }

  #propagateAssignmentError(group: GroupMetadata, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = Buffer.alloc(0);
    this.#propagateAssignment(group, errorCode);
  }

  // ---------------------------------------------------------------- Heartbeat, LeaveGroup

  heartbeat(groupId: string, memberId: string, generationId: number): number {
    const err = this.#check(groupId);
    // during a load the member carries on: its session is not known to be lost
    if (err === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (err !== ErrorCode.NONE) return err;
    const group = this.#groups.get(groupId);
    if (group?.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (!group || group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.#scheduleSession(group, member);
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leaveGroup(groupId: string, memberId: string): number {
    const err = this.#check(groupId);
    if (err !== ErrorCode.NONE) return err;
    const group = this.#groups.get(groupId);
    if (group?.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.#log.info('member left', { group: groupId, member: memberId });
    this.#removeMember(group, member, `member ${memberId} left`);
    return ErrorCode.NONE;
  }

  #scheduleSession(group: GroupMetadata, member: MemberMetadata): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => this.#onSessionExpired(group, member), member.sessionTimeoutMs);
    member.sessionTimer.unref?.();
  }

  #onSessionExpired(group: GroupMetadata, member: MemberMetadata): void {
    member.sessionTimer = undefined;
    if (group.members.get(member.memberId) !== member || group.is('Dead')) return;
    // a member waiting in a JoinGroup or SyncGroup is alive: its request is the proof
    if (member.awaitingJoin || member.awaitingSync) return this.#scheduleSession(group, member);
    this.#log.info('member session expired', { group: group.groupId, member: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs });
    this.#removeMember(group, member, `member ${member.memberId} session expired`);
  }

  #removeMember(group: GroupMetadata, member: MemberMetadata, reason: string): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = undefined;
    group.remove(member.memberId);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.#prepareRebalance(group, reason);
        break;
      case 'PreparingRebalance':
        this.#tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- offsets

  async commitOffsets(a: CommitArgs): Promise<Map<string, number>> {
    const all = (code: number) => new Map(a.offsets.map((o) => [offsetKey(o.topic, o.partition), code]));
    const err = this.#check(a.groupId);
    if (err !== ErrorCode.NONE) return all(err);
    let group = this.#groups.get(a.groupId);
    if (!group) {
      // a group outside group management (generation -1) may commit; any other is from a gone generation
      if (a.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.#groups.add(new GroupMetadata(a.groupId, this.#groups.partitionFor(a.groupId), this.#now()));
    }
    // being deleted (expired, or its offsets partition moving away): as Kafka, the client finds
    // the coordinator again and retries, and then meets no group or a new one
    if (group.is('Dead')) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!(a.generationId < 0 && group.is('Empty'))) {
      if (group.is('CompletingRebalance')) return all(ErrorCode.REBALANCE_IN_PROGRESS);
      const member = group.members.get(a.memberId);
      if (!member) return all(ErrorCode.UNKNOWN_MEMBER_ID);
      if (a.generationId !== group.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
      this.#scheduleSession(group, member);
    }
    const now = this.#now();
    const results = new Map<string, number>();
    const toStore = new Map<string, CommittedOffset>();
    for (const o of a.offsets) {
      const k = offsetKey(o.topic, o.partition);
      const metadata = o.metadata ?? '';
      if (Buffer.byteLength(metadata) > this.#cfg.offsetMetadataMaxBytes) results.set(k, ErrorCode.OFFSET_METADATA_TOO_LARGE);
      else toStore.set(k, { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp: now, expireTimestamp: a.retentionMs >= 0 ? now + a.retentionMs : -1 });
    }
    if (toStore.size > 0) {
      const code = await this.#groups.storeOffsets(group, toStore);
      for (const k of toStore.keys()) results.set(k, code);
    }
    return results;
  }

  /** Committed offsets of `partitions`, or of every partition the group has offsets for when null. */
  fetchOffsets(groupId: string, partitions: { topic: string; partition: number }[] | null): { errorCode: number; offsets: FetchedOffset[] } {
    const err = this.#check(groupId);
    if (err !== ErrorCode.NONE) return { errorCode: err, offsets: (partitions ?? []).map((p) => ({ ...p, offset: -1, leaderEpoch: -1, metadata: '', errorCode: err })) };
    const group = this.#groups.get(groupId);
    const list = partitions ?? [...(group?.offsets.keys() ?? [])].map(parseOffsetKey);
    return {
      errorCode: ErrorCode.NONE,
      offsets: list.map(({ topic, partition }) => {
        const o = group?.offsets.get(offsetKey(topic, partition));
        return { topic, partition, offset: o?.offset ?? -1, leaderEpoch: o?.leaderEpoch ?? -1, metadata: o?.metadata ?? '', errorCode: ErrorCode.NONE };
      }),
    };
  }

  // ---------------------------------------------------------------- admin

  describeGroup(groupId: string): GroupSummary {
    const err = this.#check(groupId);
    const none: GroupSummary = { errorCode: err, groupId, state: 'Dead', protocolType: '', protocol: '', members: [] };
    if (err !== ErrorCode.NONE) return none;
    const group = this.#groups.get(groupId);
    return group ? group.describe() : { ...none, errorCode: ErrorCode.NONE };
  }

  /** Every group this broker coordinates; COORDINATOR_LOAD_IN_PROGRESS while a partition loads. */
  listGroups(): { errorCode: number; groups: { groupId: string; protocolType: string; state: string }[] } {
    const errorCode = this.#groups.anyLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    const groups = [...this.#groups.all()].filter((g) => !g.is('Dead')).map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state }));
    return { errorCode, groups };
  }

  /** DeleteGroups: only an empty group can go; its offsets and metadata are tombstoned. */
  async deleteGroup(groupId: string): Promise<number> {
    const err = this.#check(groupId);
    if (err !== ErrorCode.NONE) return err;
    const group = this.#groups.get(groupId);
    if (!group || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    group.transitionTo('Dead', this.#now());
    const code = await this.#groups.deleteGroup(group);
    this.#log.info('deleted group', { group: groupId, error: code });
    return code;
  }

  /**
   * Offsets past their retention, of groups without members, are removed (tombstoned); an
   * empty group left with no offsets is deleted (Kafka's cleanupGroupMetadata).
   */
  async expireOffsets(): Promise<number> {
    const now = this.#now();
    let removed = 0;
    for (const group of [...this.#groups.all()]) {
      if (!group.is('Empty') || group.pendingCommits > 0) continue;
      const expired: string[] = [];
      for (const [k, o] of group.offsets) {
        const base = group.protocolType === null ? o.commitTimestamp : Math.max(group.currentStateTimestamp, o.commitTimestamp);
        const expiresAt = o.expireTimestamp >= 0 ? o.expireTimestamp : base + this.#cfg.offsetsRetentionMs;
        if (expiresAt <= now) expired.push(k);
      }
      if (expired.length === 0) {
        // an empty group with nothing committed is forgotten (memory stays bounded by live groups)
        if (group.offsets.size === 0) {
          group.transitionTo('Dead', now);
          await this.#groups.deleteGroup(group);
        }
        continue;
      }
      const code = await this.#groups.removeOffsets(group, expired);
      if (code === ErrorCode.NONE) {
        removed += expired.length;
        this.#log.info('expired offsets', { group: group.groupId, count: expired.length });
        if (group.offsets.size === 0 && group.is('Empty')) {
          group.transitionTo('Dead', now);
          await this.#groups.deleteGroup(group);
        }
      }
    }
    return removed;
  }

  // ---------------------------------------------------------------- partition moves

  #onGroupLoaded(group: GroupMetadata): void {
    for (const m of group.members.values()) this.#scheduleSession(group, m);
  }

  #onGroupUnloaded(group: GroupMetadata): void {
    this.#initialJoin.delete(group);
    group.clearTimers();
    group.failPending(ErrorCode.NOT_COORDINATOR);
    if (!group.is('Dead')) group.transitionTo('Dead', this.#now());
  }

  shutdown(): void {
    this.#groups.shutdown();
  }
}
