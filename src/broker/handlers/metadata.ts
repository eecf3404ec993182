/**
 * Metadata: the whole cluster as the registries describe it. A topic that does not exist is
 * created when auto.create.topics.enable is on and the request allows it (v4+ may say
 * allow_auto_topic_creation=false; v0-v3 always allow it), answered LeaderNotAvailable until its
 * partitions have leaders, as Kafka does; otherwise it is answered UnknownTopicOrPartition.
 * v0: an empty topic list means every topic; v1+: null means every topic, empty means none.
 * v2+ carry the cluster id (`/cluster/id`), v5 each partition's offline replicas (replicas
 * that are not live brokers). `__consumer_offsets` is internal.
 */
import type { MetadataRequest, MetadataResponse, MetadataTopic } from '../../protocol/apis/metadata.js';
import { validateTopicName } from '../../admin/topic-admin.js';
import { ErrorCode } from '../../common/errors.js';
import { errorCodeOf, type BrokerContext, type RequestMeta } from './context.js';

/** Kafka's internal topics (Topic.InternalTopics): the group coordinator's offsets topic. */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets']);

export async function handleMetadata(ctx: BrokerContext, version: number, req: MetadataRequest, meta?: RequestMeta): Promise<MetadataResponse> {
  const all = req.topics === null || (version === 0 && req.topics.length === 0);
  const names = all ? ctx.metadata.topics() : req.topics!;
  const mayCreate = !all && (version < 4 || req.allowAutoTopicCreation !== false);
  const topics: MetadataTopic[] = [];
  for (const topic of names) topics.push(await describeTopic(ctx, topic, mayCreate));
  let brokers = ctx.metadata.brokers().map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: null }));
  // each broker's endpoint on the listener the request came in on (Kafka: brokers without it are
  // left out, and a partition whose leader lacks it is LEADER_NOT_AVAILABLE)
  if (meta && ctx.endpointsFor && meta.listener !== ctx.config.listeners.interBroker) {
    const eps = await ctx.endpointsFor(meta.listener);
    brokers = brokers.filter((b) => eps.has(b.nodeId)).map((b) => ({ ...b, ...eps.get(b.nodeId)! }));
    for (const t of topics) {
      for (const p of t.partitions) {
        if (p.leader >= 0 && !eps.has(p.leader)) Object.assign(p, { leader: -1, errorCode: ErrorCode.LEADER_NOT_AVAILABLE });
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers,
    clusterId: ctx.clusterId,
    controllerId: ctx.controllerId(),
    topics,
  };
}

async function describeTopic(ctx: BrokerContext, topic: string, mayCreate: boolean): Promise<MetadataTopic> {
  const isInternal = INTERNAL_TOPICS.has(topic);
  const parts = ctx.metadata.partitions(topic);
  if (!parts) {
    let errorCode: number = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (mayCreate && ctx.config.autoCreateTopicsEnable) {
      try {
        validateTopicName(topic);
        await ctx.autoCreateTopic(topic);
        errorCode = ErrorCode.LEADER_NOT_AVAILABLE;
      } catch (err) {
        errorCode = errorCodeOf(err);
        if (errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) errorCode = ErrorCode.LEADER_NOT_AVAILABLE;
      }
    }
    return { errorCode, topic, isInternal, partitions: [] };
  }
  return {
    errorCode: ErrorCode.NONE,
    topic,
    isInternal,
    partitions: parts.map((p) => ({
      errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      offlineReplicas: p.replicas.filter((id) => !ctx.metadata.isAlive(id)),
    })),
  };
}
