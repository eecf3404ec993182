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
  #counters = new Map<string, number>();
  next(topic: string, partitionCount: number, available: readonly number[]): number {
    const c = (this.#counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1;
    this.#counters.set(topic, c & 0x7fffffff);
    return available.length > 0 ? available[(c & 0x7fffffff) % available.length]! : (c & 0x7fffffff) % partitionCount;
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
