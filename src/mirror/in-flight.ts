/**
 * What makes the mirror loss-free: a source record counts as processed (and its offset may be
 * committed) only once the target acknowledged every record made from it AND every record
 * before it in its source partition. Records of one source partition may land in several
 * target partitions, whose acknowledgements come back in any order, so each source partition
 * keeps the offsets it handed on in order, and its processed mark moves over the acknowledged
 * head of that queue only. takeProcessed() tells the mirror, before each commit, how far each
 * partition that moved is processed.
 *
 * A queue belongs to one partition generation (the connector's PartitionTopicInfo, `P`): after
 * a rebalance the partition's records start a new queue, and the old one, once drained, is
 * forgotten. Only offsets are kept, not the records (fewer live objects while the target
 * answers).
 *
 * A record whose send failed is never acknowledged: with abort.on.send.failure the mark stays
 * before it for good, so no commit can pass it. (Without abort the mirror acknowledges it
 * itself, skipping it, as 0.9's MirrorMaker did.)
 */

class Queue<P> {
  readonly partition: P;
  /** "topic/partition", for messages. */
  readonly label: string;
  entries: InFlightEntry<P>[] = [];
  head = 0;
  /** The last offset processed through and not yet taken (-1: none). */
  processed = -1;
  constructor(partition: P, label: string) {
    this.partition = partition;
    this.label = label;
  }
}

export class InFlightEntry<P = unknown> {
  readonly offset: number;
  /** Target records not yet acknowledged. */
  pending: number;
  readonly queue: Queue<P>;
  constructor(offset: number, pending: number, queue: Queue<P>) {
    this.offset = offset;
    this.pending = pending;
    this.queue = queue;
  }

  /** "topic/partition@offset". */
  get where(): string {
    return `${this.queue.label}@${this.offset}`;
  }
}

export class InFlightRecords<P extends object> {
  readonly #queues = new Map<P, Queue<P>>();
  /** The queue of the previous add(): records come in runs of one partition. */
  #last: Queue<P> | undefined;
  #size = 0;
  #room: { below: number; resolve: () => void } | undefined;

  /** Source records not yet processed (acknowledged through). */
  get size(): number {
    return this.#size;
  }

  /** Resolves once fewer than `below` records are in flight. */
  room(below: number): Promise<void> {
    if (this.#size < below) return Promise.resolve();
    return new Promise((resolve) => {
      const prev = this.#room;
      this.#room = { below, resolve: () => (prev?.resolve(), resolve()) };
    });
  }

  /**
   * The record at `offset` of `partition` (a generation; `label` names it) handed to the
   * producer as `sends` target records (0: dropped by the handler).
   */
  add(partition: P, label: string, offset: number, sends: number): InFlightEntry<P> {
    let q = this.#last;
    if (q === undefined || q.partition !== partition) {
      q = this.#queues.get(partition);
      if (!q) this.#queues.set(partition, (q = new Queue(partition, label)));
      this.#last = q;
    }
    const entry = new InFlightEntry(offset, sends, q);
    q.entries.push(entry);
    this.#size++;
    if (sends === 0) this.#advance(q);
    return entry;
  }

  /** One target record of `entry` was acknowledged (or is given up on). */
  ack(entry: InFlightEntry<P>): void {
    if (entry.pending <= 0) return;
    if (--entry.pending === 0) this.#advance(entry.queue);
  }

  /**
   * How far each partition that moved since the previous call is processed: [partition, the
   * last offset processed through]. Drained queues of partitions `ended` says are over go.
   */
  takeProcessed(ended: (partition: P) => boolean = () => false): [P, number][] {
    const out: [P, number][] = [];
    for (const [p, q] of this.#queues) {
      if (q.processed >= 0) {
        out.push([p, q.processed]);
        q.processed = -1;
      }
      if (q.head === q.entries.length && ended(p)) {
        this.#queues.delete(p);
        if (this.#last === q) this.#last = undefined;
      }
    }
    return out;
  }

  #advance(q: Queue<P>): void {
    const start = q.head;
    while (q.head < q.entries.length && q.entries[q.head]!.pending === 0) q.head++;
    if (q.head === start) return;
    this.#size -= q.head - start;
    q.processed = q.entries[q.head - 1]!.offset;
    if (q.head === q.entries.length) {
      q.entries.length = 0;
      q.head = 0;
    } else if (q.head >= 1024 && q.head * 2 >= q.entries.length) {
      q.entries = q.entries.slice(q.head);
      q.head = 0;
    }
    if (this.#room && this.#size < this.#room.below) {
      const r = this.#room;
      this.#room = undefined;
      r.resolve();
    }
  }
}
