/**
 * OffsetCommit and OffsetFetch, split by version as Kafka 0.8.2 split them:
 * - v0 is kept where Kafka 0.8 kept offsets: the persistent znode
 *   /consumers/<G>/offsets/<T>/<P>, holding the next offset to consume as decimal text, written
 *   by whichever broker is asked. A missing node reads as offset -1 with no error (what later
 *   brokers answer and what librdkafka and kafka-node handle); v0 of 0.8.1 answered error 3.
 * - v1+ go to the group's coordinator, which keeps them in __consumer_offsets (see
 *   src/coordinator/): a commit is answered once the offsets topic's ISR has it.
 */
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/apis/offset-commit.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/apis/offset-fetch.js';
import { offsetPath } from '../../zk/paths.js';
import { NoNodeError } from '../../zk/errors.js';
import { ErrorCode } from '../../common/errors.js';
import { offsetKey } from '../../coordinator/group.js';
import type { BrokerContext } from './context.js';

export async function handleOffsetCommit(ctx: BrokerContext, version: number, req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
  if (version > 0) return commitToCoordinator(ctx, version, req);
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

export async function handleOffsetFetch(ctx: BrokerContext, version: number, req: OffsetFetchRequest): Promise<OffsetFetchResponse> {
  if (version > 0) return fetchFromCoordinator(ctx, version, req);
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

async function commitToCoordinator(ctx: BrokerContext, version: number, req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
  const known = (topic: string, partition: number) => (ctx.metadata.partitions(topic) ?? []).some((p) => p.partition === partition);
  const offsets = req.topics.flatMap((t) =>
    t.partitions.filter((p) => known(t.topic, p.partition)).map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset, leaderEpoch: -1, metadata: p.metadata })),
  );
  // nothing valid to commit: the coordinator is not asked, so no empty group is created for it
  // (Kafka's KafkaApis answers such a request itself)
  const codes = offsets.length === 0 ? new Map<string, number>() : await ctx.groups.coordinator.commitOffsets({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    // v1 has a per-partition timestamp and no retention; v2+ carry the retention (-1: the broker's)
    retentionMs: version >= 2 ? (req.retentionTimeMs ?? -1) : -1,
    offsets,
  });
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        errorCode: codes.get(offsetKey(t.topic, p.partition)) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      })),
    })),
  };
}

function fetchFromCoordinator(ctx: BrokerContext, version: number, req: OffsetFetchRequest): OffsetFetchResponse {
  const wanted = req.allTopics ? null : req.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  const r = ctx.groups.coordinator.fetchOffsets(req.groupId, wanted);
  const byTopic = new Map<string, OffsetFetchResponse['topics'][number]>();
  for (const o of r.offsets) {
    let t = byTopic.get(o.topic);
    if (!t) byTopic.set(o.topic, (t = { topic: o.topic, partitions: [] }));
    // v0-v1 have no group-level error: each partition carries it
    t.partitions.push({ partition: o.partition, offset: o.offset, metadata: o.metadata, errorCode: version >= 2 ? ErrorCode.NONE : o.errorCode });
  }
  return { throttleTimeMs: 0, topics: [...byTopic.values()], errorCode: version >= 2 ? r.errorCode : ErrorCode.NONE };
}
