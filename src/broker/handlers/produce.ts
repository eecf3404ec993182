/**
 * Produce: each partition's record set is checked and appended by the partition's leader.
 * MessageSet v0/v1 (Produce v0-v2) is converted to one RecordBatch v2 on the way in; v2
 * batches (Produce v3+) are stored as they came, stamped with the leader epoch. v5 answers carry
 * the partition's log start offset.
 * The answer follows durability:
 *   acks=0   no response at all;
 *   acks=1   once the batch is flushed on the leader (and so exposed);
 *   acks=-1  once every ISR member has it flushed (the high watermark passed it). With fewer
 *            ISR members than min.insync.replicas the write is refused before the append
 *            (NotEnoughReplicas, 19) or, if the ISR shrank meanwhile, reported after it
 *            (NotEnoughReplicasAfterAppend, 20).
 * A failed write to the log (a full disk...) is KAFKA_STORAGE_ERROR (NOT_LEADER_FOR_PARTITION
 * before v4), retriable: the log is left as it was, so appends resume once the cause is gone.
 * The broker says so once per partition and kind of error every REFUSED_LOG_INTERVAL_MS, with
 * what to do, however many requests are refused meanwhile.
 * handleProduce settles only after every partition's append has settled (none throws: each
 * answers its error), and nothing keeps a view of a record set after its append: the socket
 * server reuses the request's buffer then (listener-servers.ts). Keep it so.
 */
import type { ProducePartitionResponse, ProduceRequest, ProduceResponse } from '../../protocol/apis/produce.js';
import { messageSetToRecordBatch } from '../../protocol/records/message-set.js';
import { ErrorCode, KafkaError } from '../../common/errors.js';
import { storageErrorHint } from '../../common/open-files.js';
import { partitionErrorCodeOf, type BrokerContext } from './context.js';

const MAGIC_AT = 16; // both MessageSet and RecordBatch keep magic at byte 16

/** How often the same refusal (partition, kind of error) is logged again while it goes on. */
export const REFUSED_LOG_INTERVAL_MS = 10_000;
/** When each refusal was last logged, and how many were refused since. */
const refusals = new Map<string, { loggedAt: number; since: number }>();

function logRefusal(ctx: BrokerContext, topic: string, partition: number, err: unknown): void {
  const e = err as NodeJS.ErrnoException;
  const k = `${topic}\u0000${partition}\u0000${typeof e?.code === 'string' ? e.code : String(e?.message ?? e)}`;
  const now = Date.now();
  const seen = refusals.get(k);
  if (seen && now - seen.loggedAt < REFUSED_LOG_INTERVAL_MS) {
    seen.since++;
    return;
  }
  if (refusals.size > 10_000) refusals.clear();
  refusals.set(k, { loggedAt: now, since: 0 });
  const hint = storageErrorHint(err);
  ctx.logger.warn('produce refused', { topic, partition, error: err, ...(seen ? { refusedSinceLastLine: seen.since } : {}), ...(hint ? { hint } : {}) });
}

/**
 * `timing.waitedMs` gets the request's remote time: from its last append written to its answer
 * (the flush with acks=1, the ISR with acks=all); none when nothing was appended.
 */
export async function handleProduce(ctx: BrokerContext, version: number, req: ProduceRequest, timing?: { waitedMs: number }): Promise<ProduceResponse | undefined> {
  const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
  ctx.metrics.producePartitions(req.topics.reduce((n, t) => n + t.partitions.length, 0));
  const appended = { at: 0 }; // when the request's last append was written
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      topic: t.topic,
      partitions: await Promise.all(
        t.partitions.map((p) =>
          validAcks ? appendPartition(ctx, version, t.topic, p.partition, p.records, req.acks, req.timeoutMs, appended) : failed(p.partition, ErrorCode.INVALID_REQUIRED_ACKS),
        ),
      ),
    })),
  );
  if (timing && appended.at > 0) timing.waitedMs += performance.now() - appended.at;
  if (req.acks === 0) return undefined;
  return { topics, throttleTimeMs: 0 };
}

function failed(partition: number, errorCode: number): ProducePartitionResponse {
  return { partition, errorCode, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 };
}

async function appendPartition(
  ctx: BrokerContext,
  version: number,
  topic: string,
  partition: number,
  records: Buffer | null,
  acks: number,
  timeoutMs: number,
  appended: { at: number },
): Promise<ProducePartitionResponse> {
  try {
    const p = ctx.replicas.leaderPartition(topic, partition);
    if (!records || records.length === 0) return { partition, errorCode: ErrorCode.NONE, baseOffset: p.log.logEndOffset, logAppendTime: -1, logStartOffset: p.log.logStartOffset };
    const maxBytes = p.log.config.maxMessageBytes; // max.message.bytes of the topic, else message.max.bytes
    if (records.length > maxBytes + 61) {
      throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `record set of ${records.length} bytes exceeds max.message.bytes (${maxBytes}) of ${topic}`);
    }
    if (records.length <= MAGIC_AT) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'record set too short');
    const minIsr = p.log.config.minInsyncReplicas;
    if (acks === -1 && p.isr.length < minIsr) {
      throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, `${topic}-${partition}: ISR ${p.isr.join(',')} is smaller than min.insync.replicas ${minIsr}`);
    }
    const magic = records[MAGIC_AT]!;
    const batches = magic >= 2 ? records : messageSetToRecordBatch(records);
    const info = await p.appendAsLeader(batches);
    appended.at = performance.now(); // the last partition's append to settle sets it last
    ctx.metrics.messagesIn(topic, info.recordCount, batches.length);
    const ms = timeoutMs > 0 ? timeoutMs : 30_000;
    if (acks === 1) await withTimeout(p.log.waitForFlush(info.lastOffset), ms, topic, partition);
    if (acks === -1) {
      await p.waitForHighWatermark(info.lastOffset, ms);
      if (p.isr.length < minIsr) {
        throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `${topic}-${partition}: ISR shrank to ${p.isr.join(',')} below min.insync.replicas ${minIsr}`);
      }
    }
    return { partition, errorCode: ErrorCode.NONE, baseOffset: info.firstOffset, logAppendTime: info.logAppendTime, logStartOffset: p.log.logStartOffset };
  } catch (err) {
    const code = partitionErrorCodeOf(err, true);
    // a replica taken offline (by this very failure, or before) was said so when it was (replica-manager.ts)
    if (!ctx.replicas.isOffline(topic, partition) && (code === ErrorCode.UNKNOWN || code === ErrorCode.CORRUPT_MESSAGE || code === ErrorCode.KAFKA_STORAGE_ERROR)) logRefusal(ctx, topic, partition, err);
    return failed(partition, version >= 4 ? code : partitionErrorCodeOf(err, false));
  }
}

async function withTimeout(p: Promise<void>, ms: number, topic: string, partition: number): Promise<void> {
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
