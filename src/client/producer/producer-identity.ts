/**
 * ProducerIdentity: the idempotent producer's id and its per-partition sequence numbers
 * (KIP-98). The id comes from a broker (InitProducerId) before the first send; every batch is
 * stamped with it and its partition's next sequence when first sent, and keeps them on a
 * resend. reset() drops the id (the leader's idea of our sequence differs from ours): the next
 * id numbers every unacknowledged batch afresh from 0, partition by partition, in send order.
 *
 * A retriable refusal (the broker cannot reach ZooKeeper) is asked again a few times; after
 * that, or at once for anything else (a broker without InitProducerId closes the connection),
 * the producer goes on without idempotence: batches carry -1s and the sender keeps one request
 * per partition in flight, so order holds either way.
 */
import type { Cluster } from '../cluster.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { decodeInitProducerIdResponse, encodeInitProducerIdRequest } from '../../protocol/apis/init-producer-id.js';
import type { Reader } from '../../protocol/reader.js';
import { ErrorCode, KafkaError, isRetriable } from '../../common/errors.js';
import type { ProducerBatch } from './producer-batch.js';
import type { PartitionQueue } from './record-accumulator.js';

/** InitProducerId attempts (retriable refusals) before the producer goes on without idempotence. */
export const MAX_PRODUCER_ID_ATTEMPTS = 5;

export class ProducerIdentity {
  readonly #cluster: Cluster;
  readonly #opts: { retryBackoffMs: number; requestTimeoutMs: number };
  readonly #changed: () => void;
  /** 'none' until an id is asked for; 'off' when there is none to be had (not idempotent). */
  #state: 'none' | 'asking' | 'ready' | 'off';
  #producerId = -1;
  #producerEpoch = -1;
  #attempts = 0;

  constructor(enabled: boolean, cluster: Cluster, opts: { retryBackoffMs: number; requestTimeoutMs: number }, changed: () => void) {
    this.#state = enabled ? 'none' : 'off';
    this.#cluster = cluster;
    this.#opts = opts;
    this.#changed = changed;
  }

  /** Batches are stamped with an id and sequences. */
  get ready(): boolean {
    return this.#state === 'ready';
  }

  /** The producer id batches are stamped with now (-1 without one). */
  get producerId(): number {
    return this.#state === 'ready' ? this.#producerId : -1;
  }

  /** An id is wanted and not here yet: nothing may be sent (it would go without sequences). */
  get pending(): boolean {
    return this.#state === 'none' || this.#state === 'asking';
  }

  /** Asks `broker` for an id unless one is here or on its way. */
  ensure(broker: number): void {
    if (this.#state !== 'none') return;
    this.#state = 'asking';
    const done = (id: number, epoch: number): void => {
      this.#attempts = 0;
      this.#producerId = id;
      this.#producerEpoch = epoch;
      this.#state = id >= 0 ? 'ready' : 'off';
      this.#changed();
    };
    const again = (): void => {
      if (++this.#attempts >= MAX_PRODUCER_ID_ATTEMPTS) return done(-1, -1);
      setTimeout(() => {
        this.#state = 'none';
        this.#changed();
      }, this.#opts.retryBackoffMs);
    };
    let p: Promise<Reader | undefined>;
    try {
      p = this.#cluster
        .connectionTo(broker)
        .request(ApiKey.InitProducerId, 0, (w) => void encodeInitProducerIdRequest(w, 0, { transactionalId: null, transactionTimeoutMs: 60_000 }), { timeoutMs: this.#opts.requestTimeoutMs });
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (r) => {
        const res = decodeInitProducerIdResponse(r!, 0);
        if (res.errorCode === ErrorCode.NONE) done(res.producerId, res.producerEpoch);
        else if (isRetriable(res.errorCode)) again();
        else done(-1, -1);
      },
      (err: unknown) => {
        if (err instanceof KafkaError && err.retriable) again();
        else done(-1, -1);
      },
    );
  }

  /** Drops the id; true if there was one (the caller holds back partitions still waiting on the old id). */
  reset(): boolean {
    if (this.#state !== 'ready') return false;
    this.#state = 'none';
    this.#producerId = -1;
    return true;
  }

  /** Writes the id and sequence (or -1s) and the CRC into a batch about to be sent. */
  stamp(q: PartitionQueue, b: ProducerBatch): void {
    if (this.#state !== 'ready') {
      if (!b.stamped || b.producerId !== -1) b.stamp(-1, -1, -1);
      return;
    }
    const pid = this.#producerId;
    if (b.stamped && b.producerId === pid) return;
    if (b.producerId !== pid) {
      if (q.sequencePid !== pid) {
        q.sequencePid = pid;
        q.nextSequence = 0;
      }
      b.baseSequence = q.nextSequence;
      q.nextSequence = (q.nextSequence + b.count) % 0x80000000;
    }
    b.stamp(pid, this.#producerEpoch, b.baseSequence);
  }
}
