/**
 * ProducerStateTable, the leader's sequence check for idempotent producers: in order is
 * accepted, a gap refused (OUT_OF_ORDER_SEQUENCE_NUMBER), a resent batch answered with its
 * first append's offsets, an old epoch fenced, a failed append forgotten so the resend passes.
 */
import { describe, expect, it } from 'vitest';
import { ProducerStateTable, RECENT_RECORD_SETS } from '../../src/broker/replica/producer-state.js';
import { PartitionLog, type AppendResult } from '../../src/storage/log.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ErrorCode, KafkaError } from '../../src/common/errors.js';

/** The positions of batches with `counts` records each, sequences from `seq` on. */
function batches(pid: number, epoch: number, seq: number, ...counts: number[]): ReturnType<typeof PartitionLog.validateAll> {
  let s = seq;
  const bufs = counts.map((n) => {
    const b = encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: `v${s + i}` })), producerId: pid, producerEpoch: epoch, baseSequence: s });
    s += n;
    return b;
  });
  return PartitionLog.validateAll(Buffer.concat(bufs));
}

const result = (firstOffset: number, lastOffset: number): AppendResult => ({ firstOffset, lastOffset, logAppendTime: -1, recordCount: lastOffset - firstOffset + 1 });

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof KafkaError ? e.code : -999;
  }
  return undefined;
}

describe('ProducerStateTable', () => {
  it('accepts a producer in order, refuses a gap, and lets batches without a producer id pass', () => {
    const t = new ProducerStateTable();
    const a = t.check(batches(7, 0, 0, 3, 2));
    expect(a.kind).toBe('append');
    expect(t.check(batches(7, 0, 5, 4)).kind).toBe('append');
    expect(codeOf(() => t.check(batches(7, 0, 10, 1)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // 9 is missing
    expect(codeOf(() => t.check(batches(7, 0, 8, 2)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // 8 is written, 9 is not
    expect(t.check(batches(7, 0, 8, 1)).kind).toBe('duplicate'); // 8 alone was written (in the record set 5-8)
    expect(t.check(batches(7, 0, 9, 1)).kind).toBe('append');
    expect(t.check(PartitionLog.validateAll(encodeRecordBatch({ records: [{ value: 'x' }] }))).kind).toBe('append');
    expect(t.size).toBe(1);
  });

  it('a gap inside one record set is refused and reserves nothing', () => {
    const t = new ProducerStateTable();
    t.check(batches(1, 0, 0, 2));
    const gap = Buffer.concat([encodeRecordBatch({ records: [{ value: 'a' }], producerId: 1, producerEpoch: 0, baseSequence: 2 }), encodeRecordBatch({ records: [{ value: 'b' }], producerId: 1, producerEpoch: 0, baseSequence: 4 })]);
    expect(codeOf(() => t.check(PartitionLog.validateAll(gap)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(t.check(batches(1, 0, 2, 1)).kind).toBe('append');
  });

  it('answers a resent batch with the offsets of its first append', async () => {
    const t = new ProducerStateTable();
    const first = t.check(batches(3, 0, 0, 4));
    const second = t.check(batches(3, 0, 4, 2));
    if (first.kind !== 'append' || second.kind !== 'append') throw new Error('expected appends');
    first.commit(Promise.resolve(result(100, 103)));
    second.commit(Promise.resolve(result(104, 105)));
    const dup = t.check(batches(3, 0, 4, 2));
    expect(dup.kind).toBe('duplicate');
    await expect(dup.kind === 'duplicate' && dup.result).resolves.toMatchObject({ firstOffset: 104, lastOffset: 105 });
    const dupFirst = t.check(batches(3, 0, 0, 4));
    await expect(dupFirst.kind === 'duplicate' && dupFirst.result).resolves.toMatchObject({ firstOffset: 100, lastOffset: 103 });
  });

  it('gives each batch of a multi-batch record set its own offsets for later duplicates', async () => {
    const t = new ProducerStateTable();
    const c = t.check(batches(5, 0, 0, 2, 3));
    if (c.kind !== 'append') throw new Error('expected an append');
    c.commit(Promise.resolve(result(50, 54)));
    const dup = t.check(batches(5, 0, 2, 3));
    await expect(dup.kind === 'duplicate' && dup.result).resolves.toMatchObject({ firstOffset: 52, lastOffset: 54 });
  });

  it(`remembers the last ${RECENT_RECORD_SETS} record sets only`, () => {
    const t = new ProducerStateTable();
    for (let i = 0; i < RECENT_RECORD_SETS + 1; i++) t.check(batches(9, 0, i, 1));
    expect(codeOf(() => t.check(batches(9, 0, 0, 1)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(t.check(batches(9, 0, 1, 1)).kind).toBe('duplicate');
  });

  it('a follower learns producers from the batches it copies: contiguous batches merge, a failover resend is a duplicate, a gap is refused', async () => {
    const t = new ProducerStateTable();
    const copied = (at: number, pid: number, seq: number, ...counts: number[]): ReturnType<typeof PartitionLog.validateAll> => {
      const list = batches(pid, 0, seq, ...counts);
      let offset = at;
      for (const b of list) {
        b.header.baseOffset = offset;
        offset += b.header.lastOffsetDelta + 1;
      }
      return list;
    };
    // producer 1 wrote seqs 0-9 at offsets 0-9 (two record sets), producer 2 interleaved at 10-11
    t.replicated(copied(0, 1, 0, 4, 6));
    t.replicated(copied(10, 2, 0, 2));
    t.replicated(copied(12, 1, 10, 3));
    for (let i = 0; i < 10; i++) t.replicated(copied(15 + i, 2, 2 + i, 1)); // merged into one range: nothing forgotten
    // the new leader (this replica) answers producer 1's resends of any of it as duplicates
    const dup = t.check(batches(1, 0, 4, 6));
    await expect(dup.kind === 'duplicate' && dup.result).resolves.toMatchObject({ firstOffset: 4, lastOffset: 9 });
    const dup2 = t.check(batches(1, 0, 11, 2));
    await expect(dup2.kind === 'duplicate' && dup2.result).resolves.toMatchObject({ firstOffset: 13, lastOffset: 14 });
    const dup3 = t.check(batches(2, 0, 0, 2));
    await expect(dup3.kind === 'duplicate' && dup3.result).resolves.toMatchObject({ firstOffset: 10, lastOffset: 11 });
    const dup4 = t.check(batches(2, 0, 3, 1));
    await expect(dup4.kind === 'duplicate' && dup4.result).resolves.toMatchObject({ firstOffset: 16, lastOffset: 16 });
    expect(codeOf(() => t.check(batches(1, 0, 14, 1)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // 13 never arrived
    expect(t.check(batches(1, 0, 13, 1)).kind).toBe('append');
    t.clear(); // the log was truncated: the producer is not known any more and starts again at 0
    expect(codeOf(() => t.check(batches(1, 0, 20, 1)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(t.check(batches(1, 1, 0, 1)).kind).toBe('append');
  });

  it('fences an older epoch and starts afresh with a newer one', () => {
    const t = new ProducerStateTable();
    t.check(batches(2, 1, 0, 5));
    expect(codeOf(() => t.check(batches(2, 0, 5, 1)))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(t.check(batches(2, 2, 0, 1)).kind).toBe('append');
  });

  it('forgets a producer whose append failed, so its resend is accepted', () => {
    const t = new ProducerStateTable();
    t.check(batches(4, 0, 0, 1));
    const c = t.check(batches(4, 0, 1, 1));
    if (c.kind !== 'append') throw new Error('expected an append');
    c.abort();
    expect(t.check(batches(4, 0, 1, 1)).kind).toBe('append');
  });

  it('a producer it does not know starts at sequence 0: a later record set is refused, so it cannot overtake an earlier one that was lost', () => {
    const t = new ProducerStateTable();
    expect(codeOf(() => t.check(batches(8, 0, 138, 1)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(t.check(batches(8, 0, 0, 3)).kind).toBe('append');
    expect(t.check(batches(8, 0, 3, 1)).kind).toBe('append');
  });

  it('wraps sequences at 2^31-1', () => {
    const t = new ProducerStateTable();
    t.replicated(batches(8, 0, 0x7ffffffe, 2)); // learnt as a follower: sequences up to 2^31-1
    expect(t.check(batches(8, 0, 0, 1)).kind).toBe('append');
  });
});
