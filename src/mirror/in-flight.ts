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
 * Records of one partition that the mirror hands on in one synchronous stretch (no wait in
 * between, no handler) share one entry, a run (addToRun/closeRun): one object and one
 * callback per run instead of per record. A run counts as processed only once it is closed
 * and all its target records are acknowledged; its processed mark is its last offset.
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
  /** The first source offset of the entry (of its run). */
  readonly first: number;
  /** The last source offset of the entry (of its run, so far). */
  offset: number;
  /** Source records in the entry (1, or the length of a run). */
  records = 1;
  /** Target records not yet acknowledged. */
  pending: number;
  /** A run still being added to: not processed, whatever is acknowledged. */
  open = false;
  readonly queue: Queue<P>;
  constructor(offset: number, pending: number, queue: Queue<P>) {
    this.first = offset;
    this.offset = offset;
    this.pending = pending;
    this.queue = queue;
  }

  /** "topic/partition@offset", or "topic/partition@first..last" for a run. */
  get where(): string {
    return this.first === this.offset ? `${this.queue.label}@${this.offset}` : `${this.queue.label}@${this.first}..${this.offset}`;
  }
}

export class InFlightRecords<P extends object> {
  readonly #queues = new Map<P, Queue<P>>();
  /** The queue of the previous add(): records come in runs of one partition. */
  #last: Queue<P> | undefined;
  #size = 0;
  /** The open run, if any (at most one: runs are built in one synchronous stretch). */
  #run: InFlightEntry<P> | undefined;
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
    this.closeRun();
    const q = this.#queue(partition, label);
    const entry = new InFlightEntry(offset, sends, q);
    q.entries.push(entry);
    this.#size++;
    if (sends === 0) this.#advance(q);
    return entry;
  }

  /**
   * The record at `offset` of `partition`, handed on as one target record, joins the open run
   * when that run is of the same partition and shorter than `maxRun`; otherwise the open run
   * is closed and a new one starts. `labelOf` names a partition seen for the first time.
   */
  addToRun(partition: P, offset: number, labelOf: (p: P) => string, maxRun: number): InFlightEntry<P> {
    let run = this.#run;
    if (run !== undefined && run.queue.partition === partition && run.records < maxRun) {
      run.offset = offset;
      run.records++;
      run.pending++;
    } else {
      this.closeRun();
      const q = this.#queue(partition, labelOf);
      run = new InFlightEntry(offset, 1, q);
      run.open = true;
      q.entries.push(run);
      this.#run = run;
    }
    this.#size++;
    return run;
  }

  /** Closes the open run (before any wait): it is processed once all of it is acknowledged. */
  closeRun(): void {
    const run = this.#run;
    if (run === undefined) return;
    this.#run = undefined;
    run.open = false;
    if (run.pending === 0) this.#advance(run.queue);
  }

  #queue(partition: P, label: string | ((p: P) => string)): Queue<P> {
    let q = this.#last;
    if (q === undefined || q.partition !== partition) {
      q = this.#queues.get(partition);
      if (!q) this.#queues.set(partition, (q = new Queue(partition, typeof label === 'string' ? label : label(partition))));
      this.#last = q;
    }
    return q;
  }

  /** One target record of `entry` was acknowledged (or is given up on). */
  ack(entry: InFlightEntry<P>): void {
    if (entry.pending <= 0) return;
    if (--entry.pending === 0 && !entry.open) this.#advance(entry.queue);
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
    let records = 0;
    for (let e = q.entries[q.head]; e !== undefined && e.pending === 0 && !e.open; e = q.entries[++q.head]) records += e.records;
    if (q.head === start) return;
    this.#size -= records;
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
