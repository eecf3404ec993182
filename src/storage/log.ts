/**
 * A partition's log (Log.scala): the directory `<log.dir>/<topic>-<partition>/` holding
 * segments (segment.ts) with contiguous offsets; the last one is active and takes appends.
 *
 * - append: every batch in the buffer is validated first (length, magic 2, CRC32C); one bad
 *   batch refuses the whole buffer with CorruptDataError and nothing on disk changes. Then the
 *   log assigns offsets by rewriting each batch's baseOffset in place (outside the CRC) and,
 *   when asked, log-append time (attributes bit 3 + maxTimestamp + a new CRC): no per-record
 *   work. The caller's buffer is modified. Appends are serialized; a promise resolves once the
 *   bytes are written (not flushed).
 * - flush (the paper): fdatasync after log.flush.interval.messages records or flush.ms; GROUP
 *   COMMIT: while one fsync runs, later appends queue and the next fsync covers them all
 *   (group-commit.ts). Readers only see flushed data: flushedOffset is the end they may read to.
 * - read(offset, maxBytes, upTo = flushedOffset): whole batches from the one CONTAINING
 *   `offset`, never a batch whose last offset is >= upTo, at least one whole batch when one is
 *   available even if it exceeds maxBytes (Kafka 0.10.1+ semantics, so a consumer never gets
 *   stuck), from one segment; positional reads, no cache. Offsets in [upTo, logEndOffset]
 *   give an empty result; below logStartOffset or above logEndOffset: OFFSET_OUT_OF_RANGE.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CorruptDataError, ErrorCode, KafkaError } from '../common/errors.js';
import {
  LOG_OVERHEAD,
  setBaseOffset,
  setLogAppendTime,
  validateBatch,
  type BatchPosition,
} from '../protocol/records/record-batch.js';
import { CLEAN_SHUTDOWN_FILE, RECOVERY_POINT_CHECKPOINT, readCheckpoint, tpKey } from './checkpoint.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import type { LogConfig } from './config.js';
import { findOffsetForTimestamp, findRecordForTimestamp, readBatches } from './log-read.js';
import { SWAP_SUFFIX, loadSegments, recoverSegment } from './recovery.js';
import { syncDir } from './checkpoint.js';
import type { SegmentFile } from './cleaner/clean-pass.js';
import { expiredPrefix } from './retention.js';
import { LOG_SUFFIX, LogSegment, segmentFileName } from './segment.js';
import { GroupCommit, type FlushStats } from './group-commit.js';
import { ENCRYPTION_OVERHEAD, type KeyRing } from './encryption.js';
import { defaultFlushScheduler, type FlushScheduler } from './flush-scheduler.js';
import { defaultPageCache, type PageCacheBudget } from './page-cache.js';

/** A cleaning pass whose segments changed under it (truncated or deleted): nothing was swapped. */
export class CleanAbortedError extends Error {}

export interface AppendOptions {
  /** Default true. False for replicas that keep the leader's offsets (must be contiguous). */
  assignOffsets?: boolean;
  logAppendTime?: number;
  /** The batches as PartitionLog.validateAll returned them for this buffer (skips validating again). */
  validated?: BatchPosition[];
}
export interface AppendResult {
  firstOffset: number;
  lastOffset: number;
  /** -1 unless log-append time was set. */
  logAppendTime: number;
  recordCount: number;
}
export type { ReadResult } from './log-read.js';
import type { ReadResult } from './log-read.js';
export type { FlushStats } from './group-commit.js';
/** A group write holds at most this many bytes / appends (one writev). */
const GROUP_WRITE_MAX_BYTES = 4 * 1024 * 1024;
const GROUP_WRITE_MAX_APPENDS = 512;

interface PendingAppend {
  buf: Buffer;
  list: BatchPosition[];
  opts: AppendOptions;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

export interface OpenOptions {
  cleanShutdown?: boolean;
  recoveryPoint?: number;
  /** Where this log's fsyncs take their turn (default: the process's, flush-scheduler.ts). */
  flushScheduler?: FlushScheduler;
  /** log.encryption.key.file's keys: batches are encrypted at rest (encryption.ts). */
  keys?: KeyRing;
  /** Where flushed data is counted against log.page.cache.retain.bytes (default: the process's, page-cache.ts). */
  pageCache?: PageCacheBudget;
}

/** `topic-partition` directory name -> (topic, partition). */
export function parseLogDirName(name: string): { topic: string; partition: number } | undefined {
  const i = name.lastIndexOf('-');
  if (i <= 0 || !/^\d+$/.test(name.slice(i + 1))) return undefined;
  return { topic: name.slice(0, i), partition: Number(name.slice(i + 1)) };
}

export class PartitionLog {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  config: LogConfig;
  readonly #clock: Clock;
  #segments: LogSegment[];
  #logEndOffset: number;
  /** Its flushes: what is durable, and so what readers may see (group-commit.ts). */
  readonly #commit: GroupCommit;
  #lock: Promise<unknown> = Promise.resolve();
  #queue: PendingAppend[] = [];
  #draining = false;
  #pendingDeletes = new Map<LogSegment, TimerHandle>();
  readonly #appendListeners = new Set<(logEndOffset: number) => void>();
  /** The keys of encryption at rest (undefined: segments are written in plaintext). */
  readonly keys: KeyRing | undefined;
  #closed = false;
  /** What opening found: segments recovered, bytes cut, leftovers removed. */
  readonly loadInfo: { recoveredSegments: number; truncatedBytes: number; deletedLeftovers: string[] };

  private constructor(dir: string, config: LogConfig, clock: Clock, segments: LogSegment[], info: PartitionLog['loadInfo'], opts: OpenOptions) {
    this.keys = opts.keys;
    const tp = parseLogDirName(path.basename(dir));
    if (!tp) throw new KafkaError(ErrorCode.UNKNOWN, `"${dir}" is not named <topic>-<partition>`);
    this.dir = dir;
    this.topic = tp.topic;
    this.partition = tp.partition;
    this.config = config;
    this.#clock = clock;
    this.#segments = segments;
    this.#logEndOffset = segments[segments.length - 1]!.nextOffset;
    this.#commit = new GroupCommit({
      name: `${this.topic}-${this.partition}`,
      config: () => this.config,
      logEnd: () => this.#logEndOffset,
      flushed: this.#logEndOffset,
      clock,
      scheduler: opts.flushScheduler ?? defaultFlushScheduler,
      pageCache: opts.pageCache ?? defaultPageCache,
    });
    this.loadInfo = info;
  }

  /**
   * Opens (creating if needed) the log in `dir`. Without `opts`, the clean-shutdown marker and
   * the recovery point are read from the parent log dir.
   */
  static async open(dir: string, config: LogConfig, clock: Clock = systemClock, opts: OpenOptions = {}): Promise<PartitionLog> {
    const logDir = path.dirname(dir);
    const tp = parseLogDirName(path.basename(dir));
    const cleanShutdown = opts.cleanShutdown ?? (await exists(path.join(logDir, CLEAN_SHUTDOWN_FILE)));
    let recoveryPoint = opts.recoveryPoint;
    if (recoveryPoint === undefined) {
      const cp = await readCheckpoint(path.join(logDir, RECOVERY_POINT_CHECKPOINT)).catch(() => new Map<string, number>());
      recoveryPoint = tp ? (cp.get(tpKey(tp.topic, tp.partition)) ?? 0) : 0;
    }
    const r = await loadSegments(dir, config, clock.now(), { cleanShutdown, recoveryPoint, keys: opts.keys });
    const log = new PartitionLog(dir, config, clock, r.segments, r, opts);
    // one key per segment: an active segment written under another key (or in plaintext) is
    // rolled, new batches go to a segment of the current key
    const active = r.segments[r.segments.length - 1]!;
    const activeKey = await active.firstBatchKeyId();
    if (activeKey !== undefined && activeKey !== (opts.keys?.currentId ?? 0)) await log.roll();
    return log;
  }

  get logStartOffset(): number {
    return this.#segments[0]!.baseOffset;
  }
  get logEndOffset(): number {
    return this.#logEndOffset;
  }
  get flushedOffset(): number {
    return this.#commit.flushedOffset;
  }
  /** Everything below it is on disk: the value for recovery-point-offset-checkpoint. */
  get recoveryPoint(): number {
    return this.#commit.flushedOffset;
  }
  get size(): number {
    return this.#segments.reduce((n, s) => n + s.size, 0);
  }
  /**
   * An offset whose batch starts about `bytes` before the end of the log (an indexed offset of
   * the last segment; its base offset when the segment is smaller): where a scan of the log's
   * tail can begin.
   */
  offsetNearEnd(bytes: number): number {
    const seg = this.#segments[this.#segments.length - 1]!;
    const target = seg.size - bytes;
    let best = seg.baseOffset;
    if (target <= 0) return best;
    const oi = seg.offsetIndex;
    let lo = 0;
    let hi = oi.entries - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = oi.entry(mid);
      if (e.position <= target) {
        best = e.offset;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }
  get segmentBaseOffsets(): number[] {
    return this.#segments.map((s) => s.baseOffset);
  }
  get flushStats(): FlushStats {
    return this.#commit.stats;
  }

  #withLock<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#lock.then(() => {
      if (this.#closed) throw new KafkaError(ErrorCode.UNKNOWN, `log ${this.topic}-${this.partition} is closed`);
      return fn();
    });
    this.#lock = p.catch(() => undefined);
    return p;
  }

  /** Validates every batch; throws CorruptDataError on the first bad one (nothing written). */
  static validateAll(buf: Buffer): BatchPosition[] {
    if (buf.length === 0) throw new CorruptDataError('empty record set');
    const out: BatchPosition[] = [];
    let at = 0;
    while (at < buf.length) {
      const header = validateBatch(buf, at);
      out.push({ at, header });
      at += header.batchLength + LOG_OVERHEAD;
    }
    return out;
  }

  append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    if (this.#commit.failure) return Promise.reject(this.#commit.failedError());
    let list: BatchPosition[];
    try {
      list = opts.validated ?? PartitionLog.validateAll(batches);
      if (batches.length > this.config.segmentBytes) {
        throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `record set of ${batches.length} bytes exceeds segment.bytes ${this.config.segmentBytes}`);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ buf: batches, list, opts, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        this.#withLock(() => this.#drain()).catch((e: unknown) => {
          this.#draining = false;
          for (const it of this.#queue.splice(0)) it.reject(e);
        });
      }
    });
  }

  /**
   * Writes the queued appends in order. Appends that queued while a write was running go out
   * together in one writev (a group write, as the flush is a group commit), up to a segment
   * roll or GROUP_WRITE_MAX_BYTES.
   */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const items = this.#queue.splice(0, this.#queue.length);
        let group: { it: PendingAppend; result: AppendResult }[] = [];
        let groupBytes = 0;
        let next = this.#logEndOffset;
        const writeGroup = async (): Promise<void> => {
          const g = group;
          group = [];
          groupBytes = 0;
          const seg = this.#segments[this.#segments.length - 1]!;
          try {
            await seg.appendMany(g.map((x) => x.it.buf), g.map((x) => x.it.list));
          } catch (e) {
            next = this.#logEndOffset;
            for (const x of g) x.it.reject(e);
            return;
          }
          this.#logEndOffset = g[g.length - 1]!.result.lastOffset + 1;
          let records = 0;
          for (const x of g) records += x.result.recordCount;
          this.#commit.written(seg, g.length, records);
          for (const x of g) x.it.resolve(x.result);
          for (const fn of this.#appendListeners) fn(this.#logEndOffset);
        };
        try {
          for (const it of items) {
            let result: AppendResult;
            try {
              result = this.#assign(it, next);
            } catch (e) {
              it.reject(e);
              continue;
            }
            // on disk: encrypted batches are ENCRYPTION_OVERHEAD bytes larger each (segment.bytes holds)
            const diskBytes = this.keys ? it.buf.length + it.list.length * ENCRYPTION_OVERHEAD : it.buf.length;
            if (this.#needsRoll(groupBytes, diskBytes, result.lastOffset)) {
              if (group.length > 0) await writeGroup();
              await this.#roll();
            }
            group.push({ it, result });
            groupBytes += diskBytes;
            next = result.lastOffset + 1;
            if (groupBytes >= GROUP_WRITE_MAX_BYTES || group.length >= GROUP_WRITE_MAX_APPENDS) await writeGroup();
          }
          if (group.length > 0) await writeGroup();
        } catch (e) {
          // a roll that failed (no room or no descriptor for the new segment): the appends taken
          // from the queue and not yet settled fail with it, rather than wait forever
          for (const it of items) it.reject(e);
          throw e;
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Checks a replica's offsets or assigns ours (in the buffer, outside the CRC); sets log-append time. */
  #assign(it: PendingAppend, at: number): AppendResult {
    const { buf, list, opts } = it;
    const assign = opts.assignOffsets ?? true;
    const first = assign ? at : list[0]!.header.baseOffset;
    // a replica's batches may start past the log end, with gaps between them: a compacted log
    if (assign ? first !== at : first < at) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `${this.topic}-${this.partition}: append at ${first}, log end offset is ${at}`);
    }
    let next = first;
    let records = 0;
    for (const b of list) {
      if (!assign && b.header.baseOffset < next) {
        throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `${this.topic}-${this.partition}: batch base offset ${b.header.baseOffset} is below ${next} (offsets must increase)`);
      }
      next = (assign ? next : b.header.baseOffset) + b.header.lastOffsetDelta + 1;
      records += b.header.recordCount;
    }
    let o = first;
    for (const b of list) {
      if (assign) {
        setBaseOffset(buf, b.at, o);
        b.header.baseOffset = o;
      }
      if (opts.logAppendTime !== undefined) {
        setLogAppendTime(buf, b.at, opts.logAppendTime);
        b.header.maxTimestamp = opts.logAppendTime;
      }
      o += b.header.lastOffsetDelta + 1;
    }
    return { firstOffset: first, lastOffset: next - 1, logAppendTime: opts.logAppendTime ?? -1, recordCount: records };
  }

  /** Kafka's roll conditions for the active segment, with `pending` bytes already queued for it. */
  #needsRoll(pending: number, bytes: number, lastOffset: number): boolean {
    const seg = this.#segments[this.#segments.length - 1]!;
    if (seg.size + pending === 0) return false;
    const full = seg.size + pending + bytes > this.config.segmentBytes;
    const old = this.#clock.now() - seg.created > this.config.segmentMs;
    const indexFull = seg.offsetIndex.isFull || seg.timeIndex.isFull;
    const offsetOverflow = lastOffset - seg.baseOffset > 2 ** 31 - 1;
    return full || old || indexFull || offsetOverflow;
  }

  async #roll(): Promise<LogSegment> {
    const old = this.#segments[this.#segments.length - 1]!;
    await old.onRoll();
    const seg = await LogSegment.open(this.dir, this.#logEndOffset, this.config, this.#clock.now(), this.keys);
    this.#segments.push(seg);
    return seg;
  }

  /** Rolls a new active segment now (if the active one holds data). */
  roll(): Promise<void> {
    return this.#withLock(async () => {
      if (!this.#segments[this.#segments.length - 1]!.isEmpty) await this.#roll();
    });
  }

  /** Flushes everything appended so far (joining a running group commit). */
  flush(): Promise<void> {
    return this.#commit.flush();
  }

  /** Resolves when flushedOffset > offset (the record at `offset` is on disk and visible). */
  waitForFlush(offset: number): Promise<void> {
    return this.#commit.waitForFlush(offset);
  }

  /** The flush failure that stopped this log, if one did. */
  get failure(): NodeJS.ErrnoException | undefined {
    return this.#commit.failure;
  }

  /** Calls `listener` once, when a failed flush stops this log; returns the unsubscribe. */
  onFailure(listener: (err: NodeJS.ErrnoException) => void): () => void {
    return this.#commit.onFailure(listener);
  }

  /**
   * Calls `listener(logEndOffset)` after each write of appends (before their flush: for readers
   * allowed past the flushed offset, the leader's followers); returns the unsubscribe.
   */
  onAppend(listener: (logEndOffset: number) => void): () => void {
    this.#appendListeners.add(listener);
    return () => this.#appendListeners.delete(listener);
  }

  /** Calls `listener(flushedOffset)` after each flush that exposes more data; returns the unsubscribe. */
  onFlush(listener: (flushedOffset: number) => void): () => void {
    return this.#commit.onFlush(listener);
  }

  /** `alloc`: see readBatches (log-read.ts). */
  read(offset: number, maxBytes: number, upTo: number = this.#commit.flushedOffset, alloc?: (n: number) => Buffer): Promise<ReadResult> {
    if (offset < this.logStartOffset || offset > this.#logEndOffset) {
      const e = new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is out of range [${this.logStartOffset}, ${this.#logEndOffset}] of ${this.topic}-${this.partition}`, {
        context: { topic: this.topic, partition: this.partition, offset },
      });
      return Promise.reject(e);
    }
    return readBatches(this.#segments, offset, maxBytes, Math.min(upTo, this.#logEndOffset), alloc);
  }

  /** The first offset whose record timestamp is >= ts, among flushed records; undefined if none. */
  offsetForTimestamp(ts: number): Promise<number | undefined> {
    return findOffsetForTimestamp(this.#segments, ts, this.#commit.flushedOffset);
  }

  /** The same record as offsetForTimestamp, with its timestamp (ListOffsets v1+ answers both). */
  recordForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | undefined> {
    return findRecordForTimestamp(this.#segments, ts, this.#commit.flushedOffset);
  }

  /** Drops every batch with an offset >= `offset` (a batch holding it goes whole). */
  truncateTo(offset: number): Promise<void> {
    return this.#withLock(async () => {
      if (offset >= this.#logEndOffset) return;
      await this.#commit.idle();
      if (offset <= this.logStartOffset) {
        // Everything goes: start over with one empty segment at `offset`.
        for (const s of this.#segments) {
          if (s.baseOffset === offset) await s.close();
          else await this.#deleteSegment(s);
        }
        const fresh = await LogSegment.open(this.dir, offset, this.config, this.#clock.now(), this.keys);
        await fresh.truncateFile(0);
        await fresh.resetIndexes();
        this.#segments = [fresh];
      } else {
        while (this.#segments.length > 1 && this.#segments[this.#segments.length - 1]!.baseOffset >= offset) {
          await this.#deleteSegment(this.#segments.pop()!);
        }
        await this.#segments[this.#segments.length - 1]!.truncateTo(offset);
      }
      this.#logEndOffset = this.#segments[this.#segments.length - 1]!.nextOffset;
      // only a replica that follows another leader truncates: the producer of a record cut off
      // is told to find the leader (a retriable error), not acknowledged by other records
      // flushed later at its offset
      this.#commit.truncated(this.#logEndOffset, offset);
    });
  }

  /** Deletes the old segments retention allows (retention.ts); returns how many. */
  deleteOldSegments(): Promise<number> {
    return this.#withLock(async () => {
      let n = await expiredPrefix(this.#segments, this.config, this.#clock.now());
      if (n >= this.#segments.length) {
        if (this.#segments[this.#segments.length - 1]!.isEmpty || this.#commit.flushedOffset < this.#logEndOffset) n = this.#segments.length - 1;
        else await this.#roll();
      }
      const doomed = this.#segments.slice(0, n);
      this.#segments = this.#segments.slice(n);
      for (const s of doomed) await this.#deleteSegment(s);
      return n;
    });
  }

  /**
   * The segments the cleaner may read: every one below the active segment whose data is all
   * flushed (readers only see flushed data; the cleaner never sees more).
   */
  async cleanableSegments(): Promise<SegmentFile[]> {
    const out: SegmentFile[] = [];
    const segs = this.#segments;
    for (let i = 0; i < segs.length - 1; i++) {
      const s = segs[i]!;
      const next = segs[i + 1]!.baseOffset;
      if (next > this.#commit.flushedOffset) break;
      out.push({ baseOffset: s.baseOffset, path: s.logPath, size: s.size, nextOffset: next, lastModified: await s.lastModified(), maxTimestamp: s.maxTimestamp });
    }
    return out;
  }

  /**
   * Swaps a cleaned file in for the segments it replaces (Log.replaceSegments), crash-safely:
   *   1. `<base>.log.cleaned` -> `<base>.log.swap` (then the directory is fsynced)
   *   2. each old segment's files -> `*.deleted` (removed after file.delete.delay.ms; readers
   *      holding them keep reading)
   *   3. `<base>.log.swap` -> `<base>.log`, its indexes rebuilt, and it takes the old ones' place.
   * A crash after 1 is completed by recovery (recovery.ts), one before 1 leaves a `.cleaned`
   * file that is deleted. Refused (CleanAbortedError, nothing changed but the `.cleaned` file
   * removed) when the segments are no longer those the pass read: a truncation or a retention
   * deletion ran meanwhile. `onStep` is a test hook called before each step.
   */
  replaceSegments(cleanedPath: string, replaces: readonly { baseOffset: number; size: number }[], onStep?: (step: number) => Promise<void> | void): Promise<void> {
    return this.#withLock(async () => {
      const first = this.#segments.findIndex((s) => s.baseOffset === replaces[0]!.baseOffset);
      const old = first < 0 ? [] : this.#segments.slice(first, first + replaces.length);
      const same = old.length === replaces.length && first + replaces.length < this.#segments.length && old.every((s, i) => s.baseOffset === replaces[i]!.baseOffset && s.size === replaces[i]!.size);
      if (!same) {
        await fsp.rm(cleanedPath, { force: true });
        throw new CleanAbortedError(`${this.topic}-${this.partition}: the segments changed while they were cleaned`);
      }
      const base = old[0]!.baseOffset;
      const nextBase = this.#segments[first + replaces.length]!.baseOffset;
      const logPath = path.join(this.dir, segmentFileName(base, LOG_SUFFIX));
      await onStep?.(1);
      await fsp.rename(cleanedPath, logPath + SWAP_SUFFIX);
      await syncDir(this.dir);
      await onStep?.(2);
      for (const s of old) await this.#deleteSegment(s);
      await syncDir(this.dir);
      await onStep?.(3);
      await fsp.rename(logPath + SWAP_SUFFIX, logPath);
      await syncDir(this.dir);
      const seg = await LogSegment.open(this.dir, base, this.config, this.#clock.now(), this.keys);
      await recoverSegment(seg);
      seg.nextOffset = nextBase;
      this.#segments = [...this.#segments.slice(0, first), seg, ...this.#segments.slice(first + replaces.length)];
      await onStep?.(4);
    });
  }

  /** Step one now (rename to .deleted), step two after file.delete.delay.ms. */
  async #deleteSegment(seg: LogSegment): Promise<void> {
    this.#commit.forget(seg);
    await seg.markDeleted();
    const t = this.#clock.setTimeout(() => {
      this.#pendingDeletes.delete(seg);
      void seg.deleteFiles().catch(() => undefined);
    }, this.config.fileDeleteDelayMs);
    this.#pendingDeletes.set(seg, t);
  }

  /**
   * Flushes and closes the log. `exiting`: the process exits next, so the files are left to the
   * system to close (everything is flushed and every index entry written all the same). A log
   * stopped by a failed flush is closed without one: the next open recovers it (the log
   * manager leaves its directory unmarked as cleanly shut down).
   */
  close(opts: { exiting?: boolean } = {}): Promise<void> {
    return this.#withLock(async () => {
      if (!this.#commit.failure) await this.#commit.flush();
      await this.#commit.idle();
      this.#commit.close();
      this.#closed = true;
      for (const s of this.#segments) await (opts.exiting ? s.closeForExit() : s.close());
      for (const [s, t] of this.#pendingDeletes) {
        t.cancel();
        await s.deleteFiles();
      }
      this.#pendingDeletes.clear();
    });
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    if (!this.#closed) await this.close().catch(() => undefined);
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  return fsp.access(p).then(
    () => true,
    () => false,
  );
}
