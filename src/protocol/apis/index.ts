/**
 * One table from api key to the codecs of that API, for the broker's request dispatcher and the
 * client's response reader. Every codec takes the version and throws KafkaError
 * (UNSUPPORTED_VERSION) for a version outside its range, CorruptDataError for bytes that do not
 * parse. ApiVersions is the exception: it decodes any version (see api-versions.ts).
 */
import { ApiKey, apiName } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import * as apiVersions from './api-versions.js';
import * as controlledShutdown from './controlled-shutdown.js';
import * as leaderAndIsr from './leader-and-isr.js';
import * as stopReplica from './stop-replica.js';
import * as updateMetadata from './update-metadata.js';
import * as createTopics from './create-topics.js';
import * as deleteTopics from './delete-topics.js';
import * as fetch from './fetch.js';
import * as findCoordinator from './find-coordinator.js';
import * as listOffsets from './list-offsets.js';
import * as metadata from './metadata.js';
import * as offsetCommit from './offset-commit.js';
import * as offsetFetch from './offset-fetch.js';
import * as produce from './produce.js';
import * as offsetsForLeaderEpoch from './offsets-for-leader-epoch.js';
import * as initProducerId from './init-producer-id.js';
import * as joinGroup from './join-group.js';
import * as heartbeat from './heartbeat.js';
import * as leaveGroup from './leave-group.js';
import * as syncGroup from './sync-group.js';
import * as describeGroups from './describe-groups.js';
import * as listGroups from './list-groups.js';
import * as deleteGroups from './delete-groups.js';

export * from './api-versions.js';
export * from './controlled-shutdown.js';
export * from './leader-and-isr.js';
export * from './stop-replica.js';
export * from './update-metadata.js';
export * from './create-topics.js';
export * from './delete-topics.js';
export * from './fetch.js';
export * from './find-coordinator.js';
export * from './list-offsets.js';
export * from './metadata.js';
export * from './offset-commit.js';
export * from './offset-fetch.js';
export * from './produce.js';
export * from './offsets-for-leader-epoch.js';
export * from './init-producer-id.js';
export * from './join-group.js';
export * from './heartbeat.js';
export * from './leave-group.js';
export * from './sync-group.js';
export * from './describe-groups.js';
export * from './list-groups.js';
export * from './delete-groups.js';

export interface ApiCodec<Req, Res> {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  encodeRequest(w: Writer, version: number, req: Req): Writer;
  decodeRequest(r: Reader, version: number): Req;
  encodeResponse(w: Writer, version: number, res: Res): Writer;
  decodeResponse(r: Reader, version: number): Res;
}

function codec<Req, Res>(
  apiKey: number,
  minVersion: number,
  maxVersion: number,
  fns: Pick<ApiCodec<Req, Res>, 'encodeRequest' | 'decodeRequest' | 'encodeResponse' | 'decodeResponse'>,
): ApiCodec<Req, Res> {
  return { apiKey, name: apiName(apiKey), minVersion, maxVersion, ...fns };
}

export const API_CODECS = {
  [ApiKey.Produce]: codec<produce.ProduceRequest, produce.ProduceResponse>(
    ApiKey.Produce, produce.PRODUCE_MIN_VERSION, produce.PRODUCE_MAX_VERSION, {
      encodeRequest: produce.encodeProduceRequest,
      decodeRequest: produce.decodeProduceRequest,
      encodeResponse: produce.encodeProduceResponse,
      decodeResponse: produce.decodeProduceResponse,
    }),
  [ApiKey.Fetch]: codec<fetch.FetchRequest, fetch.FetchResponse>(
    ApiKey.Fetch, fetch.FETCH_MIN_VERSION, fetch.FETCH_MAX_VERSION, {
      encodeRequest: fetch.encodeFetchRequest,
      decodeRequest: fetch.decodeFetchRequest,
      encodeResponse: fetch.encodeFetchResponse,
      decodeResponse: fetch.decodeFetchResponse,
    }),
  [ApiKey.ListOffsets]: codec<listOffsets.ListOffsetsRequest, listOffsets.ListOffsetsResponse>(
    ApiKey.ListOffsets, listOffsets.LIST_OFFSETS_MIN_VERSION, listOffsets.LIST_OFFSETS_MAX_VERSION, {
      encodeRequest: listOffsets.encodeListOffsetsRequest,
      decodeRequest: listOffsets.decodeListOffsetsRequest,
      encodeResponse: listOffsets.encodeListOffsetsResponse,
      decodeResponse: listOffsets.decodeListOffsetsResponse,
    }),
  [ApiKey.Metadata]: codec<metadata.MetadataRequest, metadata.MetadataResponse>(
    ApiKey.Metadata, metadata.METADATA_MIN_VERSION, metadata.METADATA_MAX_VERSION, {
      encodeRequest: metadata.encodeMetadataRequest,
      decodeRequest: metadata.decodeMetadataRequest,
      encodeResponse: metadata.encodeMetadataResponse,
      decodeResponse: metadata.decodeMetadataResponse,
    }),
  [ApiKey.OffsetCommit]: codec<offsetCommit.OffsetCommitRequest, offsetCommit.OffsetCommitResponse>(
    ApiKey.OffsetCommit, offsetCommit.OFFSET_COMMIT_MIN_VERSION, offsetCommit.OFFSET_COMMIT_MAX_VERSION, {
      encodeRequest: offsetCommit.encodeOffsetCommitRequest,
      decodeRequest: offsetCommit.decodeOffsetCommitRequest,
      encodeResponse: offsetCommit.encodeOffsetCommitResponse,
      decodeResponse: offsetCommit.decodeOffsetCommitResponse,
    }),
  [ApiKey.OffsetFetch]: codec<offsetFetch.OffsetFetchRequest, offsetFetch.OffsetFetchResponse>(
    ApiKey.OffsetFetch, offsetFetch.OFFSET_FETCH_MIN_VERSION, offsetFetch.OFFSET_FETCH_MAX_VERSION, {
      encodeRequest: offsetFetch.encodeOffsetFetchRequest,
      decodeRequest: offsetFetch.decodeOffsetFetchRequest,
      encodeResponse: offsetFetch.encodeOffsetFetchResponse,
      decodeResponse: offsetFetch.decodeOffsetFetchResponse,
    }),
  [ApiKey.FindCoordinator]: codec<findCoordinator.FindCoordinatorRequest, findCoordinator.FindCoordinatorResponse>(
    ApiKey.FindCoordinator, findCoordinator.FIND_COORDINATOR_MIN_VERSION, findCoordinator.FIND_COORDINATOR_MAX_VERSION, {
      encodeRequest: findCoordinator.encodeFindCoordinatorRequest,
      decodeRequest: findCoordinator.decodeFindCoordinatorRequest,
      encodeResponse: findCoordinator.encodeFindCoordinatorResponse,
      decodeResponse: findCoordinator.decodeFindCoordinatorResponse,
    }),
  [ApiKey.JoinGroup]: codec<joinGroup.JoinGroupRequest, joinGroup.JoinGroupResponse>(
    ApiKey.JoinGroup, joinGroup.JOIN_GROUP_MIN_VERSION, joinGroup.JOIN_GROUP_MAX_VERSION, {
      encodeRequest: joinGroup.encodeJoinGroupRequest,
      decodeRequest: joinGroup.decodeJoinGroupRequest,
      encodeResponse: joinGroup.encodeJoinGroupResponse,
      decodeResponse: joinGroup.decodeJoinGroupResponse,
    }),
  [ApiKey.Heartbeat]: codec<heartbeat.HeartbeatRequest, heartbeat.HeartbeatResponse>(
    ApiKey.Heartbeat, heartbeat.HEARTBEAT_MIN_VERSION, heartbeat.HEARTBEAT_MAX_VERSION, {
      encodeRequest: heartbeat.encodeHeartbeatRequest,
      decodeRequest: heartbeat.decodeHeartbeatRequest,
      encodeResponse: heartbeat.encodeHeartbeatResponse,
      decodeResponse: heartbeat.decodeHeartbeatResponse,
    }),
  [ApiKey.LeaveGroup]: codec<leaveGroup.LeaveGroupRequest, leaveGroup.LeaveGroupResponse>(
    ApiKey.LeaveGroup, leaveGroup.LEAVE_GROUP_MIN_VERSION, leaveGroup.LEAVE_GROUP_MAX_VERSION, {
      encodeRequest: leaveGroup.encodeLeaveGroupRequest,
      decodeRequest: leaveGroup.decodeLeaveGroupRequest,
      encodeResponse: leaveGroup.encodeLeaveGroupResponse,
      decodeResponse: leaveGroup.decodeLeaveGroupResponse,
    }),
  [ApiKey.SyncGroup]: codec<syncGroup.SyncGroupRequest, syncGroup.SyncGroupResponse>(
    ApiKey.SyncGroup, syncGroup.SYNC_GROUP_MIN_VERSION, syncGroup.SYNC_GROUP_MAX_VERSION, {
      encodeRequest: syncGroup.encodeSyncGroupRequest,
      decodeRequest: syncGroup.decodeSyncGroupRequest,
      encodeResponse: syncGroup.encodeSyncGroupResponse,
      decodeResponse: syncGroup.decodeSyncGroupResponse,
    }),
  [ApiKey.DescribeGroups]: codec<describeGroups.DescribeGroupsRequest, describeGroups.DescribeGroupsResponse>(
    ApiKey.DescribeGroups, describeGroups.DESCRIBE_GROUPS_MIN_VERSION, describeGroups.DESCRIBE_GROUPS_MAX_VERSION, {
      encodeRequest: describeGroups.encodeDescribeGroupsRequest,
      decodeRequest: describeGroups.decodeDescribeGroupsRequest,
      encodeResponse: describeGroups.encodeDescribeGroupsResponse,
      decodeResponse: describeGroups.decodeDescribeGroupsResponse,
    }),
  [ApiKey.ListGroups]: codec<listGroups.ListGroupsRequest, listGroups.ListGroupsResponse>(
    ApiKey.ListGroups, listGroups.LIST_GROUPS_MIN_VERSION, listGroups.LIST_GROUPS_MAX_VERSION, {
      encodeRequest: listGroups.encodeListGroupsRequest,
      decodeRequest: listGroups.decodeListGroupsRequest,
      encodeResponse: listGroups.encodeListGroupsResponse,
      decodeResponse: listGroups.decodeListGroupsResponse,
    }),
  [ApiKey.DeleteGroups]: codec<deleteGroups.DeleteGroupsRequest, deleteGroups.DeleteGroupsResponse>(
    ApiKey.DeleteGroups, deleteGroups.DELETE_GROUPS_MIN_VERSION, deleteGroups.DELETE_GROUPS_MAX_VERSION, {
      encodeRequest: deleteGroups.encodeDeleteGroupsRequest,
      decodeRequest: deleteGroups.decodeDeleteGroupsRequest,
      encodeResponse: deleteGroups.encodeDeleteGroupsResponse,
      decodeResponse: deleteGroups.decodeDeleteGroupsResponse,
    }),
  [ApiKey.ApiVersions]: codec<apiVersions.ApiVersionsRequest, apiVersions.ApiVersionsResponse>(
    ApiKey.ApiVersions, apiVersions.API_VERSIONS_MIN_VERSION, apiVersions.API_VERSIONS_MAX_VERSION, {
      encodeRequest: apiVersions.encodeApiVersionsRequest,
      decodeRequest: apiVersions.decodeApiVersionsRequest,
      encodeResponse: apiVersions.encodeApiVersionsResponse,
      decodeResponse: apiVersions.decodeApiVersionsResponse,
    }),
  [ApiKey.CreateTopics]: codec<createTopics.CreateTopicsRequest, createTopics.CreateTopicsResponse>(
    ApiKey.CreateTopics, createTopics.CREATE_TOPICS_MIN_VERSION, createTopics.CREATE_TOPICS_MAX_VERSION, {
      encodeRequest: createTopics.encodeCreateTopicsRequest,
      decodeRequest: createTopics.decodeCreateTopicsRequest,
      encodeResponse: createTopics.encodeCreateTopicsResponse,
      decodeResponse: createTopics.decodeCreateTopicsResponse,
    }),
  [ApiKey.DeleteTopics]: codec<deleteTopics.DeleteTopicsRequest, deleteTopics.DeleteTopicsResponse>(
    ApiKey.DeleteTopics, deleteTopics.DELETE_TOPICS_MIN_VERSION, deleteTopics.DELETE_TOPICS_MAX_VERSION, {
      encodeRequest: deleteTopics.encodeDeleteTopicsRequest,
      decodeRequest: deleteTopics.decodeDeleteTopicsRequest,
      encodeResponse: deleteTopics.encodeDeleteTopicsResponse,
      decodeResponse: deleteTopics.decodeDeleteTopicsResponse,
    }),
  [ApiKey.LeaderAndIsr]: codec<leaderAndIsr.LeaderAndIsrRequest, leaderAndIsr.LeaderAndIsrResponse>(
    ApiKey.LeaderAndIsr, leaderAndIsr.LEADER_AND_ISR_MIN_VERSION, leaderAndIsr.LEADER_AND_ISR_MAX_VERSION, {
      encodeRequest: leaderAndIsr.encodeLeaderAndIsrRequest,
      decodeRequest: leaderAndIsr.decodeLeaderAndIsrRequest,
      encodeResponse: leaderAndIsr.encodeLeaderAndIsrResponse,
      decodeResponse: leaderAndIsr.decodeLeaderAndIsrResponse,
    }),
  [ApiKey.StopReplica]: codec<stopReplica.StopReplicaRequest, stopReplica.StopReplicaResponse>(
    ApiKey.StopReplica, stopReplica.STOP_REPLICA_MIN_VERSION, stopReplica.STOP_REPLICA_MAX_VERSION, {
      encodeRequest: stopReplica.encodeStopReplicaRequest,
      decodeRequest: stopReplica.decodeStopReplicaRequest,
      encodeResponse: stopReplica.encodeStopReplicaResponse,
      decodeResponse: stopReplica.decodeStopReplicaResponse,
    }),
  [ApiKey.UpdateMetadata]: codec<updateMetadata.UpdateMetadataRequest, updateMetadata.UpdateMetadataResponse>(
    ApiKey.UpdateMetadata, updateMetadata.UPDATE_METADATA_MIN_VERSION, updateMetadata.UPDATE_METADATA_MAX_VERSION, {
      encodeRequest: updateMetadata.encodeUpdateMetadataRequest,
      decodeRequest: updateMetadata.decodeUpdateMetadataRequest,
      encodeResponse: updateMetadata.encodeUpdateMetadataResponse,
      decodeResponse: updateMetadata.decodeUpdateMetadataResponse,
    }),
  [ApiKey.ControlledShutdown]: codec<controlledShutdown.ControlledShutdownRequest, controlledShutdown.ControlledShutdownResponse>(
    ApiKey.ControlledShutdown, controlledShutdown.CONTROLLED_SHUTDOWN_MIN_VERSION, controlledShutdown.CONTROLLED_SHUTDOWN_MAX_VERSION, {
      encodeRequest: controlledShutdown.encodeControlledShutdownRequest,
      decodeRequest: controlledShutdown.decodeControlledShutdownRequest,
      encodeResponse: controlledShutdown.encodeControlledShutdownResponse,
      decodeResponse: controlledShutdown.decodeControlledShutdownResponse,
    }),
  [ApiKey.InitProducerId]: codec<initProducerId.InitProducerIdRequest, initProducerId.InitProducerIdResponse>(
    ApiKey.InitProducerId, initProducerId.INIT_PRODUCER_ID_MIN_VERSION, initProducerId.INIT_PRODUCER_ID_MAX_VERSION, {
      encodeRequest: initProducerId.encodeInitProducerIdRequest,
      decodeRequest: initProducerId.decodeInitProducerIdRequest,
      encodeResponse: initProducerId.encodeInitProducerIdResponse,
      decodeResponse: initProducerId.decodeInitProducerIdResponse,
    }),
  [ApiKey.OffsetsForLeaderEpoch]: codec<offsetsForLeaderEpoch.OffsetsForLeaderEpochRequest, offsetsForLeaderEpoch.OffsetsForLeaderEpochResponse>(
    ApiKey.OffsetsForLeaderEpoch, offsetsForLeaderEpoch.OFFSETS_FOR_LEADER_EPOCH_MIN_VERSION, offsetsForLeaderEpoch.OFFSETS_FOR_LEADER_EPOCH_MAX_VERSION, {
      encodeRequest: offsetsForLeaderEpoch.encodeOffsetsForLeaderEpochRequest,
      decodeRequest: offsetsForLeaderEpoch.decodeOffsetsForLeaderEpochRequest,
      encodeResponse: offsetsForLeaderEpoch.encodeOffsetsForLeaderEpochResponse,
      decodeResponse: offsetsForLeaderEpoch.decodeOffsetsForLeaderEpochResponse,
    }),
} as const;

/** The codecs of an API, or undefined for a key this module has no codec for. */
export function codecFor(apiKey: number): ApiCodec<unknown, unknown> | undefined {
  return (API_CODECS as Record<number, ApiCodec<unknown, unknown>>)[apiKey];
}
