/**
 * The controller's leader selectors (PartitionLeaderSelector.scala), as pure functions.
 * Each returns the new leader and ISR, or undefined when no replica may lead.
 */
export interface LeaderAndIsr {
  leader: number;
  isr: number[];
}

/** A new partition: the first live replica of the assignment leads; the ISR is every live replica. */
export function newPartitionLeader(assignment: readonly number[], live: ReadonlySet<number>): LeaderAndIsr | undefined {
  const isr = assignment.filter((r) => live.has(r));
  return isr.length === 0 ? undefined : { leader: isr[0]!, isr };
}

/**
 * A partition whose leader died: the first live replica, in assignment order, that is in the
 * ISR; the ISR keeps its live members. With no live ISR member, nobody may lead unless unclean
 * election is on; then the first live replica leads alone (and what only the ISR had is lost).
 */
export function offlinePartitionLeader(
  assignment: readonly number[],
  isr: readonly number[],
  live: ReadonlySet<number>,
  uncleanElection: boolean,
): LeaderAndIsr | undefined {
  const liveIsr = isr.filter((r) => live.has(r));
  const leader = assignment.find((r) => liveIsr.includes(r));
  if (leader !== undefined) return { leader, isr: liveIsr };
  if (!uncleanElection) return undefined;
  const any = assignment.find((r) => live.has(r));
  return any === undefined ? undefined : { leader: any, isr: [any] };
}

/** Controlled shutdown of `broker`: another live ISR member takes over; the broker leaves the ISR. */
export function controlledShutdownLeader(
  assignment: readonly number[],
  isr: readonly number[],
  live: ReadonlySet<number>,
  broker: number,
): LeaderAndIsr | undefined {
  const remaining = isr.filter((r) => r !== broker && live.has(r));
  const leader = assignment.find((r) => remaining.includes(r));
  return leader === undefined ? undefined : { leader, isr: remaining };
}

/** Preferred replica election: the first replica of the assignment, if it is live and in the ISR. */
export function preferredReplicaLeader(assignment: readonly number[], isr: readonly number[], live: ReadonlySet<number>): LeaderAndIsr | undefined {
  const preferred = assignment[0];
  if (preferred === undefined || !live.has(preferred) || !isr.includes(preferred)) return undefined;
  return { leader: preferred, isr: [...isr] };
}
