/** The sender's zero-copy Produce request: the same bytes as encodeProduceRequest v3. */
import { describe, expect, it } from 'vitest';
import { produceRequestChunks, PRODUCE_VERSION } from '../../src/client/producer/produce-request.js';
import { encodeProduceRequest } from '../../src/protocol/apis/produce.js';
import { Writer } from '../../src/protocol/writer.js';

describe('produceRequestChunks', () => {
  it('writes the bytes encodeProduceRequest writes, the batches passed through uncopied', () => {
    const b = (n: number, fill: number) => ({ sealed: Buffer.alloc(n, fill) });
    const entries = [
      { q: { topic: 'a', partition: 0 }, batches: [b(100, 1), b(50, 2)] },
      { q: { topic: 'b', partition: 3 }, batches: [b(70, 3)] },
      { q: { topic: 'a', partition: 2 }, batches: [b(10, 4)] },
    ];
    const { head, chunks } = produceRequestChunks(-1, 1234, entries);
    const w = new Writer(8).int32(99);
    head(w);
    const got = Buffer.concat([w.finish(), ...chunks]);
    const expected = encodeProduceRequest(new Writer(8).int32(99), PRODUCE_VERSION, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1234,
      topics: [
        { topic: 'a', partitions: [{ partition: 0, records: Buffer.concat([entries[0]!.batches[0]!.sealed, entries[0]!.batches[1]!.sealed]) }, { partition: 2, records: entries[2]!.batches[0]!.sealed }] },
        { topic: 'b', partitions: [{ partition: 3, records: entries[1]!.batches[0]!.sealed }] },
      ],
    }).finish();
    expect(got.equals(expected)).toBe(true);
    for (const e of entries) for (const x of e.batches) expect(chunks).toContain(x.sealed);
  });
});
