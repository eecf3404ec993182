/**
 * Partition assignors of the `consumer` group protocol, run by the group leader (a client)
 * between JoinGroup and SyncGroup: Kafka's RangeAssignor ('range', the Java consumer's
 * default) and RoundRobinAssignor ('roundrobin'), computed exactly as Kafka 2.0 computes them,
 * so a group mixing our consumers with Java, librdkafka or kafkajs members (given an assignor
 * of that name) gets the same answer whoever leads.
 *
 *   range, per topic: the members subscribed to it sorted by member id; partitions 0..n-1;
 *     q = n div m, r = n mod m; member i takes q*i + min(i, r) onward, q + (i < r ? 1 : 0) of them.
 *   roundrobin: every partition of every subscribed topic, topics sorted by name, partitions
 *     ascending, dealt to the members sorted by id in a circle; a member not subscribed to
 *     the partition's topic is skipped (subscriptions may differ).
 *
 * The ZooKeeper connector's assignors (../connector/assignors.ts) do not fit: they assign
 * consumer threads (`<consumerId>-<n>`), and 0.8's roundrobin orders partitions by a hash and
 * requires identical subscriptions, unlike the group protocol's.
 */
import { ConfigError } from '../../common/errors.js';
import type { ConsumerProtocolTopicPartitions } from '../../protocol/consumer-protocol.js';

export interface AssignorMember {
  memberId: string;
  /** The topics the member subscribes to (its JoinGroup subscription). */
  topics: readonly string[];
}

/** memberId -> its partitions, topic by topic (topics sorted, partitions ascending; every member present, maybe with nothing). */
export type GroupAssignment = Map<string, ConsumerProtocolTopicPartitions[]>;

export interface ConsumerAssignor {
  /** The protocol name in JoinGroup ('range', 'roundrobin', ...). */
  readonly name: string;
  /** `partitionsPerTopic`: the partition count of each subscribed topic that exists (others are left out). */
  assign(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment;
}

/** Java's String.compareTo (UTF-16 code units), which JavaScript's < also follows. */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function collect(members: readonly AssignorMember[], add: (take: (memberId: string, topic: string, partition: number) => void) => void): GroupAssignment {
  const owned = new Map<string, Map<string, number[]>>(members.map((m) => [m.memberId, new Map()]));
  add((memberId, topic, partition) => {
    const topics = owned.get(memberId)!;
    let l = topics.get(topic);
    if (!l) topics.set(topic, (l = []));
    l.push(partition);
  });
  const out: GroupAssignment = new Map();
  for (const [memberId, topics] of owned) {
    out.set(
      memberId,
      [...topics]
        .sort(([a], [b]) => byString(a, b))
        .map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) })),
    );
  }
  return out;
}

/** Kafka's RangeAssignor. */
export const rangeAssignor: ConsumerAssignor = {
  name: 'range',
  assign(members, partitionsPerTopic) {
    const membersPerTopic = new Map<string, string[]>();
    for (const m of members) {
      for (const t of new Set(m.topics)) {
        let l = membersPerTopic.get(t);
        if (!l) membersPerTopic.set(t, (l = []));
        l.push(m.memberId);
      }
    }
    return collect(members, (take) => {
      for (const [topic, ids] of membersPerTopic) {
        const n = partitionsPerTopic.get(topic);
        if (n === undefined) continue;
        ids.sort(byString);
        const q = Math.floor(n / ids.length);
        const r = n % ids.length;
        ids.forEach((id, i) => {
          const start = q * i + Math.min(i, r);
          const count = q + (i < r ? 1 : 0);
          for (let p = start; p < start + count; p++) take(id, topic, p);
        });
      }
    });
  },
};

/** Kafka's RoundRobinAssignor. */
export const roundRobinAssignor: ConsumerAssignor = {
  name: 'roundrobin',
  assign(members, partitionsPerTopic) {
    const sorted = [...members].sort((a, b) => byString(a.memberId, b.memberId));
    const subscribed = new Map(sorted.map((m) => [m.memberId, new Set(m.topics)]));
    const topics = [...new Set(members.flatMap((m) => m.topics))].filter((t) => partitionsPerTopic.has(t)).sort(byString);
    return collect(members, (take) => {
      if (sorted.length === 0) return;
      let next = 0;
      for (const topic of topics) {
        for (let p = 0; p < partitionsPerTopic.get(topic)!; p++) {
          // the circle turns past members not subscribed to the topic (one of them is)
          while (!subscribed.get(sorted[next % sorted.length]!.memberId)!.has(topic)) next++;
          take(sorted[next % sorted.length]!.memberId, topic, p);
          next++;
        }
      }
    });
  },
};

export const BUILTIN_ASSIGNORS: readonly ConsumerAssignor[] = [rangeAssignor, roundRobinAssignor];

/** The names partition.assignment.strategy accepts for each assignor (Java's class names too). */
const ALIASES = new Map<string, ConsumerAssignor>([
  ['range', rangeAssignor],
  ['org.apache.kafka.clients.consumer.RangeAssignor', rangeAssignor],
  ['roundrobin', roundRobinAssignor],
  ['org.apache.kafka.clients.consumer.RoundRobinAssignor', roundRobinAssignor],
]);

/**
 * partition.assignment.strategy: a comma-separated list, most preferred first (the order of
 * the protocols in JoinGroup; the coordinator picks the one most members rank highest).
 */
export function assignorsFromStrategy(value: string): ConsumerAssignor[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new ConfigError('consumer property partition.assignment.strategy names no assignor', { context: { key: 'partition.assignment.strategy' } });
  const out: ConsumerAssignor[] = [];
  for (const n of names) {
    const a = ALIASES.get(n);
    if (!a) {
      throw new ConfigError(`consumer property partition.assignment.strategy: unknown assignor "${n}" (range or roundrobin, or Kafka's RangeAssignor / RoundRobinAssignor class names)`, {
        context: { key: 'partition.assignment.strategy' },
      });
    }
    if (!out.includes(a)) out.push(a);
  }
  return out;
}
