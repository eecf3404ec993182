/**
 * OffsetCommit and OffsetFetch (v0 and v1) kept where Kafka 0.8 kept them: the persistent
 * znode /consumers/<G>/offsets/<T>/<P>, holding the next offset to consume as decimal text.
 * A missing node reads as offset -1 with no error (what later brokers answer and what
 * librdkafka and kafka-node handle); v0 of 0.8.1 answered error 3 instead.
 */
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/apis/offset-commit.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/apis/offset-fetch.js';
import { offsetPath } from '../../zk/paths.js';
import { NoNodeError } from '../../zk/errors.js';
import { ErrorCode } from '../../common/errors.js';
import type { BrokerContext } from './context.js';

export async function handleOffsetCommit(ctx: BrokerContext, req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      topic: t.topic,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          try {
            await writeOffset(ctx, offsetPath(req.groupId, t.topic, p.partition), p.offset);
            return { partition: p.partition, errorCode: ErrorCode.NONE };
          } catch (err) {
            ctx.logger.warn('offset commit failed', { group: req.groupId, topic: t.topic, partition: p.partition, error: err });
            return { partition: p.partition, errorCode: ErrorCode.UNKNOWN };
          }
        }),
      ),
    })),
  );
  return { topics };
}

async function writeOffset(ctx: BrokerContext, path: string, offset: number): Promise<void> {
  const data = Buffer.from(String(offset));
  try {
    await ctx.zk.set(path, data);
  } catch (err) {
    if (!(err instanceof NoNodeError)) throw err;
    await ctx.zk.create(path, data, { parents: true }).catch(async () => ctx.zk.set(path, data));
  }
}

export async function handleOffsetFetch(ctx: BrokerContext, req: OffsetFetchRequest): Promise<OffsetFetchResponse> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      topic: t.topic,
      partitions: await Promise.all(
        t.partitions.map(async (partition) => {
          try {
            const node = await ctx.zk.get(offsetPath(req.groupId, t.topic, partition));
            const text = node?.data.toString('utf8').trim() ?? '';
            const offset = /^-?\d+$/.test(text) ? Number(text) : -1;
            return { partition, offset, metadata: '', errorCode: ErrorCode.NONE };
          } catch (err) {
            ctx.logger.warn('offset fetch failed', { group: req.groupId, topic: t.topic, partition, error: err });
            return { partition, offset: -1, metadata: '', errorCode: ErrorCode.UNKNOWN };
          }
        }),
      ),
    })),
  );
  return { topics };
}
