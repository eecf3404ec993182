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

/** What a controlled shutdown step did: the partitions still led, and when the moves are applied. */
export interface ControlledShutdownResult {
  /** Partitions `brokerId` still leads although another live ISR member could (worth another attempt). */
  remaining: TP[];
  /** Settles once the new leaders answered their LeaderAndIsr and every broker the metadata naming them. */
  applied: Promise<void>;
}

/**
 * Moves leadership away from `brokerId` and drops it from ISRs: the new leaders are told first
 * (LeaderAndIsr, then UpdateMetadata everywhere), the ISR changes after, and the broker stops
 * its replicas of them. A partition whose ISR is this broker alone cannot move, and waiting
 * would not help.
 */
export async function moveLeadershipsAway({ ctx, psm, requests, log }: LeadershipDeps, brokerId: number): Promise<ControlledShutdownResult> {
  if (!ctx.liveBrokers.has(brokerId)) return { remaining: [], applied: Promise.resolve() };
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
  const moved = await psm.electLeaders(led, (cur) => controlledShutdownLeader(ctx.replicas(cur.topic, cur.partition), cur.isr, ctx.onlineFor(cur.topic, cur.partition, live), brokerId), 'controlled shutdown');
  const movedTps = moved.elected.map((s) => ({ topic: s.topic, partition: s.partition }));
  // The stopping broker stops its replicas of them first (Kafka's StopReplica, logs kept): it
  // no longer takes writes as their leader, and does not fetch as a follower (it would catch up
  // and be taken back into the ISRs it leaves, to be dropped again when it stops). It gets no
  // LeaderAndIsr for them (broker-requests.ts): only the other replicas learn the new leaders.
  requests.stopReplicas(brokerId, [...movedTps, ...followed], false);
  const applied = Promise.all([requests.sendLeaderAndIsr(movedTps), requests.sendUpdateMetadata()]).then(() => undefined);
  // the leaders of the partitions it follows drop it from their follower sets
  await psm.shrinkIsrs(followed, [brokerId]);
  void requests.sendLeaderAndIsr(followed);
  void requests.sendUpdateMetadata();
  const remaining = ctx.allPartitions().filter((p) => {
    const s = ctx.partitionState(p.topic, p.partition);
    return s?.leader === brokerId && s.isr.some((r) => r !== brokerId && ctx.onlineFor(p.topic, p.partition, live).has(r));
  });
  log.info('controlled shutdown: leaderships moved', { broker: brokerId, moved: moved.elected.length, isrLeft: followed.length, remaining: remaining.length, ms: Date.now() - t0 });
  return { remaining, applied };
}

/** Elects the preferred replica where it is live, in sync and not already leading. */
export async function electPreferredLeaders({ ctx, psm, requests }: LeadershipDeps, partitions: TP[]): Promise<TP[]> {
  const candidates = partitions.filter((p) => {
    const s = ctx.partitionState(p.topic, p.partition);
    return s !== undefined && ctx.replicas(p.topic, p.partition)[0] !== s.leader;
  });
  const live = ctx.liveIds();
  const r = await psm.electLeaders(candidates, (cur) => preferredReplicaLeader(ctx.replicas(cur.topic, cur.partition), cur.isr, ctx.onlineFor(cur.topic, cur.partition, live)), 'preferred replica election');
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
    return s !== undefined && preferred !== undefined && s.leader !== preferred && ctx.onlineFor(p.topic, p.partition, live).has(preferred) && s.isr.includes(preferred);
  });
}
