/**
 * Partition assignment for a ZooKeeper-coordinated consumer group (Kafka 0.8.2's
 * PartitionAssignor.scala), as pure functions: every member computes the same answer from the
 * same registries, so no member has to tell another what it owns.
 *
 * Consumer threads ("streams") are named `<consumerId>-<n>`, n = 0 .. streams-1; that name is
 * what the owner znode `/consumers/<G>/owners/<T>/<P>` holds.
 *
 *   range (default), per topic: partitions ascending; the threads subscribed to the topic
 *     sorted as strings; n = |P| div |C|, extra = |P| mod |C|; thread i takes
 *     n*i + min(i, extra) onward, n + (i < extra ? 1 : 0) partitions (Algorithm 1 of the
 *     paper, with 0.8's handling of the remainder: the first `extra` threads get one more).
 *   roundrobin: every consumer must subscribe to the same topics with one stream count for all
 *     of them; the threads sorted as strings; all partitions of all topics sorted by the Java
 *     hashCode of "[topic,partition]", then dealt out to the threads in turn.
 */
import { ProjectError } from '../../common/errors.js';

export type AssignmentStrategy = 'range' | 'roundrobin';
export const ASSIGNMENT_STRATEGIES: readonly AssignmentStrategy[] = ['range', 'roundrobin'];

export interface AssignmentInput {
  /** Every member of the group: consumer id -> subscription (topic -> number of streams). */
  consumers: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** Every topic some member subscribes to that exists: topic -> its partition ids. */
  partitions: ReadonlyMap<string, readonly number[]>;
}

export interface PartitionOwner {
  topic: string;
  partition: number;
  /** `<consumerId>-<n>`. */
  threadId: string;
}

/** A subscription the strategy cannot serve (roundrobin with differing subscriptions). */
export class AssignmentError extends ProjectError {}

export function threadId(consumerId: string, stream: number): string {
  return `${consumerId}-${stream}`;
}

/** The thread ids of one consumer for one topic: `<id>-0` .. `<id>-(streams-1)`. */
export function threadIds(consumerId: string, streams: number): string[] {
  return Array.from({ length: streams }, (_, n) => threadId(consumerId, n));
}

/** The consumer id of a thread id `<consumerId>-<n>` (a bare id, as kafka-node writes, is returned as is). */
export function consumerIdOfThread(thread: string): string {
  const m = /^(.*)-\d+$/.exec(thread);
  return m ? m[1]! : thread;
}

/** JavaScript's default sort: by UTF-16 code units, as Java's String.compareTo. */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorted thread ids of every consumer subscribed to each topic. */
function threadsPerTopic(consumers: AssignmentInput['consumers']): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [id, sub] of consumers) {
    for (const [topic, streams] of Object.entries(sub)) {
      let list = out.get(topic);
      if (!list) out.set(topic, (list = []));
      list.push(...threadIds(id, streams));
    }
  }
  for (const list of out.values()) list.sort(byString);
  return out;
}

const sortOwners = (owners: PartitionOwner[]): PartitionOwner[] =>
  owners.sort((a, b) => byString(a.topic, b.topic) || a.partition - b.partition);

/** The range assignment of every partition of every subscribed topic. */
export function rangeAssign(input: AssignmentInput): PartitionOwner[] {
  const out: PartitionOwner[] = [];
  for (const [topic, threads] of threadsPerTopic(input.consumers)) {
    const parts = [...(input.partitions.get(topic) ?? [])].sort((a, b) => a - b);
    if (threads.length === 0 || parts.length === 0) continue;
    const n = Math.floor(parts.length / threads.length);
    const extra = parts.length % threads.length;
    threads.forEach((thread, i) => {
      const start = n * i + Math.min(i, extra);
      const count = n + (i < extra ? 1 : 0);
      for (let k = start; k < start + count; k++) out.push({ topic, partition: parts[k]!, threadId: thread });
    });
  }
  return sortOwners(out);
}

/** Java's String.hashCode (UTF-16 code units, 32-bit wrap-around). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The round-robin assignment; throws AssignmentError unless all subscriptions are identical. */
export function roundRobinAssign(input: AssignmentInput): PartitionOwner[] {
  const members = [...input.consumers];
  if (members.length === 0) return [];
  const shape = (sub: Readonly<Record<string, number>>): string => {
    const counts = new Set(Object.values(sub));
    if (counts.size > 1) return '';
    return `${Object.keys(sub).sort(byString).join(',')}|${[...counts][0] ?? 0}`;
  };
  const first = shape(members[0]![1]);
  for (const [id, sub] of members) {
    const s = shape(sub);
    if (s === '' || s !== first) {
      throw new AssignmentError(
        `round-robin assignment needs every consumer of the group to subscribe to the same topics with one stream count for all of them; ${id} subscribes to ${JSON.stringify(sub)}`,
        { context: { consumerId: id } },
      );
    }
  }
  const sub = members[0]![1];
  const threads = members.flatMap(([id]) => threadIds(id, Object.values(sub)[0] ?? 0)).sort(byString);
  if (threads.length === 0) return [];
  const all: { topic: string; partition: number; hash: number }[] = [];
  for (const topic of Object.keys(sub)) {
    for (const partition of input.partitions.get(topic) ?? []) all.push({ topic, partition, hash: javaStringHash(`[${topic},${partition}]`) });
  }
  all.sort((a, b) => a.hash - b.hash || byString(a.topic, b.topic) || a.partition - b.partition);
  return sortOwners(all.map((p, i) => ({ topic: p.topic, partition: p.partition, threadId: threads[i % threads.length]! })));
}

export function assign(strategy: AssignmentStrategy, input: AssignmentInput): PartitionOwner[] {
  return strategy === 'roundrobin' ? roundRobinAssign(input) : rangeAssign(input);
}

/** The part of an assignment that belongs to one consumer's threads. */
export function ownedBy(owners: readonly PartitionOwner[], consumerId: string): PartitionOwner[] {
  return owners.filter((o) => consumerIdOfThread(o.threadId) === consumerId);
}
