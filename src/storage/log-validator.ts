/**
 * What a leader checks and changes in a producer's batches before appending them, by the
 * topic's config (LogValidator.scala). Followers copy the leader's bytes and skip all of it.
 *
 *   cleanup.policy with compact       every record needs a key, else INVALID_RECORD (87)
 *   message.timestamp.type            LogAppendTime: the batch gets the broker's clock (the log stamps it)
 *   message.timestamp.difference.max.ms  with CreateTime, a record more than this far from the
 *                                     broker's clock refuses the batch with INVALID_TIMESTAMP (32)
 *   compression.type                  not `producer`: a batch with another codec is recompressed
 *                                     (its records' bytes and header fields are kept)
 * Record payloads are decompressed only when one of these needs them. A refused batch refuses
 * the whole request for the partition and nothing is appended.
 */
import { ErrorCode, KafkaError } from '../common/errors.js';
import { RecordScan, batchPayload, recompressBatch } from '../protocol/records/batch-rewrite.js';
import { CompressionCodec } from '../protocol/records/compression.js';
import { LOG_OVERHEAD, TIMESTAMP_TYPE_MASK, codecOf, type BatchPosition } from '../protocol/records/record-batch.js';
import { NEVER, isCompacted, type CompressionTypeName, type LogConfig } from './config.js';

const CODECS: Record<Exclude<CompressionTypeName, 'producer'>, CompressionCodec> = {
  uncompressed: CompressionCodec.None,
  gzip: CompressionCodec.Gzip,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.Lz4,
};

export interface ValidatedAppend {
  /** The batches to append: `buf` itself, or a new buffer when batches were recompressed. */
  buf: Buffer;
  /** Whether `buf` is a new buffer (its batches need validating again for their positions). */
  rewritten: boolean;
  /** Set when the log must stamp log-append time. */
  logAppendTime?: number;
}

export function validateForLeader(buf: Buffer, list: readonly BatchPosition[], config: LogConfig, now: number, where: string): ValidatedAppend {
  const compacted = isCompacted(config);
  const checkTime = config.messageTimestampType === 'CreateTime' && config.messageTimestampDifferenceMaxMs < NEVER;
  if (compacted || checkTime) {
    const scan = new RecordScan();
    for (const { at, header } of list) {
      scan.scan(batchPayload(buf, at, header), header.recordCount);
      for (let i = 0; i < scan.count; i++) {
        if (compacted && scan.keyLength[i]! < 0) {
          throw new KafkaError(ErrorCode.INVALID_RECORD, `compacted topic cannot accept a record without a key (${where}, offset delta ${scan.offsetDelta[i]})`);
        }
        if (checkTime && (header.attributes & TIMESTAMP_TYPE_MASK) === 0) {
          const ts = header.firstTimestamp + scan.timestampDelta[i]!;
          if (Math.abs(ts - now) > config.messageTimestampDifferenceMaxMs) {
            throw new KafkaError(
              ErrorCode.INVALID_TIMESTAMP,
              `timestamp ${ts} of a record in ${where} is out of range: more than message.timestamp.difference.max.ms ${config.messageTimestampDifferenceMaxMs} from the broker's ${now}`,
            );
          }
        }
      }
    }
  }
  let out = buf;
  let rewritten = false;
  if (config.compressionType !== 'producer') {
    const target = CODECS[config.compressionType];
    if (list.some((b) => codecOf(b.header) !== target)) {
      const parts = list.map(({ at, header }) => (codecOf(header) === target ? buf.subarray(at, at + LOG_OVERHEAD + header.batchLength) : recompressBatch(buf, at, header, target)));
      out = Buffer.concat(parts);
      rewritten = true;
    }
  }
  return { buf: out, rewritten, logAppendTime: config.messageTimestampType === 'LogAppendTime' ? now : undefined };
}
