/**
 * MirrorMaker with 0.9's loss-free design (KIP-3): a ZooKeeper consumer connector on the
 * source cluster, subscribed by a whitelist or blacklist with `numStreams` streams, and one
 * producer to the target cluster. Each stream has a loop that takes a record, maps it through
 * the message handler (identity by default: same topic, key, value, headers, timestamp), and
 * hands the result to the producer.
 *
 * Offsets are committed (commitOffsets, auto-commit is off) only through records the target
 * acknowledged, with every record before them in their source partition (in-flight.ts):
 *   - every offset.commit.interval.ms;
 *   - before a rebalance releases partitions (the connector's rebalance listener: flush the
 *     producer, then commit), so the next owner starts where this one's acknowledged copy ends;
 *   - at stop(): the loops stop taking records, the producer is flushed (drained), the offsets
 *     committed, the connector closed, the producer closed.
 * A failed send with abortOnSendFailure (the default) stops the mirror with exit code 1: the
 * offsets acknowledged before it are committed, nothing at or past it in its partition. Without
 * abort it is logged, counted and skipped.
 *
 * Target partitions: the producer's partitioner (a keyed record goes to murmur2(key) mod the
 * target's partition count, a keyless one to a sticky partition), or with preservePartitions
 * the source partition when source and target topics have the same partition count. Missing
 * target topics are created with the source's partition count (target-topics.ts) unless
 * createTopics is false.
 */
import { EventEmitter } from 'node:events';
import { ConsumerConnector } from '../client/connector/consumer-connector.js';
import { describeGroup } from '../client/connector/group-describe.js';
import { readTopicPartitions } from '../client/connector/registry.js';
import type { ConsumerRecord, KafkaStream, PartitionTopicInfo } from '../client/connector/stream.js';
import type { TopicFilter } from '../client/connector/topic-filter.js';
import { Producer, type Bytes, type ProducerOptions } from '../client/producer/index.js';
import { Logger } from '../common/logger.js';
import { ProjectError } from '../common/errors.js';
import { ZkTimeoutError } from '../zk/errors.js';
import { InFlightRecords, type InFlightEntry } from './in-flight.js';
import type { MessageHandler, TargetRecord } from './message-handler.js';
import { TargetTopics } from './target-topics.js';

export interface MirrorMakerOptions {
  consumerProps: Record<string, string>;
  producer: ProducerOptions;
  filter: TopicFilter;
  numStreams?: number;
  offsetCommitIntervalMs?: number;
  abortOnSendFailure?: boolean;
  handler?: MessageHandler;
  /** Keep the source partition number when both topics have as many partitions. */
  preservePartitions?: boolean;
  /** Create missing target topics (default), or leave them to the target's auto-creation. */
  createTopics?: boolean;
  /**
   * Source records taken but not yet acknowledged through, at most (then the streams wait until
   * half are): 0.8's --queue.size, a bound on what the process holds while the target catches
   * up. Default 100000: in flight, a record costs an offset in a run (in-flight.ts), and its
   * bytes are bounded by the producer's buffer.memory; 20000 stalled one stream ~25% of the time.
   */
  queueSize?: number;
  /** The progress line's period (default 10 s; 0: none). */
  progressIntervalMs?: number;
  logger?: Logger;
}

export interface MirrorStats {
  /** Target records acknowledged. */
  mirrored: number;
  /** Target records whose send failed. */
  failed: number;
  /** Source records the handler mapped to nothing. */
  dropped: number;
  /** Source records taken but not yet acknowledged through. */
  inFlight: number;
}

export interface MirrorEvents {
  progress: [line: string];
  /** The mirror stopped by itself (a failed send with abort on, a failing handler). */
  failed: [error: Error];
}

/** A send failed (or the handler threw) and abort.on.send.failure stopped the mirror. */
export class MirrorSendError extends ProjectError {}

export class MirrorMaker extends EventEmitter<MirrorEvents> {
  readonly log: Logger;
  readonly #o: Required<Omit<MirrorMakerOptions, 'handler' | 'logger'>> & { handler: MessageHandler | undefined };
  readonly #producer: Producer;
  readonly #targets: TargetTopics;
  #connector!: ConsumerConnector;
  readonly #inFlight = new InFlightRecords<PartitionTopicInfo>();
  #loops: Promise<void>[] = [];
  #stopping = false;
  #wakeLoops!: () => void;
  readonly #stoppedResult = new Promise<{ done: true; value: undefined }>((resolve) => (this.#wakeLoops = () => resolve({ done: true, value: undefined })));
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  #markClosed!: () => void;
  readonly #closed = new Promise<void>((resolve) => (this.#markClosed = resolve));
  #timers: NodeJS.Timeout[] = [];
  /** The in-flight run of the last record mirrored without a handler, and its send callback. */
  #run: InFlightEntry<PartitionTopicInfo> | undefined;
  #runSent: (err: Error | null) => void = () => undefined;
  readonly #stats = { mirrored: 0, failed: 0, dropped: 0 };
  #lastProgress = { at: Date.now(), mirrored: 0 };

  /**
   * Checks that the target answers, then joins the source group and starts mirroring. Rejects
   * (with nothing left registered) when the target is unreachable or the consumer cannot start.
   */
  static async start(opts: MirrorMakerOptions): Promise<MirrorMaker> {
    const log = opts.logger ?? new Logger('mirror-maker');
    const producer = new Producer(opts.producer);
    try {
      await producer.connect();
    } catch (err) {
      await producer.close().catch(() => undefined);
      throw new ProjectError(`the target cluster does not answer (${describeBrokers(opts.producer)}): ${(err as Error).message}`, { cause: err });
    }
    const mm = new MirrorMaker(opts, producer, log);
    try {
      await mm.#startConsuming();
    } catch (err) {
      await producer.close().catch(() => undefined);
      if (err instanceof ZkTimeoutError) {
        throw new ProjectError(`the source cluster's ZooKeeper (${opts.consumerProps['zookeeper.connect']}) does not answer: ${err.message}`, { cause: err });
      }
      throw err;
    }
    return mm;
  }

  private constructor(opts: MirrorMakerOptions, producer: Producer, log: Logger) {
    super();
    this.log = log;
    this.#o = {
      consumerProps: opts.consumerProps,
      producer: opts.producer,
      filter: opts.filter,
      numStreams: opts.numStreams ?? 1,
      offsetCommitIntervalMs: opts.offsetCommitIntervalMs ?? 60_000,
      abortOnSendFailure: opts.abortOnSendFailure ?? true,
      handler: opts.handler, // none: the same topic, key, value, headers and timestamp
      preservePartitions: opts.preservePartitions ?? false,
      createTopics: opts.createTopics ?? true,
      progressIntervalMs: opts.progressIntervalMs ?? 10_000,
      queueSize: Math.max(1, opts.queueSize ?? DEFAULT_QUEUE_SIZE),
    };
    this.#producer = producer;
    const sources = {
      sourcePartitions: async (topic: string) => (await readTopicPartitions(this.#connector.zk, [topic])).get(topic)?.length ?? 1,
      targetPartitions: async (topic: string) => (await producer.partitionsFor(topic)).length,
    };
    this.#targets = new TargetTopics(producer.cluster!, sources, { create: this.#o.createTopics, log });
  }

  async #startConsuming(): Promise<void> {
    const { connector, streams } = await ConsumerConnector.subscribeByFilter(this.#o.consumerProps, this.#o.filter, this.#o.numStreams, {
      logger: this.log.child('consumer'),
      markProcessedOnNext: false,
      rebalanceListener: { beforeReleasingPartitions: () => this.#flushAndCommit('before releasing partitions') },
    });
    this.#connector = connector;
    connector.on('assigned', () => this.#targets.forget()); // a source topic may have grown, a target topic gone
    this.log.info('mirroring', { filter: `${this.#o.filter}`, group: connector.groupId, consumer: connector.consumerId, streams: this.#o.numStreams });
    this.#loops = streams.map((s) => this.#runStream(s));
    this.#timers.push(setInterval(() => void this.#commit('interval'), this.#o.offsetCommitIntervalMs));
    if (this.#o.progressIntervalMs > 0) this.#timers.push(setInterval(() => void this.#progress(), this.#o.progressIntervalMs));
  }

  get connector(): ConsumerConnector {
    return this.#connector;
  }

  get stats(): MirrorStats {
    return { ...this.#stats, inFlight: this.#inFlight.size };
  }

  /** Why the mirror stopped by itself, if it did. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Resolves when the mirror has stopped (by stop(), or by itself after a failure). */
  get closed(): Promise<void> {
    return this.#closed;
  }

  // ---- the stream loops ---------------------------------------------------------------------
  // The per-record path stays synchronous while it can: a record queued in the stream, a known
  // target topic and room in the producer's buffer cost no promise; only waits are awaited.

  async #runStream(stream: KafkaStream): Promise<void> {
    let record: ConsumerRecord | undefined;
    try {
      while (!this.#stopping) {
        record = undefined; // a poll that throws (a source batch that cannot be decoded) has none
        record = stream.poll();
        if (record === undefined) {
          this.#inFlight.closeRun(); // before every wait: a run is one synchronous stretch
          const next = await Promise.race([stream.next(), this.#stoppedResult]);
          if (next.done || this.#stopping) return;
          record = next.value;
        }
        const wait = this.#mirror(record);
        if (wait !== undefined) {
          this.#inFlight.closeRun();
          await wait;
        }
        if (this.#inFlight.size >= this.#o.queueSize) {
          this.#inFlight.closeRun();
          await this.#inFlight.room(this.#o.queueSize / 2);
        }
      }
    } catch (err) {
      this.#fail(new MirrorSendError(`${record ? `mirroring ${where(record)}` : 'reading the source'} failed: ${(err as Error).message}`, { cause: err }));
    } finally {
      this.#inFlight.closeRun();
    }
  }

  #mirror(record: ConsumerRecord): Promise<void> | undefined {
    const handler = this.#o.handler;
    if (handler === undefined) {
      if (this.#stopping) return undefined; // taken but never sent: not processed, so not committed
      const partition = this.#connector.partitionOf(record);
      if (!partition) throw new ProjectError(`${where(record)} did not come from the consumer's streams`);
      const run = this.#inFlight.addToRun(partition, record.offset, partitionLabel, MAX_RUN);
      if (run !== this.#run) {
        const topic = record.topic; // the callback keeps no record (nor the fetched bytes it views)
        this.#run = run;
        this.#runSent = (err) => this.#onSent(run, topic, err);
      }
      return this.#produce(run, record, record.topic, record.key, record.value, record.headers, record.timestamp, this.#runSent);
    }
    const out = handler(record);
    return out instanceof Promise ? out.then((list) => this.#sendAll(record, list)) : this.#sendAll(record, out);
  }

  /** The record's place in its partition's queue of records in flight. */
  #track(record: ConsumerRecord, sends: number): InFlightEntry<PartitionTopicInfo> {
    const partition = this.#connector.partitionOf(record);
    if (!partition) throw new ProjectError(`${where(record)} did not come from the consumer's streams`);
    return this.#inFlight.add(partition, `${record.topic}/${record.partition}`, record.offset, sends);
  }

  /** Sends the handler's records of one source record, from `from` on (after a wait). */
  #sendAll(record: ConsumerRecord, list: TargetRecord[], from = 0, entry?: InFlightEntry<PartitionTopicInfo>): Promise<void> | undefined {
    if (entry === undefined) {
      if (this.#stopping) return undefined;
      if (list.length === 0) this.#stats.dropped++;
      entry = this.#track(record, list.length);
    }
    for (let i = from; i < list.length; i++) {
      const t = list[i]!;
      const wait = this.#produce(entry, record, t.topic, t.key, t.value, t.headers, t.timestamp ?? record.timestamp, (err) => this.#onSent(entry, t.topic, err));
      if (wait !== undefined) return i + 1 < list.length ? wait.then(() => this.#sendAll(record, list, i + 1, entry)) : wait;
    }
    return undefined;
  }

  /** Hands one target record to the producer; a promise when it has to wait first or after. */
  #produce(
    entry: InFlightEntry<PartitionTopicInfo>,
    source: ConsumerRecord,
    topic: string,
    key: Bytes,
    value: Bytes,
    headers: TargetRecord['headers'],
    timestamp: number,
    sent: (err: Error | null) => void,
  ): Promise<void> | undefined {
    if (!this.#targets.known(topic)) return this.#targets.ensure(topic, source.topic).then(() => this.#produce(entry, source, topic, key, value, headers, timestamp, sent));
    let partition: number | undefined;
    if (this.#o.preservePartitions) {
      const same = this.#targets.samePartition(source.topic, source.partition, topic);
      if (same instanceof Promise) return same.then(() => this.#produce(entry, source, topic, key, value, headers, timestamp, sent));
      partition = same;
    }
    if (headers !== undefined && headers.length === 0) headers = undefined;
    const more = this.#producer.produceFields(topic, partition, key, value, headers, timestamp, sent);
    return more ? undefined : this.#producer.ready();
  }

  #onSent(entry: InFlightEntry<PartitionTopicInfo>, topic: string, err: Error | null): void {
    if (!err) {
      this.#stats.mirrored++;
      this.#inFlight.ack(entry);
      return;
    }
    this.#stats.failed++;
    const which = entry.records > 1 ? `a record of ${entry.where}` : entry.where;
    const what = `sending ${which} to topic "${topic}" of the target failed: ${err.message}`;
    if (this.#o.abortOnSendFailure) {
      this.#fail(new MirrorSendError(what, { cause: err }));
      return;
    }
    if (this.#stats.failed <= 10 || this.#stats.failed % 1000 === 0) this.log.warn(`${what}; skipped (abort.on.send.failure=false)`, { failed: this.#stats.failed });
    this.#inFlight.ack(entry);
  }

  // ---- commits, progress, stopping ----------------------------------------------------------

  /** Marks what the target acknowledged through (in-flight.ts), then commits it. */
  async #commit(why: string): Promise<void> {
    for (const [partition, offset] of this.#inFlight.takeProcessed((p) => !p.active)) partition.markProcessed(offset);
    try {
      await this.#connector.commitOffsets();
    } catch (err) {
      this.log.warn(`offset commit (${why}) failed; the next one covers it`, { error: err as Error });
    }
  }

  /** Waits for every record sent so far to be acknowledged or failed, then commits. */
  async #flushAndCommit(why: string): Promise<void> {
    if (!this.#failure) await this.#producer.flush();
    await this.#commit(why);
  }

  async #progress(): Promise<void> {
    const now = Date.now();
    const { mirrored, failed } = this.#stats;
    const rate = ((mirrored - this.#lastProgress.mirrored) * 1000) / Math.max(1, now - this.#lastProgress.at);
    this.#lastProgress = { at: now, mirrored };
    let lag = 'unknown';
    if (this.#connector.offsetsStorage === 'kafka') lag = 'n/a (offsets.storage=kafka)';
    else {
      try {
        const { partitions } = await describeGroup(this.#connector.zk, this.#connector.groupId, { clientId: 'mirror-maker-lag', timeoutMs: 5000 });
        const known = partitions.flatMap((p) => (p.lag === undefined ? [] : [p.lag]));
        const sum = known.reduce((a, b) => a + b, 0);
        lag = known.length === partitions.length ? String(sum) : `${sum}+ (${partitions.length - known.length} partition(s) unknown)`;
      } catch (err) {
        lag = `unknown (${(err as Error).message})`;
      }
    }
    if (this.#stopping) return;
    const line = `mirrored ${mirrored} records, ${rate.toFixed(1)} records/s, failed ${failed}, in flight ${this.#inFlight.size}, group lag ${lag}`;
    this.emit('progress', line);
  }

  #fail(err: Error): void {
    if (this.#failure || this.#closing) return;
    this.#failure = err;
    this.log.error(`${err.message}; stopping (abort.on.send.failure): offsets are committed only up to the records before it`);
    this.emit('failed', err);
    void this.#close();
  }

  /**
   * Stops cleanly: no record is taken any more, every record sent is acknowledged (drain),
   * the offsets are committed, the group is left and the producer closed.
   */
  stop(): Promise<void> {
    return this.#close();
  }

  #close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopping = true;
      this.#wakeLoops();
      for (const t of this.#timers) clearInterval(t);
      // a loop may wait for buffer space on a dead target: after a failure, nobody waits for it
      if (!this.#failure) await Promise.all(this.#loops);
      // close() calls the rebalance listener: flush (skipped after a failure) and commit
      await this.#connector.close().catch((err) => this.log.warn('closing the consumer failed', { error: err as Error }));
      if (!this.#failure) await this.#producer.close();
      else void this.#producer.close().catch(() => undefined);
      this.log.info('stopped', { mirrored: this.#stats.mirrored, failed: this.#stats.failed, dropped: this.#stats.dropped });
      this.#markClosed();
    })();
    return this.#closing;
  }
}

/**
 * Source records one in-flight run holds at most: a commit, or an abort's stopping point,
 * lands on a run's end, and a failed send names the run it is in.
 */
const MAX_RUN = 256;
/** Source records taken and not yet acknowledged, at most (--queue.size). */
export const DEFAULT_QUEUE_SIZE = 100_000;
const partitionLabel = (p: PartitionTopicInfo): string => `${p.topic}/${p.partition}`;

function where(r: ConsumerRecord): string {
  return `${r.topic}/${r.partition}@${r.offset}`;
}

function describeBrokers(o: ProducerOptions): string {
  if (typeof o.brokers === 'string') return o.brokers;
  if (Array.isArray(o.brokers)) return o.brokers.map((b) => `${b.host}:${b.port}`).join(',');
  return o.zookeeper ?? 'no brokers given';
}
