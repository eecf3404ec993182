/**
 * Sender: drains ready batches from the accumulator into Produce v3 requests, up to
 * `maxInFlight` requests per broker connection, each request carrying every ready batch of
 * every partition that broker leads (several batches of a partition concatenated, up to ~1 MB
 * per partition and `maxRequestSize` per request; when more is ready than a request takes, the
 * partitions whose first batch is oldest go first). Responses complete the batches' records
 * with their offsets.
 *
 * Ordering without idempotence: a partition has at most one request in flight, and that
 * request carries all of its ready batches in creation order; while it is out, new records keep
 * filling batches, which the next request takes. So nothing of a partition can overtake a
 * failed request.
 *
 * Ordering with idempotence (the default, KIP-98): the sender first gets a producer id
 * (InitProducerId) and stamps every batch, when it is first sent, with that id and the
 * partition's next sequence number; up to `maxInFlight` requests of a partition may then be
 * out at once, once the partition's current leader has acknowledged a request under the current
 * id (a leader that does not know the id yet accepts whatever sequence comes first). The leader
 * refuses a batch whose sequence does not follow the last one it appended, so if request k
 * fails, k+1.. come back OUT_OF_ORDER_SEQUENCE_NUMBER (the echo of the gap) and are requeued
 * behind k without counting as retries; a batch resent after it was appended is answered with
 * its first offsets (a batch sent before goes alone, since a new leader may hold only a part of
 * an earlier request). An OUT_OF_ORDER answer that is not such an echo (the leader lost or
 * skipped our sequence) makes the sender take a new producer id and number the unacknowledged
 * batches afresh.
 *
 * Either way, on a retriable error (leader errors, timeouts, a closed connection) the failed
 * batches go back to the head of their queue in order, metadata is refreshed, and the partition
 * waits for its requests in flight, then sends one batch per request until one succeeds.
 * MESSAGE_TOO_LARGE splits the record set (one batch per request, then halves of the batch,
 * which keep their records' sequence numbers) so that only an oversized record itself fails; the
 * partition then retries as above (the requests behind the refused one come back as echoes).
 * A success ends the retrying only for the request sent while retrying: one sent before the
 * failure proves nothing about those behind it.
 */
import type { Cluster } from '../cluster.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { decodeProduceResponse, type ProduceResponse } from '../../protocol/apis/produce.js';
import type { Reader } from '../../protocol/reader.js';
import { ErrorCode, KafkaError, ProjectError, errorName, isRetriable } from '../../common/errors.js';
import { BATCH_HEADER_SIZE, splitBatch, type ProducerBatch } from './producer-batch.js';
import { PRODUCE_VERSION, produceRequestChunks } from './produce-request.js';
import type { PartitionQueue, RecordAccumulator } from './record-accumulator.js';
import { ProducerIdentity } from './producer-identity.js';

/** Largest record set the sender puts in one request for one partition (under the broker's default message.max.bytes). */
export const MAX_PARTITION_RECORD_SET = 1_000_000;

export interface SenderConfig {
  acks: number;
  /** Sequence numbers per partition (KIP-98), so up to maxInFlight requests per partition keep their order. */
  idempotence: boolean;
  lingerMs: number;
  maxInFlight: number;
  maxRequestSize: number;
  retries: number;
  retryBackoffMs: number;
  requestTimeoutMs: number;
  deliveryTimeoutMs: number;
}

export interface SenderHooks {
  /** A batch is finished (acknowledged, failed, or split into others): memory and flush accounting for `records` records. */
  batchDone(b: ProducerBatch, records: number): void;
  /** True while records wait for memory, a flush is pending or the producer closes: send partly filled batches now. */
  urgent(): boolean;
  /** Current flush generation: open batches of older ones are sent at once. */
  epoch(): number;
  /** Leaders may have changed: refresh metadata. */
  refreshMetadata(): void;
  /** Records acknowledged (ok) or failed. */
  recordOutcome(ok: boolean, records: number): void;
}

/** Orders partitions by the creation time of their first waiting batch (drain gives only queues that have one). */
const byFirstBatchAge = (a: PartitionQueue, b: PartitionQueue): number => (a.batches[0]?.createdMs ?? 0) - (b.batches[0]?.createdMs ?? 0);

/** A partition's batches in one request; `retry`: sent while the partition was retrying (one batch, after a failure). */
type Entry = { q: PartitionQueue; batches: ProducerBatch[]; retry: boolean };

export class Sender {
  readonly #acc: RecordAccumulator;
  readonly #cluster: Cluster;
  readonly #cfg: SenderConfig;
  readonly #hooks: SenderHooks;
  readonly #inFlight = new Map<number, number>();
  #scheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  /** Requests in flight, all brokers. */
  inFlightRequests = 0;
  /**
   * The leaders of every partition with records, when the last drain left each of them with
   * all its request slots taken and nothing to wait for (no linger, backoff or metadata):
   * until one answers, new batches for them cannot leave, and the drain, which walks every
   * partition with records, is skipped for them. (Keyed records over 512 partitions: a batch
   * opens every few records, and the drains they asked for took ~5% of the producer's CPU.)
   */
  #saturated: Set<number> | undefined;
  /** Partitions with requests in flight. */
  readonly #busy = new Set<PartitionQueue>();
  /** The producer id and the sequence numbering (idempotence), or -1s. */
  readonly #identity: ProducerIdentity;

  constructor(acc: RecordAccumulator, cluster: Cluster, cfg: SenderConfig, hooks: SenderHooks) {
    this.#acc = acc;
    this.#cluster = cluster;
    this.#cfg = cfg;
    this.#hooks = hooks;
    this.#identity = new ProducerIdentity(cfg.idempotence && cfg.acks !== 0, cluster, cfg, () => this.wake());
  }

  /** Whether batches carry a producer id and sequences now (false until one is obtained, or when the broker gives none). */
  get idempotent(): boolean {
    return this.#identity.ready;
  }

  /**
   * Whether a partition may send now. One request in flight keeps order without sequence
   * numbers. With them, several may be out only once the partition's leader has acknowledged a
   * batch under the current producer id: a leader that does not know the producer (a new id, a
   * new or restarted leader) accepts whatever sequence comes first, so if the first request
   * failed before its check (not yet leader, too large) the second would be appended past the gap.
   */
  #canSend(q: PartitionQueue): boolean {
    if (q.inFlight === 0) return true;
    if (q.retrying || !this.#identity.ready) return false;
    return q.inFlight < (q.confirmedPid === this.#identity.producerId && q.confirmedLeader === q.leader ? this.#cfg.maxInFlight : 1);
  }

  /**
   * Runs a drain soon (once per turn of the event loop however often it is asked). `leader`:
   * only a batch of a partition it leads was opened or closed, which changes nothing while the
   * last drain found every request slot of that leader taken (see #saturated).
   */
  wake(leader?: number): void {
    if (leader !== undefined && this.#saturated?.has(leader) && (this.#inFlight.get(leader) ?? 0) >= this.#cfg.maxInFlight) return;
    this.#saturated = undefined;
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.drain();
    });
  }

  #wakeAt(at: number): void {
    if (at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timerAt = Infinity;
      this.#timer = undefined;
      this.drain();
    }, Math.max(1, at - Date.now()));
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  drain(): void {
    const now = Date.now();
    const acc = this.#acc;
    const urgent = this.#hooks.urgent();
    const epoch = this.#hooks.epoch();
    const linger = this.#cfg.lingerMs;
    let needMetadata = false;
    let wakeAt = Infinity;
    const byLeader = new Map<number, PartitionQueue[]>();
    const leaders = new Set<number>();
    let lastLeader = -1;
    for (const q of acc.nonEmpty) {
      if (q.leader !== lastLeader) leaders.add((lastLeader = q.leader));
      const open = q.open;
      if (open !== undefined) {
        if (urgent || open.epoch < epoch || linger === 0 || now - open.createdMs >= linger) {
          // due, but closed only if it can leave now: otherwise it stays open and keeps filling
          // (closing it would queue a small batch, with many partitions a few records each,
          // behind the requests in flight, holding a whole batch.size of buffer memory); the
          // answer to a request in flight wakes the sender again. A record of a newer flush
          // generation closes it on arrival (RecordAccumulator.append).
          if (q.batches.length === 0 && q.leader >= 0 && this.#canSend(q) && (this.#inFlight.get(q.leader) ?? 0) < this.#cfg.maxInFlight) acc.close(q);
          else if (q.leader < 0) {
            // no leader known: ask again (nothing else would), and let delivery.timeout.ms end it
            needMetadata = true;
            wakeAt = Math.min(wakeAt, now + this.#cfg.retryBackoffMs);
            if (now - open.createdMs > this.#cfg.deliveryTimeoutMs) acc.close(q);
          }
        } else wakeAt = Math.min(wakeAt, open.createdMs + linger);
      }
      if (q.batches.length === 0) {
        if (q.open === undefined) acc.nonEmpty.delete(q);
        continue;
      }
      if (q.inFlight === 0) this.#expire(q, now);
      if (q.batches.length === 0) continue;
      if (q.leader < 0) {
        needMetadata = true;
        wakeAt = Math.min(wakeAt, now + this.#cfg.retryBackoffMs);
        continue;
      }
      if (!this.#canSend(q)) continue;
      const head = q.batches[0]!;
      if (head.retryAtMs > now) {
        wakeAt = Math.min(wakeAt, head.retryAtMs);
        continue;
      }
      let list = byLeader.get(q.leader);
      if (!list) byLeader.set(q.leader, (list = []));
      list.push(q);
    }
    if (byLeader.size > 0) this.#identity.ensure(byLeader.keys().next().value!);
    // no send while a producer id is on its way: the batches would go without sequences
    if (!this.#identity.pending) for (const [leader, queues] of byLeader) this.#sendTo(leader, queues);
    if (needMetadata) this.#hooks.refreshMetadata();
    if (wakeAt !== Infinity) this.#wakeAt(wakeAt);
    this.#saturated = !needMetadata && wakeAt === Infinity && !this.#identity.pending && leaders.size > 0 && this.#allBusy(leaders) ? leaders : undefined;
  }

  /** Every one of `leaders` has maxInFlight requests out. */
  #allBusy(leaders: Set<number>): boolean {
    for (const l of leaders) if (l < 0 || (this.#inFlight.get(l) ?? 0) < this.#cfg.maxInFlight) return false;
    return true;
  }

  /** Fails queued batches older than delivery.timeout.ms. */
  #expire(q: PartitionQueue, now: number): void {
    while (q.batches.length > 0 && now - q.batches[0]!.createdMs > this.#cfg.deliveryTimeoutMs) {
      const b = q.batches.shift()!;
      this.#fail(
        b,
        new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `expiring ${b.count} record(s) for ${b.topic}-${b.partition}: ${now - b.createdMs} ms have passed since the batch was created (delivery.timeout.ms ${this.#cfg.deliveryTimeoutMs})${b.lastError ? `; its last attempt failed: ${b.lastError.message}` : ''}`, {
          context: { topic: b.topic, partition: b.partition },
          ...(b.lastError ? { cause: b.lastError } : {}),
        }),
      );
    }
  }

  #sendTo(leader: number, queues: PartitionQueue[]): void {
    if ((this.#inFlight.get(leader) ?? 0) >= this.#cfg.maxInFlight) return;
    // Oldest first: the partitions whose first waiting batch was created earliest fill the
    // request, so when more waits than a request takes, no partition waits more than its turn.
    // Taken in the accumulator's order instead, the partitions first in it were served whenever
    // their requests came back, the rest behind them: keyed records over 512 partitions had
    // p99 431-460 ms, max 565-599 ms, 1.10-1.24 M records/s (buffer.memory full, 5 requests of
    // 1 MB out, ~70 partitions each); oldest first p99 192-223 ms, max 221-253 ms, 1.11-1.55 M
    // (~30 partitions a request: each has waited longer, so it brings more, and the broker
    // flushes fewer logs per request).
    if (queues.length > 1) queues.sort(byFirstBatchAge);
    for (;;) {
      const inFlight = this.#inFlight.get(leader) ?? 0;
      if (inFlight >= this.#cfg.maxInFlight) return;
      const entries: Entry[] = [];
      let requestBytes = 0;
      for (const q of queues) {
        if (q.batches.length === 0 || !this.#canSend(q)) continue;
        const one = q.retrying || q.singleBatch || this.#isResend(q.batches[0]!);
        let bytes = 0;
        let n = 0;
        while (n < q.batches.length) {
          const size = q.batches[n]!.sizeInBytes;
          if (n > 0 && (one || bytes + size > MAX_PARTITION_RECORD_SET || this.#isResend(q.batches[n]!))) break;
          if (entries.length > 0 && requestBytes + bytes + size > this.#cfg.maxRequestSize) break;
          bytes += size;
          n++;
          if (one) break;
        }
        if (n === 0) break;
        const batches = q.batches.splice(0, n);
        for (const b of batches) this.#identity.stamp(q, b);
        entries.push({ q, batches, retry: q.retrying });
        requestBytes += bytes;
        if (requestBytes >= this.#cfg.maxRequestSize) break;
      }
      if (entries.length === 0) return;
      this.#send(leader, entries);
    }
  }

  /**
   * A batch sent before under the current producer id goes alone: the leader may hold some of
   * the batches of its first request (a new leader copied a part of it), and answers a record set
   * as a duplicate only if all of it was appended, refusing one that is partly there.
   */
  #isResend(b: ProducerBatch): boolean {
    return b.stamped && b.producerId >= 0 && b.producerId === this.#identity.producerId;
  }

  #send(leader: number, entries: Entry[]): void {
    this.#inFlight.set(leader, (this.#inFlight.get(leader) ?? 0) + 1);
    this.inFlightRequests++;
    for (const e of entries) {
      e.q.inFlight++;
      this.#busy.add(e.q);
    }
    const { head, chunks } = produceRequestChunks(this.#cfg.acks, this.#cfg.requestTimeoutMs, entries);
    let p: Promise<Reader | undefined>;
    try {
      const conn = this.#cluster.connectionTo(leader);
      // the sealed batches go to the socket as they are (no copy); their pool buffers are reused
      // only after an answer proves the bytes were sent (see #onRequestError)
      p = conn.requestChunks(ApiKey.Produce, PRODUCE_VERSION, head, chunks, { timeoutMs: this.#cfg.requestTimeoutMs + 5000, expectResponse: this.#cfg.acks !== 0 });
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (r) => this.#onResponse(leader, entries, r === undefined ? undefined : decodeProduceResponse(r, PRODUCE_VERSION)),
      (err: unknown) => this.#onRequestError(leader, entries, err),
    );
  }

  #requestDone(leader: number, entries: Entry[]): void {
    this.#inFlight.set(leader, (this.#inFlight.get(leader) ?? 1) - 1);
    this.inFlightRequests--;
    for (const e of entries) if (--e.q.inFlight === 0) this.#busy.delete(e.q);
    this.wake();
  }

  #onResponse(leader: number, entries: Entry[], res: ProduceResponse | undefined): void {
    let refresh = false;
    for (const e of entries) {
      const { q } = e;
      if (!res) {
        for (const b of e.batches) this.#succeed(b, -1, -1);
        continue;
      }
      const pr = res.topics.find((t) => t.topic === q.topic)?.partitions.find((p) => p.partition === q.partition);
      const code = pr ? pr.errorCode : ErrorCode.UNKNOWN;
      if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        let base = pr!.baseOffset;
        for (const b of e.batches) {
          this.#succeed(b, base, pr!.logAppendTime);
          if (base >= 0) base += b.count;
        }
        // a request sent before the partition began retrying proves nothing about those after it
        if (e.retry) q.retrying = false;
        q.confirmedPid = e.batches[0]!.producerId;
        q.confirmedLeader = leader;
      } else if (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) {
        // after a failure of an earlier request of this partition this is its echo (the broker
        // refused the gap): resend in order. As the partition's first failure, or for a resend,
        // the broker's idea of our sequence differs from ours: start again with a new id.
        if ((!q.retrying || e.retry) && this.#identity.reset()) {
          // partitions with requests out under the old id wait for all of them before sending again
          for (const busy of this.#busy) busy.retrying = true;
        }
        for (const b of e.batches) q.reinsert(b);
        q.retrying = true;
        this.#acc.nonEmpty.add(q);
      } else if (code === ErrorCode.MESSAGE_TOO_LARGE) {
        this.#tooLarge(q, e.batches);
      } else if (isRetriable(code)) {
        refresh = true;
        this.#retry(q, e.batches, new KafkaError(code, `${q.topic}-${q.partition}: ${errorName(code)} from broker ${leader}`, { context: { topic: q.topic, partition: q.partition, broker: leader } }));
      } else {
        const err = new KafkaError(code, `${q.topic}-${q.partition}: the broker refused the records: ${errorName(code)}`, { context: { topic: q.topic, partition: q.partition, broker: leader } });
        for (const b of e.batches) this.#fail(b, err);
      }
    }
    if (refresh) this.#hooks.refreshMetadata();
    this.#requestDone(leader, entries);
  }

  #onRequestError(leader: number, entries: Entry[], err: unknown): void {
    // the socket may still hold these bytes for writing: never recycle their buffers
    for (const e of entries) for (const b of e.batches) b.noReuse = true;
    const retriable = !(err instanceof KafkaError) || err.retriable;
    for (const e of entries) {
      if (retriable) this.#retry(e.q, e.batches, err);
      else for (const b of e.batches) this.#fail(b, err instanceof Error ? err : new ProjectError(String(err)));
    }
    if (retriable) this.#hooks.refreshMetadata();
    this.#requestDone(leader, entries);
  }

  #retry(q: PartitionQueue, batches: ProducerBatch[], err: unknown): void {
    const now = Date.now();
    for (const b of batches) {
      b.attempts++;
      if (b.attempts > this.#cfg.retries || now - b.createdMs > this.#cfg.deliveryTimeoutMs) {
        const cause = err instanceof Error ? err : new ProjectError(String(err));
        const why = b.attempts > this.#cfg.retries ? `after ${b.attempts} attempts` : `after ${now - b.createdMs} ms (delivery.timeout.ms ${this.#cfg.deliveryTimeoutMs})`;
        const code = err instanceof KafkaError ? err.code : ErrorCode.NETWORK_EXCEPTION;
        this.#fail(b, new KafkaError(code, `${b.topic}-${b.partition}: ${b.count} record(s) not delivered ${why}: ${cause.message}`, { cause, context: { topic: b.topic, partition: b.partition } }));
        continue;
      }
      b.retryAtMs = now + this.#cfg.retryBackoffMs;
      b.lastError = err instanceof Error ? err : new ProjectError(String(err));
      q.reinsert(b);
    }
    q.retrying = true;
    this.#acc.nonEmpty.add(q);
  }

  /** MESSAGE_TOO_LARGE: one batch per request, then halves of a batch, until a single record fails. */
  #tooLarge(q: PartitionQueue, batches: ProducerBatch[]): void {
    this.#acc.nonEmpty.add(q);
    // the requests after this one are refused as out of order (echoes): wait for them all,
    // then resend one batch at a time, as after any failure
    q.retrying = true;
    if (batches.length > 1) {
      q.singleBatch = true;
      for (const b of batches) q.reinsert(b);
      return;
    }
    const b = batches[0]!;
    if (b.count <= 1) {
      this.#fail(
        b,
        new KafkaError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `${b.topic}-${b.partition}: a record of ${b.sizeInBytes - BATCH_HEADER_SIZE} bytes (a batch of ${b.sizeInBytes}) is larger than the broker accepts (message.max.bytes); the broker answered MESSAGE_TOO_LARGE`,
          { context: { topic: b.topic, partition: b.partition, bytes: b.sizeInBytes } },
        ),
      );
      return;
    }
    for (const half of splitBatch(b, this.#acc.codec)) q.reinsert(half);
    b.done = true; // its records live on in the halves
    this.#acc.release(b);
    this.#hooks.batchDone(b, 0);
  }

  #succeed(b: ProducerBatch, baseOffset: number, logAppendTime: number): void {
    b.complete(null, baseOffset, logAppendTime);
    this.#hooks.recordOutcome(true, b.count);
    this.#acc.release(b);
    this.#hooks.batchDone(b, b.count);
  }

  #fail(b: ProducerBatch, err: Error): void {
    b.complete(err, -1, -1);
    this.#hooks.recordOutcome(false, b.count);
    this.#acc.release(b);
    this.#hooks.batchDone(b, b.count);
  }
}
