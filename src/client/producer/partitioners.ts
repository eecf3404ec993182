/**
 * Partitioners: how a record without an explicit partition finds one. The default hashes the
 * key with murmur2 exactly as the Java client and kafkajs do (so keyed records land where
 * those clients would put them) and sends keyless records to a STICKY partition (KIP-480, the
 * Java client's default since 2.4): every keyless record of a topic goes to one partition, with
 * a leader, then another partition is picked at random. Where the Java client moves on at every
 * new batch (batch.size), ours (producer.ts #nextSticky) moves on when the sender has taken the
 * partition's batches, or when one request's worth waits there: every partition a request
 * writes costs our broker an fsync, so a loaded producer fills one partition per request and
 * throughput with many partitions stays that of one; an idle one still spreads record by record.
 * 'round-robin' deals them one by one, as the default did before.
 */
import { murmur2, murmur2Partition } from '../partitioner.js';
import type { Bytes } from '../../protocol/records/record-batch.js';
import type { Partitioner, PartitionerFn } from './types.js';

export { murmur2, murmur2Partition };

/** What the producer needs from a partitioner: a partition for (topic, key, value). */
export interface PartitionChooser {
  choose(topic: string, key: Bytes, value: Bytes, partitionCount: number, available: readonly number[]): number;
  /**
   * Sticky choosers: the keyless record just placed on `prev` would open a new batch there;
   * returns the partition to use instead (and for the next keyless records). The producer calls
   * it only for records whose partition came from choose() without a key.
   */
  onNewBatch?(topic: string, prev: number, partitionCount: number, available: readonly number[]): number;
}

/** KIP-480's sticky choice for keyless records: one partition per topic until its batch is full. */
class Sticky {
  readonly #current = new Map<string, number>();
  get(topic: string, partitionCount: number, available: readonly number[]): number {
    const p = this.#current.get(topic);
    if (p !== undefined && p < partitionCount) return p;
    return this.next(topic, -1, partitionCount, available);
  }
  next(topic: string, prev: number, partitionCount: number, available: readonly number[]): number {
    const from = available.length > 0 ? available : undefined;
    const n = from ? from.length : partitionCount;
    let p: number;
    if (n <= 1) p = from ? from[0]! : 0;
    else {
      // another partition than the one that just filled, uniformly
      do p = from ? from[Math.floor(Math.random() * n)]! : Math.floor(Math.random() * n);
      while (p === prev);
    }
    this.#current.set(topic, p);
    return p;
  }
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
    case 'default': {
      const sticky = new Sticky();
      return {
        choose: (topic, key, _value, n, available) => (key === null || key === undefined ? sticky.get(topic, n, available) : murmur2Partition(key, n)),
        onNewBatch: (topic, prev, n, available) => sticky.next(topic, prev, n, available),
      };
    }
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
