/** encodeFetchResponseChunks: the same bytes as encodeFetchResponse, large record sets not copied. */
import { describe, expect, it } from 'vitest';
import { encodeFetchResponse, encodeFetchResponseChunks, FETCH_ZERO_COPY_MIN_BYTES, type FetchResponse } from '../../../src/protocol/apis/fetch.js';
import { Writer } from '../../../src/protocol/writer.js';

function response(): FetchResponse {
  const big = Buffer.alloc(FETCH_ZERO_COPY_MIN_BYTES + 10, 7);
  const huge = Buffer.alloc(100_000, 9);
  return {
    throttleTimeMs: 3,
    topics: [
      {
        topic: 'a',
        partitions: [
          { partition: 0, errorCode: 0, highWatermark: 10, lastStableOffset: 10, logStartOffset: 2, abortedTransactions: null, records: big },
          { partition: 1, errorCode: 0, highWatermark: 5, lastStableOffset: 5, abortedTransactions: null, records: Buffer.from('small') },
          { partition: 2, errorCode: 6, highWatermark: -1, lastStableOffset: -1, abortedTransactions: [{ producerId: 1, firstOffset: 2 }], records: Buffer.alloc(0) },
        ],
      },
      { topic: 'b', partitions: [{ partition: 0, errorCode: 0, highWatermark: 1e6, lastStableOffset: 1e6, abortedTransactions: null, records: huge }] },
      { topic: 'c', partitions: [] },
    ],
  };
}

describe('encodeFetchResponseChunks', () => {
  for (const version of [0, 1, 2, 3, 4, 5, 6]) {
    it(`v${version}: chunks concatenated equal encodeFetchResponse, after the header already in the writer`, () => {
      const res = response();
      const expected = encodeFetchResponse(new Writer(16).int32(42), version, res).finish();
      const chunks = encodeFetchResponseChunks(new Writer(16).int32(42), version, res);
      expect(Buffer.concat(chunks).equals(expected)).toBe(true);
      // the large record sets are passed through, not copied
      expect(chunks).toContain(res.topics[0]!.partitions[0]!.records);
      expect(chunks).toContain(res.topics[1]!.partitions[0]!.records);
    });
  }

  it('a response without large record sets is one chunk', () => {
    const res: FetchResponse = { throttleTimeMs: 0, topics: [] };
    const chunks = encodeFetchResponseChunks(new Writer(), 4, res);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.equals(encodeFetchResponse(new Writer(), 4, res).finish())).toBe(true);
  });
});
