/**
 * Log configuration with Kafka's names (LogConfig.scala). Every topic-level config has a broker
 * default: the broker's key in server.properties (read by logConfigFromProperties, Kafka's
 * defaults) and the topic key stored in /config/topics/<T> (read by topicOverridesFromConfig,
 * topic-config.ts). A topic's effective config is the broker defaults with its overrides.
 *
 *   broker key                             topic key                           field                      default
 *   log.segment.bytes                      segment.bytes                       segmentBytes               1073741824
 *   log.roll.ms | log.roll.hours           segment.ms                          segmentMs                  168 h
 *   log.index.interval.bytes              index.interval.bytes                indexIntervalBytes         4096
 *   log.index.size.max.bytes               segment.index.bytes                 maxIndexSize               10485760
 *   log.flush.interval.messages            flush.messages                      flushIntervalMessages      1 (ours: every message, group-committed)
 *   log.flush.interval.ms                  flush.ms                            flushIntervalMs            log.flush.scheduler.interval.ms
 *   log.flush.scheduler.interval.ms        -                                   flushSchedulerIntervalMs   3000
 *   log.retention.ms|minutes|hours         retention.ms                        retentionMs                168 h (-1 = keep forever)
 *   log.retention.bytes                    retention.bytes                     retentionBytes             -1 (off)
 *   log.retention.check.interval.ms        -                                   retentionCheckIntervalMs   300000
 *   log.cleanup.policy                     cleanup.policy                      cleanupPolicy              delete (or compact, or compact,delete)
 *   log.cleaner.delete.retention.ms        delete.retention.ms                 deleteRetentionMs          86400000
 *   log.cleaner.min.cleanable.ratio        min.cleanable.dirty.ratio           minCleanableDirtyRatio     0.5
 *   log.cleaner.min.compaction.lag.ms      min.compaction.lag.ms               minCompactionLagMs         0
 *   message.max.bytes                      max.message.bytes                   maxMessageBytes            1000012
 *   log.message.timestamp.type             message.timestamp.type              messageTimestampType       CreateTime
 *   log.message.timestamp.difference.max.ms  message.timestamp.difference.max.ms  messageTimestampDifferenceMaxMs  never
 *   compression.type                       compression.type                    compressionType            producer
 *   min.insync.replicas                    min.insync.replicas                 minInsyncReplicas          1
 *   unclean.leader.election.enable         unclean.leader.election.enable      uncleanLeaderElectionEnable false
 *   log.delete.delay.ms / file.delete.delay.ms  file.delete.delay.ms           fileDeleteDelayMs          60000
 *   log.flush.offset.checkpoint.interval.ms  -                                 recoveryPointCheckpointIntervalMs 60000
 */
import { ConfigReader } from '../common/config-reader.js';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type TimestampTypeName = 'CreateTime' | 'LogAppendTime';
export type CompressionTypeName = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4';
export const COMPRESSION_TYPES: readonly CompressionTypeName[] = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4'];

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  indexIntervalBytes: number;
  maxIndexSize: number;
  flushIntervalMessages: number;
  flushIntervalMs: number;
  flushSchedulerIntervalMs: number;
  retentionMs: number;
  retentionBytes: number;
  retentionCheckIntervalMs: number;
  cleanupPolicy: CleanupPolicy;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  maxMessageBytes: number;
  messageTimestampType: TimestampTypeName;
  messageTimestampDifferenceMaxMs: number;
  compressionType: CompressionTypeName;
  minInsyncReplicas: number;
  uncleanLeaderElectionEnable: boolean;
  fileDeleteDelayMs: number;
  recoveryPointCheckpointIntervalMs: number;
}

const HOUR = 3_600_000;
/** "Never" for intervals (Kafka's Long.MaxValue), kept within what timers accept. */
export const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 168 * HOUR,
  indexIntervalBytes: 4096,
  maxIndexSize: 10485760,
  flushIntervalMessages: 1,
  flushIntervalMs: 3000,
  flushSchedulerIntervalMs: 3000,
  retentionMs: 168 * HOUR,
  retentionBytes: -1,
  retentionCheckIntervalMs: 300000,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 24 * HOUR,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxMessageBytes: 1000012,
  messageTimestampType: 'CreateTime',
  messageTimestampDifferenceMaxMs: NEVER,
  compressionType: 'producer',
  minInsyncReplicas: 1,
  uncleanLeaderElectionEnable: false,
  fileDeleteDelayMs: 60000,
  recoveryPointCheckpointIntervalMs: 60000,
});

export type TopicOverrides = Partial<LogConfig>;

/** The log is compacted (cleanup.policy holds compact). */
export function isCompacted(c: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return c.cleanupPolicy !== 'delete';
}
/** Time and size retention apply (cleanup.policy holds delete). */
export function deletesByRetention(c: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return c.cleanupPolicy !== 'compact';
}

/** `delete`, `compact`, `compact,delete` (any order, no repeats) -> the canonical policy; undefined if bad. */
export function parseCleanupPolicy(v: string): CleanupPolicy | undefined {
  const parts = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0 || new Set(parts).size !== parts.length || parts.some((p) => p !== 'delete' && p !== 'compact')) return undefined;
  return parts.length === 2 ? 'compact,delete' : (parts[0] as CleanupPolicy);
}

/** The broker's `log.*` (and other log-level) keys with Kafka's defaults. Bad values throw ConfigError naming the key. */
export function logConfigFromProperties(props: Map<string, string> | Record<string, string>): LogConfig {
  const c = new ConfigReader(props);
  const pos = { min: 1 };
  const D = DEFAULT_LOG_CONFIG;
  const rollMs = c.has('log.roll.ms') ? c.long('log.roll.ms', undefined, pos) : c.int('log.roll.hours', 168, pos) * HOUR;
  const retentionMs = c.has('log.retention.ms')
    ? c.long('log.retention.ms', undefined, { min: -1 })
    : c.has('log.retention.minutes')
      ? minutesOrForever(c.int('log.retention.minutes', undefined, { min: -1 }))
      : hoursOrForever(c.int('log.retention.hours', 168, { min: -1 }));
  const flushSchedulerIntervalMs = c.long('log.flush.scheduler.interval.ms', D.flushSchedulerIntervalMs, pos);
  const policy = c.raw('log.cleanup.policy');
  const cleanupPolicy = policy === undefined ? D.cleanupPolicy : parseCleanupPolicy(policy);
  if (!cleanupPolicy) c.oneOf('log.cleanup.policy', ['delete', 'compact', 'compact,delete'] as const, 'delete'); // throws, naming the key
  return {
    segmentBytes: c.int('log.segment.bytes', D.segmentBytes, { min: 14 + 61, max: 2 ** 31 - 1 }),
    segmentMs: rollMs,
    indexIntervalBytes: c.int('log.index.interval.bytes', D.indexIntervalBytes, { min: 0 }),
    maxIndexSize: c.int('log.index.size.max.bytes', D.maxIndexSize, { min: 12 }),
    flushIntervalMessages: c.long('log.flush.interval.messages', D.flushIntervalMessages, pos),
    flushIntervalMs: c.long('log.flush.interval.ms', flushSchedulerIntervalMs, pos),
    flushSchedulerIntervalMs,
    retentionMs,
    retentionBytes: c.long('log.retention.bytes', -1, { min: -1 }),
    retentionCheckIntervalMs: c.long('log.retention.check.interval.ms', D.retentionCheckIntervalMs, pos),
    cleanupPolicy: cleanupPolicy ?? 'delete',
    deleteRetentionMs: c.long('log.cleaner.delete.retention.ms', D.deleteRetentionMs, { min: 0 }),
    minCleanableDirtyRatio: c.double('log.cleaner.min.cleanable.ratio', D.minCleanableDirtyRatio, { min: 0, max: 1 }),
    minCompactionLagMs: c.long('log.cleaner.min.compaction.lag.ms', D.minCompactionLagMs, { min: 0 }),
    maxMessageBytes: c.int('message.max.bytes', D.maxMessageBytes, { min: 0 }),
    messageTimestampType: c.oneOf('log.message.timestamp.type', ['CreateTime', 'LogAppendTime'] as const, D.messageTimestampType),
    messageTimestampDifferenceMaxMs: c.long('log.message.timestamp.difference.max.ms', D.messageTimestampDifferenceMaxMs, { min: 0 }),
    compressionType: c.oneOf('compression.type', COMPRESSION_TYPES, D.compressionType),
    minInsyncReplicas: c.int('min.insync.replicas', D.minInsyncReplicas, pos),
    uncleanLeaderElectionEnable: c.bool('unclean.leader.election.enable', D.uncleanLeaderElectionEnable),
    fileDeleteDelayMs: c.long('file.delete.delay.ms', c.long('log.delete.delay.ms', D.fileDeleteDelayMs, { min: 0 }), { min: 0 }),
    recoveryPointCheckpointIntervalMs: c.long('log.flush.offset.checkpoint.interval.ms', D.recoveryPointCheckpointIntervalMs, pos),
  };
}

function hoursOrForever(h: number): number {
  return h < 0 ? -1 : h * HOUR;
}
function minutesOrForever(m: number): number {
  return m < 0 ? -1 : m * 60_000;
}

/** Defaults with topic overrides applied. */
export function mergeLogConfig(base: LogConfig, overrides: TopicOverrides = {}): LogConfig {
  const out = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
