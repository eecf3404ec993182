/**
 * What makes the mirror loss-free: a source record counts as processed (and its offset may be
 * committed) only once the target acknowledged every record made from it AND every record
 * before it in its source partition. Records of one source partition may land in several
 * target partitions, whose acknowledgements come back in any order, so each source partition
 * keeps its records in offset order, and the processed mark moves over the acknowledged head
 * of that queue only.
 *
 * A record whose send failed is never acknowledged: with abort.on.send.failure the mark stays
 * before it for good, so no commit can pass it. (Without abort the mirror acknowledges it
 * itself, skipping it, as 0.9's MirrorMaker did.)
 */
import type { ConsumerRecord } from '../client/connector/stream.js';

export interface InFlightEntry {
  readonly record: ConsumerRecord;
  /** Target records not yet acknowledged. */
  pending: number;
}

interface Queue {
  entries: InFlightEntry[];
  head: number;
}

export class InFlightRecords {
  readonly #queues = new Map<string, Queue>();
  readonly #onProcessed: (record: ConsumerRecord) => void;
  #size = 0;

  /** `onProcessed(r)`: every record of r's partition up to r is acknowledged. */
  constructor(onProcessed: (record: ConsumerRecord) => void) {
    this.#onProcessed = onProcessed;
  }

  /** Source records not yet processed (acknowledged through). */
  get size(): number {
    return this.#size;
  }

  /** A source record handed to the producer as `sends` target records (0: dropped by the handler). */
  add(record: ConsumerRecord, sends: number): InFlightEntry {
    const key = `${record.topic}/${record.partition}`;
    let q = this.#queues.get(key);
    if (!q) this.#queues.set(key, (q = { entries: [], head: 0 }));
    const entry: InFlightEntry = { record, pending: sends };
    q.entries.push(entry);
    this.#size++;
    if (sends === 0) this.#advance(q);
    return entry;
  }

  /** One target record of `entry` was acknowledged (or is given up on). */
  ack(entry: InFlightEntry): void {
    if (entry.pending <= 0) return;
    if (--entry.pending > 0) return;
    const q = this.#queues.get(`${entry.record.topic}/${entry.record.partition}`);
    if (q) this.#advance(q);
  }

  #advance(q: Queue): void {
    const start = q.head;
    while (q.head < q.entries.length && q.entries[q.head]!.pending === 0) q.head++;
    if (q.head === start) return;
    this.#size -= q.head - start;
    const last = q.entries[q.head - 1]!;
    if (q.head === q.entries.length) {
      q.entries = [];
      q.head = 0;
    } else if (q.head >= 1024) {
      q.entries = q.entries.slice(q.head);
      q.head = 0;
    }
    this.#onProcessed(last.record);
  }
}
