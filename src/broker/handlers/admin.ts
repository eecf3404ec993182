/**
 * CreateTopics and DeleteTopics do what `kafka-topics.sh` does (src/admin/topic-admin.ts),
 * then wait, up to the request's timeout, until this broker's metadata shows the change.
 */
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/apis/create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/apis/delete-topics.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/apis/init-producer-id.js';
import { createTopic, deleteTopic } from '../../admin/topic-admin.js';
import { ErrorCode } from '../../common/errors.js';
import { errorCodeOf, type BrokerContext } from './context.js';

export async function handleCreateTopics(ctx: BrokerContext, req: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const topics = await Promise.all(
    req.topics.map(async (t) => {
      try {
        const config: Record<string, string> = {};
        for (const c of t.configs) if (c.value !== null) config[c.name] = c.value;
        const assignment = t.replicaAssignment.length > 0 ? new Map(t.replicaAssignment.map((a) => [a.partition, a.replicas])) : undefined;
        await createTopic(ctx.zk, t.topic, {
          partitions: t.numPartitions > 0 ? t.numPartitions : ctx.config.numPartitions,
          replicationFactor: t.replicationFactor > 0 ? t.replicationFactor : ctx.config.defaultReplicationFactor,
          config,
          assignment,
        });
        await waitUntil(() => ctx.metadata.hasTopic(t.topic) && (ctx.metadata.partitions(t.topic) ?? []).every((p) => p.leader >= 0), req.timeoutMs);
        return { topic: t.topic, errorCode: ErrorCode.NONE };
      } catch (err) {
        return { topic: t.topic, errorCode: errorCodeOf(err) };
      }
    }),
  );
  return { topics };
}

export async function handleDeleteTopics(ctx: BrokerContext, req: DeleteTopicsRequest): Promise<DeleteTopicsResponse> {
  const topics = await Promise.all(
    req.topics.map(async (topic) => {
      try {
        await deleteTopic(ctx.zk, topic);
        const gone = await waitUntil(() => !ctx.metadata.hasTopic(topic), req.timeoutMs);
        return { topic, errorCode: gone ? ErrorCode.NONE : ErrorCode.REQUEST_TIMED_OUT };
      } catch (err) {
        return { topic, errorCode: errorCodeOf(err) };
      }
    }),
  );
  return { topics };
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + Math.max(0, timeoutMs);
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * InitProducerId: a new producer id (epoch 0) for an idempotent producer. Transactions are not
 * supported: a transactional id is refused.
 */
export async function handleInitProducerId(ctx: BrokerContext, req: InitProducerIdRequest): Promise<InitProducerIdResponse> {
  if (req.transactionalId !== null) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
  }
  try {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await ctx.producerIds.nextProducerId(), producerEpoch: 0 };
  } catch (err) {
    ctx.logger.warn('cannot hand out a producer id', { error: err });
    return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 };
  }
}
