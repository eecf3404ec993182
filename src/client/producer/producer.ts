/**
 * Producer: the public, asynchronous producer (the design of Kafka's Java client, on one
 * event loop). `produce()` partitions a record and appends it to its partition's open batch in
 * the RecordAccumulator; the Sender ships ready batches to partition leaders, several requests
 * in flight per connection; acknowledgements complete each record's callback or promise.
 *
 *   const p = new Producer({ brokers: 'localhost:9092', acks: 1, compression: 'snappy' });
 *   const md = await p.send({ topic: 't', key: 'k', value: 'v' });
 *   p.produce({ topic: 't', value: buf }, (err, md) => ...);   // false: wait for p.ready()
 *   await p.flush(); await p.close();
 *
 * Records wait (in order) for a topic's metadata and, when buffer.memory is used up, for
 * memory; either wait fails after max.block.ms. flush() waits for every record accepted
 * before it; close() flushes, then closes the connections it opened.
 */
import { Cluster } from '../cluster.js';
import type { MetadataTopic } from '../../protocol/apis/metadata.js';
import type { Bytes } from '../../protocol/records/record-batch.js';
import { ErrorCode, KafkaError, ProjectError, errorName } from '../../common/errors.js';
import { RecordAccumulator, PartitionQueue } from './record-accumulator.js';
import { MAX_PARTITION_RECORD_SET, Sender, type SenderConfig } from './sender.js';
import { resolveProducerOptions } from './config.js';
import { BATCH_HEADER_SIZE, encodeHeaders, recordSize, type EncodedHeader } from './producer-batch.js';
import { createPartitioner, type PartitionChooser } from './partitioners.js';
import { recordClock } from './record-clock.js';
import type { ProducerOptions, ProducerRecord, RecordMetadata, SendCallback } from './types.js';
import { MetricsServer } from '../../common/metrics-server.js';
import { producerRegistry } from '../client-metrics.js';

/** A record waited longer than max.block.ms for buffer memory. */
export class BufferExhaustedError extends ProjectError {}
/** produce() or send() after close(). */
export class ProducerClosedError extends ProjectError {}

interface TopicState {
  name: string;
  partitions: PartitionQueue[] | undefined;
  available: number[];
  /** Records waiting for the topic's metadata, in order. */
  waiting: WaitingRecord[];
  /** Whether keyless records went to the current sticky partition since it was chosen. */
  stickyUsed?: boolean;
}

interface WaitingRecord {
  partition: number | undefined;
  key: Bytes;
  value: Bytes;
  headers: ProducerRecord['headers'];
  timestamp: number;
  cb: SendCallback | undefined;
  epoch: number;
  sinceMs: number;
}

interface BlockedRecord {
  q: PartitionQueue;
  epoch: number;
  timestamp: number;
  key: Bytes;
  keyLen: number;
  value: Bytes;
  valueLen: number;
  headers: { list: EncodedHeader[]; size: number } | undefined;
  cb: SendCallback | undefined;
  sinceMs: number;
}

export interface ProducerMetrics {
  recordsSent: number;
  recordsFailed: number;
  batchesSent: number;
  bufferUsedBytes: number;
  bufferTotalBytes: number;
  requestsInFlight: number;
  recordsWaiting: number;
}

/** Bytes of the sealed batches waiting in `q` (not in flight). */
function queuedBytes(q: PartitionQueue): number {
  let n = 0;
  for (const b of q.batches) n += b.sizeInBytes;
  return n;
}

function byteLen(v: Bytes): number {
  if (v === null || v === undefined) return -1;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

export class Producer {
  readonly acks: 0 | 1 | -1;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly maxBlockMs: number;
  readonly maxRequestSize: number;
  /** A sticky partition takes keyless records until this much waits in its queue (one request's share). */
  readonly #stickyMaxBytes: number;
  readonly retryBackoffMs: number;
  readonly #opts: ProducerOptions;
  readonly #senderConfig: SenderConfig;
  readonly #acc: RecordAccumulator;
  readonly #chooser: PartitionChooser;
  readonly #topics = new Map<string, TopicState>();
  /** The topic of the previous record: most producers send to one topic at a time. */
  #lastTopic: TopicState | undefined;
  readonly #ownCluster: boolean;
  #cluster: Cluster | undefined;
  #starting: Promise<Cluster> | undefined;
  #sender: Sender | undefined;
  // flush generations: records accepted and not yet finished, per epoch
  #epoch = 0;
  #unfinishedCurrent = 0;
  readonly #unfinishedOld = new Map<number, number>();
  readonly #flushWaiters: { epoch: number; resolve: () => void }[] = [];
  readonly #readyWaiters: (() => void)[] = [];
  // records waiting for memory, FIFO
  #blocked: (BlockedRecord | undefined)[] = [];
  #blockedHead = 0;
  #waitingCount = 0;
  // metadata
  #metaRunning = false;
  #metaAgain = false;
  #lastMetaMs = 0;
  #metaTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #closePromise: Promise<void> | undefined;
  #stats = { recordsSent: 0, recordsFailed: 0, batchesSent: 0 };

  constructor(opts: ProducerOptions) {
    this.#opts = opts;
    const r = resolveProducerOptions(opts);
    this.acks = r.acks;
    this.batchSize = r.batchSize;
    this.lingerMs = r.lingerMs;
    this.maxBlockMs = r.maxBlockMs;
    this.maxRequestSize = r.maxRequestSize;
    this.#stickyMaxBytes = Math.min(r.maxRequestSize, MAX_PARTITION_RECORD_SET);
    this.retryBackoffMs = r.retryBackoffMs;
    this.#senderConfig = r.sender;
    this.#acc = new RecordAccumulator({ bufferMemory: r.bufferMemory, batchSize: this.batchSize, codec: r.codec });
    this.#acc.onBatchClosed = this.#acc.onBatchOpened = (q) => this.#sender?.wake(q.leader);
    this.#chooser = createPartitioner(opts.partitioner);
    const sources = [opts.cluster, opts.brokers, opts.zookeeper].filter((x) => x !== undefined).length;
    if (sources !== 1) throw new ProjectError('give exactly one of brokers, zookeeper or cluster');
    this.#ownCluster = opts.cluster === undefined;
    if (opts.cluster) this.#cluster = opts.cluster;
    else if (opts.brokers !== undefined) this.#cluster = new Cluster({ brokers: opts.brokers, clientId: opts.clientId ?? 'zkafka-producer', requestTimeoutMs: opts.requestTimeoutMs, security: opts.security });
    if (this.#cluster) this.#makeSender(this.#cluster);
    if (opts.metricsPort !== undefined) {
      const registry = producerRegistry(opts.clientId ?? 'zkafka-producer', () => this.metrics());
      this.#metricsServer = MetricsServer.start(registry, '127.0.0.1', opts.metricsPort);
      this.#metricsServer.catch(() => undefined);
    }
  }

  #metricsServer: Promise<MetricsServer> | undefined;

  /** Where /metrics is served (with metrics.port set); rejects if the port could not be bound. */
  async metricsUrl(): Promise<string | undefined> {
    if (!this.#metricsServer) return undefined;
    return `http://127.0.0.1:${(await this.#metricsServer).port}/metrics`;
  }

  /** The cluster, once bootstrapped (at once unless bootstrapping from ZooKeeper). */
  get cluster(): Cluster | undefined {
    return this.#cluster;
  }

  /** Bootstraps (reads ZooKeeper when asked to) and checks that a broker answers. Optional: sending does it too. */
  async connect(): Promise<void> {
    const cluster = await this.#start();
    await cluster.refresh([]);
  }

  /** The partition ids of a topic (waits for its metadata like a send would). */
  async partitionsFor(topic: string): Promise<number[]> {
    const cluster = await this.#start();
    return (await cluster.topicMetadata(topic, this.maxBlockMs)).partitions.map((p) => p.partition).sort((a, b) => a - b);
  }

  /**
   * Queues a record; `cb` gets its metadata or its error. Returns false when the caller should
   * wait for `ready()` before producing more (buffer memory used up, or records waiting for
   * metadata); the record itself is accepted either way.
   */
  produce(record: ProducerRecord, cb?: SendCallback): boolean {
    return this.produceFields(record.topic, record.partition, record.key, record.value, record.headers, record.timestamp, cb);
  }

  /**
   * produce() with the record's fields as arguments: no record object per call (the mirror's
   * path, a record at a time). A callback declared with one parameter, `(err) => ...`, is not
   * given metadata, so none is made for it.
   */
  produceFields(
    topic: string,
    partition: number | undefined,
    key: ProducerRecord['key'],
    value: ProducerRecord['value'],
    headers: ProducerRecord['headers'],
    timestamp: number | undefined,
    cb?: SendCallback,
  ): boolean {
    if (this.#closing) {
      if (cb) cb(new ProducerClosedError('the producer is closed'), undefined);
      return false;
    }
    let t = this.#lastTopic;
    if (t === undefined || t.name !== topic) {
      t = this.#topics.get(topic) ?? this.#addTopic(topic);
      this.#lastTopic = t;
    }
    this.#unfinishedCurrent++;
    // no timestamp: the batch reads the clock as it takes the record (recordClock), unless the
    // record must wait, which fixes its time now
    if (t.partitions === undefined || t.waiting.length > 0) {
      t.waiting.push({ partition, key, value, headers, timestamp: timestamp ?? recordClock.now(), cb, epoch: this.#epoch, sinceMs: Date.now() });
      this.#waitingCount++;
      this.#refreshMetadata();
      return false;
    }
    return this.#place(t, partition, key, value, headers, timestamp, cb, this.#epoch);
  }

  /** Sends one record; resolves with its metadata once acknowledged (at once with acks=0). */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    return new Promise((resolve, reject) => {
      this.produce(record, (err, md) => (err ? reject(err) : resolve(md!)));
    });
  }

  /** Sends records (in order per partition); resolves when all are acknowledged, rejects with the first error. */
  sendBatch(records: ProducerRecord[]): Promise<RecordMetadata[]> {
    return Promise.all(records.map((r) => this.send(r)));
  }

  /** Resolves when the producer has room again (no record waiting for memory or metadata). */
  ready(): Promise<void> {
    if (this.#hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Sends everything buffered now and waits until every record accepted before this call is acknowledged or failed. */
  async flush(): Promise<void> {
    const e = this.#epoch;
    if (this.#unfinishedCurrent > 0) this.#unfinishedOld.set(e, this.#unfinishedCurrent);
    this.#unfinishedCurrent = 0;
    this.#epoch = e + 1;
    this.#sender?.wake();
    if (this.#flushedThrough(e)) return;
    await new Promise<void>((resolve) => this.#flushWaiters.push({ epoch: e, resolve }));
  }

  /** Refuses new records, flushes, and closes the connections the producer opened. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      await this.flush();
      this.#closing = true;
      this.#sender?.stop();
      clearTimeout(this.#metaTimer);
      if (this.#ownCluster) this.#cluster?.close();
      if (this.#metricsServer) await (await this.#metricsServer.catch(() => undefined))?.close();
    })();
    this.#closing = true;
    return this.#closePromise;
  }

  metrics(): ProducerMetrics {
    return {
      ...this.#stats,
      bufferUsedBytes: this.#acc.pool.used,
      bufferTotalBytes: this.#acc.pool.totalMemory,
      requestsInFlight: this.#sender?.inFlightRequests ?? 0,
      recordsWaiting: this.#waitingCount + this.#blocked.length - this.#blockedHead,
    };
  }

  // ---- placing records ------------------------------------------------------------------------

  #addTopic(name: string): TopicState {
    const t: TopicState = { name, partitions: undefined, available: [], waiting: [] };
    this.#topics.set(name, t);
    return t;
  }

  #hasRoom(): boolean {
    return this.#waitingCount === 0 && this.#blockedHead === this.#blocked.length && this.#acc.pool.canAllocate(this.batchSize);
  }

  #place(t: TopicState, partition: number | undefined, key: Bytes, value: Bytes, headers: ProducerRecord['headers'], timestamp: number | undefined, cb: SendCallback | undefined, epoch: number): boolean {
    const parts = t.partitions!;
    const n = parts.length;
    let p: number;
    const sticky = (partition === undefined || partition === null) && (key === null || key === undefined) && this.#chooser.onNewBatch !== undefined;
    if (partition !== undefined && partition !== null) p = partition;
    else {
      try {
        p = this.#chooser.choose(t.name, key, value, n, t.available);
      } catch (err) {
        this.#failRecord(cb, epoch, err instanceof Error ? err : new ProjectError(String(err)));
        return true;
      }
    }
    const q = parts[p];
    if (q === undefined || !Number.isInteger(p)) {
      this.#failRecord(cb, epoch, new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${p} of topic "${t.name}" does not exist (it has ${n})`, { context: { topic: t.name, partition: p } }));
      return true;
    }
    const keyLen = byteLen(key);
    const valueLen = byteLen(value);
    const hs = headers === undefined ? undefined : encodeHeaders(headers);
    if (keyLen + valueLen + (hs ? hs.size : 0) > this.maxRequestSize - 128) {
      const size = BATCH_HEADER_SIZE + recordSize(0, 0, keyLen, valueLen, hs ? hs.size : 1);
      if (size > this.maxRequestSize) {
        this.#failRecord(
          cb,
          epoch,
          new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `the record is ${size} bytes when serialized (topic "${t.name}" partition ${p}), which is larger than max.request.size (${this.maxRequestSize})`, {
            context: { topic: t.name, partition: p, bytes: size },
          }),
        );
        return true;
      }
    }
    let target = q;
    if (sticky) {
      if (t.stickyUsed && q.open === undefined && q.batches.length === 0) target = this.#nextSticky(t, target);
      t.stickyUsed = true;
      if (this.#blockedHead === this.#blocked.length) {
        const r = this.#acc.append(target, epoch, timestamp, key, keyLen, value, valueLen, hs, cb, true);
        if (r !== 'new-batch') return true;
        // its batch is full: another batch on the same partition while the sender has not taken
        // the queued ones and less than one request's worth waits, else the next sticky partition
        if (queuedBytes(target) + this.batchSize > this.#stickyMaxBytes) target = this.#nextSticky(t, target);
      }
    }
    if (this.#blockedHead < this.#blocked.length || !this.#acc.append(target, epoch, timestamp, key, keyLen, value, valueLen, hs, cb)) {
      this.#blocked.push({ q: target, epoch, timestamp: timestamp ?? recordClock.now(), key, keyLen, value, valueLen, headers: hs, cb, sinceMs: Date.now() });
      this.#sender?.wake();
      return false;
    }
    // no wake: a record that opens a batch wakes the sender (onBatchOpened); one that joins an
    // open batch changes nothing the sender waits for
    return true;
  }

  /**
   * The sticky partitioner moves `t`'s keyless records on from `from` (KIP-480's onNewBatch).
   * Ours moves when the sender has taken everything of the sticky partition, or when one
   * request's worth of batches waits there, rather than at every new batch: each partition a
   * request writes costs the broker an fsync (flush-before-expose), so a loaded producer fills
   * one partition per request instead of spreading 16 KiB batches over many.
   */
  #nextSticky(t: TopicState, from: PartitionQueue): PartitionQueue {
    t.stickyUsed = false;
    return t.partitions![this.#chooser.onNewBatch!(t.name, from.partition, t.partitions!.length, t.available)] ?? from;
  }

  #failRecord(cb: SendCallback | undefined, epoch: number, err: Error): void {
    this.#stats.recordsFailed++;
    if (cb) {
      try {
        cb(err, undefined);
      } catch {
        // ignore
      }
    }
    this.#recordsDone(epoch, 1);
  }

  /** Moves records waiting for memory into batches, in order; fails those past max.block.ms. */
  #drainBlocked(): void {
    const now = Date.now();
    while (this.#blockedHead < this.#blocked.length) {
      const r = this.#blocked[this.#blockedHead]!;
      if (!this.#acc.append(r.q, r.epoch, r.timestamp, r.key, r.keyLen, r.value, r.valueLen, r.headers, r.cb)) {
        if (now - r.sinceMs <= this.maxBlockMs) break;
        this.#failRecord(r.cb, r.epoch, new BufferExhaustedError(`failed to allocate memory within the configured max blocking time ${this.maxBlockMs} ms (buffer.memory ${this.#acc.pool.totalMemory} bytes in use)`));
      }
      this.#blocked[this.#blockedHead++] = undefined;
    }
    if (this.#blockedHead === this.#blocked.length) {
      this.#blocked = [];
      this.#blockedHead = 0;
    }
  }

  #wakeReady(): void {
    if (this.#readyWaiters.length === 0 || !this.#hasRoom()) return;
    for (const w of this.#readyWaiters.splice(0)) w();
  }

  // ---- completion accounting ------------------------------------------------------------------

  #recordsDone(epoch: number, n: number): void {
    if (n === 0) return;
    if (epoch === this.#epoch) {
      this.#unfinishedCurrent -= n;
      return;
    }
    const left = (this.#unfinishedOld.get(epoch) ?? 0) - n;
    if (left > 0) {
      this.#unfinishedOld.set(epoch, left);
      return;
    }
    this.#unfinishedOld.delete(epoch);
    for (let i = this.#flushWaiters.length - 1; i >= 0; i--) {
      const w = this.#flushWaiters[i]!;
      if (this.#flushedThrough(w.epoch)) {
        this.#flushWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  #flushedThrough(e: number): boolean {
    for (const k of this.#unfinishedOld.keys()) if (k <= e) return false;
    return true;
  }

  #makeSender(cluster: Cluster): void {
    this.#sender = new Sender(
      this.#acc,
      cluster,
      this.#senderConfig,
      {
        batchDone: (b, records) => {
          if (records > 0) this.#stats.batchesSent++;
          this.#drainBlocked();
          this.#recordsDone(b.epoch, records);
          this.#wakeReady();
        },
        urgent: () => this.#closing || this.#blockedHead < this.#blocked.length,
        epoch: () => this.#epoch,
        refreshMetadata: () => this.#refreshMetadata(),
        recordOutcome: (ok, n) => {
          if (ok) this.#stats.recordsSent += n;
          else this.#stats.recordsFailed += n;
        },
      },
    );
  }

  // ---- bootstrap and metadata -----------------------------------------------------------------

  #start(): Promise<Cluster> {
    if (this.#cluster) return Promise.resolve(this.#cluster);
    this.#starting ??= Cluster.fromZooKeeper(this.#opts.zookeeper!, { clientId: this.#opts.clientId ?? 'zkafka-producer', requestTimeoutMs: this.#opts.requestTimeoutMs, security: this.#opts.security }).then(
      (c) => {
        this.#cluster = c;
        this.#makeSender(c);
        if (this.#closing && this.#ownCluster && this.#closePromise) void this.#closePromise.then(() => c.close());
        return c;
      },
      (err: unknown) => {
        this.#starting = undefined;
        throw err;
      },
    );
    return this.#starting;
  }

  /** Refreshes metadata of every topic in use (coalesced; at most once per retry.backoff.ms). */
  #refreshMetadata(): void {
    if (this.#metaRunning) {
      this.#metaAgain = true;
      return;
    }
    if (this.#metaTimer) return;
    const wait = this.#lastMetaMs + this.retryBackoffMs - Date.now();
    if (wait > 0) {
      this.#metaTimer = setTimeout(() => {
        this.#metaTimer = undefined;
        this.#refreshMetadata();
      }, wait);
      return;
    }
    this.#metaRunning = true;
    this.#lastMetaMs = Date.now();
    void this.#runMetadata().finally(() => {
      this.#metaRunning = false;
      const waiting = [...this.#topics.values()].some((t) => t.waiting.length > 0);
      if ((this.#metaAgain || waiting) && !(this.#closePromise && this.#closing && this.#unfinishedTotal() === 0)) {
        this.#metaAgain = false;
        this.#refreshMetadata();
      }
    });
  }

  #unfinishedTotal(): number {
    let n = this.#unfinishedCurrent;
    for (const v of this.#unfinishedOld.values()) n += v;
    return n;
  }

  async #runMetadata(): Promise<void> {
    let cluster: Cluster;
    try {
      cluster = await this.#start();
      const res = await cluster.refresh([...this.#topics.keys()]);
      for (const mt of res.topics) this.#applyTopic(mt);
    } catch (err) {
      this.#expireWaiting(err instanceof Error ? err : new ProjectError(String(err)));
      return;
    }
    this.#expireWaiting(undefined);
    this.#sender?.wake();
  }

  #applyTopic(mt: MetadataTopic): void {
    const t = this.#topics.get(mt.topic);
    if (!t) return;
    if (mt.errorCode === ErrorCode.NONE && mt.partitions.length > 0) {
      const parts = t.partitions ?? [];
      for (const p of mt.partitions) {
        const q = (parts[p.partition] ??= new PartitionQueue(t.name, p.partition));
        q.leader = p.leader;
      }
      t.partitions = parts;
      t.available = mt.partitions.filter((p) => p.leader >= 0).map((p) => p.partition).sort((a, b) => a - b);
      if (t.waiting.length > 0) {
        const waiting = t.waiting;
        t.waiting = [];
        this.#waitingCount -= waiting.length;
        for (const w of waiting) this.#place(t, w.partition, w.key, w.value, w.headers, w.timestamp, w.cb, w.epoch);
        this.#wakeReady();
      }
      return;
    }
    const retriable = mt.errorCode === ErrorCode.NONE || mt.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || mt.errorCode === ErrorCode.LEADER_NOT_AVAILABLE;
    if (!retriable && t.partitions === undefined) {
      this.#failWaiting(t, new KafkaError(mt.errorCode, `topic "${t.name}": ${errorName(mt.errorCode)}`, { context: { topic: t.name } }));
    }
  }

  /** Fails records that waited for metadata longer than max.block.ms. */
  #expireWaiting(cause: Error | undefined): void {
    const now = Date.now();
    for (const t of this.#topics.values()) {
      if (t.waiting.length === 0 || now - t.waiting[0]!.sinceMs <= this.maxBlockMs) continue;
      const err =
        cause ??
        new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${t.name}" does not exist: not present in metadata after ${this.maxBlockMs} ms (is auto.create.topics.enable off?)`, {
          context: { topic: t.name },
        });
      this.#failWaiting(t, err);
    }
  }

  #failWaiting(t: TopicState, err: Error): void {
    const waiting = t.waiting;
    t.waiting = [];
    this.#waitingCount -= waiting.length;
    for (const w of waiting) this.#failRecord(w.cb, w.epoch, err);
    this.#wakeReady();
  }
}
