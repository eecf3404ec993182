/**
 * RecordClock: one clock reading serves at most `maxUses` records of one synchronous run; the
 * next run (after any await) reads the clock again.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecordClock } from '../../src/client/producer/record-clock.js';

describe('RecordClock', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reads the clock once per maxUses records within a synchronous run', () => {
    let now = 1_000;
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => now++);
    const c = new RecordClock(4);
    const got = Array.from({ length: 10 }, () => c.now());
    expect(got).toEqual([1000, 1000, 1000, 1000, 1001, 1001, 1001, 1001, 1002, 1002]);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('never carries a reading over an await', async () => {
    let now = 5_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const c = new RecordClock(64);
    expect(c.now()).toBe(5_000);
    now = 5_250;
    expect(c.now()).toBe(5_000); // same synchronous run
    await Promise.resolve();
    expect(c.now()).toBe(5_250);
    now = 9_000;
    await new Promise((r) => setTimeout(r, 1));
    expect(c.now()).toBe(9_000);
  });
});
