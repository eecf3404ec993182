/**
 * KafkaStream: what 0.8's high-level consumer hands the application, one per consumer thread
 * (`<consumerId>-<n>`): an endless async iterator over the records of the partitions that
 * thread owns. The fetcher puts chunks (what one fetch returned for one partition, decoded a
 * batch at a time as the records are taken) into the stream's queue; a rebalance clears it.
 *
 * At-least-once: a record counts as processed when the application asks for the next one
 * (the `for await` body finished), or when it calls `markProcessed(record)`; with
 * `markOnNext: false` only markProcessed counts. Only processed records are committed. Leaving a loop with `break` or a throw does not mark the last record:
 * call markProcessed first if it was handled.
 *
 * PartitionTopicInfo is one partition's state for one rebalance generation: the next offset to
 * fetch, the offset after the last processed record (what a commit writes) and the last
 * committed one. A generation ends at the next rebalance; its records are then dropped.
 */
import { ProjectError } from '../../common/errors.js';

export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

/** Thrown by a stream's iterator after `consumer.timeout.ms` without a record. */
export class ConsumerTimeoutError extends ProjectError {}

export class PartitionTopicInfo {
  readonly topic: string;
  readonly partition: number;
  readonly threadId: string;
  /** Next offset to fetch; -1 until auto.offset.reset has chosen one. */
  fetchOffset: number;
  /** The offset after the last processed record: what a commit writes (-1: nothing to commit). */
  consumedOffset: number;
  /** The last offset committed (or read at the start of the generation). */
  committedOffset: number;
  /** False once the generation ended: late marks are ignored. */
  active = true;
  /** The partition's high watermark in the last fetch answer (-1: none yet): lag is this - consumedOffset. */
  highWatermark = -1;
  /** Records processed, by topic: the connector's running totals (its metrics), shared by its partitions. */
  tally: Map<string, number> | undefined;

  constructor(topic: string, partition: number, threadId: string, startOffset: number | undefined) {
    this.topic = topic;
    this.partition = partition;
    this.threadId = threadId;
    this.fetchOffset = startOffset ?? -1;
    this.consumedOffset = startOffset ?? -1;
    this.committedOffset = startOffset ?? -1;
  }

  get key(): string {
    return `${this.topic}/${this.partition}`;
  }

  /** Records `offset` as processed (the next offset to consume becomes offset + 1). */
  markProcessed(offset: number): void {
    if (this.active && offset + 1 > this.consumedOffset) {
      this.consumedOffset = offset + 1;
      if (this.tally) this.tally.set(this.topic, (this.tally.get(this.topic) ?? 0) + 1);
    }
  }
}

interface Chunk {
  info: PartitionTopicInfo;
  records: ConsumerRecord[];
  /** The fetcher's chunks: the next batch's records once `records` are taken (undefined: no more). */
  more?: () => ConsumerRecord[] | undefined;
}

/** A record as the fetcher makes it: it knows its partition's generation (for markProcessed). */
export class FetchedRecord implements ConsumerRecord {
  readonly #info: PartitionTopicInfo;
  constructor(
    info: PartitionTopicInfo,
    public topic: string,
    public partition: number,
    public offset: number,
    public timestamp: number,
    public key: Buffer | null,
    public value: Buffer | null,
    public headers: { key: string; value: Buffer | null }[],
  ) {
    this.#info = info;
  }

  static infoOf(r: ConsumerRecord): PartitionTopicInfo | undefined {
    return #info in r ? (r as FetchedRecord).#info : undefined;
  }
}

/** Records enqueued as plain objects (tests, other producers of chunks). */
const infoOf = new WeakMap<ConsumerRecord, PartitionTopicInfo>();

export class KafkaStream implements AsyncIterable<ConsumerRecord> {
  readonly topic: string;
  /** The stream index n of the thread `<consumerId>-<n>`. */
  readonly index: number;
  readonly #timeoutMs: number;
  readonly #onSpace: () => void;
  readonly #markOnNext: boolean;
  #chunks: Chunk[] = [];
  #current: { chunk: Chunk; at: number } | undefined;
  #pending: ConsumerRecord | undefined;
  #waiter: (() => void) | undefined;
  #closed = false;
  /** An error the fetcher met for this stream's partitions, thrown by next() once the queue is empty. */
  #error: Error | undefined;

  /** `topic`: the topic, or a label (a wildcard's streams carry records of many topics). */
  constructor(topic: string, index: number, opts: { consumerTimeoutMs?: number; onSpace?: () => void; markOnNext?: boolean } = {}) {
    this.topic = topic;
    this.index = index;
    this.#timeoutMs = opts.consumerTimeoutMs ?? -1;
    this.#onSpace = opts.onSpace ?? (() => {});
    this.#markOnNext = opts.markOnNext ?? true;
  }

  /** Chunks waiting (the fetcher stops fetching for this stream at queued.max.message.chunks). */
  get queuedChunks(): number {
    return this.#chunks.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Fetcher side: adds the records of one fetch of one partition. */
  enqueue(info: PartitionTopicInfo, records: ConsumerRecord[]): void {
    if (this.#closed || !info.active || records.length === 0) return;
    if (!(records[0] instanceof FetchedRecord)) for (const r of records) infoOf.set(r, info);
    this.#chunks.push({ info, records });
    this.#wake();
  }

  /**
   * Fetcher side: one fetch of one partition as it came, its records decoded by `more` a batch
   * at a time as they are taken (see fetchedRecords in fetcher.ts). A batch that cannot be
   * decoded (its CRC matched: the producer wrote it so) is thrown by next() or poll() once; the
   * records after it follow.
   */
  enqueueBatches(info: PartitionTopicInfo, more: () => ConsumerRecord[] | undefined): void {
    if (this.#closed || !info.active) return;
    this.#chunks.push({ info, records: [], more });
    this.#wake();
  }

  /**
   * Fetcher side: a failure the application must hear of (not authorized to read a topic, the
   * brokers refusing our credentials). next() throws it once the records already queued are
   * taken; one error waits at a time. The fetcher tries the partition again later, so a
   * consumer that keeps reading after catching it gets the records once allowed (or the error
   * again).
   */
  fail(err: Error): void {
    if (this.#closed) return;
    this.#error ??= err;
    this.#wake();
  }

  /** Rebalance: drops every queued record (the record being processed keeps its generation). */
  clear(): void {
    this.#chunks = [];
    this.#error = undefined; // the next generation's fetcher reports again what still fails
    this.#current = undefined;
    this.#onSpace();
  }

  /** Shutdown: the iterator ends. */
  close(): void {
    this.#closed = true;
    this.clear();
    this.#wake();
  }

  /** Marks a record (from any stream of this connector) as processed, so a commit covers it. */
  static markProcessed(record: ConsumerRecord): void {
    KafkaStream.partitionOf(record)?.markProcessed(record.offset);
  }

  /** The partition generation a record was fetched in (undefined for a record not from a stream). */
  static partitionOf(record: ConsumerRecord): PartitionTopicInfo | undefined {
    return FetchedRecord.infoOf(record) ?? infoOf.get(record);
  }

  markProcessed(record: ConsumerRecord): void {
    KafkaStream.markProcessed(record);
    if (this.#pending === record) this.#pending = undefined;
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  #take(): ConsumerRecord | undefined {
    for (;;) {
      const cur = this.#current;
      if (cur) {
        const { chunk } = cur;
        if (chunk.info.active) {
          if (cur.at < chunk.records.length) return chunk.records[cur.at++];
          const more = chunk.more?.();
          if (more) {
            chunk.records = more;
            cur.at = 0;
            continue;
          }
        }
        this.#current = undefined;
      }
      const next = this.#chunks.shift();
      if (!next) return undefined;
      this.#current = { chunk: next, at: 0 };
      this.#onSpace();
    }
  }

  /**
   * The next record if one is queued, else undefined, without waiting (nor throwing
   * ConsumerTimeoutError); marks the previous one processed like next().
   */
  poll(): ConsumerRecord | undefined {
    if (this.#pending) {
      if (this.#markOnNext) KafkaStream.markProcessed(this.#pending);
      this.#pending = undefined;
    }
    if (this.#closed) return undefined;
    const r = this.#take();
    if (r) this.#pending = r;
    return r;
  }

  /**
   * The next record; marks the previous one processed (unless markOnNext is false). Waits while
   * none is queued; throws an error the fetcher reported (fail()) when none is queued.
   */
  async next(): Promise<IteratorResult<ConsumerRecord, undefined>> {
    if (this.#pending) {
      if (this.#markOnNext) KafkaStream.markProcessed(this.#pending);
      this.#pending = undefined;
    }
    const deadline = this.#timeoutMs > 0 ? Date.now() + this.#timeoutMs : Infinity;
    for (;;) {
      if (this.#closed) return { done: true, value: undefined };
      const r = this.#take();
      if (r) {
        this.#pending = r;
        return { done: false, value: r };
      }
      if (this.#error) {
        const e = this.#error;
        this.#error = undefined;
        throw e;
      }
      const wait = deadline - Date.now();
      if (wait <= 0) throw new ConsumerTimeoutError(`no record on stream ${this.topic}-${this.index} for ${this.#timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const waiter = (): void => {
          if (timer) clearTimeout(timer);
          resolve();
        };
        const timer = Number.isFinite(wait) ? setTimeout(() => this.#waiter === waiter && this.#wake(), wait) : undefined;
        this.#waiter = waiter;
      });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord, undefined> {
    return {
      next: () => this.next(),
      // Leaving the loop does not mark the last record: it may not have been handled.
      return: async () => {
        this.#pending = undefined;
        return { done: true, value: undefined };
      },
    };
  }
}
