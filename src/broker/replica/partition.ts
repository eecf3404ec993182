/**
 * One partition hosted by this broker, as leader or follower (Partition.scala).
 *
 * Leader: appends producers' batches stamped with its leader epoch; tracks every follower's
 * log end (the offset of its last fetch: a follower fetches again only after its own flush, so
 * that offset is durable there); the high watermark is the lowest log end in the ISR, where the
 * leader's own log end is its FLUSHED offset: the paper's rule (only flushed messages are
 * exposed) holds for replicas too. Consumers read up to the high watermark. The ISR shrinks
 * when a follower has not caught up for `replica.lag.time.max.ms` and grows when it catches up;
 * both changes are written by compare-and-set through `IsrWriter`.
 * Follower: appends the leader's batches with their offsets and learns leader epochs from them;
 * its high watermark is the leader's, capped by its own flushed offset.
 */
import { EventEmitter } from 'node:events';
import { PartitionLog, type AppendResult } from '../../storage/log.js';
import { validateForLeader } from '../../storage/log-validator.js';
import { ProducerStateTable } from './producer-state.js';
import { splitBatches } from '../../protocol/records/record-batch.js';
import { ErrorCode, KafkaError } from '../../common/errors.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { isSyscallFailure } from '../../common/open-files.js';

export interface LeaderAndIsrState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  zkVersion: number;
  controllerEpoch: number;
  replicas: number[];
}

/** Writes a new ISR to the partition's state znode; resolves to the new zkVersion, or undefined when refused (stale). */
export type IsrWriter = (p: Partition, isr: number[]) => Promise<number | undefined>;

interface FollowerState {
  /** Log end offset the follower reported (its fetch offset); -1 until its first fetch. */
  leo: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
}

const PARTITION_LEADER_EPOCH_OFFSET = 12;
/** A settled promise standing for "the leader epoch's checkpoint is on disk". */
const DURABLE: Promise<void> = Promise.resolve();
/**
 * How much of the log's tail is read to learn the idempotent producers after a restart (the
 * table is not written to disk): enough for the batches a producer can have in flight (5
 * requests of up to ~1 MB per partition) with room to spare.
 */
export const PRODUCER_STATE_SCAN_BYTES = 8 * 1024 * 1024;

export class Partition extends EventEmitter {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  readonly epochs: LeaderEpochCache;
  readonly #brokerId: number;
  readonly #isrWriter: IsrWriter;
  #state: LeaderAndIsrState | undefined;
  #hw: number;
  #followers = new Map<number, FollowerState>();
  #isrChange: Promise<unknown> = Promise.resolve();
  /**
   * The checkpoint of the epoch this replica leads: undefined until the epoch's first append
   * writes it, then that write (undefined again if it failed: the next append retries), DURABLE once written.
   */
  #epochCheckpoint: Promise<void> | undefined = DURABLE;
  #unsubFlush: () => void;
  #unsubFailure: () => void;

  constructor(brokerId: number, log: PartitionLog, epochs: LeaderEpochCache, initialHw: number, isrWriter: IsrWriter) {
    super();
    this.setMaxListeners(0);
    this.topic = log.topic;
    this.partition = log.partition;
    this.log = log;
    this.epochs = epochs;
    this.#brokerId = brokerId;
    this.#isrWriter = isrWriter;
    this.#hw = Math.min(Math.max(0, initialHw), log.flushedOffset);
    this.#unsubFlush = log.onFlush(() => this.#onLocalFlush());
    // a failed fsync stops the log (log.ts): the replica manager decides what becomes of it
    this.#unsubFailure = log.onFailure((err) => this.emit('storage-error', err));
  }

  get state(): LeaderAndIsrState | undefined {
    return this.#state;
  }
  /** Idempotent producers' sequence state (checked by the leader, kept by followers from what they copy). */
  producers = new ProducerStateTable();
  /** The table's first filling from the log's tail: once, before the first append uses it. */
  #producersLoad: Promise<void> | undefined;
  #producersLoaded = false;
  /** Bumped when the table is cleared, so a load that was under way is not adopted. */
  #producersGeneration = 0;

  get isLeader(): boolean {
    return this.#state?.leader === this.#brokerId;
  }
  get leaderId(): number {
    return this.#state?.leader ?? -1;
  }
  get leaderEpoch(): number {
    return this.#state?.leaderEpoch ?? -1;
  }
  get isr(): number[] {
    return this.#state?.isr ?? [];
  }
  get replicas(): number[] {
    return this.#state?.replicas ?? [];
  }
  get highWatermark(): number {
    return this.#hw;
  }

  /**
   * Becomes the leader for `state.leaderEpoch`: the epoch begins at the current log end. Its
   * checkpoint is written by the epoch's first append, before the append (with thousands of
   * partitions changing leaders at once, a LeaderAndIsr does not wait for a file write per
   * partition, and an epoch that never gets a record costs none): no record of the epoch is
   * written, nor exposed, before its start is durable.
   */
  async makeLeader(state: LeaderAndIsrState, now: number): Promise<void> {
    // the producer table stays: as a follower this replica kept it from the batches it copied
    this.#state = { ...state };
    if (this.epochs.assignInMemory(state.leaderEpoch, this.log.logEndOffset)) this.#epochCheckpoint = undefined;
    this.#followers = new Map(state.replicas.filter((r) => r !== this.#brokerId).map((r) => [r, { leo: -1, lastCaughtUpMs: now, lastFetchMs: 0 }]));
    this.#maybeAdvanceHw();
  }

  /**
   * Follows `state.leader`. Appends waiting for the high watermark as leader fail at once
   * (NOT_LEADER_FOR_PARTITION, as Kafka's DelayedProduce answers once its replica no longer
   * leads): the high watermark this replica learns from now on is the new leader's, which may
   * pass their offsets with other records, theirs having been truncated away.
   */
  makeFollower(state: LeaderAndIsrState): void {
    this.#state = { ...state };
    this.#followers.clear();
    this.emit('not-leader');
  }

  /** Stops taking part (StopReplica, a failed log, shutdown); the log stays unless deleted by the caller. */
  stop(): void {
    this.#state = undefined;
    this.#followers.clear();
    this.emit('not-leader');
  }

  close(): void {
    this.#unsubFlush();
    this.#unsubFailure();
    this.stop();
  }

  /**
   * Appends a producer's batches: checks them (CRC) and an idempotent producer's sequence
   * numbers, stamps the leader epoch (outside the CRC), assigns offsets. A resent batch that
   * was already appended is answered with its earlier result and not appended again.
   */
  appendAsLeader(batches: Buffer): Promise<AppendResult> {
    return this.#appendAsLeader(batches).catch((err: unknown) => this.#failed(err));
  }

  /**
   * An append that failed for the storage (a system call on the log, or the leader epoch
   * checkpoint) is told to the 'storage-error' listeners (the replica manager), then rethrown.
   */
  #failed(err: unknown): never {
    if (isSyscallFailure(err) || (err instanceof KafkaError && err.code === ErrorCode.KAFKA_STORAGE_ERROR && isSyscallFailure(err.cause))) this.emit('storage-error', err);
    throw err;
  }

  async #appendAsLeader(batches: Buffer): Promise<AppendResult> {
    if (!this.isLeader) {
      throw new KafkaError(ErrorCode.NOT_LEADER_FOR_PARTITION, `broker ${this.#brokerId} is not the leader of ${this.topic}-${this.partition}`);
    }
    if (this.#epochCheckpoint !== DURABLE) await this.#leaderEpochWritten();
    const checked = PartitionLog.validateAll(batches);
    const v = validateForLeader(batches, checked, this.log.config, Date.now(), `${this.topic}-${this.partition}`);
    batches = v.buf;
    const list = v.rewritten ? PartitionLog.validateAll(batches) : checked;
    // requests waiting here resume in arrival order, so their sequences are checked in order
    if (list[0]!.header.producerId >= 0) while (!this.#producersLoaded) await this.#loadProducers();
    if (!this.isLeader) {
      throw new KafkaError(ErrorCode.NOT_LEADER_FOR_PARTITION, `broker ${this.#brokerId} is not the leader of ${this.topic}-${this.partition}`);
    }
    const seq = this.producers.check(list);
    if (seq.kind === 'duplicate') return seq.result;
    const epoch = this.leaderEpoch;
    for (const b of list) batches.writeInt32BE(epoch, b.at + PARTITION_LEADER_EPOCH_OFFSET);
    const appended = this.log.append(batches, { validated: list, logAppendTime: v.logAppendTime });
    seq.commit(appended);
    appended.catch(() => seq.abort());
    return appended;
  }

  /** Writes the leader epoch's checkpoint (makeLeader) once; a failed write fails the appends waiting for it, and the next append tries again. */
  async #leaderEpochWritten(): Promise<void> {
    const written = (this.#epochCheckpoint ??= this.epochs.flushIfDirty());
    if (written === DURABLE) return;
    try {
      await written;
    } catch (err) {
      // the next append (a producer's retry: 56 is retriable) writes it again
      if (this.#epochCheckpoint === written) this.#epochCheckpoint = undefined;
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.topic}-${this.partition}: the leader epoch checkpoint could not be written: ${(err as Error).message}`, { cause: err });
    }
    if (this.#epochCheckpoint === written) this.#epochCheckpoint = DURABLE;
  }

  /**
   * Fills the producer table from the batches in the last PRODUCER_STATE_SCAN_BYTES of the log,
   * once (a restart forgets the table): a batch resent by a producer whose request was appended
   * before the restart is then recognised, and its gaps refused. A producer whose last batches
   * are older than that starts afresh, as one Kafka has no state for. A failed read leaves the
   * table empty (the same: producers start afresh). After a truncation it is read again.
   */
  #loadProducers(): Promise<void> {
    this.#producersLoad ??= (async () => {
      const generation = this.#producersGeneration;
      let table = new ProducerStateTable();
      try {
        const end = this.log.logEndOffset;
        let offset = this.log.offsetNearEnd(PRODUCER_STATE_SCAN_BYTES);
        while (offset < end) {
          const r = await this.log.read(offset, 1024 * 1024, end);
          if (r.records.length === 0) break;
          table.replicated(splitBatches(r.records).filter((b) => b.header.baseOffset + b.header.lastOffsetDelta >= offset));
          offset = r.nextOffset;
        }
      } catch {
        table = new ProducerStateTable(); // a part of the tail would be worse than nothing
      }
      // a truncation meanwhile wins: the log is read again (the next append asks)
      if (generation !== this.#producersGeneration) return;
      this.producers = table;
      this.#producersLoaded = true;
    })();
    return this.#producersLoad;
  }

  #forgetProducers(): void {
    this.producers.clear();
    this.#producersGeneration++;
    this.#producersLoad = undefined;
    this.#producersLoaded = false;
  }

  /** Appends batches copied from the leader, keeping their offsets; learns their epochs. */
  appendAsFollower(batches: Buffer): Promise<AppendResult | undefined> {
    return this.#appendAsFollower(batches).catch((err: unknown) => this.#failed(err));
  }

  async #appendAsFollower(batches: Buffer): Promise<AppendResult | undefined> {
    const end = this.log.logEndOffset;
    const list = splitBatches(batches).filter((b) => b.header.baseOffset + b.header.lastOffsetDelta >= end);
    if (list.length === 0) return undefined;
    const last = list[list.length - 1]!;
    const whole = batches.subarray(list[0]!.at, last.at + 12 + last.header.batchLength);
    for (const b of list) {
      const e = b.header.partitionLeaderEpoch;
      if (e > this.epochs.latestEpoch) await this.epochs.assign(e, b.header.baseOffset);
    }
    while (!this.#producersLoaded) await this.#loadProducers();
    const result = await this.log.append(whole, { assignOffsets: false });
    this.producers.replicated(list);
    return result;
  }

  /** Follower: the leader's high watermark, capped by what this replica has flushed. */
  updateFollowerHighWatermark(leaderHw: number): void {
    const hw = Math.min(leaderHw, this.log.flushedOffset);
    if (hw > this.#hw) {
      this.#hw = hw;
      this.emit('hw', hw);
    }
  }

  /** Leader: a follower fetched from `fetchOffset`, so it has everything before it. */
  recordFollowerFetch(replicaId: number, fetchOffset: number, now: number): void {
    const f = this.#followers.get(replicaId);
    if (!f) return;
    f.leo = fetchOffset;
    f.lastFetchMs = now;
    if (fetchOffset >= this.log.flushedOffset) f.lastCaughtUpMs = now;
    if (!this.isr.includes(replicaId) && fetchOffset >= this.#hw && f.lastCaughtUpMs === now) this.#changeIsr([...this.isr, replicaId].sort((a, b) => a - b));
    this.#maybeAdvanceHw();
  }

  /** Leader: drops followers that have not caught up within `lagMs`. */
  maybeShrinkIsr(now: number, lagMs: number): void {
    if (!this.isLeader) return;
    const laggards = this.isr.filter((r) => r !== this.#brokerId && now - (this.#followers.get(r)?.lastCaughtUpMs ?? 0) > lagMs);
    if (laggards.length > 0) this.#changeIsr(this.isr.filter((r) => !laggards.includes(r)));
  }

  #changeIsr(isr: number[]): void {
    this.#isrChange = this.#isrChange.then(async () => {
      if (!this.isLeader || sameSet(isr, this.isr)) return;
      const version = await this.#isrWriter(this, isr);
      if (version === undefined || !this.#state) return;
      this.#state = { ...this.#state, isr, zkVersion: version };
      this.emit('isr', isr);
      this.#maybeAdvanceHw();
    }).catch((err: unknown) => this.emit('error', err));
  }

  #onLocalFlush(): void {
    if (this.isLeader) this.#maybeAdvanceHw();
  }

  #maybeAdvanceHw(): void {
    if (!this.isLeader) return;
    let hw = this.log.flushedOffset;
    for (const r of this.isr) {
      if (r === this.#brokerId) continue;
      const f = this.#followers.get(r);
      hw = Math.min(hw, f ? f.leo : -1);
    }
    if (hw > this.#hw) {
      this.#hw = hw;
      this.emit('hw', hw);
    }
  }

  /** Resolves once the high watermark passes `offset`, or rejects after `timeoutMs`. */
  waitForHighWatermark(offset: number, timeoutMs: number): Promise<void> {
    if (this.#hw > offset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onHw = (hw: number) => {
        if (hw > offset) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${this.topic}-${this.partition}: offset ${offset} not replicated to the ISR within ${timeoutMs} ms`));
      }, timeoutMs);
      const onDemoted = () => {
        cleanup();
        reject(new KafkaError(ErrorCode.NOT_LEADER_FOR_PARTITION, `broker ${this.#brokerId} no longer leads ${this.topic}-${this.partition}: offset ${offset} may or may not be replicated`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.off('hw', onHw);
        this.off('not-leader', onDemoted);
      };
      this.on('hw', onHw);
      this.once('not-leader', onDemoted);
    });
  }

  /** Calls `listener` when the high watermark moves; returns the unsubscribe function. */
  onHighWatermark(listener: (hw: number) => void): () => void {
    this.on('hw', listener);
    return () => this.off('hw', listener);
  }

  /** Truncation when becoming follower, keeping the epoch cache and high watermark in step. */
  async truncateTo(offset: number): Promise<void> {
    // what the table knew may be cut off: it is read again from the log that remains
    const cut = offset < this.log.logEndOffset;
    if (cut) this.#forgetProducers();
    await this.log.truncateTo(offset);
    if (cut) this.#forgetProducers(); // a read that began meanwhile saw the old tail
    await this.epochs.truncateFromEnd(offset);
    if (this.#hw > this.log.logEndOffset) this.#hw = this.log.logEndOffset;
  }
}

function sameSet(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
