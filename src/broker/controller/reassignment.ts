/**
 * Partition reassignment (/admin/reassign_partitions), the 0.8 way, for each partition with
 * old replicas OAR and new replicas RAR:
 *   1. the assignment becomes OAR + RAR and the leader epoch goes up, so the new replicas start
 *      following (LeaderAndIsr);
 *   2. once every RAR member is in the ISR (ISR change notifications tell the controller), a
 *      leader from RAR is chosen (the current one if it is in RAR), the ISR and the assignment
 *      become RAR only, the replicas no longer wanted are stopped and deleted (StopReplica),
 *      and the partition leaves /admin/reassign_partitions (the node goes when it is empty).
 * A target naming a broker that is not live is refused and dropped from the request.
 */
import type { ZkClient } from '../../zk/client.js';
import { reassignPartitionsPath, topicPath } from '../../zk/paths.js';
import { decodeReassignment, encodeReassignment, encodeTopicAssignment, type PartitionReassignment } from '../../zk/payloads.js';
import { Logger } from '../../common/logger.js';
import { tp, type ControllerContext } from './controller-context.js';
import type { PartitionStateMachine } from './partition-state-machine.js';

type TP = { topic: string; partition: number };

export interface ReassignmentActions {
  sendLeaderAndIsr(partitions: TP[]): void;
  sendUpdateMetadata(): void;
  stopReplicas(broker: number, partitions: TP[]): void;
}

export class PartitionReassigner {
  readonly #pending = new Map<string, PartitionReassignment>();

  constructor(
    private readonly zk: ZkClient,
    private readonly ctx: ControllerContext,
    private readonly psm: PartitionStateMachine,
    private readonly actions: ReassignmentActions,
    private readonly log = new Logger('reassignment'),
  ) {}

  get pending(): number {
    return this.#pending.size;
  }

  /** The admin node changed: start every reassignment not yet under way. */
  async onReassignmentRequest(data: Buffer): Promise<void> {
    let requested: PartitionReassignment[];
    try {
      requested = decodeReassignment(data);
    } catch (err) {
      this.log.warn('ignoring an unreadable reassignment request', { error: err });
      await this.zk.delete(reassignPartitionsPath).catch(() => undefined);
      return;
    }
    const refused: PartitionReassignment[] = [];
    for (const r of requested) {
      if (this.#pending.has(tp(r.topic, r.partition))) continue;
      const current = this.ctx.replicas(r.topic, r.partition);
      const live = this.ctx.liveIds();
      if (current.length === 0 || r.replicas.length === 0 || r.replicas.some((b) => !live.has(b)) || new Set(r.replicas).size !== r.replicas.length) {
        this.log.warn('refusing reassignment: unknown partition, or a target broker that is not live', { topic: r.topic, partition: r.partition, replicas: r.replicas.join(',') });
        refused.push(r);
        continue;
      }
      this.#pending.set(tp(r.topic, r.partition), r);
      if (sameList(current, r.replicas)) continue;
      const union = [...r.replicas, ...current.filter((b) => !r.replicas.includes(b))];
      await this.#writeAssignment(r.topic, r.partition, union);
      await this.psm.electLeader(r.topic, r.partition, (cur) => ({ leader: cur.leader, isr: cur.isr }), 'reassignment: new replicas join');
      this.actions.sendLeaderAndIsr([{ topic: r.topic, partition: r.partition }]);
      this.log.info('reassignment started', { topic: r.topic, partition: r.partition, from: current.join(','), to: r.replicas.join(',') });
    }
    for (const r of refused) await this.#removeFromRequest(r);
    await this.checkProgress();
  }

  /** Completes every pending reassignment whose new replicas are all in the ISR. */
  async checkProgress(): Promise<void> {
    for (const [key, r] of [...this.#pending]) {
      const s = this.ctx.partitionState(r.topic, r.partition);
      if (!s) continue;
      const current = this.ctx.replicas(r.topic, r.partition);
      if (sameList(current, r.replicas)) {
        this.#pending.delete(key);
        await this.#removeFromRequest(r);
        continue;
      }
      if (!r.replicas.every((b) => s.isr.includes(b))) continue;
      const live = this.ctx.liveIds();
      const next = await this.psm.electLeader(r.topic, r.partition, (cur) => {
        const isr = cur.isr.filter((b) => r.replicas.includes(b));
        const leader = r.replicas.includes(cur.leader) && live.has(cur.leader) ? cur.leader : r.replicas.find((b) => isr.includes(b) && live.has(b));
        return leader === undefined ? undefined : { leader, isr };
      }, 'reassignment: completing');
      if (!next) continue;
      await this.#writeAssignment(r.topic, r.partition, r.replicas);
      for (const gone of current.filter((b) => !r.replicas.includes(b))) this.actions.stopReplicas(gone, [{ topic: r.topic, partition: r.partition }]);
      this.actions.sendLeaderAndIsr([{ topic: r.topic, partition: r.partition }]);
      this.#pending.delete(key);
      await this.#removeFromRequest(r);
      this.log.info('reassignment completed', { topic: r.topic, partition: r.partition, replicas: r.replicas.join(','), leader: next.leader });
    }
    this.actions.sendUpdateMetadata();
  }

  async #writeAssignment(topic: string, partition: number, replicas: number[]): Promise<void> {
    const node = await this.zk.get(topicPath(topic));
    const assignment = new Map(this.ctx.assignments.get(topic) ?? []);
    assignment.set(partition, replicas);
    await this.zk.set(topicPath(topic), encodeTopicAssignment(assignment), node?.version ?? -1);
    this.ctx.assignments.set(topic, assignment);
  }

  async #removeFromRequest(r: PartitionReassignment): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const node = await this.zk.get(reassignPartitionsPath);
      if (!node) return;
      const rest = decodeReassignment(node.data).filter((x) => x.topic !== r.topic || x.partition !== r.partition);
      try {
        if (rest.length === 0) await this.zk.delete(reassignPartitionsPath, node.version);
        else await this.zk.set(reassignPartitionsPath, encodeReassignment(rest), node.version);
        return;
      } catch {
        /* changed meanwhile: read again */
      }
    }
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
