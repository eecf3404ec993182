/**
 * One consumer group as its coordinator keeps it (GroupMetadata.scala): members with their
 * protocols and session timers, the generation, the chosen protocol and leader, the members'
 * assignments, and the group's committed offsets. Pure state: the coordinator drives it.
 *
 * States and the moves between them (Kafka's state machine):
 *   Empty               -> PreparingRebalance (a member joins), Dead (offsets expired, group deleted)
 *   PreparingRebalance  -> CompletingRebalance (every member rejoined, or the rebalance timeout),
 *                          Empty (no member rejoined), Dead
 *   CompletingRebalance -> Stable (the leader's SyncGroup), PreparingRebalance (a member joins,
 *                          leaves or times out), Dead
 *   Stable              -> PreparingRebalance, Dead
 *   Dead                -> Dead (the coordinator lost the group's partition, or it was deleted)
 */
import { ErrorCode } from '../common/errors.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leaderId: string;
  memberId: string;
  /** The members and their metadata: for the leader only, empty for the others. */
  members: { memberId: string; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  assignment: Buffer;
}

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

export class MemberMetadata {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: MemberProtocol[];
  assignment: Buffer = Buffer.alloc(0);
  awaitingJoin: ((r: JoinResult) => void) | undefined;
  awaitingSync: ((r: SyncResult) => void) | undefined;
  /** The session timer: the member is removed when it fires. */
  sessionTimer: NodeJS.Timeout | undefined;

  constructor(memberId: string, clientId: string, clientHost: string, sessionTimeoutMs: number, rebalanceTimeoutMs: number, protocols: MemberProtocol[]) {
    this.memberId = memberId;
    this.clientId = clientId;
    this.clientHost = clientHost;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.rebalanceTimeoutMs = rebalanceTimeoutMs;
    this.protocols = protocols;
  }

  metadataFor(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol);
    if (!p) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return p.metadata;
  }

  /** True when the member's protocols are the same names and bytes, in the same order. */
  matches(protocols: MemberProtocol[]): boolean {
    return protocols.length === this.protocols.length && protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The member's first choice among `candidates` (its list is in order of preference). */
  vote(candidates: Set<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(',')}`);
    return p.name;
  }
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Set when the commit asked for its own retention (OffsetCommit v2-v4); else -1. */
  expireTimestamp: number;
}

export class GroupMetadata {
  readonly groupId: string;
  /** The partition of __consumer_offsets that holds the group. */
  readonly partition: number;
  #state: GroupState = 'Empty';
  protocolType: string | null = null;
  protocol: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  readonly members = new Map<string, MemberMetadata>();
  /** Committed offsets by `topic\0partition`. */
  readonly offsets = new Map<string, CommittedOffset>();
  /** When the group last changed state (written with the group: current_state_timestamp). */
  currentStateTimestamp: number;
  /** The pending rebalance: its timer, and whether it is the initial (delayed) join of an empty group. */
  joinTimer: NodeJS.Timeout | undefined;
  joinDeadline = 0;
  /** Commits written but not yet applied, so a concurrent load or expiry does not race them. */
  pendingCommits = 0;

  constructor(groupId: string, partition: number, now: number) {
    this.groupId = groupId;
    this.partition = partition;
    this.currentStateTimestamp = now;
  }

  get state(): GroupState {
    return this.#state;
  }

  is(state: GroupState): boolean {
    return this.#state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.#state)) {
      throw new Error(`group ${this.groupId} cannot move from ${this.#state} to ${state}`);
    }
    this.#state = state;
    this.currentStateTimestamp = now;
  }

  /** Restores a state read from the log (Empty or Stable), without the move checks. */
  restoreState(state: 'Empty' | 'Stable', timestamp: number): void {
    this.#state = state;
    this.currentStateTimestamp = timestamp;
  }

  get hasMembers(): boolean {
    return this.members.size > 0;
  }

  add(member: MemberMetadata): void {
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
  }

  remove(memberId: string): void {
    this.members.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  /** Every member has sent its JoinGroup for this rebalance. */
  get allMembersJoined(): boolean {
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  /** The longest rebalance timeout among the members: how long a rebalance waits for them. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Whether a joining member's protocols can live with the group's (same type, one protocol in common). */
  supportsProtocols(protocolType: string, names: string[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && names.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return names.some((n) => candidates.has(n));
  }

  /** The protocols every member supports. */
  candidateProtocols(): Set<string> {
    let out: Set<string> | undefined;
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name));
      out = out ? new Set([...out].filter((n) => names.has(n))) : names;
    }
    return out ?? new Set();
  }

  /** The protocol with the most first-choice votes among the candidates (ties: the first to reach the count). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    let best = '';
    let bestVotes = 0;
    for (const m of this.members.values()) {
      const name = m.vote(candidates);
      const n = (votes.get(name) ?? 0) + 1;
      votes.set(name, n);
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  /** The next generation, after every member rejoined (or the rest timed out). */
  initNextGeneration(now: number): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocol = this.selectProtocol();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocol = null;
      this.transitionTo('Empty', now);
    }
  }

  /** Answers every pending JoinGroup with `errorCode` (NOT_COORDINATOR when the group moves away, say). */
  failPending(errorCode: number): void {
    for (const m of this.members.values()) {
      const join = m.awaitingJoin;
      m.awaitingJoin = undefined;
      join?.({ errorCode, generationId: -1, protocolName: '', leaderId: '', memberId: m.memberId, members: [] });
      const sync = m.awaitingSync;
      m.awaitingSync = undefined;
      sync?.({ errorCode, assignment: Buffer.alloc(0) });
    }
  }

  clearTimers(): void {
    clearTimeout(this.joinTimer);
    this.joinTimer = undefined;
    for (const m of this.members.values()) {
      clearTimeout(m.sessionTimer);
      m.sessionTimer = undefined;
    }
  }

  /** A summary for DescribeGroups and ListGroups. */
  describe(): GroupSummary {
    const stable = this.#state === 'Stable';
    return {
      errorCode: ErrorCode.NONE,
      groupId: this.groupId,
      state: this.#state,
      protocolType: this.protocolType ?? '',
      protocol: stable || this.#state === 'CompletingRebalance' ? (this.protocol ?? '') : '',
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        // Kafka answers the metadata only once a protocol is chosen, the assignment only when Stable
        metadata: this.protocol && this.#state !== 'PreparingRebalance' ? (m.protocols.find((p) => p.name === this.protocol)?.metadata ?? Buffer.alloc(0)) : Buffer.alloc(0),
        assignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }
}

export interface GroupSummary {
  errorCode: number;
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function parseOffsetKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}
