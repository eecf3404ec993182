/**
 * Planned leadership moves: controlled shutdown (a stopping broker hands its leaderships to
 * other ISR members and leaves the ISRs, so producers fail over at once instead of after a
 * session timeout) and preferred replica election (leadership back to each partition's first
 * replica, on request or by the periodic rebalance).
 */
import type { ControllerContext } from './controller-context.js';
import type { PartitionStateMachine } from './partition-state-machine.js';
import type { BrokerRequests } from './broker-requests.js';
import { controlledShutdownLeader, preferredReplicaLeader } from './leader-selectors.js';

type TP = { topic: string; partition: number };

export interface LeadershipDeps {
  ctx: ControllerContext;
  psm: PartitionStateMachine;
  requests: BrokerRequests;
}

/**
 * Moves leadership away from `brokerId` and drops it from ISRs. Returns the partitions it
 * still leads although another live ISR member could (worth another attempt); a partition
 * whose ISR is this broker alone cannot move, and waiting would not help.
 */
export async function moveLeadershipsAway({ ctx, psm, requests }: LeadershipDeps, brokerId: number): Promise<TP[]> {
  if (!ctx.liveBrokers.has(brokerId)) return [];
  ctx.shuttingDown.add(brokerId);
  const affected: TP[] = [];
  for (const p of ctx.partitionsOnBroker(brokerId)) {
    const s = ctx.partitionState(p.topic, p.partition);
    if (!s) continue;
    const replicas = ctx.replicas(p.topic, p.partition);
    if (s.leader === brokerId) {
      if (replicas.length < 2) continue;
      const next = await psm.electLeader(p.topic, p.partition, (cur) => controlledShutdownLeader(replicas, cur.isr, ctx.liveIds(), brokerId), 'controlled shutdown');
      if (next) affected.push(p);
    } else if (s.isr.includes(brokerId)) {
      await psm.shrinkIsr(p.topic, p.partition, brokerId);
      affected.push(p);
    }
  }
  requests.sendLeaderAndIsr(affected);
  requests.sendUpdateMetadata();
  const live = ctx.liveIds();
  return ctx.allPartitions().filter((p) => {
    const s = ctx.partitionState(p.topic, p.partition);
    return s?.leader === brokerId && s.isr.some((r) => r !== brokerId && live.has(r));
  });
}

/** Elects the preferred replica where it is live, in sync and not already leading. */
export async function electPreferredLeaders({ ctx, psm, requests }: LeadershipDeps, partitions: TP[]): Promise<TP[]> {
  const moved: TP[] = [];
  for (const p of partitions) {
    const s = ctx.partitionState(p.topic, p.partition);
    const replicas = ctx.replicas(p.topic, p.partition);
    if (!s || replicas[0] === s.leader) continue;
    const next = await psm.electLeader(p.topic, p.partition, (cur) => preferredReplicaLeader(replicas, cur.isr, ctx.liveIds()), 'preferred replica election');
    if (next) moved.push(p);
  }
  requests.sendLeaderAndIsr(moved);
  requests.sendUpdateMetadata();
  return moved;
}

/** Partitions led by another replica although their preferred one is live and in sync. */
export function imbalancedPartitions(ctx: ControllerContext): TP[] {
  return ctx.allPartitions().filter((p) => {
    const s = ctx.partitionState(p.topic, p.partition);
    const preferred = ctx.replicas(p.topic, p.partition)[0];
    return s !== undefined && preferred !== undefined && s.leader !== preferred && ctx.liveIds().has(preferred) && s.isr.includes(preferred);
  });
}
