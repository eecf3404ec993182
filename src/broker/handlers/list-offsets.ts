/**
 * ListOffsets: -1 is the latest exposed offset (the high watermark; for replicas, the flushed end), -2 the earliest; any other
 * timestamp finds the first offset whose record timestamp is at or after it, answered (v1+) with that record's timestamp, as
 * Kafka does. v2's isolation_level changes nothing: there are no transactions, so the last stable offset is the high
 * watermark.
 */
import type { ListOffsetsRequest, ListOffsetsResponse, ListOffsetsPartitionResponse } from '../../protocol/apis/list-offsets.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../protocol/apis/list-offsets.js';
import { ErrorCode } from '../../common/errors.js';
import { errorCodeOf, type BrokerContext } from './context.js';

export async function handleListOffsets(ctx: BrokerContext, version: number, req: ListOffsetsRequest): Promise<ListOffsetsResponse> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      topic: t.topic,
      partitions: await Promise.all(
        t.partitions.map(async (p): Promise<ListOffsetsPartitionResponse> => {
          try {
            const part = ctx.replicas.leaderPartition(t.topic, p.partition);
            const log = part.log;
            const end = req.replicaId >= 0 ? log.flushedOffset : part.highWatermark;
            let offset: number;
            let timestamp = -1;
            if (p.timestamp === LATEST_TIMESTAMP) offset = end;
            else if (p.timestamp === EARLIEST_TIMESTAMP) offset = log.logStartOffset;
            else {
              const found = await log.recordForTimestamp(p.timestamp);
              offset = found === undefined ? (version === 0 ? end : -1) : Math.min(found.offset, end);
              // (a record past `end` is not exposed yet: the answer is `end`, without a timestamp)
              if (found !== undefined && found.offset < end) timestamp = found.timestamp;
            }
            if (version === 0) {
              // v0 answers up to max_num_offsets offsets, newest first; the latest request also lists the start.
              const offsets = p.maxNumOffsets > 1 && offset !== log.logStartOffset ? [offset, log.logStartOffset] : [offset];
              return { partition: p.partition, errorCode: ErrorCode.NONE, offsets: offsets.slice(0, Math.max(1, p.maxNumOffsets)) };
            }
            return { partition: p.partition, errorCode: ErrorCode.NONE, timestamp, offset };
          } catch (err) {
            return { partition: p.partition, errorCode: errorCodeOf(err), offsets: [-1], timestamp: -1, offset: -1 };
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}
