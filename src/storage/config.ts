/**
 * Log configuration with Kafka's names. Broker-level keys (`log.*` in server.properties) are
 * read by logConfigFromProperties with Kafka's defaults; topic-level overrides (the names stored
 * in /config/topics/<T>: retention.ms, segment.bytes, ...) by topicOverridesFromConfig.
 *
 *   broker key                        topic key            field                 default
 *   log.segment.bytes                 segment.bytes        segmentBytes          1073741824
 *   log.roll.ms | log.roll.hours      segment.ms           segmentMs             168 h
 *   log.index.interval.bytes          index.interval.bytes indexIntervalBytes    4096
 *   log.index.size.max.bytes          segment.index.bytes  maxIndexSize          10485760
 *   log.flush.interval.messages       flush.messages       flushIntervalMessages 1 (ours: every message, group-committed)
 *   log.flush.interval.ms             flush.ms             flushIntervalMs       log.flush.scheduler.interval.ms
 *   log.flush.scheduler.interval.ms   -                    flushSchedulerIntervalMs 3000
 *   log.retention.ms|minutes|hours    retention.ms         retentionMs           168 h (-1 = keep forever)
 *   log.retention.bytes               retention.bytes      retentionBytes        -1 (off)
 *   log.retention.check.interval.ms   -                    retentionCheckIntervalMs 300000
 *   log.cleanup.policy                cleanup.policy       cleanupPolicy         delete
 *   log.delete.delay.ms / file.delete.delay.ms  file.delete.delay.ms  fileDeleteDelayMs  60000
 *   log.flush.offset.checkpoint.interval.ms  -             recoveryPointCheckpointIntervalMs 60000
 */
import { ConfigReader } from '../common/config-reader.js';
import { ConfigError } from '../common/errors.js';

export type CleanupPolicy = 'delete' | 'compact';

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
  fileDeleteDelayMs: 60000,
  recoveryPointCheckpointIntervalMs: 60000,
});

export type TopicOverrides = Partial<LogConfig>;

/** The broker's `log.*` keys with Kafka's defaults. Bad values throw ConfigError naming the key. */
export function logConfigFromProperties(props: Map<string, string> | Record<string, string>): LogConfig {
  const c = new ConfigReader(props);
  const pos = { min: 1 };
  const rollMs = c.has('log.roll.ms') ? c.int('log.roll.ms', undefined, pos) : c.int('log.roll.hours', 168, pos) * HOUR;
  const retentionMs = c.has('log.retention.ms')
    ? c.int('log.retention.ms', undefined, { min: -1 })
    : c.has('log.retention.minutes')
      ? minutesOrForever(c.int('log.retention.minutes', undefined, { min: -1 }))
      : hoursOrForever(c.int('log.retention.hours', 168, { min: -1 }));
  const flushSchedulerIntervalMs = c.int('log.flush.scheduler.interval.ms', DEFAULT_LOG_CONFIG.flushSchedulerIntervalMs, pos);
  const cfg: LogConfig = {
    segmentBytes: c.int('log.segment.bytes', DEFAULT_LOG_CONFIG.segmentBytes, { min: 14 + 61, max: 2 ** 31 - 1 }),
    segmentMs: rollMs,
    indexIntervalBytes: c.int('log.index.interval.bytes', DEFAULT_LOG_CONFIG.indexIntervalBytes, { min: 0 }),
    maxIndexSize: c.int('log.index.size.max.bytes', DEFAULT_LOG_CONFIG.maxIndexSize, { min: 12 }),
    flushIntervalMessages: c.int('log.flush.interval.messages', DEFAULT_LOG_CONFIG.flushIntervalMessages, pos),
    flushIntervalMs: c.int('log.flush.interval.ms', flushSchedulerIntervalMs, pos),
    flushSchedulerIntervalMs,
    retentionMs,
    retentionBytes: c.int('log.retention.bytes', -1, { min: -1 }),
    retentionCheckIntervalMs: c.int('log.retention.check.interval.ms', DEFAULT_LOG_CONFIG.retentionCheckIntervalMs, pos),
    cleanupPolicy: c.oneOf('log.cleanup.policy', ['delete', 'compact'] as const, 'delete'),
    fileDeleteDelayMs: c.int('file.delete.delay.ms', c.int('log.delete.delay.ms', DEFAULT_LOG_CONFIG.fileDeleteDelayMs, { min: 0 }), { min: 0 }),
    recoveryPointCheckpointIntervalMs: c.int('log.flush.offset.checkpoint.interval.ms', DEFAULT_LOG_CONFIG.recoveryPointCheckpointIntervalMs, pos),
  };
  return cfg;
}

function hoursOrForever(h: number): number {
  return h < 0 ? -1 : h * HOUR;
}
function minutesOrForever(m: number): number {
  return m < 0 ? -1 : m * 60_000;
}

/** Topic-level names -> LogConfig fields (only the keys present). Unknown keys throw ConfigError. */
export function topicOverridesFromConfig(record: Map<string, string> | Record<string, string>): TopicOverrides {
  const c = new ConfigReader(record);
  const keys = record instanceof Map ? [...record.keys()] : Object.keys(record);
  const out: TopicOverrides = {};
  const pos = { min: 1 };
  for (const key of keys) {
    switch (key) {
      case 'retention.ms': out.retentionMs = c.int(key, undefined, { min: -1 }); break;
      case 'retention.bytes': out.retentionBytes = c.int(key, undefined, { min: -1 }); break;
      case 'segment.bytes': out.segmentBytes = c.int(key, undefined, { min: 14 + 61, max: 2 ** 31 - 1 }); break;
      case 'segment.ms': out.segmentMs = c.int(key, undefined, pos); break;
      case 'segment.index.bytes': out.maxIndexSize = c.int(key, undefined, { min: 12 }); break;
      case 'index.interval.bytes': out.indexIntervalBytes = c.int(key, undefined, { min: 0 }); break;
      case 'flush.messages': out.flushIntervalMessages = c.int(key, undefined, pos); break;
      case 'flush.ms': out.flushIntervalMs = c.int(key, undefined, pos); break;
      case 'cleanup.policy': out.cleanupPolicy = c.oneOf(key, ['delete', 'compact'] as const, 'delete'); break;
      case 'file.delete.delay.ms': out.fileDeleteDelayMs = c.int(key, undefined, { min: 0 }); break;
      // Accepted (other layers use them), no effect on the log itself.
      case 'max.message.bytes':
      case 'min.insync.replicas':
      case 'unclean.leader.election.enable':
      case 'message.timestamp.type':
      case 'compression.type':
        break;
      default:
        throw new ConfigError(`unknown topic config "${key}"`, { context: { key } });
    }
  }
  return out;
}

/** Defaults with topic overrides applied. */
export function mergeLogConfig(base: LogConfig, overrides: TopicOverrides = {}): LogConfig {
  const out = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
