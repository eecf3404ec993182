/**
 * What the controller tells brokers (ControllerBrokerRequestBatch): LeaderAndIsr to the
 * replicas of changed partitions, and UpdateMetadata to every live broker, each carrying the
 * controller epoch. UpdateMetadata is a full snapshot, so brokers replace, never merge.
 */
import { API_CODECS } from '../../protocol/apis/index.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { PartitionState } from '../../protocol/apis/leader-and-isr.js';
import type { ControllerChannelManager } from './channel-manager.js';
import type { ControllerContext } from './controller-context.js';

type TP = { topic: string; partition: number };

export class BrokerRequests {
  constructor(
    private readonly controllerId: number,
    private readonly ctx: ControllerContext,
    private readonly channels: ControllerChannelManager,
  ) {}

  /** A partition's state as brokers are told it; a leader that is not live is sent as -1. */
  partitionState(p: TP): PartitionState | undefined {
    const s = this.ctx.partitionState(p.topic, p.partition);
    if (!s) return undefined;
    const live = this.ctx.reachableIds();
    return {
      topic: p.topic,
      partition: p.partition,
      controllerEpoch: s.controllerEpoch,
      leader: live.has(s.leader) && s.state !== 'Offline' ? s.leader : -1,
      leaderEpoch: s.leaderEpoch,
      isr: s.isr,
      zkVersion: s.zkVersion,
      replicas: this.ctx.replicas(p.topic, p.partition),
    };
  }

  sendLeaderAndIsr(partitions: TP[]): void {
    const byBroker = new Map<number, PartitionState[]>();
    for (const p of partitions) {
      const st = this.partitionState(p);
      if (!st) continue;
      for (const r of st.replicas) if (this.ctx.liveBrokers.has(r)) byBroker.set(r, [...(byBroker.get(r) ?? []), st]);
    }
    const leaders = [...this.ctx.liveBrokers.values()];
    for (const [broker, states] of byBroker) {
      this.channels.send(broker, API_CODECS[ApiKey.LeaderAndIsr], {
        controllerId: this.controllerId,
        controllerEpoch: this.ctx.epoch,
        partitionStates: states,
        liveLeaders: leaders.filter((b) => states.some((s) => s.leader === b.id)).map((b) => ({ id: b.id, host: b.host, port: b.port })),
      });
    }
  }

  sendUpdateMetadata(): void {
    const partitionStates = this.ctx.allPartitions().map((p) => this.partitionState(p)).filter((s): s is PartitionState => s !== undefined);
    const liveBrokers = [...this.ctx.liveBrokers.values()].map((b) => ({ id: b.id, host: b.host, port: b.port }));
    for (const id of this.ctx.liveBrokers.keys()) {
      this.channels.send(id, API_CODECS[ApiKey.UpdateMetadata], { controllerId: this.controllerId, controllerEpoch: this.ctx.epoch, partitionStates, liveBrokers });
    }
  }

  /** StopReplica; `onDone` runs with the partitions the broker reports stopped without error. */
  stopReplicas(broker: number, partitions: TP[], deletePartitions: boolean, onDone?: (stopped: TP[]) => void): void {
    this.channels.send(broker, API_CODECS[ApiKey.StopReplica], { controllerId: this.controllerId, controllerEpoch: this.ctx.epoch, deletePartitions, partitions }, (res) => {
      if (res.errorCode === 0) onDone?.(res.partitions.filter((p) => p.errorCode === 0).map((p) => ({ topic: p.topic, partition: p.partition })));
    });
  }
}
