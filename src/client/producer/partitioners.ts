/**
 * Partitioners: how a record without an explicit partition finds one. The default hashes the
 * key with murmur2 exactly as the Java client and kafkajs do (so keyed records land where
 * those clients would put them) and deals keyless records round-robin over the partitions
 * that have a leader.
 */
import { murmur2, murmur2Partition } from '../partitioner.js';
import type { Bytes } from '../../protocol/records/record-batch.js';
import type { Partitioner, PartitionerFn } from './types.js';

export { murmur2, murmur2Partition };

/** What the producer needs from a partitioner: a partition for (topic, key, value). */
export interface PartitionChooser {
  choose(topic: string, key: Bytes, value: Bytes, partitionCount: number, available: readonly number[]): number;
}

class RoundRobin {
  #counters = new Map<string, { n: number }>();
  // the last topic's counter: a producer usually sends to one topic at a time
  #lastTopic: string | undefined;
  #last: { n: number } = { n: 0 };
  next(topic: string, partitionCount: number, available: readonly number[]): number {
    let c = this.#last;
    if (topic !== this.#lastTopic) {
      let found = this.#counters.get(topic);
      if (found === undefined) this.#counters.set(topic, (found = { n: Math.floor(Math.random() * 0x7fffffff) }));
      this.#lastTopic = topic;
      this.#last = c = found;
    }
    const v = (c.n + 1) & 0x7fffffff;
    c.n = v;
    return available.length > 0 ? available[v % available.length]! : v % partitionCount;
  }
}

export function createPartitioner(p: Partitioner | undefined): PartitionChooser {
  if (typeof p === 'function') {
    const fn: PartitionerFn = p;
    return { choose: (topic, key, value, partitionCount, availablePartitions) => fn({ topic, key, value, partitionCount, availablePartitions }) };
  }
  const rr = new RoundRobin();
  switch (p ?? 'default') {
    case 'default':
      return {
        choose: (topic, key, _value, n, available) => (key === null || key === undefined ? rr.next(topic, n, available) : murmur2Partition(key, n)),
      };
    case 'round-robin':
      return { choose: (topic, _key, _value, n, available) => rr.next(topic, n, available) };
    case 'random':
      return {
        choose: (_topic, _key, _value, n, available) => (available.length > 0 ? available[Math.floor(Math.random() * available.length)]! : Math.floor(Math.random() * n)),
      };
    default:
      throw new TypeError(`unknown partitioner "${String(p)}" (default, round-robin, random or a function)`);
  }
}
