/**
 * What the controller tells brokers (ControllerBrokerRequestBatch): LeaderAndIsr to the
 * replicas of changed partitions, and UpdateMetadata to every live broker, each carrying the
 * controller epoch. UpdateMetadata is a full snapshot, so brokers replace, never merge. It is
 * sent once the LeaderAndIsr requests before it are answered by every broker (or after
 * AFTER_MAX_WAIT_MS), so no broker names a leader that does not know yet that it leads (a
 * client sent there would be refused: NOT_LEADER_FOR_PARTITION, NOT_COORDINATOR).
 */
import { API_CODECS } from '../../protocol/apis/index.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { Writer } from '../../protocol/writer.js';
import type { LeaderAndIsrResponse, PartitionState } from '../../protocol/apis/leader-and-isr.js';
import { ErrorCode, errorName } from '../../common/errors.js';
import { Logger, someOf } from '../../common/logger.js';
import type { ControllerChannelManager } from './channel-manager.js';
import type { ControllerContext } from './controller-context.js';

type TP = { topic: string; partition: number };

/** Partitions per LeaderAndIsr request. */
export const LEADER_AND_ISR_BATCH = 1000;

export class BrokerRequests {
  /** Settles once the LeaderAndIsr requests sent since the last UpdateMetadata are answered (or dropped). */
  #leaderAndIsrAnswered: Promise<unknown> | undefined;

  constructor(
    private readonly controllerId: number,
    private readonly ctx: ControllerContext,
    private readonly channels: ControllerChannelManager,
    private readonly log: Logger = new Logger('controller'),
    /** Replicas a broker answered KAFKA_STORAGE_ERROR for (it cannot open their logs). */
    private readonly onStorageErrors: (broker: number, partitions: TP[]) => void = () => undefined,
  ) {}

  /**
   * Partitions a broker answered LeaderAndIsr with an error for, said once per answer (a stale
   * epoch is the race it is meant to be). KAFKA_STORAGE_ERROR ones go to onStorageErrors,
   * unless the broker restarted since it was sent the request (`czxid`): its answer is stale.
   */
  #handleErrors(broker: number, czxid: bigint | undefined, res: LeaderAndIsrResponse): void {
    const byCode = new Map<number, TP[]>();
    for (const p of res.partitions) {
      if (p.errorCode === ErrorCode.NONE || p.errorCode === ErrorCode.STALE_CONTROLLER_EPOCH) continue;
      const list = byCode.get(p.errorCode) ?? [];
      list.push({ topic: p.topic, partition: p.partition });
      byCode.set(p.errorCode, list);
    }
    for (const [code, tps] of byCode) {
      const what = code === ErrorCode.KAFKA_STORAGE_ERROR ? 'its replicas of them go offline until it restarts' : 'they stay as they are until it restarts';
      this.log.warn(`broker ${broker} could not take up ${tps.length} partitions it was sent (${errorName(code)}); its log says why, and ${what}`, { partitions: someOf(tps.map((p) => `${p.topic}-${p.partition}`)) });
    }
    const storage = byCode.get(ErrorCode.KAFKA_STORAGE_ERROR);
    if (storage && this.ctx.liveBrokers.get(broker)?.czxid === czxid) this.onStorageErrors(broker, storage);
  }

  /** A partition's state as brokers are told it; a leader that is not live is sent as -1. */
  partitionState(p: TP, live: ReadonlySet<number> = this.ctx.reachableIds()): PartitionState | undefined {
    const s = this.ctx.partitionState(p.topic, p.partition);
    if (!s) return undefined;
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

  /**
   * LeaderAndIsr to every live replica of the partitions: one request per broker for up to
   * LEADER_AND_ISR_BATCH partitions (a broker creates the logs of new partitions while it
   * handles one; smaller requests keep each well inside the request timeout). Resolves once
   * every broker answered (or was dropped). Brokers in controlled shutdown get none; with `to`,
   * only those brokers are sent theirs.
   */
  sendLeaderAndIsr(partitions: TP[], to?: ReadonlySet<number>): Promise<void> {
    const live = this.ctx.reachableIds();
    const offline = this.ctx.offlineReplicas.size > 0;
    const byBroker = new Map<number, PartitionState[]>();
    for (const p of partitions) {
      const st = this.partitionState(p, live);
      if (!st) continue;
      for (const r of st.replicas) {
        // a broker in controlled shutdown is not told (Kafka's ControlledShutdownLeaderSelector
        // leaves it out too): it was told to stop its replicas, and made a follower again it
        // would fetch, catch up and be taken back into the ISRs it just left
        if (!this.ctx.liveBrokers.has(r) || this.ctx.shuttingDown.has(r) || (to && !to.has(r))) continue;
        // a replica the broker could not open is not sent again: it would only fail again
        if (offline && this.ctx.isReplicaOffline(r, p.topic, p.partition)) continue;
        const list = byBroker.get(r);
        if (list) list.push(st);
        else byBroker.set(r, [st]);
      }
    }
    const answered: Promise<void>[] = [];
    for (const [broker, all] of byBroker) {
      const czxid = this.ctx.liveBrokers.get(broker)?.czxid;
      for (let i = 0; i < all.length; i += LEADER_AND_ISR_BATCH) {
        const states = all.slice(i, i + LEADER_AND_ISR_BATCH);
        const leaders = new Set(states.map((s) => s.leader));
        const sent = this.channels.send(broker, API_CODECS[ApiKey.LeaderAndIsr], {
          controllerId: this.controllerId,
          controllerEpoch: this.ctx.epoch,
          partitionStates: states,
          liveLeaders: [...this.ctx.liveBrokers.values()].filter((b) => leaders.has(b.id)).map((b) => ({ id: b.id, host: b.host, port: b.port })),
        }, (res) => this.#handleErrors(broker, czxid, res));
        answered.push(sent);
      }
    }
    if (answered.length === 0) return Promise.resolve();
    const all = Promise.all(answered).then(() => undefined);
    this.#leaderAndIsrAnswered = Promise.all([this.#leaderAndIsrAnswered, all]);
    return all;
  }

  /**
   * UpdateMetadata (every partition) to every live broker, encoded once for all of them; a
   * snapshot still waiting in a broker's queue is replaced. Resolves once every broker answered
   * it (or a snapshot that replaced it), or was dropped, a broker in controlled shutdown excepted.
   */
  sendUpdateMetadata(): Promise<void> {
    const live = this.ctx.reachableIds();
    const partitionStates: PartitionState[] = [];
    for (const p of this.ctx.allPartitions()) {
      const st = this.partitionState(p, live);
      if (st) partitionStates.push(st);
    }
    const liveBrokers = [...this.ctx.liveBrokers.values()].map((b) => ({ id: b.id, host: b.host, port: b.port }));
    const req = { controllerId: this.controllerId, controllerEpoch: this.ctx.epoch, partitionStates, liveBrokers };
    const codec = API_CODECS[ApiKey.UpdateMetadata];
    let body: Buffer | undefined;
    const encoded = (): Buffer => (body ??= codec.encodeRequest(new Writer(64 * 1024), 0, req).finish());
    const after = this.#leaderAndIsrAnswered;
    this.#leaderAndIsrAnswered = undefined;
    const answered = [...this.ctx.liveBrokers.keys()].map((id) => ({ id, sent: this.channels.sendEncoded(id, codec, encoded, 'update-metadata', after) }));
    return Promise.all(answered.filter((a) => !this.ctx.shuttingDown.has(a.id)).map((a) => a.sent)).then(() => undefined);
  }

  /** StopReplica; `onDone` runs with the partitions the broker reports stopped without error. */
  stopReplicas(broker: number, partitions: TP[], deletePartitions: boolean, onDone?: (stopped: TP[]) => void): void {
    this.channels.send(broker, API_CODECS[ApiKey.StopReplica], { controllerId: this.controllerId, controllerEpoch: this.ctx.epoch, deletePartitions, partitions }, (res) => {
      if (res.errorCode === 0) onDone?.(res.partitions.filter((p) => p.errorCode === 0).map((p) => ({ topic: p.topic, partition: p.partition })));
    });
  }
}
