/**
 * All the partition logs of a broker (LogManager.scala). Each directory in log.dirs holds:
 *
 *   <topic>-<partition>/               one PartitionLog each (log.ts)
 *   recovery-point-offset-checkpoint   per partition, the offset below which all is fsynced
 *   replication-offset-checkpoint      per partition, the high watermark (writeHighWatermarks)
 *   .kafka_cleanshutdown               present only between a clean close() and the next open
 *
 * open() loads every partition directory (recovering after an unclean stop, several at once
 * with bounded concurrency) and then removes the clean-shutdown markers. It runs, on the
 * injected clock: retention every log.retention.check.interval.ms and recovery-point
 * checkpoints every log.flush.offset.checkpoint.interval.ms (logs flush on their own policy).
 * close() flushes and closes every log, writes the checkpoints and the markers. With a cleaner
 * config, the log cleaner (cleaner/log-cleaner.ts) compacts the logs whose policy says so and
 * keeps `cleaner-offset-checkpoint` in each log dir.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../common/errors.js';
import {
  CLEAN_SHUTDOWN_FILE,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_CHECKPOINT,
  readCheckpoint,
  syncDir,
  tpKey,
  writeCheckpoint,
  type TopicPartitionKey,
} from './checkpoint.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { mergeLogConfig, type LogConfig, type TopicOverrides } from './config.js';
import type { FlushScheduler } from './flush-scheduler.js';
import { PartitionLog, parseLogDirName } from './log.js';
import { LogCleaner } from './cleaner/log-cleaner.js';
import type { CleanerConfig } from './cleaner/config.js';
import type { KeyRing } from './encryption.js';

export interface LogManagerConfig {
  logDirs: string[];
  defaults: LogConfig;
  /** Topic-level overrides known at start (topic -> overrides). */
  topicOverrides?: Record<string, TopicOverrides>;
  /** How many logs are loaded at once (num.recovery.threads.per.data.dir x dirs). Default 4. */
  recoveryConcurrency?: number;
  /** The log cleaner's settings; no cleaner when absent or log.cleaner.enable=false. */
  cleaner?: CleanerConfig;
  /** Test hook for the cleaner's segment swaps. */
  onSwapStep?: (step: number) => Promise<void> | void;
  /** log.encryption.key.file's keys: every log encrypts its segments (encryption.ts). */
  keys?: KeyRing;
  /** Where the logs' fsyncs take their turn (default: the process's, flush-scheduler.ts). */
  flushScheduler?: FlushScheduler;
}

export class LogManager {
  readonly config: LogManagerConfig;
  readonly #clock: Clock;
  readonly #logs = new Map<TopicPartitionKey, PartitionLog>();
  readonly #creating = new Map<TopicPartitionKey, Promise<PartitionLog>>();
  readonly #overrides = new Map<string, TopicOverrides>();
  readonly #timers: TimerHandle[] = [];
  #retentionRunning = false;
  #closed = false;
  #cleaner: LogCleaner | undefined;

  private constructor(config: LogManagerConfig, clock: Clock) {
    this.config = config;
    this.#clock = clock;
    for (const [t, o] of Object.entries(config.topicOverrides ?? {})) this.#overrides.set(t, o);
  }

  static async open(config: LogManagerConfig, clock: Clock = systemClock): Promise<LogManager> {
    if (config.logDirs.length === 0) throw new KafkaError(ErrorCode.UNKNOWN, 'log.dirs names no directory');
    const m = new LogManager(config, clock);
    const jobs: (() => Promise<void>)[] = [];
    for (const dir of config.logDirs) {
      await fsp.mkdir(dir, { recursive: true });
      const marker = path.join(dir, CLEAN_SHUTDOWN_FILE);
      const clean = await fsp.access(marker).then(() => true, () => false);
      const points = await readCheckpoint(path.join(dir, RECOVERY_POINT_CHECKPOINT)).catch(() => new Map<string, number>());
      for (const ent of await fsp.readdir(dir, { withFileTypes: true })) {
        const tp = ent.isDirectory() ? parseLogDirName(ent.name) : undefined;
        if (!tp) continue;
        jobs.push(async () => {
          const key = tpKey(tp.topic, tp.partition);
          const log = await PartitionLog.open(path.join(dir, ent.name), m.configFor(tp.topic), clock, {
            cleanShutdown: clean,
            recoveryPoint: points.get(key) ?? 0,
            keys: config.keys,
            flushScheduler: config.flushScheduler,
          });
          if (m.#logs.has(key)) {
            await log.close();
            throw new KafkaError(ErrorCode.UNKNOWN, `duplicate log directories for ${key} (${m.#logs.get(key)!.dir} and ${log.dir})`);
          }
          m.#logs.set(key, log);
        });
      }
    }
    await runBounded(jobs, config.recoveryConcurrency ?? 4);
    for (const dir of config.logDirs) {
      await fsp.rm(path.join(dir, CLEAN_SHUTDOWN_FILE), { force: true });
      await syncDir(dir);
    }
    await m.checkpointRecoveryPoints();
    m.#startSchedules();
    if (config.cleaner?.enable) {
      m.#cleaner = await LogCleaner.start(config.cleaner, { logs: () => m.all(), logDirs: config.logDirs, clock, onSwapStep: config.onSwapStep });
    }
    return m;
  }

  #startSchedules(): void {
    const d = this.config.defaults;
    this.#timers.push(this.#clock.setInterval(() => void this.cleanupLogs().catch(() => undefined), d.retentionCheckIntervalMs));
    this.#timers.push(this.#clock.setInterval(() => void this.checkpointRecoveryPoints().catch(() => undefined), d.recoveryPointCheckpointIntervalMs));
  }

  /** The effective config of a topic: defaults + its overrides. */
  configFor(topic: string): LogConfig {
    return mergeLogConfig(this.config.defaults, this.#overrides.get(topic));
  }

  /** The log cleaner, when enabled. */
  get cleaner(): LogCleaner | undefined {
    return this.#cleaner;
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.#logs.get(tpKey(topic, partition));
  }

  all(): PartitionLog[] {
    return [...this.#logs.values()];
  }

  /**
   * The log dir holding the fewest logs. One dir (the usual case) is the answer without
   * counting: a count over every log for every new log made creating a topic quadratic in the
   * broker's partitions (512 new logs beside 3,000 took seconds of CPU).
   */
  #leastUsedDir(): string {
    const dirs = this.config.logDirs;
    if (dirs.length === 1) return dirs[0]!;
    const counts = new Map(dirs.map((d) => [d, 0]));
    for (const l of this.#logs.values()) {
      const d = path.dirname(l.dir);
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => a[1] - b[1])[0]![0];
  }

  /**
   * The log, created (in the log dir holding the fewest logs) if missing. `overrides`, when
   * given, become the topic's overrides (replacing the ones kept).
   */
  async getOrCreate(topic: string, partition: number, overrides?: TopicOverrides): Promise<PartitionLog> {
    if (this.#closed) throw new KafkaError(ErrorCode.UNKNOWN, 'log manager is closed');
    const key = tpKey(topic, partition);
    if (!/^[a-zA-Z0-9._-]+$/.test(topic) || !Number.isInteger(partition) || partition < 0) {
      throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic or partition ${topic}-${partition}`);
    }
    if (overrides) {
      // the topic's whole config as the caller just read it: it replaces what was kept (which may
      // be a deleted topic's of the same name), for the topic's open logs too
      this.#overrides.set(topic, { ...overrides });
      const cfg = this.configFor(topic);
      for (const l of this.#logs.values()) if (l.topic === topic) l.config = cfg;
    }
    const have = this.#logs.get(key) ?? this.#creating.get(key);
    if (have) return have;
    const p = (async () => {
      const dir = this.#leastUsedDir();
      const log = await PartitionLog.open(path.join(dir, key), this.configFor(topic), this.#clock, { cleanShutdown: true, recoveryPoint: 0, keys: this.config.keys, flushScheduler: this.config.flushScheduler });
      log.config = this.configFor(topic); // a change applied while the log was being opened
      await syncDir(dir);
      this.#logs.set(key, log);
      return log;
    })();
    this.#creating.set(key, p);
    try {
      return await p;
    } finally {
      this.#creating.delete(key);
    }
  }

  /** Closes the log and deletes its directory. */
  async delete(topic: string, partition: number): Promise<void> {
    const key = tpKey(topic, partition);
    const log = this.#logs.get(key);
    if (!log) return;
    this.#logs.delete(key);
    this.#cleaner?.forget(log);
    await log.delete();
  }

  /** Sets a topic's overrides (replacing the previous ones) and applies them to its open logs at once. */
  updateConfig(topic: string, overrides: TopicOverrides): void {
    this.#overrides.set(topic, { ...overrides });
    const cfg = this.configFor(topic);
    const logs = this.all().filter((l) => l.topic === topic);
    for (const log of logs) log.config = cfg;
    this.#afterConfigChange(logs);
  }

  /** New broker defaults (a dynamic broker config): every log's config is recomputed. */
  setDefaults(defaults: LogConfig): void {
    this.config.defaults = defaults;
    for (const log of this.#logs.values()) log.config = this.configFor(log.topic);
    this.#afterConfigChange(this.all());
  }

  /** A changed retention applies now, not at the next scheduled check. */
  #afterConfigChange(logs: PartitionLog[]): void {
    if (this.#closed) return;
    for (const log of logs) void log.deleteOldSegments().catch(() => undefined);
    this.#cleaner?.wake();
  }

  /** Runs retention on every log; returns the number of segments deleted. */
  async cleanupLogs(): Promise<number> {
    if (this.#retentionRunning || this.#closed) return 0;
    this.#retentionRunning = true;
    try {
      let n = 0;
      for (const log of this.all()) n += await log.deleteOldSegments();
      return n;
    } finally {
      this.#retentionRunning = false;
    }
  }

  #byDir(): Map<string, PartitionLog[]> {
    const out = new Map<string, PartitionLog[]>(this.config.logDirs.map((d) => [d, []]));
    for (const log of this.#logs.values()) {
      const d = path.dirname(log.dir);
      if (!out.has(d)) out.set(d, []);
      out.get(d)!.push(log);
    }
    return out;
  }

  /** Writes recovery-point-offset-checkpoint in every log dir. */
  async checkpointRecoveryPoints(): Promise<void> {
    for (const [dir, logs] of this.#byDir()) {
      await writeCheckpoint(path.join(dir, RECOVERY_POINT_CHECKPOINT), new Map(logs.map((l) => [tpKey(l.topic, l.partition), l.recoveryPoint])));
    }
  }

  /** Writes replication-offset-checkpoint: `topic-partition` -> high watermark, per log dir. */
  async writeHighWatermarks(hw: Map<TopicPartitionKey, number>): Promise<void> {
    for (const [dir, logs] of this.#byDir()) {
      const entries = new Map<TopicPartitionKey, number>();
      for (const l of logs) {
        const k = tpKey(l.topic, l.partition);
        const v = hw.get(k);
        if (v !== undefined) entries.set(k, v);
      }
      await writeCheckpoint(path.join(dir, REPLICATION_CHECKPOINT), entries);
    }
  }

  /** The high watermarks of every log dir (`topic-partition` -> offset). */
  async readHighWatermarks(): Promise<Map<TopicPartitionKey, number>> {
    const out = new Map<TopicPartitionKey, number>();
    for (const dir of this.config.logDirs) {
      for (const [k, v] of await readCheckpoint(path.join(dir, REPLICATION_CHECKPOINT))) out.set(k, v);
    }
    return out;
  }

  /**
   * Closes every log (see PartitionLog.close for `exiting`), writes the recovery points, then
   * marks the shutdown clean in every log dir where no log was stopped by a failed flush: there
   * the next start recovers the logs past their recovery points.
   */
  async close(opts: { exiting?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) t.cancel();
    await this.#cleaner?.stop();
    await Promise.all([...this.#creating.values()].map((p) => p.catch(() => undefined)));
    await runBounded(this.all().map((l) => () => l.close(opts)), 64);
    await this.checkpointRecoveryPoints();
    const failed = new Set(this.all().filter((l) => l.failure).map((l) => path.resolve(path.dirname(l.dir))));
    for (const dir of this.config.logDirs) {
      if (failed.has(path.resolve(dir))) continue;
      await fsp.writeFile(path.join(dir, CLEAN_SHUTDOWN_FILE), '');
      await syncDir(dir);
    }
  }
}

/** Runs the jobs with at most `limit` at once; rejects with the first failure after all settle. */
async function runBounded(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await job().catch((e: unknown) => errors.push(e));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  if (errors.length > 0) throw errors[0];
}
