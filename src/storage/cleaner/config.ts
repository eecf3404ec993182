/**
 * The log cleaner's broker settings (server.properties, Kafka's names and defaults; the
 * per-topic knobs live in LogConfig: cleanup.policy, min.cleanable.dirty.ratio,
 * delete.retention.ms, min.compaction.lag.ms, segment.bytes).
 *
 *   log.cleaner.enable                     true       run the cleaner at all
 *   log.cleaner.threads                    1          logs cleaned at once (each in its own worker thread)
 *   log.cleaner.dedupe.buffer.size         134217728  bytes for the key -> offset maps, shared by the threads
 *   log.cleaner.io.buffer.size             524288     read/write buffer of a pass
 *   log.cleaner.io.buffer.load.factor      0.9        how full an offset map may get
 *   log.cleaner.backoff.ms                 15000      sleep when no log needs cleaning
 *   log.cleaner.io.max.bytes.per.second    unlimited  read+write throttle of a pass
 */
import { ConfigReader } from '../../common/config-reader.js';

export interface CleanerConfig {
  enable: boolean;
  threads: number;
  dedupeBufferSize: number;
  ioBufferSize: number;
  loadFactor: number;
  backoffMs: number;
  maxIoBytesPerSecond: number;
}

export const DEFAULT_CLEANER_CONFIG: Readonly<CleanerConfig> = Object.freeze({
  enable: true,
  threads: 1,
  dedupeBufferSize: 128 * 1024 * 1024,
  ioBufferSize: 512 * 1024,
  loadFactor: 0.9,
  backoffMs: 15_000,
  maxIoBytesPerSecond: Number.MAX_SAFE_INTEGER,
});

/** The cleaner keys that a dynamic broker config (/config/brokers/...) may change. */
export const DYNAMIC_CLEANER_KEYS = ['log.cleaner.threads', 'log.cleaner.dedupe.buffer.size', 'log.cleaner.io.buffer.size', 'log.cleaner.io.buffer.load.factor', 'log.cleaner.backoff.ms', 'log.cleaner.io.max.bytes.per.second'];

export function cleanerConfigFromProperties(props: ReadonlyMap<string, string> | Record<string, string>): CleanerConfig {
  const c = new ConfigReader(props);
  const D = DEFAULT_CLEANER_CONFIG;
  return {
    enable: c.bool('log.cleaner.enable', D.enable),
    threads: c.int('log.cleaner.threads', D.threads, { min: 1, max: 16 }),
    dedupeBufferSize: c.long('log.cleaner.dedupe.buffer.size', D.dedupeBufferSize, { min: 1024 * 1024 }),
    ioBufferSize: c.int('log.cleaner.io.buffer.size', D.ioBufferSize, { min: 4096 }),
    loadFactor: c.double('log.cleaner.io.buffer.load.factor', D.loadFactor, { min: 0.1, max: 0.95 }),
    backoffMs: c.long('log.cleaner.backoff.ms', D.backoffMs, { min: 1 }),
    maxIoBytesPerSecond: c.long('log.cleaner.io.max.bytes.per.second', D.maxIoBytesPerSecond, { min: 1 }),
  };
}
