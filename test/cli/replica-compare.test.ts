/**
 * compareReplicas, the check kafka-replica-verification makes each round: replicas' fetch
 * answers compared batch by batch (offsets, size, stored CRC, each copy's own CRC).
 */
import { describe, expect, it } from 'vitest';
import { compareReplicas } from '../../src/cli/replica-compare.js';
import { crc32c } from '../../src/protocol/records/crc.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';

const batch = (baseOffset: number, values: string[], ts = 1000) => encodeRecordBatch({ baseOffset, records: values.map((value) => ({ value, timestamp: ts })) });
const log = (...batches: Buffer[]) => Buffer.concat(batches);

describe('compareReplicas', () => {
  const a = batch(10, ['a', 'b']);
  const b = batch(12, ['c']);
  const c = batch(13, ['d', 'e', 'f']);

  it('accepts identical copies and moves past every batch all replicas have', () => {
    const r = compareReplicas('[t,0]', 10, [
      { replicaId: 1, records: log(a, b, c) },
      { replicaId: 2, records: log(a, b, c) },
      { replicaId: 3, records: log(a, b, c) },
    ]);
    expect(r).toEqual({ nextOffset: 16, batches: 3 });
  });

  it('verifies only as far as the shortest copy (a lagging follower, a partial last batch)', () => {
    expect(compareReplicas('[t,0]', 10, [{ replicaId: 1, records: log(a, b, c) }, { replicaId: 2, records: log(a) }])).toEqual({ nextOffset: 12, batches: 1 });
    const partial = log(a, b, c.subarray(0, 20));
    expect(compareReplicas('[t,0]', 10, [{ replicaId: 1, records: log(a, b, c) }, { replicaId: 2, records: partial }])).toEqual({ nextOffset: 13, batches: 2 });
    expect(compareReplicas('[t,0]', 10, [{ replicaId: 1, records: log(a) }, { replicaId: 2, records: Buffer.alloc(0) }])).toEqual({ nextOffset: 10, batches: 0 });
  });

  it('reports different content at the same offsets with the offset and both replicas', () => {
    const other = batch(12, ['C']);
    const r = compareReplicas('[t,3]', 10, [{ replicaId: 1, records: log(a, b, c) }, { replicaId: 2, records: log(a, other, c) }]);
    expect(r.nextOffset).toBe(12);
    expect(r.batches).toBe(1);
    expect(r.mismatch).toMatchObject({ offset: 12, replicas: [1, 2] });
    expect(r.mismatch!.message).toBe(`partition [t,3] has unmatched checksum at offset 12; replica 1's checksum ${b.readUInt32BE(17)}; replica 2's checksum ${other.readUInt32BE(17)}`);
  });

  it('reports batches that cover different offsets (a divergent or independently compacted copy)', () => {
    const merged = batch(12, ['c', 'd']);
    const r = compareReplicas('[t,0]', 10, [{ replicaId: 2, records: log(a, b, c) }, { replicaId: 1, records: log(a, merged) }]);
    expect(r.nextOffset).toBe(12);
    expect(r.mismatch!.replicas).toEqual([2, 1]);
    expect(r.mismatch!.message).toMatch(/^partition \[t,0\]: replica 1's batch at offset 12 \(offsets 12\.\.13, \d+ bytes\) doesn't match replica 2's \(offsets 12\.\.12, \d+ bytes\)$/);
  });

  it('catches a copy whose bytes changed under an intact CRC field, even on the only replica', () => {
    const rotten = Buffer.from(b);
    rotten[rotten.length - 2]! ^= 0x01;
    const r = compareReplicas('[t,0]', 10, [{ replicaId: 1, records: log(a, rotten, c) }]);
    expect(r.nextOffset).toBe(12);
    expect(r.mismatch).toMatchObject({ offset: 12, replicas: [1] });
    expect(r.mismatch!.message).toMatch(/replica 1's batch at offsets 12\.\.12 fails its CRC check \(stored checksum \d+, computed \d+\)/);
  });

  it('handles compacted data: gaps between batches, a batch starting below the fetch offset, an empty batch', () => {
    const gap = batch(40, ['x']);
    const empty = Buffer.from(batch(20, []));
    empty.writeInt32BE(3, 23); // lastOffsetDelta 3 with no records, as compaction can leave a batch
    empty.writeUInt32BE(crc32c(empty.subarray(21)), 17);
    const copy = log(a, b, empty, gap);
    expect(compareReplicas('[t,0]', 11, [{ replicaId: 1, records: copy }, { replicaId: 2, records: copy }])).toEqual({ nextOffset: 41, batches: 4 });
  });

  it('reports unreadable data instead of throwing', () => {
    const junk = Buffer.alloc(30, 0);
    const r = compareReplicas('[t,0]', 0, [{ replicaId: 1, records: log(a) }, { replicaId: 2, records: junk }]);
    expect(r.mismatch!.replicas).toEqual([2]);
    expect(r.mismatch!.message).toMatch(/replica 2 sent unreadable data from offset 0: .*batchLength 0 is below the minimum/);
  });
});
