/**
 * ProducerStateTable: what a partition replica knows of each idempotent producer writing to it
 * (KIP-98, simplified): the producer epoch, the last sequence number in the log, and the
 * sequence ranges of its last few record sets with their offsets. With it the leader
 *   - refuses a batch whose first sequence does not follow the last one
 *     (OUT_OF_ORDER_SEQUENCE_NUMBER): an earlier batch is missing, so appending this one would
 *     put the producer's records out of order; the producer resends from the gap;
 *   - recognises a resent record set (its sequences lie inside one remembered range) and answers
 *     with the offsets they were appended at, appending nothing.
 *
 * Sequences are checked and reserved synchronously, before the append is queued on the log,
 * so requests answered in order on one connection are checked in the order they are appended.
 *
 * Followers keep the table too, from the batch headers they copy (`replicated`): contiguous
 * batches of a producer merge into one range. So a follower that becomes leader knows the
 * producers as its log does, as Kafka's replicas do: a batch resent after a failover is answered
 * as a duplicate if the old leader had appended and replicated it, and a gap stays refused. The
 * table is cleared when the log is truncated. It is not written to disk (unlike Kafka's producer
 * snapshots): after a restart the partition fills it from the tail of its log before the first
 * append (partition.ts). A producer the table does not know must start at sequence 0, as in
 * Kafka (OUT_OF_ORDER_SEQUENCE_NUMBER otherwise: the producer starts again with a new id), so a
 * producer whose state is gone (past that tail) can duplicate a resend, never reorder.
 */
import { ErrorCode, KafkaError } from '../../common/errors.js';
import type { BatchPosition } from '../../protocol/records/record-batch.js';
import type { AppendResult } from '../../storage/log.js';

/** How many recent record sets (ranges) per producer are remembered for duplicate detection (Kafka: 5 batches; a producer has at most 5 requests in flight). */
export const RECENT_RECORD_SETS = 5;
/** Producers remembered per partition; the least recently written are forgotten first. */
export const MAX_PRODUCERS = 10_000;

const SEQ_MOD = 0x80000000;

/** Sequences firstSeq..lastSeq (inclusive), written at the offsets `result` resolves to. */
interface SeqRange {
  firstSeq: number;
  lastSeq: number;
  /** Known for batches a follower copied (-1 for the leader's record sets: those never merge). */
  firstOffset: number;
  result: Promise<AppendResult>;
}

interface ProducerEntry {
  epoch: number;
  lastSeq: number;
  recent: SeqRange[];
}

/** The outcome of checking a record set: append it, or answer a duplicate with its earlier result. */
export type SequenceCheck = { kind: 'append'; commit: (result: Promise<AppendResult>) => void; abort: () => void } | { kind: 'duplicate'; result: Promise<AppendResult> };

const NO_PRODUCER: SequenceCheck = { kind: 'append', commit: () => undefined, abort: () => undefined };

function nextSeq(seq: number): number {
  return seq === SEQ_MOD - 1 ? 0 : seq + 1;
}

function lastSeqOf(b: BatchPosition): number {
  return (b.header.baseSequence + b.header.lastOffsetDelta) % SEQ_MOD;
}

/** How many sequences first..last covers (they wrap after 2^31-1). */
function span(first: number, last: number): number {
  return ((last - first + SEQ_MOD) % SEQ_MOD) + 1;
}

/** Whether first..last lies inside the range r. */
function within(r: SeqRange, first: number, last: number): boolean {
  const at = (first - r.firstSeq + SEQ_MOD) % SEQ_MOD;
  return at + span(first, last) <= span(r.firstSeq, r.lastSeq);
}

/** The offsets of first..last inside r. */
function offsetsWithin(r: SeqRange, first: number, last: number): Promise<AppendResult> {
  const skip = (first - r.firstSeq + SEQ_MOD) % SEQ_MOD;
  const n = span(first, last);
  return r.result.then((res) => ({ ...res, firstOffset: res.firstOffset + skip, lastOffset: res.firstOffset + skip + n - 1, recordCount: n }));
}

export class ProducerStateTable {
  readonly #producers = new Map<number, ProducerEntry>();
  /** Producers whose append failed and were forgotten: their resend may start a fresh entry at any sequence, once. */
  readonly #forgiven = new Set<number>();

  get size(): number {
    return this.#producers.size;
  }

  clear(): void {
    this.#producers.clear();
    this.#forgiven.clear();
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
    const firstSeq = first.header.baseSequence;
    const lastSeq = lastSeqOf(batches[batches.length - 1]!);
    const entry = this.#producers.get(pid);
    if (entry !== undefined && epoch < entry.epoch) {
      throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `producer ${pid} epoch ${epoch} is older than the current epoch ${entry.epoch}`);
    }
    if (entry !== undefined && epoch === entry.epoch) {
      const dup = entry.recent.find((r) => within(r, firstSeq, lastSeq));
      if (dup !== undefined) return { kind: 'duplicate', result: offsetsWithin(dup, firstSeq, lastSeq) };
      if (entry.recent.some((r) => within(r, firstSeq, firstSeq))) {
        throw new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${pid}: a record set from sequence ${firstSeq} overlaps batches already appended; resend them one at a time`);
      }
      let expect = nextSeq(entry.lastSeq);
      for (const b of batches) {
        if (b.header.baseSequence !== expect) {
          throw new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${pid}: sequence ${b.header.baseSequence} does not follow ${entry.lastSeq} (a batch is missing before it)`);
        }
        expect = nextSeq(lastSeqOf(b));
      }
    }
    if ((entry === undefined || epoch > entry.epoch) && firstSeq !== 0 && !this.#forgiven.delete(pid)) {
      // Kafka's rule: a producer this replica does not know (or a new epoch) starts at sequence
      // 0. Accepting any sequence let a restarted leader that had lost the producer's state append
      // a later record set while an earlier one (refused before its check, NOT_LEADER) was still
      // to be resent: the resend came after it, out of order. Refused, the producer starts again
      // with a new id, in order.
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `producer ${pid} (epoch ${epoch}) is not known here (its state is gone: a restart past the log tail read at start, or a truncation): its first record set must start at sequence 0, not ${firstSeq}`,
      );
    }
    // reserve: later record sets are checked against these sequences at once
    const e = this.#entry(pid, epoch, entry);
    let resolveResult!: (r: Promise<AppendResult>) => void;
    const whole = new Promise<AppendResult>((resolve) => (resolveResult = resolve));
    whole.catch(() => undefined); // a failed append is answered by the append itself
    // firstOffset stays -1: a range the leader made is not merged with batches copied later
    this.#remember(e, { firstSeq, lastSeq, firstOffset: -1, result: whole });
    return {
      kind: 'append',
      commit: (result) => resolveResult(result),
      abort: () => {
        // the append failed: forget the producer, so that its resend is not refused (record sets
        // reserved after this one were queued behind it on the log and fail with it)
        if (this.#producers.get(pid) === e) {
          this.#producers.delete(pid);
          this.#forgiven.add(pid);
        }
        // after commit() `whole` already follows the failed append and ignores this: unhandled,
        // the rejection would end the broker process
        const failed = Promise.reject(new KafkaError(ErrorCode.UNKNOWN, 'append failed'));
        failed.catch(() => undefined);
        resolveResult(failed);
      },
    };
  }

  /** A follower copied these batches from the leader (their offsets as the leader gave them). */
  replicated(batches: readonly BatchPosition[]): void {
    for (const b of batches) {
      const h = b.header;
      if (h.producerId < 0) continue;
      const old = this.#producers.get(h.producerId);
      const e = this.#entry(h.producerId, h.producerEpoch, old !== undefined && h.producerEpoch < old.epoch ? undefined : old);
      const firstSeq = h.baseSequence;
      const lastSeq = lastSeqOf(b);
      const last = e.recent[e.recent.length - 1];
      const merge = last !== undefined && last.firstOffset >= 0 && firstSeq === nextSeq(last.lastSeq) && h.baseOffset === last.firstOffset + span(last.firstSeq, last.lastSeq);
      const firstOffset = merge ? last.firstOffset : h.baseOffset;
      const n = merge ? span(last.firstSeq, lastSeq) : h.lastOffsetDelta + 1;
      const result = Promise.resolve<AppendResult>({ firstOffset, lastOffset: firstOffset + n - 1, logAppendTime: -1, recordCount: n });
      if (merge) {
        last.lastSeq = lastSeq;
        last.result = result;
        e.lastSeq = lastSeq;
      } else this.#remember(e, { firstSeq, lastSeq, firstOffset, result });
    }
  }

  /** The producer's entry, made the most recently written; a new one for a new epoch. */
  #entry(pid: number, epoch: number, entry: ProducerEntry | undefined): ProducerEntry {
    const e: ProducerEntry = entry !== undefined && entry.epoch === epoch ? entry : { epoch, lastSeq: -1, recent: [] };
    this.#producers.delete(pid);
    this.#producers.set(pid, e); // most recently written last
    if (this.#producers.size > MAX_PRODUCERS) this.#producers.delete(this.#producers.keys().next().value!);
    return e;
  }

  #remember(e: ProducerEntry, r: SeqRange): void {
    e.recent.push(r);
    e.lastSeq = r.lastSeq;
    if (e.recent.length > RECENT_RECORD_SETS) e.recent.splice(0, e.recent.length - RECENT_RECORD_SETS);
  }
}
