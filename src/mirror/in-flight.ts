/**
 * What makes the mirror loss-free: a source record counts as processed (and its offset may be
 * committed) only once the target acknowledged every record made from it AND every record
 * before it in its source partition. Records of one source partition may land in several
 * target partitions, whose acknowledgements come back in any order, so each source partition
 * keeps its records in offset order, and its processed mark moves over the acknowledged head
 * of that queue only. takeProcessed() hands the mirror, before each commit, the last processed
 * record of every partition that moved.
 *
 * A record whose send failed is never acknowledged: with abort.on.send.failure the mark stays
 * before it for good, so no commit can pass it. (Without abort the mirror acknowledges it
 * itself, skipping it, as 0.9's MirrorMaker did.)
 */
import type { ConsumerRecord } from '../client/connector/stream.js';

class Queue {
  entries: InFlightEntry[] = [];
  head = 0;
  /** The last record processed through, not yet taken. */
  processed: ConsumerRecord | undefined;
}

export class InFlightEntry {
  readonly record: ConsumerRecord;
  /** Target records not yet acknowledged. */
  pending: number;
  readonly queue: Queue;
  constructor(record: ConsumerRecord, pending: number, queue: Queue) {
    this.record = record;
    this.pending = pending;
    this.queue = queue;
  }
}

export class InFlightRecords {
  readonly #queues = new Map<string, Queue>();
  /** The queue of the previous add(): records come in runs of one partition. */
  #last: { topic: string; partition: number; queue: Queue } | undefined;
  #size = 0;
  #room: { below: number; resolve: () => void } | undefined;

  /** Source records not yet processed (acknowledged through). */
  get size(): number {
    return this.#size;
  }

  /** Resolves once fewer than `below` records are in flight (one waiter at a time). */
  room(below: number): Promise<void> {
    if (this.#size < below) return Promise.resolve();
    return new Promise((resolve) => {
      const prev = this.#room;
      this.#room = { below, resolve: () => (prev?.resolve(), resolve()) };
    });
  }

  /** A source record handed to the producer as `sends` target records (0: dropped by the handler). */
  add(record: ConsumerRecord, sends: number): InFlightEntry {
    let last = this.#last;
    if (last === undefined || last.partition !== record.partition || last.topic !== record.topic) {
      const key = `${record.topic}/${record.partition}`;
      let queue = this.#queues.get(key);
      if (!queue) this.#queues.set(key, (queue = new Queue()));
      this.#last = last = { topic: record.topic, partition: record.partition, queue };
    }
    const entry = new InFlightEntry(record, sends, last.queue);
    last.queue.entries.push(entry);
    this.#size++;
    if (sends === 0) this.#advance(last.queue);
    return entry;
  }

  /** One target record of `entry` was acknowledged (or is given up on). */
  ack(entry: InFlightEntry): void {
    if (entry.pending <= 0) return;
    if (--entry.pending === 0) this.#advance(entry.queue);
  }

  /** The last record processed through in each partition since the previous call. */
  takeProcessed(): ConsumerRecord[] {
    const out: ConsumerRecord[] = [];
    for (const q of this.#queues.values()) {
      if (q.processed === undefined) continue;
      out.push(q.processed);
      q.processed = undefined;
    }
    return out;
  }

  #advance(q: Queue): void {
    const start = q.head;
    while (q.head < q.entries.length && q.entries[q.head]!.pending === 0) q.head++;
    if (q.head === start) return;
    this.#size -= q.head - start;
    if (this.#room && this.#size < this.#room.below) {
      const r = this.#room;
      this.#room = undefined;
      r.resolve();
    }
    q.processed = q.entries[q.head - 1]!.record;
    if (q.head === q.entries.length) {
      q.entries.length = 0;
      q.head = 0;
    } else if (q.head >= 1024 && q.head * 2 >= q.entries.length) {
      q.entries = q.entries.slice(q.head);
      q.head = 0;
    }
  }
}
