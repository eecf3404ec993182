import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/common/batcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Batcher', () => {
  it('hands over everything added within the delay in one call, the same key once (the last)', async () => {
    const calls: string[][] = [];
    const b = new Batcher<string>(30, async (items) => void calls.push(items));
    b.add('a', 'a1');
    b.add('b', 'b1');
    b.add('a', 'a2');
    expect(calls).toEqual([]);
    await sleep(80);
    expect(calls).toEqual([['a2', 'b1']]);
    b.add('c', 'c1');
    await b.flushNow();
    expect(calls).toEqual([['a2', 'b1'], ['c1']]);
    await sleep(60); // the timer of 'c1' was cleared by flushNow
    expect(calls).toHaveLength(2);
  });

  it('runs flushes one after another, goes on after a failed one, and drops what cancel() drops', async () => {
    const order: string[] = [];
    let first = true;
    const b = new Batcher<string>(1000, async (items) => {
      if (first) {
        first = false;
        await sleep(30);
        order.push(`failed ${items.join()}`);
        throw new Error('zk down');
      }
      order.push(items.join());
    });
    b.add('x', 'x');
    const one = b.flushNow();
    b.add('y', 'y');
    const two = b.flushNow();
    await Promise.all([one, two]);
    expect(order).toEqual(['failed x', 'y']);
    b.add('z', 'z');
    b.cancel();
    await b.flushNow();
    expect(order).toEqual(['failed x', 'y']);
  });
});
