/**
 * The groups of the __consumer_offsets partitions this broker leads (GroupMetadataManager.scala).
 *
 * A group lives in partition abs(hash(group)) % offsets.topic.num.partitions; whoever leads
 * that partition coordinates it. On becoming leader the broker loads the partition (reads it
 * from its start: the last record of each key wins, a tombstone deletes) before answering for
 * its groups (COORDINATOR_LOAD_IN_PROGRESS meanwhile); on losing it the groups are dropped
 * (their members hear NOT_COORDINATOR and look the coordinator up again). Every change a client
 * relies on (a generation's assignment, a committed offset) is appended to the partition and
 * waits for its ISR (acks=all) before it is answered, so a new coordinator loads what the old
 * one acknowledged.
 */
import { ErrorCode, KafkaError } from '../common/errors.js';
import { Logger } from '../common/logger.js';
import { decodeRecordBatch, splitBatches, CONTROL_MASK } from '../protocol/records/record-batch.js';
import {
  decodeOffsetsRecord,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  partitionForGroup,
} from './offsets-records.js';
import { GroupMetadata, MemberMetadata, offsetKey, parseOffsetKey, type CommittedOffset } from './group.js';

export interface OffsetsRecordInput {
  key: Buffer;
  value: Buffer | null;
}

/** What the coordinator needs of the broker's __consumer_offsets partitions. */
export interface OffsetsLog {
  /** Appends to the partition as its leader; resolves once the ISR has the records, else rejects with a KafkaError. */
  append(partition: number, records: OffsetsRecordInput[], timeoutMs: number): Promise<void>;
  /** The partition's log as readable now, or undefined when this broker does not host it. */
  reader(partition: number): { logStartOffset: number; read(offset: number, maxBytes: number): Promise<{ records: Buffer; nextOffset: number }> } | undefined;
}

export interface GroupMetadataManagerConfig {
  numPartitions: number;
  commitTimeoutMs: number;
  loadBufferSize: number;
}

type PartitionStatus = { status: 'loading' | 'owned'; epoch: number };

export class GroupMetadataManager {
  readonly #cfg: GroupMetadataManagerConfig;
  readonly #log: OffsetsLog;
  readonly #logger: Logger;
  readonly #partitions = new Map<number, PartitionStatus>();
  readonly #groups = new Map<string, GroupMetadata>();
  #epochs = 0;
  #closed = false;
  /** Set by the coordinator: a loaded group's members get their session timers. */
  onLoaded: (g: GroupMetadata) => void = () => undefined;
  /** Set by the coordinator: a group whose partition moved away answers its waiting members. */
  onUnloaded: (g: GroupMetadata) => void = () => undefined;

  constructor(cfg: GroupMetadataManagerConfig, log: OffsetsLog, logger = new Logger('group-metadata')) {
    this.#cfg = cfg;
    this.#log = log;
    this.#logger = logger;
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.#cfg.numPartitions);
  }

  isLocal(groupId: string): boolean {
    return this.#partitions.get(this.partitionFor(groupId))?.status === 'owned';
  }

  isLoading(groupId: string): boolean {
    return this.#partitions.get(this.partitionFor(groupId))?.status === 'loading';
  }

  get anyLoading(): boolean {
    for (const s of this.#partitions.values()) if (s.status === 'loading') return true;
    return false;
  }

  /** The partitions this broker coordinates (loaded). */
  ownedPartitions(): number[] {
    return [...this.#partitions].filter(([, s]) => s.status === 'owned').map(([p]) => p);
  }

  get(groupId: string): GroupMetadata | undefined {
    return this.#groups.get(groupId);
  }

  /** Adds the group unless one with its id exists; returns the one kept. */
  add(group: GroupMetadata): GroupMetadata {
    const have = this.#groups.get(group.groupId);
    if (have && !have.is('Dead')) return have;
    this.#groups.set(group.groupId, group);
    return group;
  }

  all(): IterableIterator<GroupMetadata> {
    return this.#groups.values();
  }

  // ---------------------------------------------------------------- leadership

  /**
   * This broker now leads `partition`: load its groups. A new leader epoch while it already
   * leads (the controller dropped a dead follower from the ISR, say) changes nothing here: the
   * groups in memory are newer than the log (Kafka: "Already loading/loaded").
   */
  onElection(partition: number): Promise<void> {
    if (this.#closed || this.#partitions.has(partition)) return Promise.resolve();
    const epoch = ++this.#epochs;
    this.#unload(partition);
    this.#partitions.set(partition, { status: 'loading', epoch });
    return this.#load(partition, epoch).catch((err: unknown) => {
      this.#logger.error('failed to load a partition of the offsets topic', { partition, error: err });
      if (this.#partitions.get(partition)?.epoch === epoch) this.#partitions.delete(partition);
    });
  }

  /** This broker no longer leads `partition`. */
  onResignation(partition: number): void {
    this.#unload(partition);
    this.#partitions.delete(partition);
  }

  #unload(partition: number): void {
    for (const g of [...this.#groups.values()]) {
      if (g.partition !== partition) continue;
      this.#groups.delete(g.groupId);
      this.onUnloaded(g);
    }
  }

  async #load(partition: number, epoch: number): Promise<void> {
    const started = Date.now();
    const current = () => this.#partitions.get(partition)?.epoch === epoch && !this.#closed;
    const reader = this.#log.reader(partition);
    if (!reader) throw new KafkaError(ErrorCode.NOT_LEADER_FOR_PARTITION, `__consumer_offsets-${partition} is not hosted here`);
    const offsets = new Map<string, Map<string, CommittedOffset>>();
    const groups = new Map<string, ReturnType<typeof decodeOffsetsRecord> & { kind: 'group' }>();
    let offset = reader.logStartOffset;
    let records = 0;
    for (;;) {
      if (!current()) return;
      const { records: buf, nextOffset } = await reader.read(offset, this.#cfg.loadBufferSize);
      if (buf.length === 0) break;
      for (const { at, header } of splitBatches(buf)) {
        if ((header.attributes & CONTROL_MASK) !== 0) continue;
        for (const r of decodeRecordBatch(buf, at).records) {
          records++;
          let rec;
          try {
            rec = decodeOffsetsRecord(r.key, r.value);
          } catch (err) {
            this.#logger.warn('skipping an unreadable record of the offsets topic', { partition, offset: r.offset, error: err });
            continue;
          }
          if (rec.kind === 'offset') {
            let m = offsets.get(rec.group);
            if (!m) offsets.set(rec.group, (m = new Map()));
            const k = offsetKey(rec.topic, rec.partition);
            if (rec.value) m.set(k, { offset: rec.value.offset, leaderEpoch: rec.value.leaderEpoch, metadata: rec.value.metadata, commitTimestamp: rec.value.commitTimestamp, expireTimestamp: rec.value.expireTimestamp });
            else m.delete(k);
          } else {
            groups.set(rec.group, rec);
          }
        }
      }
      offset = nextOffset;
    }
    if (!current()) return;
    let loaded = 0;
    for (const name of new Set([...offsets.keys(), ...groups.keys()])) {
      const meta = groups.get(name)?.value;
      const committed = offsets.get(name);
      if (!meta && (!committed || committed.size === 0)) continue; // deleted
      const g = new GroupMetadata(name, partition, meta && meta.currentStateTimestamp >= 0 ? meta.currentStateTimestamp : Date.now());
      if (meta) {
        g.protocolType = meta.protocolType === '' ? null : meta.protocolType;
        g.generationId = meta.generation;
        g.protocol = meta.protocol;
        g.leaderId = meta.leader;
        for (const m of meta.members) {
          const member = new MemberMetadata(m.memberId, m.clientId, m.clientHost, m.sessionTimeoutMs, m.rebalanceTimeoutMs, [{ name: meta.protocol ?? '', metadata: m.subscription }]);
          member.assignment = m.assignment;
          g.members.set(m.memberId, member);
        }
        g.restoreState(meta.members.length > 0 ? 'Stable' : 'Empty', g.currentStateTimestamp);
      }
      for (const [k, o] of committed ?? []) g.offsets.set(k, o);
      this.#groups.set(name, g);
      this.onLoaded(g);
      loaded++;
    }
    this.#partitions.set(partition, { status: 'owned', epoch });
    this.#logger.info('loaded offsets and group metadata', { partition, groups: loaded, records, ms: Date.now() - started });
  }

  // ---------------------------------------------------------------- writes

  /** Writes the group (its generation and every member's assignment); answers an error code. */
  storeGroup(group: GroupMetadata, assignments: Map<string, Buffer>): Promise<number> {
    const value = encodeGroupMetadataValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocol,
      leader: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: null,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: group.protocol ? m.metadataFor(group.protocol) : Buffer.alloc(0),
        assignment: assignments.get(m.memberId) ?? Buffer.alloc(0),
      })),
    });
    return this.#append(group, [{ key: encodeGroupMetadataKey(group.groupId), value }], commitErrorForGroup);
  }

  /** Writes committed offsets, then applies them to the group; answers one error code for all. */
  async storeOffsets(group: GroupMetadata, offsets: Map<string, CommittedOffset>): Promise<number> {
    const records = [...offsets].map(([k, o]) => {
      const { topic, partition } = parseOffsetKey(k);
      return { key: encodeOffsetCommitKey({ group: group.groupId, topic, partition }), value: encodeOffsetCommitValue(o) };
    });
    group.pendingCommits++;
    try {
      const code = await this.#append(group, records, commitErrorForOffsets);
      if (code === ErrorCode.NONE && this.#groups.get(group.groupId) === group) for (const [k, o] of offsets) group.offsets.set(k, o);
      return code;
    } finally {
      group.pendingCommits--;
    }
  }

  /** Tombstones the given offsets of the group. */
  async removeOffsets(group: GroupMetadata, keys: string[]): Promise<number> {
    const records = keys.map((k) => {
      const { topic, partition } = parseOffsetKey(k);
      return { key: encodeOffsetCommitKey({ group: group.groupId, topic, partition }), value: null };
    });
    const code = await this.#append(group, records, commitErrorForOffsets);
    if (code === ErrorCode.NONE) for (const k of keys) group.offsets.delete(k);
    return code;
  }

  /** Tombstones the group's metadata and every offset; the group leaves the cache. */
  async deleteGroup(group: GroupMetadata): Promise<number> {
    const records: OffsetsRecordInput[] = [...group.offsets.keys()].map((k) => {
      const { topic, partition } = parseOffsetKey(k);
      return { key: encodeOffsetCommitKey({ group: group.groupId, topic, partition }), value: null };
    });
    records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
    const code = await this.#append(group, records, commitErrorForOffsets);
    if (code === ErrorCode.NONE && this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
    return code;
  }

  async #append(group: GroupMetadata, records: OffsetsRecordInput[], mapError: (code: number) => number): Promise<number> {
    if (this.#partitions.get(group.partition)?.status !== 'owned') return ErrorCode.NOT_COORDINATOR;
    try {
      await this.#log.append(group.partition, records, this.#cfg.commitTimeoutMs);
      return ErrorCode.NONE;
    } catch (err) {
      const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN;
      this.#logger.warn('failed to write to the offsets topic', { group: group.groupId, partition: group.partition, error: err });
      return mapError(code);
    }
  }

  shutdown(): void {
    this.#closed = true;
    for (const p of [...this.#partitions.keys()]) this.onResignation(p);
  }
}

/** Kafka's mapping of a failed append of group metadata to what SyncGroup answers. */
function commitErrorForGroup(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_FOR_PARTITION:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.REBALANCE_IN_PROGRESS;
    default:
      return ErrorCode.UNKNOWN;
  }
}

/** Kafka's mapping of a failed append of offsets to what OffsetCommit answers. */
function commitErrorForOffsets(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_FOR_PARTITION:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}
