/**
 * Fetch: reads whole batches from each partition's log, never past what is flushed (the
 * paper's rule: only flushed messages are exposed). Long poll: when fewer than `min_bytes`
 * are ready, the request waits for a flush on any of its partitions, up to `max_wait_time`.
 * Clients that asked for Fetch v0-v3 get MessageSet v0/v1, converted from the stored batches.
 */
import type { FetchPartitionResponse, FetchRequest, FetchResponse } from '../../protocol/apis/fetch.js';
import { fetchRecordMagic } from '../../protocol/apis/fetch.js';
import { recordBatchesToMessageSet } from '../../protocol/records/message-set.js';
import type { PartitionLog } from '../../storage/log.js';
import { ErrorCode } from '../../common/errors.js';
import { errorCodeOf, type BrokerContext } from './context.js';

export async function handleFetch(ctx: BrokerContext, version: number, req: FetchRequest): Promise<FetchResponse> {
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  for (;;) {
    const res = await readAll(ctx, version, req);
    const remaining = deadline - Date.now();
    if (res.bytes >= req.minBytes || res.bytes > 0 && req.minBytes <= 1 || remaining <= 0 || res.errors) return res.response;
    await waitForData(res.logs, remaining);
  }
}

interface ReadResult {
  response: FetchResponse;
  bytes: number;
  errors: boolean;
  logs: PartitionLog[];
}

async function readAll(ctx: BrokerContext, version: number, req: FetchRequest): Promise<ReadResult> {
  const magic = fetchRecordMagic(version);
  let budget = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  let bytes = 0;
  let errors = false;
  const logs: PartitionLog[] = [];
  const topics = [];
  for (const t of req.topics) {
    const partitions: FetchPartitionResponse[] = [];
    for (const p of t.partitions) {
      let log: PartitionLog | undefined;
      try {
        log = ctx.replicas.leaderLog(t.topic, p.partition);
        logs.push(log);
        const hw = log.flushedOffset;
        const limit = Math.min(p.maxBytes, budget);
        let records: Buffer = Buffer.alloc(0);
        if (limit > 0 || bytes === 0) {
          const r = await log.read(p.fetchOffset, Math.max(limit, 1), hw);
          records = r.records;
          // A response that already carries data stays within max_bytes; the first partition
          // always gets at least one whole batch, so a consumer never gets stuck.
          if (bytes > 0 && records.length > limit) records = Buffer.alloc(0);
        }
        if (magic !== 2 && records.length > 0) records = recordBatchesToMessageSet(records, magic);
        bytes += records.length;
        budget -= records.length;
        partitions.push(ok(p.partition, hw, records));
      } catch (err) {
        errors = true;
        partitions.push({
          partition: p.partition,
          errorCode: errorCodeOf(err),
          highWatermark: log ? log.flushedOffset : -1,
          lastStableOffset: -1,
          abortedTransactions: null,
          records: Buffer.alloc(0),
        });
      }
    }
    topics.push({ topic: t.topic, partitions });
  }
  return { response: { throttleTimeMs: 0, topics }, bytes, errors, logs };
}

function ok(partition: number, hw: number, records: Buffer): FetchPartitionResponse {
  return { partition, errorCode: ErrorCode.NONE, highWatermark: hw, lastStableOffset: hw, abortedTransactions: null, records };
}

function waitForData(logs: PartitionLog[], ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const unsubs: (() => void)[] = [];
    const done = (): void => {
      clearTimeout(timer);
      for (const u of unsubs) u();
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const log of logs) unsubs.push(log.onFlush(done));
  });
}
