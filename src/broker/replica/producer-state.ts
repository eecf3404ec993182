/**
 * ProducerStateTable: what a partition leader knows of each idempotent producer writing to it
 * (KIP-98, simplified): the producer epoch, the last sequence number appended, and the last
 * few batches with their offsets. With it the leader
 *   - refuses a batch whose first sequence does not follow the last one
 *     (OUT_OF_ORDER_SEQUENCE_NUMBER): an earlier batch is missing, so appending this one would
 *     put the producer's records out of order; the producer resends from the gap;
 *   - recognises a resent batch (same producer, epoch and sequence range as one of the last
 *     RECENT_BATCHES) and answers with the offsets it was appended at, appending nothing.
 *
 * Sequences are checked and reserved synchronously, before the append is queued on the log,
 * so requests answered in order on one connection are checked in the order they are appended.
 *
 * The table lives in memory on the leader and is cleared when the replica becomes leader; a
 * producer it does not know (new, or after a restart or a leader change) starts a fresh entry at
 * whatever sequence it sends. So duplicates across a leader change are possible, as with a
 * non-idempotent producer, but a gap is never accepted from a producer the leader knows.
 */
import { ErrorCode, KafkaError } from '../../common/errors.js';
import type { BatchPosition } from '../../protocol/records/record-batch.js';
import type { AppendResult } from '../../storage/log.js';

/** How many recent batches per producer are remembered for duplicate detection (Kafka: 5). */
export const RECENT_BATCHES = 5;
/** Producers remembered per partition; the least recently written are forgotten first. */
export const MAX_PRODUCERS = 10_000;

interface RecentBatch {
  firstSeq: number;
  lastSeq: number;
  /** Resolves to the append that wrote it (offsets, time). */
  result: Promise<AppendResult>;
}

interface ProducerEntry {
  epoch: number;
  lastSeq: number;
  recent: RecentBatch[];
}

/** The outcome of checking a record set: append it, or answer a duplicate with its earlier result. */
export type SequenceCheck = { kind: 'append'; commit: (result: Promise<AppendResult>) => void; abort: () => void } | { kind: 'duplicate'; result: Promise<AppendResult> };

const NO_PRODUCER: SequenceCheck = { kind: 'append', commit: () => undefined, abort: () => undefined };

function nextSeq(seq: number): number {
  return seq === 0x7fffffff ? 0 : seq + 1;
}

function lastSeqOf(b: BatchPosition): number {
  const last = b.header.baseSequence + b.header.lastOffsetDelta;
  return last > 0x7fffffff ? last - 0x80000000 : last;
}

export class ProducerStateTable {
  readonly #producers = new Map<number, ProducerEntry>();

  get size(): number {
    return this.#producers.size;
  }

  clear(): void {
    this.#producers.clear();
  }

  /**
   * Checks the batches of one record set (as sent by one producer) and reserves their
   * sequences. Batches without a producer id (-1) are not checked. Throws KafkaError
   * OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_PRODUCER_EPOCH; nothing is reserved then.
   */
  check(batches: readonly BatchPosition[]): SequenceCheck {
    const first = batches[0];
    if (first === undefined || first.header.producerId < 0) return NO_PRODUCER;
    const pid = first.header.producerId;
    const epoch = first.header.producerEpoch;
    for (const b of batches) {
      if (b.header.producerId !== pid || b.header.producerEpoch !== epoch) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `a record set mixes producers (${pid}/${epoch} and ${b.header.producerId}/${b.header.producerEpoch})`);
      }
    }
    const entry = this.#producers.get(pid);
    if (entry !== undefined && epoch < entry.epoch) {
      throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `producer ${pid} epoch ${epoch} is older than the current epoch ${entry.epoch}`);
    }
    if (entry !== undefined && epoch === entry.epoch) {
      const dup = entry.recent.find((r) => r.firstSeq === first.header.baseSequence);
      if (dup !== undefined) {
        const last = batches[batches.length - 1]!;
        if (batches.length === 1 && dup.lastSeq === lastSeqOf(last)) return { kind: 'duplicate', result: dup.result };
        throw new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${pid}: a record set from sequence ${first.header.baseSequence} overlaps batches already appended; resend them one at a time`);
      }
      let expect = nextSeq(entry.lastSeq);
      for (const b of batches) {
        if (b.header.baseSequence !== expect) {
          throw new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${pid}: sequence ${b.header.baseSequence} does not follow ${entry.lastSeq} (a batch is missing before it)`);
        }
        expect = nextSeq(lastSeqOf(b));
      }
    }
    // reserve: later record sets are checked against these sequences at once
    const e: ProducerEntry = entry !== undefined && entry.epoch === epoch ? entry : { epoch, lastSeq: -1, recent: [] };
    this.#producers.delete(pid);
    this.#producers.set(pid, e); // most recently written last
    const added: RecentBatch[] = [];
    let resolveResult!: (r: Promise<AppendResult>) => void;
    const whole = new Promise<AppendResult>((resolve) => (resolveResult = resolve));
    for (const b of batches) {
      const r: RecentBatch = { firstSeq: b.header.baseSequence, lastSeq: lastSeqOf(b), result: whole };
      added.push(r);
      e.recent.push(r);
      e.lastSeq = r.lastSeq;
    }
    if (e.recent.length > RECENT_BATCHES) e.recent.splice(0, e.recent.length - RECENT_BATCHES);
    if (this.#producers.size > MAX_PRODUCERS) this.#producers.delete(this.#producers.keys().next().value!);
    // a batch's offsets: the record set's first offset plus the records before it
    const offsetsBefore: number[] = [];
    let n = 0;
    for (const b of batches) {
      offsetsBefore.push(n);
      n += b.header.lastOffsetDelta + 1;
    }
    added.forEach((r, i) => {
      r.result = whole.then((res) => ({ ...res, firstOffset: res.firstOffset + offsetsBefore[i]!, lastOffset: res.firstOffset + offsetsBefore[i]! + batches[i]!.header.lastOffsetDelta }));
      r.result.catch(() => undefined);
    });
    return {
      kind: 'append',
      commit: (result) => resolveResult(result),
      abort: () => {
        // the append failed: forget the producer, so that its resend is not refused (record sets
        // reserved after this one were queued behind it on the log and fail with it)
        if (this.#producers.get(pid) === e) this.#producers.delete(pid);
        resolveResult(Promise.reject(new KafkaError(ErrorCode.UNKNOWN, 'append failed')));
      },
    };
  }
}
