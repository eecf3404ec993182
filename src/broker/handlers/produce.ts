/**
 * Produce: each partition's record set is checked and appended to the partition's log.
 * MessageSet v0/v1 (Produce v0-v2) is converted to one RecordBatch v2 on the way in; v2
 * batches (Produce v3) are stored as they came. The answer follows the flush: acks=1 (and
 * acks=-1, which with one replica is the same) answers once the batch is flushed and exposed;
 * acks=0 gets no response at all.
 */
import type { ProducePartitionResponse, ProduceRequest, ProduceResponse } from '../../protocol/apis/produce.js';
import { messageSetToRecordBatch } from '../../protocol/records/message-set.js';
import { ErrorCode, KafkaError } from '../../common/errors.js';
import { errorCodeOf, type BrokerContext } from './context.js';

const MAGIC_AT = 16; // both MessageSet and RecordBatch keep magic at byte 16

export async function handleProduce(ctx: BrokerContext, req: ProduceRequest): Promise<ProduceResponse | undefined> {
  const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      topic: t.topic,
      partitions: await Promise.all(
        t.partitions.map((p) =>
          validAcks
            ? appendPartition(ctx, t.topic, p.partition, p.records, req.acks, req.timeoutMs)
            : failed(p.partition, ErrorCode.INVALID_REQUIRED_ACKS),
        ),
      ),
    })),
  );
  if (req.acks === 0) return undefined;
  return { topics, throttleTimeMs: 0 };
}

function failed(partition: number, errorCode: number): ProducePartitionResponse {
  return { partition, errorCode, baseOffset: -1, logAppendTime: -1 };
}

async function appendPartition(
  ctx: BrokerContext,
  topic: string,
  partition: number,
  records: Buffer | null,
  acks: number,
  timeoutMs: number,
): Promise<ProducePartitionResponse> {
  try {
    const log = ctx.replicas.leaderLog(topic, partition);
    if (!records || records.length === 0) return { partition, errorCode: ErrorCode.NONE, baseOffset: log.logEndOffset, logAppendTime: -1 };
    if (records.length > ctx.config.messageMaxBytes + 61) {
      throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `record set of ${records.length} bytes exceeds message.max.bytes (${ctx.config.messageMaxBytes})`);
    }
    if (records.length <= MAGIC_AT) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'record set too short');
    const magic = records[MAGIC_AT]!;
    const batches = magic >= 2 ? records : messageSetToRecordBatch(records);
    const info = await log.append(batches);
    if (acks !== 0) await withTimeout(log.waitForFlush(info.lastOffset), timeoutMs, topic, partition);
    return { partition, errorCode: ErrorCode.NONE, baseOffset: info.firstOffset, logAppendTime: info.logAppendTime };
  } catch (err) {
    const code = errorCodeOf(err);
    if (code === ErrorCode.UNKNOWN || code === ErrorCode.CORRUPT_MESSAGE) {
      ctx.logger.warn('produce refused', { topic, partition, error: err });
    }
    return failed(partition, code);
  }
}

async function withTimeout(p: Promise<void>, ms: number, topic: string, partition: number): Promise<void> {
  if (ms <= 0) ms = 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `flush of ${topic}-${partition} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
