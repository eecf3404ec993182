/**
 * The producer's batch encoder, byte-level: timestamps before the batch's first record (records
 * of several sources, as a mirror sends them) must survive the round trip; a small negative
 * delta once went out as one byte that was not a zigzag varint, and the broker stored it.
 */
import { describe, expect, it, vi } from 'vitest';
import { ProducerBatch, splitBatch } from '../../src/client/producer/producer-batch.js';
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

  it('stamps records without a timestamp with the clock, across a move of its base and beside explicit timestamps', async () => {
    let now = 1_700_000_000_000;
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const b = new ProducerBatch('t', 0, 0, 0, Buffer.alloc(4096), 4096, now);
      const add = (ts: number | undefined) => expect(b.tryAppend(ts, null, -1, Buffer.from('v'), 1, undefined, undefined)).toBe(true);
      add(undefined);
      add(1_600_000_000_000); // explicit, long before
      await Promise.resolve(); // a new run reads the clock again
      now += 2 ** 30 + 7; // recordClock moves its base here
      add(undefined);
      add(0);
      b.seal(CompressionCodec.None, () => undefined);
      b.stamp(-1, -1, -1);
      const out = decodeRecordBatches(b.sealed!);
      expect(out.map((r) => r.timestamp)).toEqual([1_700_000_000_000, 1_600_000_000_000, now, 0]);
      // the header: first record's time and the largest
      expect(Number(b.sealed!.readBigInt64BE(27))).toBe(1_700_000_000_000);
      expect(Number(b.sealed!.readBigInt64BE(35))).toBe(now);
    } finally {
      spy.mockRestore();
    }
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

  /** A batch of n records whose callbacks are cbOf(i); returns what each callback was called with, by record. */
  function runBatch(n: number, cbOf: (i: number, log: (i: number, offset: number | undefined) => void) => ((err: Error | null, md?: { offset: number }) => void) | undefined) {
    const b = new ProducerBatch('t', 0, 0, 0, Buffer.alloc(64 * 1024), 64 * 1024, Date.now());
    const calls: [number, number | undefined][] = [];
    const log = (i: number, offset: number | undefined) => calls.push([i, offset]);
    const cbs = Array.from({ length: n }, (_, i) => cbOf(i, log));
    for (let i = 0; i < n; i++) expect(b.tryAppend(1, null, -1, Buffer.from(`v${i}`), `v${i}`.length, undefined, cbs[i])).toBe(true);
    return { b, calls, cbs };
  }

  it("calls each record's callback once with its offset, whether records share one, a few differ, or each has its own", () => {
    const n = 300;
    // one shared callback (the console producer): records tell themselves apart by offset
    let sharedCb: ((err: Error | null, md?: { offset: number }) => void) | undefined;
    const shared = runBatch(n, (_i, log) => (sharedCb ??= (_err, md) => log(md!.offset - 1000, md!.offset)));
    shared.b.complete(null, 1000, -1);
    expect(shared.calls).toEqual(Array.from({ length: n }, (_, i) => [i, 1000 + i]));

    // one in 40 has its own (the perf test's latency samples), some none; the first differs too
    const mixedCalls: [number, number | undefined][] = [];
    const common = (_err: Error | null, md?: { offset: number }) => mixedCalls.push([md!.offset - 1000, md!.offset]);
    const mixed = runBatch(n, (i, log) => (i % 40 === 0 ? (_err, md) => log(i, md!.offset) : i % 97 === 5 ? undefined : common));
    mixed.b.complete(null, 1000, -1);
    const all = [...mixed.calls, ...mixedCalls].sort((x, y) => x[0] - y[0]);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i).filter((i) => i % 97 !== 5 || i % 40 === 0).map((i) => [i, 1000 + i]));
    expect(mixed.b.callbacks).toBeUndefined(); // a few exceptions are listed, not one array entry per record

    // each its own (a send() promise each): one per record, kept per record
    const own = runBatch(n, (i, log) => (_err, md) => log(i, md!.offset));
    expect(own.b.callbacks).toHaveLength(n);
    own.b.complete(null, 1000, -1);
    expect(own.calls).toEqual(Array.from({ length: n }, (_, i) => [i, 1000 + i]));
    // completing twice calls nobody again; the array is handed back cleared for another batch
    own.b.complete(null, 2000, -1);
    expect(own.calls).toHaveLength(n);
    const arr = own.b.takeCallbackArray();
    expect(arr?.slice(0, n).every((x) => x === undefined)).toBe(true);
  });

  it("keeps every record's callback through a split (MESSAGE_TOO_LARGE)", () => {
    const n = 120;
    for (const pattern of ['shared', 'sampled', 'own'] as const) {
      const shared = (_e: Error | null, md?: { offset: number }) => calls.push(['s', md!.offset]);
      const calls: [string, number][] = [];
      const { b } = runBatch(n, (i) =>
        pattern === 'shared' || (pattern === 'sampled' && i % 40 !== 7) ? shared : (_e, md) => calls.push([`own${i}`, md!.offset]),
      );
      b.seal(CompressionCodec.None, () => undefined);
      b.stamp(-1, -1, -1);
      const halves = splitBatch(b, CompressionCodec.None);
      expect(halves.map((h) => h.count)).toEqual([n / 2, n / 2]);
      halves[0]!.complete(null, 0, -1);
      halves[1]!.complete(null, n / 2, -1);
      expect(calls.map(([, o]) => o)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(calls.map(([w]) => w)).toEqual(Array.from({ length: n }, (_, i) => (pattern === 'shared' || (pattern === 'sampled' && i % 40 !== 7) ? 's' : `own${i}`)));
    }
  });
});
