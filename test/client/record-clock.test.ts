/**
 * RecordClock: one clock reading serves at most `maxUses` records of one synchronous run; the
 * next run (after any await) reads the clock again. Readings are also given as small integers,
 * their distance from a base the clock moves forward every ~12 days (and when the clock is set
 * back), so that a batch can keep record times without V8 boxing them.
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

  it('counts from its first reading, and moves its base on ~12 days later or when the clock goes back', async () => {
    let now = 1_700_000_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const c = new RecordClock(64);
    expect(c.sinceBase()).toBe(0);
    expect(c.base).toBe(1_700_000_000_000);
    await Promise.resolve();
    now += 5;
    expect(c.sinceBase()).toBe(5);
    expect(c.now()).toBe(1_700_000_000_005);
    await Promise.resolve();
    now += 2 ** 30; // past the range of small integers it keeps to
    expect(c.sinceBase()).toBe(0);
    expect(c.base).toBe(now);
    expect(c.now()).toBe(now);
    await Promise.resolve();
    now -= 1000; // the wall clock set back
    expect(c.sinceBase()).toBe(0);
    expect(c.now()).toBe(now);
  });
});
