/**
 * A partition log's flushes (the paper's rule: only flushed messages are exposed), as a GROUP
 * COMMIT: appends mark their segment dirty; after log.flush.interval.messages records (or
 * log.flush.interval.ms) a flush round takes a slot of the flush scheduler, fixes its target
 * there (the log end at that moment), fdatasyncs the dirty segments and then advances the
 * flushed offset to the target. While one round runs, later appends wait for the next, which
 * covers them all. The log (log.ts) does the writing; this is what makes it durable and visible.
 *
 * A flush that fails with a writeback error (EIO, ENOSPC, EDQUOT, EROFS) stops the log: no more
 * writes, nothing more exposed, until a restart recovers it (see `failure`).
 */
import { ErrorCode, KafkaError } from '../common/errors.js';
import type { Clock, TimerHandle } from './clock.js';
import type { LogConfig } from './config.js';
import { FlushedOffset } from './flushed-offset.js';
import type { FlushScheduler, MakeDurable } from './flush-scheduler.js';
import type { PageCacheBudget } from './page-cache.js';
import type { LogSegment } from './segment.js';

export interface FlushStats {
  appends: number;
  /** fdatasync calls on .log files. */
  fsyncs: number;
  /** Flush rounds (one group commit each) and the largest group, in appends. */
  groups: number;
  maxGroup: number;
}

/**
 * The errors of an fsync that mean written data may not have reached the disk: these stop the
 * log (see `failure`). Others (a file closed under a flush, say) fail that flush's waiters only.
 */
const WRITEBACK_ERRORS = new Set(['EIO', 'ENOSPC', 'EDQUOT', 'EROFS']);

export interface GroupCommitOptions {
  /** `topic-partition`, for messages. */
  name: string;
  /** The log's current config (dynamic topic configs replace it). */
  config: () => LogConfig;
  /** The log end now: what a round makes durable when it starts. */
  logEnd: () => number;
  /** The flushed offset at open (the log end: recovery leaves nothing unflushed behind it). */
  flushed: number;
  clock: Clock;
  scheduler: FlushScheduler;
  pageCache: PageCacheBudget;
}

export class GroupCommit {
  readonly #o: GroupCommitOptions;
  readonly #flushed: FlushedOffset;
  readonly #dirty = new Set<LogSegment>();
  #unflushedMessages = 0;
  #appendsSinceFlush = 0;
  #requested = false;
  #running: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  /** Bumped by a truncation: a round that ran across one exposes nothing and goes again. */
  #epoch = 0;
  #stats: FlushStats = { appends: 0, fsyncs: 0, groups: 0, maxGroup: 0 };
  /**
   * A flush (fsync) that failed: the log takes no more writes and exposes nothing more until
   * it is opened again (a restart), whose recovery checks what reached the disk. After a failed
   * fsync the kernel may have dropped the dirty pages while reporting the error once only, so a
   * later fsync that succeeds proves nothing about them (PostgreSQL's "fsyncgate", 2018).
   */
  #failure: NodeJS.ErrnoException | undefined;
  readonly #failureListeners = new Set<(err: NodeJS.ErrnoException) => void>();
  #closed = false;

  constructor(o: GroupCommitOptions) {
    this.#o = o;
    this.#flushed = new FlushedOffset(o.flushed);
  }

  /** Everything below it is on disk, and readers may see it. */
  get flushedOffset(): number {
    return this.#flushed.value;
  }

  get stats(): FlushStats {
    return { ...this.#stats };
  }

  /** The flush failure that stopped the log, if one did. */
  get failure(): NodeJS.ErrnoException | undefined {
    return this.#failure;
  }

  /** What a write (or a wait for a flush) is refused with once a flush failed: the same errno, so it reads as a storage error. */
  failedError(): NodeJS.ErrnoException {
    const f = this.#failure!;
    return Object.assign(new Error(`${this.#o.name}: a flush failed (${f.message}); the log takes no more writes until the broker restarts and recovers it`), { code: f.code, errno: f.errno, syscall: f.syscall });
  }

  /** `appends` appends of `records` records were written to `seg`: a round will make them durable. */
  written(seg: LogSegment, appends: number, records: number): void {
    this.#dirty.add(seg);
    this.#unflushedMessages += records;
    this.#appendsSinceFlush += appends;
    this.#stats.appends += appends;
    if (this.#unflushedMessages >= this.#o.config().flushIntervalMessages) {
      this.#kick();
    } else if (!this.#timer) {
      this.#timer = this.#o.clock.setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, this.#o.config().flushIntervalMs);
    }
  }

  /** A segment deleted (or truncated away): nothing of it to flush. */
  forget(seg: LogSegment): void {
    this.#dirty.delete(seg);
  }

  /** Flushes everything written so far (joining a running round). */
  flush(): Promise<void> {
    if (this.#failure) return Promise.reject(this.failedError());
    const target = this.#o.logEnd();
    if (this.#flushed.value >= target && this.#dirty.size === 0) return Promise.resolve();
    const done = target > this.#flushed.value ? this.waitForFlush(target - 1) : undefined;
    this.#kick();
    return done ?? this.#running ?? Promise.resolve();
  }

  /** Resolves when flushedOffset > offset (the record at `offset` is on disk and visible). */
  waitForFlush(offset: number): Promise<void> {
    if (this.#failure && offset >= this.#flushed.value) return Promise.reject(this.failedError());
    return this.#flushed.waitFor(offset);
  }

  /** Calls `listener(flushedOffset)` after each round that exposes more; returns the unsubscribe. */
  onFlush(listener: (flushedOffset: number) => void): () => void {
    return this.#flushed.onAdvance(listener);
  }

  /** Calls `listener` once, when a failed flush stops the log; returns the unsubscribe. */
  onFailure(listener: (err: NodeJS.ErrnoException) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  /** Waits for a running round (a truncation or a close must not run beside one). */
  async idle(): Promise<void> {
    await this.#running;
  }

  /**
   * The log was truncated to `logEnd` (after idle()): nothing of it is dirty, and the waiters
   * for offsets cut off fail (their producers are told to find the leader, not acknowledged by
   * other records flushed later at their offsets).
   */
  truncated(logEnd: number, offset: number): void {
    this.#epoch++;
    this.#dirty.clear();
    this.#unflushedMessages = 0;
    this.#flushed.lowerTo(logEnd, (o) => new KafkaError(ErrorCode.NOT_LEADER_FOR_PARTITION, `${this.#o.name}: truncated to ${offset} to follow another leader; the record at ${o} is not in this log any more`));
  }

  /** The log is closing (after its last flush): no more rounds; waiters fail. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#flushed.failWaiters(() => new KafkaError(ErrorCode.UNKNOWN, `log ${this.#o.name} closed`));
  }

  /** Starts a round, or asks the running one to go round once more. */
  #kick(): void {
    this.#requested = true;
    this.#running ??= this.#loop()
      .catch(() => undefined)
      .finally(() => {
        this.#running = undefined;
        // A request that arrived after the loop's last check but before this point.
        if (this.#requested && !this.#closed) this.#kick();
      });
  }

  async #loop(): Promise<void> {
    while (this.#requested) await this.#o.scheduler.run((durable) => this.#round(durable));
  }

  /** One group commit, in a slot of the flush scheduler: what is written by now goes to disk. */
  async #round(durable: MakeDurable): Promise<{ appends: number; fsyncs: number }> {
    if (!this.#requested || this.#failure) {
      this.#requested = false; // a stopped log flushes no more (the loop would go round forever)
      return { appends: 0, fsyncs: 0 };
    }
    this.#requested = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    const target = this.#o.logEnd();
    const epoch = this.#epoch;
    const segs = [...this.#dirty];
    const pageCache = this.#o.pageCache;
    // what this round makes durable of each (appends during its fsync are the next round's)
    const sizes = pageCache.enabled ? segs.map((seg) => seg.size) : undefined;
    this.#dirty.clear();
    const group = this.#appendsSinceFlush;
    this.#appendsSinceFlush = 0;
    this.#unflushedMessages = 0;
    let fsyncs: number;
    try {
      fsyncs = await durable(segs);
    } catch (e) {
      for (const s of segs) this.#dirty.add(s);
      this.#flushed.failWaiters(() => e);
      if (!this.#failure && WRITEBACK_ERRORS.has((e as NodeJS.ErrnoException)?.code ?? '')) {
        this.#failure = e as NodeJS.ErrnoException;
        for (const l of this.#failureListeners) l(this.#failure);
      }
      throw e;
    }
    this.#stats.fsyncs += fsyncs;
    this.#stats.groups++;
    this.#stats.maxGroup = Math.max(this.#stats.maxGroup, group);
    if (epoch !== this.#epoch) {
      this.#requested = true; // a truncation ran meanwhile: flush again
    } else if (target > this.#flushed.value) this.#flushed.advance(target);
    if (sizes && epoch === this.#epoch) segs.forEach((seg, i) => pageCache.flushed(seg, sizes[i]!));
    return { appends: group, fsyncs };
  }
}
