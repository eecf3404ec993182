/**
 * Kafka's per-API ACL checks (KafkaApis 1.x-2.x), run around the handlers when an authorizer
 * is configured. Unauthorised parts of a request are taken out before the handler runs (it
 * never touches them) and answered with the error Kafka gives. The host an ACL names is compared
 * with the client's IP (aclHost):
 *
 *   Produce        Write on Topic -> 29 per partition; a batch with a producer id (any batch:
 *                  CVE-2018-17196) needs IdempotentWrite on Cluster -> 31 on every partition
 *   Fetch          follower (replica_id >= 0): ClusterAction on Cluster -> 29 on every partition
 *                  (CVE-2018-1288); consumer: Read on Topic -> 29 per partition
 *   ListOffsets    Describe on Topic -> 29;   Metadata: Describe on Topic (named: 29, all: left
 *                  out); a topic that would be auto-created (auto.create.topics.enable and the
 *                  request allowing it) needs Create on Cluster or Topic -> 29
 *   OffsetCommit   Read on Group -> 30 everywhere, then Read on Topic -> 29 per partition
 *   OffsetFetch    Describe on Group -> 30;  FindCoordinator: Describe on Group -> 30
 *   Join/Sync/Heartbeat/LeaveGroup  Read on Group -> 30;  DescribeGroups: Describe on Group -> 30;
 *   DeleteGroups   Delete on Group -> 30;    ListGroups: groups without Describe are left out
 *   CreateTopics   Create on Cluster or Topic -> 29;  DeleteTopics: Delete on Topic -> 29
 *   InitProducerId IdempotentWrite on Cluster -> 31
 *   LeaderAndIsr, StopReplica, UpdateMetadata, ControlledShutdown, OffsetsForLeaderEpoch: ClusterAction -> 31
 */
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../common/errors.js';
import { CLUSTER_RESOURCE, type Operation, type ResourceType } from '../admin/acls.js';
import type { AclAuthorizer } from './authorizer.js';
import type { RequestMeta } from './handlers/context.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/apis/produce.js';
import type { FetchRequest, FetchResponse } from '../protocol/apis/fetch.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/apis/list-offsets.js';
import type { MetadataRequest, MetadataResponse } from '../protocol/apis/metadata.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/apis/offset-commit.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/apis/offset-fetch.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/apis/create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/apis/delete-topics.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/apis/describe-groups.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/apis/delete-groups.js';
import type { ListGroupsResponse } from '../protocol/apis/list-groups.js';

type Run = (req: unknown) => Promise<unknown>;

const T = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const G = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const C = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;

const CLUSTER_ACTION_APIS = new Set<number>([ApiKey.LeaderAndIsr, ApiKey.StopReplica, ApiKey.UpdateMetadata, ApiKey.ControlledShutdown, ApiKey.OffsetsForLeaderEpoch]);

/** Runs `run` with the authorised part of `req` and adds the refusals to its answer. */
export async function authorized(
  auth: AclAuthorizer,
  apiKey: number,
  req: unknown,
  meta: RequestMeta,
  run: Run,
  topicExists: (t: string) => boolean,
  autoCreateTopicsEnable = true,
): Promise<unknown> {
  const host = aclHost(meta.clientHost);
  const can = (op: Operation, type: ResourceType, name: string): boolean => auth.authorize(meta.principal, host, op, type, name);
  const cluster = (op: Operation): boolean => can(op, 'Cluster', CLUSTER_RESOURCE);

  if (CLUSTER_ACTION_APIS.has(apiKey)) {
    if (cluster('ClusterAction')) return run(req);
    if (apiKey === ApiKey.OffsetsForLeaderEpoch) {
      const r = req as { topics: { topic: string; partitions: { partition: number }[] }[] };
      return { topics: r.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ errorCode: C, partition: p.partition, leaderEpoch: -1, endOffset: -1 })) })) };
    }
    return apiKey === ApiKey.UpdateMetadata ? { errorCode: C } : { errorCode: C, partitions: [], partitionsRemaining: [] };
  }

  switch (apiKey) {
    case ApiKey.Produce: {
      const r = req as ProduceRequest;
      const idempotent = r.topics.some((t) => t.partitions.some((p) => p.records !== null && hasProducerId(p.records)));
      const clusterDenied = (idempotent && !cluster('IdempotentWrite')) || (r.transactionalId !== null && !can('Write', 'TransactionalId', r.transactionalId));
      const denied = r.topics.filter((t) => clusterDenied || !can('Write', 'Topic', t.topic));
      const allowed = r.topics.filter((t) => !denied.includes(t));
      const code = clusterDenied ? (idempotent ? C : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) : T;
      const refused = denied.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: code, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 })) }));
      if (allowed.length === 0) return r.acks === 0 ? undefined : { topics: refused, throttleTimeMs: 0 };
      const res = (await run({ ...r, topics: allowed })) as ProduceResponse | undefined;
      return res && { ...res, topics: [...res.topics, ...refused] };
    }
    case ApiKey.Fetch: {
      const r = req as FetchRequest;
      const follower = r.replicaId >= 0;
      const denied = r.topics.filter((t) => (follower ? !cluster('ClusterAction') : !can('Read', 'Topic', t.topic)));
      const allowed = r.topics.filter((t) => !denied.includes(t));
      const refused = denied.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: T, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: Buffer.alloc(0) })),
      }));
      if (allowed.length === 0) return { throttleTimeMs: 0, topics: refused };
      const res = (await run({ ...r, topics: allowed })) as FetchResponse;
      return { ...res, topics: [...res.topics, ...refused] };
    }
    case ApiKey.ListOffsets: {
      const r = req as ListOffsetsRequest;
      const denied = r.topics.filter((t) => !can('Describe', 'Topic', t.topic));
      const allowed = r.topics.filter((t) => !denied.includes(t));
      const refused = denied.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: T, offsets: [], timestamp: -1, offset: -1 })) }));
      const res = (await run({ ...r, topics: allowed })) as ListOffsetsResponse;
      return { ...res, topics: [...res.topics, ...refused] };
    }
    case ApiKey.Metadata: {
      const r = req as MetadataRequest;
      if (r.topics === null || r.topics.length === 0) {
        // every topic: those without Describe are left out
        const res = (await run(r)) as MetadataResponse;
        return { ...res, topics: res.topics.filter((t) => can('Describe', 'Topic', t.topic)) };
      }
      // Create is asked for only where the request would create the topic (as Kafka: with
      // auto-creation off, a missing topic is UNKNOWN_TOPIC_OR_PARTITION, not 29)
      const mayCreate = autoCreateTopicsEnable && r.allowAutoTopicCreation !== false;
      const denied = r.topics.filter((t) => !can('Describe', 'Topic', t) || (mayCreate && !topicExists(t) && !cluster('Create') && !can('Create', 'Topic', t)));
      const allowed = r.topics.filter((t) => !denied.includes(t));
      const res = (await run({ ...r, topics: allowed.length > 0 ? allowed : [] })) as MetadataResponse;
      const kept = allowed.length > 0 ? res.topics : res.topics.filter((t) => allowed.includes(t.topic));
      return { ...res, topics: [...kept, ...denied.map((t) => ({ errorCode: T, topic: t, isInternal: false, partitions: [] }))] };
    }
    case ApiKey.OffsetCommit: {
      const r = req as OffsetCommitRequest;
      if (!can('Read', 'Group', r.groupId)) return { throttleTimeMs: 0, topics: r.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: G })) })) };
      const denied = r.topics.filter((t) => !can('Read', 'Topic', t.topic));
      const allowed = r.topics.filter((t) => !denied.includes(t));
      const refused = denied.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: T })) }));
      if (allowed.length === 0) return { throttleTimeMs: 0, topics: refused };
      const res = (await run({ ...r, topics: allowed })) as OffsetCommitResponse;
      return { ...res, topics: [...res.topics, ...refused] };
    }
    case ApiKey.OffsetFetch: {
      const r = req as OffsetFetchRequest;
      if (!can('Describe', 'Group', r.groupId)) return { throttleTimeMs: 0, errorCode: G, topics: (r.topics ?? []).map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p, offset: -1, metadata: null, errorCode: G })) })) };
      const res = (await run(r)) as OffsetFetchResponse;
      return {
        ...res,
        topics: res.topics.flatMap((t) =>
          can('Describe', 'Topic', t.topic) ? [t] : r.topics && r.topics.length > 0 ? [{ topic: t.topic, partitions: t.partitions.map((p) => ({ ...p, offset: -1, metadata: null, errorCode: T })) }] : [],
        ),
      };
    }
    case ApiKey.FindCoordinator: {
      const r = req as { groupId: string; keyType?: number };
      if ((r.keyType ?? 0) === 0 && !can('Describe', 'Group', r.groupId)) return { throttleTimeMs: 0, errorCode: G, errorMessage: null, nodeId: -1, host: '', port: -1 };
      return run(req);
    }
    case ApiKey.JoinGroup:
    case ApiKey.SyncGroup:
    case ApiKey.Heartbeat:
    case ApiKey.LeaveGroup: {
      const r = req as { groupId: string; memberId?: string };
      if (can('Read', 'Group', r.groupId)) return run(req);
      if (apiKey === ApiKey.JoinGroup) return { throttleTimeMs: 0, errorCode: G, generationId: -1, protocolName: '', leader: '', memberId: r.memberId ?? '', members: [] };
      if (apiKey === ApiKey.SyncGroup) return { throttleTimeMs: 0, errorCode: G, assignment: Buffer.alloc(0) };
      return { throttleTimeMs: 0, errorCode: G };
    }
    case ApiKey.DescribeGroups: {
      const r = req as DescribeGroupsRequest;
      const allowed = r.groups.filter((g) => can('Describe', 'Group', g));
      const res = (await run({ ...r, groups: allowed })) as DescribeGroupsResponse;
      const refused = r.groups.filter((g) => !allowed.includes(g)).map((g) => ({ errorCode: G, groupId: g, groupState: '', protocolType: '', protocolData: '', members: [] }));
      return { ...res, groups: [...res.groups, ...refused] };
    }
    case ApiKey.DeleteGroups: {
      const r = req as DeleteGroupsRequest;
      const allowed = r.groups.filter((g) => can('Delete', 'Group', g));
      const res = (await run({ ...r, groups: allowed })) as DeleteGroupsResponse;
      return { ...res, results: [...res.results, ...r.groups.filter((g) => !allowed.includes(g)).map((g) => ({ groupId: g, errorCode: G }))] };
    }
    case ApiKey.ListGroups: {
      const res = (await run(req)) as ListGroupsResponse;
      return cluster('Describe') ? res : { ...res, groups: res.groups.filter((g) => can('Describe', 'Group', g.groupId)) };
    }
    case ApiKey.CreateTopics: {
      const r = req as CreateTopicsRequest;
      const allowed = r.topics.filter((t) => cluster('Create') || can('Create', 'Topic', t.topic));
      const res = (await run({ ...r, topics: allowed })) as CreateTopicsResponse;
      return { ...res, topics: [...res.topics, ...r.topics.filter((t) => !allowed.includes(t)).map((t) => ({ topic: t.topic, errorCode: T }))] };
    }
    case ApiKey.DeleteTopics: {
      const r = req as DeleteTopicsRequest;
      const allowed = r.topics.filter((t) => can('Delete', 'Topic', t));
      const res = (await run({ ...r, topics: allowed })) as DeleteTopicsResponse;
      return { ...res, topics: [...res.topics, ...r.topics.filter((t) => !allowed.includes(t)).map((t) => ({ topic: t, errorCode: T }))] };
    }
    case ApiKey.InitProducerId: {
      const r = req as { transactionalId: string | null };
      if (r.transactionalId !== null) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
      if (!cluster('IdempotentWrite')) return { throttleTimeMs: 0, errorCode: C, producerId: -1, producerEpoch: -1 };
      return run(req);
    }
    default:
      return run(req);
  }
}

/**
 * The client address an ACL's host is compared with: without the leading '/', and an IPv4
 * client reaching an IPv6 wildcard listener (`::ffff:10.0.0.5`) as its IPv4 address, as Java
 * reports it to Kafka's authorizer (else an ACL naming 10.0.0.5, a Deny too, would not apply).
 */
export function aclHost(clientHost: string): string {
  const h = clientHost.replace(/^\//, '');
  const m = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(h);
  return m ? m[1]! : h;
}

/** True when any v2 record batch in `records` carries a producer id (idempotent or transactional). */
function hasProducerId(records: Buffer): boolean {
  let at = 0;
  while (at + 61 <= records.length) {
    const length = records.readInt32BE(at + 8);
    if (records[at + 16] === 2 && records.readBigInt64BE(at + 43) >= 0n) return true;
    if (length <= 0) break;
    at += 12 + length;
  }
  return false;
}
