/**
 * The log cleaner (LogCleaner.scala, LogCleanerManager.scala) for logs whose cleanup.policy
 * holds `compact`. `log.cleaner.threads` loops, each with its own worker thread (clean-worker.ts)
 * so that a pass never runs on the broker's event loop:
 *   1. pick the dirtiest log: dirty = bytes of the cleanable segments at or after the first dirty
 *      offset (the checkpoint), total = bytes of all cleanable segments; cleanable segments are
 *      those below the active one, fully flushed, and (min.compaction.lag.ms) with no record
 *      younger than the lag. Only a log with dirty/total > min.cleanable.dirty.ratio qualifies;
 *      none: sleep log.cleaner.backoff.ms (or until woken by a config change);
 *   2. the worker runs the pass (clean-pass.ts) into `.cleaned` files, with
 *      log.cleaner.dedupe.buffer.size / threads bytes of offset map;
 *   3. each cleaned group is swapped in (PartitionLog.replaceSegments: .cleaned -> .swap ->
 *      live, crash-safe), then the checkpoint moves to the pass's end offset.
 * `cleaner-offset-checkpoint` (one per log dir, the offset checkpoint format) keeps each log's
 * first dirty offset across restarts. A pass that fails on a corrupt segment marks that log
 * uncleanable (logged; the broker keeps serving it) until the broker restarts. Each replica
 * cleans its own log.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Logger } from '../../common/logger.js';
import { readCheckpoint, tpKey, writeCheckpoint } from '../checkpoint.js';
import type { Clock } from '../clock.js';
import { isCompacted } from '../config.js';
import { CleanAbortedError, type PartitionLog } from '../log.js';
import type { PassRequest, PassResult, PassStats, SegmentFile } from './clean-pass.js';
import type { CleanerConfig } from './config.js';

export const CLEANER_CHECKPOINT = 'cleaner-offset-checkpoint';

export interface CleanerDeps {
  logs: () => PartitionLog[];
  logDirs: string[];
  clock: Clock;
  logger?: Logger;
  /** Test hook: called before each step of a segment swap. */
  onSwapStep?: (step: number) => Promise<void> | void;
}

export interface CleanerStats {
  passes: number;
  aborted: number;
  failed: number;
  bytesRead: number;
  bytesWritten: number;
  elapsedMs: number;
  last?: PassStats & { log: string };
}

interface Job {
  log: PartitionLog;
  firstDirty: number;
  segments: SegmentFile[];
}

/** The compiled worker: beside this file, or in dist/ when running from the TypeScript sources (tests). */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const js = path.join(path.dirname(here), 'clean-worker.js');
  if (existsSync(js)) return js;
  const marker = `${path.sep}src${path.sep}`;
  const root = here.slice(0, here.lastIndexOf(marker));
  return path.join(root, 'dist', path.relative(root, path.dirname(here)), 'clean-worker.js');
}

class PassWorker {
  readonly #worker = new Worker(workerPath());
  #pending: { resolve: (r: PassResult) => void; reject: (e: Error) => void } | undefined;
  constructor() {
    this.#worker.on('message', (m: { ok: boolean; result?: PassResult; error?: string }) => {
      const p = this.#pending;
      this.#pending = undefined;
      if (m.ok) p?.resolve(m.result!);
      else p?.reject(new Error(m.error));
    });
    this.#worker.on('error', (e) => {
      this.#pending?.reject(e);
      this.#pending = undefined;
    });
    this.#worker.on('exit', () => {
      this.#pending?.reject(new Error('the cleaner thread stopped'));
      this.#pending = undefined;
    });
  }
  run(req: PassRequest): Promise<PassResult> {
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#worker.postMessage(req);
    });
  }
  terminate(): Promise<number> {
    return this.#worker.terminate();
  }
}

export class LogCleaner {
  #cfg: CleanerConfig;
  readonly #deps: CleanerDeps;
  readonly #log: Logger;
  /** log dir -> (topic-partition -> first dirty offset). */
  readonly #checkpoints = new Map<string, Map<string, number>>();
  readonly #checkpointWrites = new Map<string, Promise<void>>();
  readonly #inProgress = new Set<PartitionLog>();
  readonly #uncleanable = new Set<string>();
  readonly #loops: Promise<void>[] = [];
  readonly #workers: PassWorker[] = [];
  #wakers = new Set<() => void>();
  #choosing: Promise<unknown> = Promise.resolve();
  #running = false;
  readonly stats: CleanerStats = { passes: 0, aborted: 0, failed: 0, bytesRead: 0, bytesWritten: 0, elapsedMs: 0 };

  private constructor(cfg: CleanerConfig, deps: CleanerDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.#log = deps.logger ?? new Logger('log-cleaner');
  }

  static async start(cfg: CleanerConfig, deps: CleanerDeps): Promise<LogCleaner> {
    const c = new LogCleaner(cfg, deps);
    for (const dir of deps.logDirs) {
      c.#checkpoints.set(dir, await readCheckpoint(path.join(dir, CLEANER_CHECKPOINT)).catch(() => new Map<string, number>()));
    }
    c.#running = true;
    for (let i = 0; i < cfg.threads; i++) {
      const w = new PassWorker();
      c.#workers.push(w);
      c.#loops.push(c.#loop(w));
    }
    return c;
  }

  /** New settings (a dynamic broker config); the thread count stays until a restart. */
  configure(cfg: CleanerConfig): void {
    this.#cfg = { ...cfg, threads: this.#cfg.threads };
    this.wake();
  }

  /** Ends the back-off of every idle thread (a config change may have made a log cleanable). */
  wake(): void {
    for (const w of this.#wakers) w();
    this.#wakers.clear();
  }

  /** The first dirty offset recorded for a log (0 when never cleaned). */
  cleanedUpTo(log: PartitionLog): number {
    return this.#checkpoints.get(path.dirname(log.dir))?.get(tpKey(log.topic, log.partition)) ?? 0;
  }

  isUncleanable(log: PartitionLog): boolean {
    return this.#uncleanable.has(log.dir);
  }

  async #loop(worker: PassWorker): Promise<void> {
    while (this.#running) {
      let job: Job | undefined;
      try {
        // one thread chooses at a time, so two never take the same log
        const choice = this.#choosing.then(() => this.#grab());
        this.#choosing = choice.catch(() => undefined);
        job = await choice;
      } catch (err) {
        this.#log.warn('choosing a log to clean failed', { error: err });
      }
      if (!job) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, this.#cfg.backoffMs);
          function done(): void {
            clearTimeout(t);
            resolve();
          }
          this.#wakers.add(done);
        });
        continue;
      }
      try {
        await this.#clean(job, worker);
      } finally {
        this.#inProgress.delete(job.log);
      }
    }
  }

  /** The dirtiest compacted log over its min.cleanable.dirty.ratio, marked in progress. */
  async #grab(): Promise<Job | undefined> {
    let best: (Job & { ratio: number }) | undefined;
    const now = this.#deps.clock.now();
    for (const log of this.#deps.logs()) {
      if (!isCompacted(log.config) || this.#inProgress.has(log) || this.#uncleanable.has(log.dir)) continue;
      let segments = await log.cleanableSegments();
      const lag = log.config.minCompactionLagMs;
      if (lag > 0) {
        const young = segments.findIndex((s) => s.maxTimestamp > now - lag);
        if (young >= 0) segments = segments.slice(0, young);
      }
      if (segments.length === 0) continue;
      const recorded = this.cleanedUpTo(log);
      // past the log end: the log was truncated below it, and what follows was never cleaned
      const firstDirty = recorded > log.logEndOffset ? log.logStartOffset : Math.max(recorded, log.logStartOffset);
      let dirty = 0;
      let total = 0;
      for (const s of segments) {
        total += s.size;
        if (s.nextOffset > firstDirty) dirty += s.size;
      }
      if (dirty === 0 || total === 0) continue;
      const ratio = dirty / total;
      if (ratio <= log.config.minCleanableDirtyRatio && log.config.minCleanableDirtyRatio > 0) continue;
      if (!best || ratio > best.ratio) best = { log, firstDirty, segments, ratio };
    }
    if (best) this.#inProgress.add(best.log);
    return best;
  }

  async #clean(job: Job, worker: PassWorker): Promise<void> {
    const { log } = job;
    const name = `${log.topic}-${log.partition}`;
    const req: PassRequest = {
      log: name,
      segments: job.segments,
      firstDirtyOffset: job.firstDirty,
      now: this.#deps.clock.now(),
      deleteRetentionMs: log.config.deleteRetentionMs,
      segmentBytes: log.config.segmentBytes,
      mapBytes: Math.floor(this.#cfg.dedupeBufferSize / Math.max(1, this.#cfg.threads)),
      loadFactor: this.#cfg.loadFactor,
      ioBufferSize: this.#cfg.ioBufferSize,
      maxIoBytesPerSecond: this.#cfg.maxIoBytesPerSecond,
      ...(log.keys ? { keys: log.keys.toTransfer() } : {}),
    };
    let result: PassResult;
    try {
      result = await worker.run(req);
    } catch (err) {
      if (!this.#running) return;
      this.stats.failed++;
      this.#uncleanable.add(log.dir);
      this.#log.error('cleaning failed; the log is skipped until a restart (it is still served)', { log: name, error: err });
      return;
    }
    const sizes = new Map(job.segments.map((s) => [s.baseOffset, s.size]));
    try {
      for (const g of result.groups) {
        await log.replaceSegments(g.cleanedPath, g.replaces.map((b) => ({ baseOffset: b, size: sizes.get(b)! })), this.#deps.onSwapStep);
      }
    } catch (err) {
      this.stats.aborted++;
      for (const g of result.groups) await rm(g.cleanedPath, { force: true });
      if (err instanceof CleanAbortedError) this.#log.info('cleaning aborted', { log: name, reason: err.message });
      else this.#log.error('swapping cleaned segments failed', { log: name, error: err });
      return;
    }
    await this.#checkpoint(log, result.endOffset);
    const st = result.stats;
    this.stats.passes++;
    this.stats.bytesRead += st.bytesRead;
    this.stats.bytesWritten += st.bytesWritten;
    this.stats.elapsedMs += st.elapsedMs;
    this.stats.last = { ...st, log: name };
    this.#log.info('cleaned', {
      log: name,
      upTo: result.endOffset,
      readMB: (st.bytesRead / 1048576).toFixed(1),
      writtenMB: (st.bytesWritten / 1048576).toFixed(1),
      records: `${st.recordsKept}/${st.recordsRead}`,
      ms: st.elapsedMs,
      mbPerSec: st.elapsedMs > 0 ? (st.bytesRead / 1048576 / (st.elapsedMs / 1000)).toFixed(1) : '-',
    });
  }

  async #checkpoint(log: PartitionLog, offset: number): Promise<void> {
    const dir = path.dirname(log.dir);
    let m = this.#checkpoints.get(dir);
    if (!m) this.#checkpoints.set(dir, (m = new Map()));
    m.set(tpKey(log.topic, log.partition), offset);
    await this.#writeCheckpoint(dir);
  }

  /**
   * Writes one log dir's checkpoint. Writes to one dir run one at a time (cleaner threads share
   * its .tmp file: two at once renamed it from under each other); a failed write is logged and
   * the next pass writes again.
   */
  #writeCheckpoint(dir: string): Promise<void> {
    const write = async (): Promise<void> => {
      const live = new Set(this.#deps.logs().map((l) => tpKey(l.topic, l.partition)));
      const m = this.#checkpoints.get(dir) ?? new Map<string, number>();
      try {
        await writeCheckpoint(path.join(dir, CLEANER_CHECKPOINT), new Map([...m].filter(([k]) => live.has(k))));
      } catch (err) {
        this.#log.warn('cannot write the cleaner checkpoint', { dir, error: err });
      }
    };
    const next = (this.#checkpointWrites.get(dir) ?? Promise.resolve()).then(write);
    this.#checkpointWrites.set(dir, next);
    return next;
  }

  /** Forgets a deleted log's checkpoint. */
  forget(log: PartitionLog): void {
    this.#checkpoints.get(path.dirname(log.dir))?.delete(tpKey(log.topic, log.partition));
    this.#uncleanable.delete(log.dir);
  }

  /** Lowers a log's first dirty offset after a truncation below it (the cleaned part is gone). */
  truncated(log: PartitionLog, offset: number): void {
    const m = this.#checkpoints.get(path.dirname(log.dir));
    const k = tpKey(log.topic, log.partition);
    if (m && (m.get(k) ?? 0) > offset) m.set(k, offset);
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await Promise.all(this.#workers.map((w) => w.terminate()));
    await Promise.allSettled(this.#loops);
  }
}
