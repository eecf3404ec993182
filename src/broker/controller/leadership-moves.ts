/**
 * Planned leadership moves: controlled shutdown (a stopping broker hands its leaderships to
 * other ISR members and leaves the ISRs, so producers fail over at once instead of after a
 * session timeout) and preferred replica election (leadership back to each partition's first
 * replica, on request or by the periodic rebalance).
 */
import type { ControllerContext } from './controller-context.js';
import type { PartitionStateMachine } from './partition-state-machine.js';
import type { BrokerRequests } from './broker-requests.js';
import type { Logger } from '../../common/logger.js';
import { controlledShutdownLeader, preferredReplicaLeader } from './leader-selectors.js';

type TP = { topic: string; partition: number };

export interface LeadershipDeps {
  ctx: ControllerContext;
  psm: PartitionStateMachine;
  requests: BrokerRequests;
  log: Logger;
}

/**
 * Moves leadership away from `brokerId` and drops it from ISRs. Returns the partitions it
 * still leads although another live ISR member could (worth another attempt); a partition
 * whose ISR is this broker alone cannot move, and waiting would not help.
 */
export async function moveLeadershipsAway({ ctx, psm, requests, log }: LeadershipDeps, brokerId: number): Promise<TP[]> {
  if (!ctx.liveBrokers.has(brokerId)) return [];
  const t0 = Date.now();
  ctx.shuttingDown.add(brokerId);
  const led: TP[] = [];
  const followed: TP[] = [];
  for (const p of ctx.partitionsOnBroker(brokerId)) {
    const s = ctx.partitionState(p.topic, p.partition);
    if (!s) continue;
    if (s.leader === brokerId) {
      if (ctx.replicas(p.topic, p.partition).length >= 2) led.push(p);
    } else if (s.isr.includes(brokerId)) {
      followed.push(p);
    }
  }
  const live = ctx.liveIds();
  const moved = await psm.electLeaders(led, (cur) => controlledShutdownLeader(ctx.replicas(cur.topic, cur.partition), cur.isr, live, brokerId), 'controlled shutdown');
  await psm.shrinkIsrs(followed, [brokerId]);
  // every partition it follows is told (as before): the leader drops it from its follower set
  requests.sendLeaderAndIsr([...moved.elected.map((s) => ({ topic: s.topic, partition: s.partition })), ...followed]);
  requests.sendUpdateMetadata();
  const remaining = ctx.allPartitions().filter((p) => {
    const s = ctx.partitionState(p.topic, p.partition);
    return s?.leader === brokerId && s.isr.some((r) => r !== brokerId && live.has(r));
  });
  log.info('controlled shutdown: leaderships moved', { broker: brokerId, moved: moved.elected.length, isrLeft: followed.length, remaining: remaining.length, ms: Date.now() - t0 });
  return remaining;
}

/** Elects the preferred replica where it is live, in sync and not already leading. */
export async function electPreferredLeaders({ ctx, psm, requests }: LeadershipDeps, partitions: TP[]): Promise<TP[]> {
  const candidates = partitions.filter((p) => {
    const s = ctx.partitionState(p.topic, p.partition);
    return s !== undefined && ctx.replicas(p.topic, p.partition)[0] !== s.leader;
  });
  const live = ctx.liveIds();
  const r = await psm.electLeaders(candidates, (cur) => preferredReplicaLeader(ctx.replicas(cur.topic, cur.partition), cur.isr, live), 'preferred replica election');
  const moved = r.elected.map((s) => ({ topic: s.topic, partition: s.partition }));
  requests.sendLeaderAndIsr(moved);
  requests.sendUpdateMetadata();
  return moved;
}

/** Partitions led by another replica although their preferred one is live and in sync. */
export function imbalancedPartitions(ctx: ControllerContext): TP[] {
  const live = ctx.liveIds();
  return ctx.allPartitions().filter((p) => {
    const s = ctx.partitionState(p.topic, p.partition);
    const preferred = ctx.replicas(p.topic, p.partition)[0];
    return s !== undefined && preferred !== undefined && s.leader !== preferred && live.has(preferred) && s.isr.includes(preferred);
  });
}
