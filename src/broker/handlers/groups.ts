/**
 * The broker-coordinated group APIs (0.9+): FindCoordinator answers the leader of the group's
 * __consumer_offsets partition (creating the topic on first use); JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, DescribeGroups, ListGroups, DeleteGroups go to this broker's group
 * coordinator (src/coordinator/), which answers NOT_COORDINATOR for groups it does not own.
 */
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../protocol/apis/find-coordinator.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/apis/join-group.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/apis/sync-group.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/apis/heartbeat.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/apis/leave-group.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../protocol/apis/describe-groups.js';
import type { ListGroupsResponse } from '../../protocol/apis/list-groups.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/apis/delete-groups.js';
import { ErrorCode } from '../../common/errors.js';
import { OFFSETS_TOPIC } from '../../coordinator/config.js';
import { ensureOffsetsTopic } from '../group-coordination.js';
import type { BrokerContext, RequestMeta } from './context.js';

const NO_NODE = { nodeId: -1, host: '', port: -1 };

export async function handleFindCoordinator(ctx: BrokerContext, version: number, req: FindCoordinatorRequest, meta?: RequestMeta): Promise<FindCoordinatorResponse> {
  const fail = (errorCode: number, errorMessage: string | null = null): FindCoordinatorResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, ...NO_NODE });
  if ((req.keyType ?? 0) !== 0) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'transactions are not supported');
  if (version > 0 && req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID, 'the group id is empty');
  const parts = ctx.metadata.partitions(OFFSETS_TOPIC);
  if (!parts) {
    try {
      await ensureOffsetsTopic(ctx.zk, ctx.groups.config, ctx.logger);
    } catch (err) {
      ctx.logger.warn('cannot create the offsets topic', { error: err });
    }
    return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the offsets topic is being created');
  }
  const partition = ctx.groups.coordinator.manager.partitionFor(req.groupId);
  const leader = parts.find((p) => p.partition === partition)?.leader ?? -1;
  const broker = leader >= 0 ? ctx.metadata.broker(leader) : undefined;
  if (!broker) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `__consumer_offsets-${partition} has no leader`);
  let { host, port } = broker;
  if (meta && ctx.endpointsFor && meta.listener !== ctx.config.listeners.interBroker) {
    const ep = (await ctx.endpointsFor(meta.listener)).get(broker.id);
    if (!ep) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `the coordinator has no ${meta.listener} listener`);
    ({ host, port } = ep);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: broker.id, host, port };
}

export async function handleJoinGroup(ctx: BrokerContext, version: number, req: JoinGroupRequest, meta: RequestMeta): Promise<JoinGroupResponse> {
  const r = await ctx.groups.coordinator.joinGroup({
    groupId: req.groupId,
    memberId: req.memberId,
    clientId: meta.clientId,
    clientHost: meta.clientHost,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
  });
  return { throttleTimeMs: 0, errorCode: r.errorCode, generationId: r.generationId, protocolName: r.protocolName, leader: r.leaderId, memberId: r.memberId, members: r.members };
}

export async function handleSyncGroup(ctx: BrokerContext, _version: number, req: SyncGroupRequest): Promise<SyncGroupResponse> {
  const assignments = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
  const r = await ctx.groups.coordinator.syncGroup(req.groupId, req.generationId, req.memberId, assignments);
  return { throttleTimeMs: 0, errorCode: r.errorCode, assignment: r.assignment };
}

export function handleHeartbeat(ctx: BrokerContext, _version: number, req: HeartbeatRequest): HeartbeatResponse {
  return { throttleTimeMs: 0, errorCode: ctx.groups.coordinator.heartbeat(req.groupId, req.memberId, req.generationId) };
}

export function handleLeaveGroup(ctx: BrokerContext, _version: number, req: LeaveGroupRequest): LeaveGroupResponse {
  return { throttleTimeMs: 0, errorCode: ctx.groups.coordinator.leaveGroup(req.groupId, req.memberId) };
}

export function handleDescribeGroups(ctx: BrokerContext, _version: number, req: DescribeGroupsRequest): DescribeGroupsResponse {
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((id) => {
      const g = ctx.groups.coordinator.describeGroup(id);
      return {
        errorCode: g.errorCode,
        groupId: g.groupId,
        groupState: g.state,
        protocolType: g.protocolType,
        protocolData: g.protocol,
        members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment })),
      };
    }),
  };
}

export function handleListGroups(ctx: BrokerContext): ListGroupsResponse {
  const r = ctx.groups.coordinator.listGroups();
  return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })) };
}

/**
 * DeleteGroups: each group (once, however often it is named) goes to this broker's
 * coordinator: NONE when it was deleted with its offsets, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP
 * while it has members, NOT_COORDINATOR for a group another broker coordinates,
 * COORDINATOR_LOAD_IN_PROGRESS while its partition loads, INVALID_GROUP_ID for ''.
 */
export async function handleDeleteGroups(ctx: BrokerContext, _version: number, req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  const groups = [...new Set(req.groups)];
  const codes = await Promise.all(groups.map((g) => ctx.groups.coordinator.deleteGroup(g)));
  return { throttleTimeMs: 0, results: groups.map((groupId, i) => ({ groupId, errorCode: codes[i]! })) };
}
