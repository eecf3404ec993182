/** The range and round-robin assignors (pure): Kafka 0.8.2's formulas, pinned by example. */
import { describe, expect, it } from 'vitest';
import {
  AssignmentError,
  consumerIdOfThread,
  javaStringHash,
  ownedBy,
  rangeAssign,
  roundRobinAssign,
  threadIds,
  type AssignmentInput,
  type PartitionOwner,
} from '../../src/client/connector/assignors.js';

const input = (consumers: Record<string, Record<string, number>>, partitions: Record<string, number>): AssignmentInput => ({
  consumers: new Map(Object.entries(consumers)),
  partitions: new Map(Object.entries(partitions).map(([t, n]) => [t, Array.from({ length: n }, (_, i) => i)])),
});

const byThread = (owners: PartitionOwner[]): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const o of owners) (out[o.threadId] ??= []).push(`${o.topic}:${o.partition}`);
  return out;
};

/** Every partition of every subscribed topic exactly once. */
function expectComplete(owners: PartitionOwner[], partitions: Record<string, number>): void {
  const keys = owners.map((o) => `${o.topic}:${o.partition}`);
  expect(new Set(keys).size).toBe(keys.length);
  const want = Object.entries(partitions).flatMap(([t, n]) => Array.from({ length: n }, (_, p) => `${t}:${p}`));
  expect([...keys].sort()).toEqual([...want].sort());
}

describe('rangeAssign', () => {
  it('gives 3 consumers of 6 partitions 2 each, in sorted-id order', () => {
    const owners = rangeAssign(input({ 'g_c-3': { t: 1 }, 'g_a-1': { t: 1 }, 'g_b-2': { t: 1 } }, { t: 6 }));
    expect(byThread(owners)).toEqual({
      'g_a-1-0': ['t:0', 't:1'],
      'g_b-2-0': ['t:2', 't:3'],
      'g_c-3-0': ['t:4', 't:5'],
    });
  });

  it('gives the remainder to the first threads (0.8): 4 consumers of 6 partitions -> 2,2,1,1', () => {
    const owners = rangeAssign(input({ a: { t: 1 }, b: { t: 1 }, c: { t: 1 }, d: { t: 1 } }, { t: 6 }));
    expect(byThread(owners)).toEqual({ 'a-0': ['t:0', 't:1'], 'b-0': ['t:2', 't:3'], 'c-0': ['t:4'], 'd-0': ['t:5'] });
  });

  it('matches the formula start = n*i + min(i, extra), count = n + (i < extra) for many shapes', () => {
    for (let c = 1; c <= 9; c++) {
      for (let p = 0; p <= 20; p++) {
        const consumers = Object.fromEntries(Array.from({ length: c }, (_, i) => [`c${String(i).padStart(2, '0')}`, { t: 1 }]));
        const owners = rangeAssign(input(consumers, { t: p }));
        expectComplete(owners, { t: p });
        const n = Math.floor(p / c);
        const extra = p % c;
        for (let i = 0; i < c; i++) {
          const start = n * i + Math.min(i, extra);
          const count = n + (i < extra ? 1 : 0);
          const mine = owners.filter((o) => o.threadId === `c${String(i).padStart(2, '0')}-0`).map((o) => o.partition);
          expect(mine).toEqual(Array.from({ length: count }, (_, k) => start + k));
        }
      }
    }
  });

  it('sorts thread ids as strings (c10 before c2) and counts every stream as a thread', () => {
    const owners = rangeAssign(input({ c2: { t: 1 }, c10: { t: 2 } }, { t: 5 }));
    expect(byThread(owners)).toEqual({ 'c10-0': ['t:0', 't:1'], 'c10-1': ['t:2', 't:3'], 'c2-0': ['t:4'] });
  });

  it('assigns each topic separately among its own subscribers; more threads than partitions leave some idle', () => {
    const owners = rangeAssign(input({ a: { t: 1, u: 1 }, b: { t: 1 }, c: { u: 1 } }, { t: 1, u: 3 }));
    expect(byThread(owners)).toEqual({ 'a-0': ['t:0', 'u:0', 'u:1'], 'c-0': ['u:2'] });
    expect(ownedBy(owners, 'b')).toEqual([]);
  });

  it('skips topics that do not exist yet', () => {
    expect(rangeAssign(input({ a: { missing: 1 } }, {}))).toEqual([]);
  });
});

describe('roundRobinAssign', () => {
  it("orders partitions by Java's hashCode of \"[topic,partition]\" and deals them to sorted threads", () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('hello')).toBe(99162322); // "hello".hashCode() in Java
    expect(javaStringHash('[t,0]')).toBe(javaStringHash('[t,0]'));
    const owners = roundRobinAssign(input({ b: { t: 1, u: 1 }, a: { t: 1, u: 1 } }, { t: 4, u: 3 }));
    expectComplete(owners, { t: 4, u: 3 });
    const order = [...owners].sort((x, y) => javaStringHash(`[${x.topic},${x.partition}]`) - javaStringHash(`[${y.topic},${y.partition}]`));
    expect(order.map((o) => o.threadId)).toEqual(['a-0', 'b-0', 'a-0', 'b-0', 'a-0', 'b-0', 'a-0']);
  });

  it('balances across topics: 8 consumers, 4 topics of 16 partitions -> 8 each', () => {
    const consumers = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`c${i}`, { t0: 1, t1: 1, t2: 1, t3: 1 }]));
    const owners = roundRobinAssign(input(consumers, { t0: 16, t1: 16, t2: 16, t3: 16 }));
    expectComplete(owners, { t0: 16, t1: 16, t2: 16, t3: 16 });
    for (const list of Object.values(byThread(owners))) expect(list).toHaveLength(8);
  });

  it('refuses differing subscriptions or stream counts with a clear error', () => {
    expect(() => roundRobinAssign(input({ a: { t: 1 }, b: { u: 1 } }, { t: 1, u: 1 }))).toThrow(AssignmentError);
    expect(() => roundRobinAssign(input({ a: { t: 1, u: 2 } }, { t: 1, u: 1 }))).toThrow(/same topics with one stream count/);
    expect(() => roundRobinAssign(input({ a: { t: 1 }, b: { t: 2 } }, { t: 1 }))).toThrow(/b subscribes to/);
  });
});

describe('thread ids', () => {
  it('are <consumerId>-<n>, and map back to the consumer id', () => {
    expect(threadIds('g_host-1700000000000-0a1b2c3d', 2)).toEqual(['g_host-1700000000000-0a1b2c3d-0', 'g_host-1700000000000-0a1b2c3d-1']);
    expect(consumerIdOfThread('g_host-1700000000000-0a1b2c3d-1')).toBe('g_host-1700000000000-0a1b2c3d');
    expect(consumerIdOfThread('kafka-node-consumer')).toBe('kafka-node-consumer'); // kafka-node writes its bare id
  });
});
