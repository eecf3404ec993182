/**
 * Requests between brokers: the controller's LeaderAndIsr, UpdateMetadata and StopReplica
 * (each carries the controller epoch; a stale one is refused with error 11), a broker's
 * ControlledShutdown (answered by the controller), and a follower's OffsetsForLeaderEpoch
 * (answered by the leader from its leader epoch cache).
 */
import type { LeaderAndIsrRequest, LeaderAndIsrResponse } from '../../protocol/apis/leader-and-isr.js';
import type { StopReplicaRequest, StopReplicaResponse } from '../../protocol/apis/stop-replica.js';
import type { UpdateMetadataRequest, UpdateMetadataResponse } from '../../protocol/apis/update-metadata.js';
import type { ControlledShutdownRequest, ControlledShutdownResponse } from '../../protocol/apis/controlled-shutdown.js';
import type { OffsetsForLeaderEpochRequest, OffsetsForLeaderEpochResponse } from '../../protocol/apis/offsets-for-leader-epoch.js';
import { ErrorCode } from '../../common/errors.js';
import { errorCodeOf, type BrokerContext } from './context.js';

export function handleLeaderAndIsr(ctx: BrokerContext, req: LeaderAndIsrRequest): Promise<LeaderAndIsrResponse> {
  return ctx.replicas.becomeLeaderOrFollower(req);
}

export function handleUpdateMetadata(ctx: BrokerContext, req: UpdateMetadataRequest): UpdateMetadataResponse {
  return { errorCode: ctx.replicas.updateMetadata(req) };
}

export function handleStopReplica(ctx: BrokerContext, req: StopReplicaRequest): Promise<StopReplicaResponse> {
  return ctx.replicas.stopReplicas(req);
}

export async function handleControlledShutdown(ctx: BrokerContext, req: ControlledShutdownRequest): Promise<ControlledShutdownResponse> {
  if (!ctx.controller.isActive) return { errorCode: ErrorCode.NOT_CONTROLLER, partitionsRemaining: [] };
  const remaining = await ctx.controller.onControlledShutdown(req.brokerId);
  return { errorCode: ErrorCode.NONE, partitionsRemaining: remaining };
}

export function handleOffsetsForLeaderEpoch(ctx: BrokerContext, req: OffsetsForLeaderEpochRequest): OffsetsForLeaderEpochResponse {
  return {
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        try {
          const part = ctx.replicas.leaderPartition(t.topic, p.partition);
          const { epoch, endOffset } = part.epochs.endOffsetFor(p.leaderEpoch, part.log.logEndOffset);
          return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: epoch, endOffset };
        } catch (err) {
          return { errorCode: errorCodeOf(err), partition: p.partition, leaderEpoch: -1, endOffset: -1 };
        }
      }),
    })),
  };
}
