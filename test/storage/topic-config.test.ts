/**
 * Topic configs (topic-config.ts) and what a leader enforces with them (log-validator.ts):
 * every key parses to its LogConfig field or is refused by name; keyless records on a compacted
 * topic, out-of-range timestamps, recompression to compression.type, log-append time.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../../src/common/errors.js';
import { CompressionCodec } from '../../src/protocol/records/compression.js';
import { codecOf, decodeRecordBatches, encodeRecordBatch, readBatchHeader } from '../../src/protocol/records/record-batch.js';
import { DEFAULT_LOG_CONFIG, NEVER, logConfigFromProperties, mergeLogConfig } from '../../src/storage/config.js';
import { PartitionLog } from '../../src/storage/log.js';
import { validateForLeader } from '../../src/storage/log-validator.js';
import { TOPIC_CONFIG_KEYS, topicOverridesFromConfig } from '../../src/storage/topic-config.js';

describe('topic configs', () => {
  it('parses every key Kafka defines that this broker implements', () => {
    const o = topicOverridesFromConfig({
      'cleanup.policy': 'delete,compact',
      'compression.type': 'gzip',
      'delete.retention.ms': '1000',
      'max.message.bytes': '2048',
      'message.timestamp.type': 'LogAppendTime',
      'message.timestamp.difference.max.ms': '9223372036854775807',
      'min.cleanable.dirty.ratio': '0.25',
      'min.compaction.lag.ms': '5',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'true',
      'segment.index.bytes': '4096',
    });
    expect(o).toEqual({
      cleanupPolicy: 'compact,delete',
      compressionType: 'gzip',
      deleteRetentionMs: 1000,
      maxMessageBytes: 2048,
      messageTimestampType: 'LogAppendTime',
      messageTimestampDifferenceMaxMs: NEVER,
      minCleanableDirtyRatio: 0.25,
      minCompactionLagMs: 5,
      minInsyncReplicas: 2,
      uncleanLeaderElectionEnable: true,
      maxIndexSize: 4096,
    });
    expect(Object.keys(TOPIC_CONFIG_KEYS)).toHaveLength(19);
    expect(mergeLogConfig(DEFAULT_LOG_CONFIG, o).cleanupPolicy).toBe('compact,delete');
  });

  it('refuses unknown keys, unsupported Kafka keys and bad values by name', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ 'no.such.key': '1' }, /unknown topic config "no\.such\.key"/],
      [{ preallocate: 'true' }, /"preallocate" is not supported/],
      [{ 'message.format.version': '0.10.0' }, /"message\.format\.version" is not supported/],
      [{ 'cleanup.policy': 'shred' }, /cleanup\.policy/],
      [{ 'cleanup.policy': 'compact,compact' }, /cleanup\.policy/],
      [{ 'compression.type': 'zstd' }, /zstd is not supported/],
      [{ 'compression.type': 'brotli' }, /compression\.type/],
      [{ 'min.cleanable.dirty.ratio': '1.5' }, /min\.cleanable\.dirty\.ratio" must be <= 1/],
      [{ 'message.timestamp.type': 'NowTime' }, /message\.timestamp\.type/],
      [{ 'unclean.leader.election.enable': 'yes' }, /unclean\.leader\.election\.enable/],
      [{ 'min.insync.replicas': '0' }, /min\.insync\.replicas/],
      [{ 'retention.ms': '' }, /retention\.ms" has an empty value/],
    ];
    for (const [cfg, re] of bad) {
      expect(() => topicOverridesFromConfig(cfg), JSON.stringify(cfg)).toThrow(ConfigError);
      expect(() => topicOverridesFromConfig(cfg)).toThrow(re);
    }
  });

  it('reads the broker defaults of the same settings', () => {
    const c = logConfigFromProperties({ 'log.cleanup.policy': 'compact', 'compression.type': 'snappy', 'log.message.timestamp.type': 'LogAppendTime', 'message.max.bytes': '100', 'log.cleaner.min.cleanable.ratio': '0.1' });
    expect(c).toMatchObject({ cleanupPolicy: 'compact', compressionType: 'snappy', messageTimestampType: 'LogAppendTime', maxMessageBytes: 100, minCleanableDirtyRatio: 0.1 });
    expect(() => logConfigFromProperties({ 'log.cleaner.min.cleanable.ratio': 'half' })).toThrow(/log\.cleaner\.min\.cleanable\.ratio/);
  });
});

describe('what the leader enforces', () => {
  const cfg = (over: Partial<typeof DEFAULT_LOG_CONFIG>) => ({ ...DEFAULT_LOG_CONFIG, ...over });
  const batch = (records: { key?: string | null; value: string; timestamp?: number }[], compression = CompressionCodec.None) => {
    const buf = encodeRecordBatch({ records, compression, producerId: 7, producerEpoch: 1, baseSequence: 3 });
    return { buf, list: PartitionLog.validateAll(buf) };
  };

  it('refuses a keyless record on a compacted topic with INVALID_RECORD', () => {
    const { buf, list } = batch([{ key: 'a', value: '1' }, { key: null, value: '2' }], CompressionCodec.Gzip);
    expect(() => validateForLeader(buf, list, cfg({ cleanupPolicy: 'compact' }), Date.now(), 't-0')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_RECORD }));
    expect(() => validateForLeader(buf, list, cfg({ cleanupPolicy: 'delete' }), Date.now(), 't-0')).not.toThrow();
  });

  it('refuses a CreateTime record too far from the broker clock with INVALID_TIMESTAMP', () => {
    const now = 1_700_000_000_000;
    const { buf, list } = batch([{ key: 'a', value: '1', timestamp: now - 1000 }, { key: 'b', value: '2', timestamp: now - 3_600_000 }]);
    expect(() => validateForLeader(buf, list, cfg({ messageTimestampDifferenceMaxMs: 60_000 }), now, 't-0')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_TIMESTAMP }));
    expect(() => validateForLeader(buf, list, cfg({ messageTimestampDifferenceMaxMs: 7_200_000 }), now, 't-0')).not.toThrow();
    // LogAppendTime topics ignore the producer's clock
    expect(validateForLeader(buf, list, cfg({ messageTimestampType: 'LogAppendTime', messageTimestampDifferenceMaxMs: 60_000 }), now, 't-0').logAppendTime).toBe(now);
  });

  it('recompresses to compression.type, keeping records, producer id and sequence', () => {
    const { buf, list } = batch([{ key: 'a', value: 'x'.repeat(300) }, { key: 'b', value: 'y' }], CompressionCodec.Snappy);
    const same = validateForLeader(buf, list, cfg({ compressionType: 'producer' }), Date.now(), 't-0');
    expect(same.rewritten).toBe(false);
    const v = validateForLeader(buf, list, cfg({ compressionType: 'gzip' }), Date.now(), 't-0');
    expect(v.rewritten).toBe(true);
    const h = readBatchHeader(v.buf);
    expect(codecOf(h)).toBe(CompressionCodec.Gzip);
    expect({ pid: h.producerId, epoch: h.producerEpoch, seq: h.baseSequence, count: h.recordCount }).toEqual({ pid: 7, epoch: 1, seq: 3, count: 2 });
    expect(PartitionLog.validateAll(v.buf)).toHaveLength(1); // a good CRC
    expect(decodeRecordBatches(v.buf).map((r) => [r.key!.toString(), r.value!.toString()])).toEqual(decodeRecordBatches(buf).map((r) => [r.key!.toString(), r.value!.toString()]));
    const plain = validateForLeader(buf, list, cfg({ compressionType: 'uncompressed' }), Date.now(), 't-0');
    expect(codecOf(readBatchHeader(plain.buf))).toBe(CompressionCodec.None);
  });
});
