/**
 * Topic-level configs (the keys `kafka-topics --config` and `kafka-configs --add-config` write
 * to /config/topics/<T>): every key Kafka's LogConfig defines either takes effect here or is
 * refused by name. One table says, per key, which LogConfig field it sets, its type and range,
 * and the broker property that holds its default (for dynamic broker configs and --describe).
 * Validation never writes anything: callers validate the whole map first.
 */
import { ConfigReader } from '../common/config-reader.js';
import { ConfigError } from '../common/errors.js';
import { COMPRESSION_TYPES, parseCleanupPolicy, type LogConfig, type TopicOverrides } from './config.js';

interface KeySpec {
  field: keyof LogConfig;
  /** The broker property holding the default (server.properties; also a dynamic broker config). */
  brokerKey: string;
  parse: (c: ConfigReader, key: string) => LogConfig[keyof LogConfig];
  doc: string;
}

const long = (min: number) => (c: ConfigReader, k: string) => c.long(k, undefined, { min });

export const TOPIC_CONFIG_KEYS: Readonly<Record<string, KeySpec>> = {
  'cleanup.policy': {
    field: 'cleanupPolicy',
    brokerKey: 'log.cleanup.policy',
    doc: 'delete, compact, or compact,delete',
    parse: (c, k) => {
      const v = c.string(k);
      const p = parseCleanupPolicy(v);
      if (!p) throw new ConfigError(`config "${k}" must be a list of delete and compact (delete, compact, compact,delete), got "${v}"`, { context: { key: k, value: v } });
      return p;
    },
  },
  'compression.type': {
    field: 'compressionType',
    brokerKey: 'compression.type',
    doc: 'producer (keep the producer\'s codec), uncompressed, gzip, snappy, lz4',
    parse: (c, k) => {
      if (c.raw(k) === 'zstd') throw new ConfigError(`config "${k}"=zstd is not supported: Kafka allows zstd only from Produce v7 / Fetch v10, beyond the versions this broker speaks`, { context: { key: k, value: 'zstd' } });
      return c.oneOf(k, COMPRESSION_TYPES, 'producer');
    },
  },
  'delete.retention.ms': { field: 'deleteRetentionMs', brokerKey: 'log.cleaner.delete.retention.ms', doc: 'how long tombstones stay in a compacted log', parse: long(0) },
  'file.delete.delay.ms': { field: 'fileDeleteDelayMs', brokerKey: 'log.segment.delete.delay.ms', doc: 'delay before a deleted segment\'s files are removed', parse: long(0) },
  'flush.messages': { field: 'flushIntervalMessages', brokerKey: 'log.flush.interval.messages', doc: 'fsync after this many messages', parse: (c, k) => Math.max(1, c.long(k, undefined, { min: 0 })) },
  'flush.ms': { field: 'flushIntervalMs', brokerKey: 'log.flush.interval.ms', doc: 'fsync at least this often', parse: long(0) },
  'index.interval.bytes': { field: 'indexIntervalBytes', brokerKey: 'log.index.interval.bytes', doc: 'bytes between offset index entries', parse: (c, k) => c.int(k, undefined, { min: 0 }) },
  'max.message.bytes': { field: 'maxMessageBytes', brokerKey: 'message.max.bytes', doc: 'largest record batch the topic accepts', parse: (c, k) => c.int(k, undefined, { min: 0 }) },
  'message.timestamp.difference.max.ms': {
    field: 'messageTimestampDifferenceMaxMs',
    brokerKey: 'log.message.timestamp.difference.max.ms',
    doc: 'with CreateTime, the most a record\'s timestamp may differ from the broker\'s clock',
    parse: long(0),
  },
  'message.timestamp.type': {
    field: 'messageTimestampType',
    brokerKey: 'log.message.timestamp.type',
    doc: 'CreateTime or LogAppendTime',
    parse: (c, k) => c.oneOf(k, ['CreateTime', 'LogAppendTime'] as const, 'CreateTime'),
  },
  'min.cleanable.dirty.ratio': { field: 'minCleanableDirtyRatio', brokerKey: 'log.cleaner.min.cleanable.ratio', doc: 'dirty share of a log before it is cleaned', parse: (c, k) => c.double(k, undefined, { min: 0, max: 1 }) },
  'min.compaction.lag.ms': { field: 'minCompactionLagMs', brokerKey: 'log.cleaner.min.compaction.lag.ms', doc: 'records younger than this are never compacted', parse: long(0) },
  'min.insync.replicas': { field: 'minInsyncReplicas', brokerKey: 'min.insync.replicas', doc: 'ISR size acks=all needs', parse: (c, k) => c.int(k, undefined, { min: 1 }) },
  'retention.bytes': { field: 'retentionBytes', brokerKey: 'log.retention.bytes', doc: 'size a partition keeps (-1: no limit)', parse: long(-1) },
  'retention.ms': { field: 'retentionMs', brokerKey: 'log.retention.ms', doc: 'age a partition keeps (-1: forever)', parse: long(-1) },
  'segment.bytes': { field: 'segmentBytes', brokerKey: 'log.segment.bytes', doc: 'segment file size', parse: (c, k) => c.int(k, undefined, { min: 14 + 61, max: 2 ** 31 - 1 }) },
  'segment.index.bytes': { field: 'maxIndexSize', brokerKey: 'log.index.size.max.bytes', doc: 'offset index size', parse: (c, k) => c.int(k, undefined, { min: 12 }) },
  'segment.ms': { field: 'segmentMs', brokerKey: 'log.roll.ms', doc: 'roll a segment this old', parse: long(1) },
  'unclean.leader.election.enable': {
    field: 'uncleanLeaderElectionEnable',
    brokerKey: 'unclean.leader.election.enable',
    doc: 'elect a replica outside the ISR when no ISR member lives (may lose data)',
    parse: (c, k) => c.bool(k, false),
  },
};

/** Kafka topic configs this broker knows but does not implement: refused by name, with why. */
const REFUSED: Readonly<Record<string, string>> = {
  preallocate: 'segment files are not preallocated by this broker',
  'segment.jitter.ms': 'segment rolls have no jitter in this broker',
  'message.format.version': 'this broker stores only message format v2 (0.11.0+)',
  'message.downconversion.enable': 'down-conversion for old clients is always on',
  'leader.replication.throttled.replicas': 'replication throttling is not implemented',
  'follower.replication.throttled.replicas': 'replication throttling is not implemented',
  'local.retention.ms': 'tiered storage is not implemented',
  'local.retention.bytes': 'tiered storage is not implemented',
  'remote.storage.enable': 'tiered storage is not implemented',
};

/**
 * Topic-level names -> LogConfig fields (only the keys present). An unknown key, a key this
 * broker refuses, or a bad value throws ConfigError naming it.
 */
export function topicOverridesFromConfig(record: Map<string, string> | Record<string, string>): TopicOverrides {
  const c = new ConfigReader(record);
  const keys = record instanceof Map ? [...record.keys()] : Object.keys(record);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const spec = Object.hasOwn(TOPIC_CONFIG_KEYS, key) ? TOPIC_CONFIG_KEYS[key] : undefined;
    if (!spec) {
      if (Object.hasOwn(REFUSED, key)) throw new ConfigError(`topic config "${key}" is not supported: ${REFUSED[key]}`, { context: { key } });
      throw new ConfigError(`unknown topic config "${key}" (known: ${Object.keys(TOPIC_CONFIG_KEYS).join(', ')})`, { context: { key } });
    }
    if (!c.has(key)) throw new ConfigError(`config "${key}" has an empty value`, { context: { key } });
    out[spec.field] = spec.parse(c, key);
  }
  return out as TopicOverrides;
}

/** Throws ConfigError for the first bad key or value; returns the overrides when all are good. */
export function validateTopicConfig(record: Record<string, string>): TopicOverrides {
  return topicOverridesFromConfig(record);
}
