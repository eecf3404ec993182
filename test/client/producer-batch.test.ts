/**
 * The producer's batch encoder, byte-level: timestamps before the batch's first record (records
 * of several sources, as a mirror sends them) must survive the round trip; a small negative
 * delta once went out as one byte that was not a zigzag varint, and the broker stored it.
 */
import { describe, expect, it } from 'vitest';
import { ProducerBatch } from '../../src/client/producer/producer-batch.js';
import { CompressionCodec } from '../../src/protocol/records/compression.js';
import { decodeRecordBatches } from '../../src/protocol/records/record-batch.js';

describe('ProducerBatch', () => {
  it('keeps timestamps earlier and later than the first record, small and large deltas alike', () => {
    const base = 1_700_000_000_000;
    const stamps = [base, base - 1, base - 5, base - 63, base - 64, base - 200, base + 10, base + 63, base + 64, base - 100_000];
    const b = new ProducerBatch('t', 0, 0, 0, Buffer.alloc(4096), 4096, Date.now());
    for (const [i, ts] of stamps.entries()) {
      const v = Buffer.from(`v${i}`);
      expect(b.tryAppend(ts, null, -1, v, v.length, undefined, undefined)).toBe(true);
    }
    b.seal(CompressionCodec.None, () => undefined);
    b.stamp(-1, -1, -1); // no producer id; writes the CRC
    const out = decodeRecordBatches(b.sealed!);
    expect(out.map((r) => r.timestamp)).toEqual(stamps);
    expect(out.map((r) => r.value!.toString())).toEqual(stamps.map((_, i) => `v${i}`));
  });

  it('completes each record: metadata for a two-parameter callback, none made for a one-parameter one, the error for both', () => {
    const b = new ProducerBatch('t', 3, 0, 0, Buffer.alloc(4096), 4096, Date.now());
    const got: unknown[] = [];
    const withMd = (err: Error | null, md?: unknown) => got.push(['md', err, md]);
    // one declared parameter (a rest parameter does not count): what it is passed is seen all the same
    const plain = (err: Error | null, ...rest: unknown[]) => got.push(['plain', err, rest[0]]);
    expect(plain.length).toBe(1);
    for (const cb of [withMd, plain, withMd]) expect(b.tryAppend(1, null, -1, Buffer.from('v'), 1, undefined, cb)).toBe(true);
    b.complete(null, 100, -1);
    expect(got).toEqual([
      ['md', null, { topic: 't', partition: 3, offset: 100, logAppendTime: -1 }],
      ['plain', null, undefined],
      ['md', null, { topic: 't', partition: 3, offset: 102, logAppendTime: -1 }],
    ]);
    const failed = new ProducerBatch('t', 3, 0, 0, Buffer.alloc(4096), 4096, Date.now());
    const errs: unknown[] = [];
    const boom = new Error('boom');
    failed.tryAppend(1, null, -1, Buffer.from('v'), 1, undefined, (err) => errs.push(err));
    failed.tryAppend(1, null, -1, Buffer.from('v'), 1, undefined, (err, md) => errs.push([err, md]));
    failed.complete(boom, -1, -1);
    expect(errs).toEqual([boom, [boom, undefined]]);
  });
});
