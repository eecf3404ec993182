/**
 * Fetch. Consumers read whole batches up to the high watermark, which never passes what every
 * ISR member has flushed (the paper's rule: only flushed messages are exposed). Followers
 * (replica_id >= 0) read up to the leader's log end, flushed or not, so the leader's fsync and
 * the followers' copy and fsync overlap; the fetch offset (sent only once the follower flushed
 * everything before it) is recorded as that follower's log end, which moves the high watermark
 * (never past the leader's own flushed offset) and the ISR. A replica id that is not a
 * live replica of the partition is refused (REPLICA_NOT_AVAILABLE). Long poll: with fewer than
 * `min_bytes` ready, the request waits for new data on any of its partitions, up to
 * `max_wait_time`. Fetch v0-v3 get MessageSet v0/v1, converted from the stored batches; batches
 * with nothing left to convert (compacted) are read past, so an old client always moves on.
 * v5+ answers carry the leader's log start offset; the log start offset a v5+ follower sends is
 * not used (it only matters to DeleteRecords, which we do not have).
 */
import type { FetchPartitionResponse, FetchRequest, FetchResponse } from '../../protocol/apis/fetch.js';
import { fetchRecordMagic } from '../../protocol/apis/fetch.js';
import { recordBatchesToMessageSet } from '../../protocol/records/message-set.js';
import type { Partition } from '../replica/partition.js';
import { ErrorCode, KafkaError } from '../../common/errors.js';
import { partitionErrorCodeOf, type BrokerContext, type RequestMeta } from './context.js';
import { FramePool } from '../../network/frame-pool.js';

/**
 * Buffers for followers' log reads, used again once their response has been sent: each follower
 * reads up to a megabyte per fetch, and a fresh megabyte costs its page faults (here ~1.1 ms to
 * allocate and fill against ~0.3 ms into a buffer already touched). RF=3 acks=all, medians of
 * three runs taking turns (scripts/bench-ab.sh), two sets: 1.31 and 1.57 M records/s without,
 * 1.61 and 1.66 with.
 */
const replicaReads = new WeakMap<BrokerContext, FramePool>();
const REPLICA_READ_BUFFERS_KEPT = 8;

/**
 * `meta.timing.waitedMs` gets the request's remote time: its long poll's waits for data. A
 * follower's reads go into reused buffers: `meta.afterSend` is set to give them back.
 */
export async function handleFetch(ctx: BrokerContext, version: number, req: FetchRequest, meta?: Pick<RequestMeta, 'timing' | 'afterSend'>): Promise<FetchResponse> {
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  const timing = meta?.timing;
  let alloc: ((n: number) => Buffer) | undefined;
  if (meta && req.replicaId >= 0) {
    let pool = replicaReads.get(ctx);
    if (!pool) replicaReads.set(ctx, (pool = new FramePool(64 * 1024, REPLICA_READ_BUFFERS_KEPT)));
    const lent: Buffer[] = [];
    alloc = (n) => {
      const b = pool.allocate(n);
      lent.push(b);
      return b;
    };
    meta.afterSend = () => {
      for (const b of lent) pool.release(b);
    };
  }
  for (;;) {
    const res = await readAll(ctx, version, req, alloc);
    const remaining = deadline - Date.now();
    if (res.bytes >= Math.max(1, req.minBytes) || remaining <= 0 || res.errors) {
      for (const o of res.out) ctx.metrics.messagesOut(o.topic, o.records, o.bytes);
      return res.response;
    }
    const waitFrom = performance.now();
    await waitForData(res.partitions, req.replicaId >= 0, remaining);
    if (timing) timing.waitedMs += performance.now() - waitFrom;
  }
}

interface ReadResult {
  response: FetchResponse;
  bytes: number;
  errors: boolean;
  partitions: Partition[];
  /** What a consumer (not a follower) gets, per partition: for the bytes and messages out metrics. */
  out: { topic: string; records: number; bytes: number }[];
}

/** Records in stored batches (RecordBatch v2: batchLength at 8, magic at 16, recordCount at 57). */
function countRecords(buf: Buffer): number {
  let n = 0;
  for (let at = 0; at + 61 <= buf.length; ) {
    const size = 12 + buf.readInt32BE(at + 8);
    if (size < 61 || at + size > buf.length) break;
    if (buf[at + 16] === 2) n += buf.readInt32BE(at + 57);
    at += size;
  }
  return n;
}

async function readAll(ctx: BrokerContext, version: number, req: FetchRequest, alloc: ((n: number) => Buffer) | undefined): Promise<ReadResult> {
  const magic = fetchRecordMagic(version);
  const isReplica = req.replicaId >= 0;
  let budget = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  let bytes = 0;
  let errors = false;
  const parts: Partition[] = [];
  const out: ReadResult['out'] = [];
  const topics = [];
  const now = Date.now();
  for (const t of req.topics) {
    const partitions: FetchPartitionResponse[] = [];
    for (const fp of t.partitions) {
      let p: Partition | undefined;
      try {
        // Kafka's debugging consumer (replica id -2, ReplicaVerificationTool) may read any local replica up to its high watermark
        p = (req.replicaId === -2 ? ctx.replicas.partition(t.topic, fp.partition) : undefined) ?? ctx.replicas.leaderPartition(t.topic, fp.partition);
        if (isReplica) {
          const replicas = p.state?.replicas ?? [];
          if (!replicas.includes(req.replicaId) || req.replicaId === ctx.config.brokerId || !ctx.metadata.isAlive(req.replicaId)) {
            throw new KafkaError(ErrorCode.REPLICA_NOT_AVAILABLE, `broker ${req.replicaId} is not a live replica of ${t.topic}-${fp.partition}`);
          }
          p.recordFollowerFetch(req.replicaId, fp.fetchOffset, now);
        }
        parts.push(p);
        // followers read up to the log end: they copy and flush while the leader flushes
        const upTo = isReplica ? p.log.logEndOffset : p.highWatermark;
        const limit = Math.min(fp.maxBytes, budget);
        let records: Buffer = Buffer.alloc(0);
        let stored: Buffer = records;
        let from = fp.fetchOffset;
        while (from < upTo && (limit > 0 || bytes === 0)) {
          const read = await p.log.read(from, Math.max(limit, 1), upTo, alloc);
          records = stored = read.records;
          // a response that already carries data stays within max_bytes; the first partition
          // always gets at least one whole batch, so a consumer never gets stuck
          if (bytes > 0 && records.length > limit) records = Buffer.alloc(0);
          if (magic === 2 || records.length === 0) break;
          records = recordBatchesToMessageSet(records, magic, { fromOffset: fp.fetchOffset });
          // Compacted: the batches read can hold no record at or after the fetch offset (a batch
          // keeps its last offset when its last records are gone, and a read ends with its
          // segment). An empty message set would make an old client fetch this offset forever,
          // as it can only move on after a message: read on from after those batches.
          if (records.length > 0) break;
          from = read.nextOffset;
        }
        if (fp.fetchOffset >= upTo && (fp.fetchOffset > p.log.logEndOffset || fp.fetchOffset < p.log.logStartOffset)) {
          throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${fp.fetchOffset} is outside [${p.log.logStartOffset}, ${p.log.logEndOffset}] of ${t.topic}-${fp.partition}`);
        }
        bytes += records.length;
        budget -= records.length;
        if (!isReplica && records.length > 0) out.push({ topic: t.topic, records: countRecords(stored), bytes: records.length });
        partitions.push({
          partition: fp.partition,
          errorCode: ErrorCode.NONE,
          highWatermark: p.highWatermark,
          lastStableOffset: p.highWatermark,
          logStartOffset: p.log.logStartOffset,
          abortedTransactions: null,
          records,
        });
      } catch (err) {
        errors = true;
        partitions.push({
          partition: fp.partition,
          errorCode: partitionErrorCodeOf(err, version >= 6),
          highWatermark: p ? p.highWatermark : -1,
          lastStableOffset: -1,
          logStartOffset: -1,
          abortedTransactions: null,
          records: Buffer.alloc(0),
        });
      }
    }
    topics.push({ topic: t.topic, partitions });
  }
  return { response: { throttleTimeMs: 0, topics }, bytes, errors, partitions: parts, out };
}

/** Waits for new readable data: an append (followers) or a high watermark move (consumers). */
function waitForData(parts: Partition[], replica: boolean, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const unsubs: (() => void)[] = [];
    const done = (): void => {
      clearTimeout(timer);
      for (const u of unsubs) u();
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const p of parts) unsubs.push(replica ? p.log.onAppend(done) : p.onHighWatermark(done));
  });
}
