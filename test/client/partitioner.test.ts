/**
 * The default partitioner chooses what the Java client and kafkajs choose: murmur2 of the key
 * bytes, made positive, modulo the partition count. Cross-checked against kafkajs'
 * DefaultPartitioner itself (node_modules/kafkajs/src/producer/partitioners).
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { murmur2, murmur2Partition } from '../../src/client/partitioner.js';
import { createPartitioner } from '../../src/client/producer/partitioners.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;
const { Partitioners } = require('kafkajs') as { Partitioners: { DefaultPartitioner: () => (a: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: { key?: Buffer | string | null; partition?: number } }) => number } };

function meta(n: number): { partitionId: number; leader: number }[] {
  return Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1 }));
}

describe('murmur2 partitioning', () => {
  it('hashes like kafkajs for random binary keys of every length 0..64', () => {
    for (let len = 0; len <= 64; len++) {
      for (let k = 0; k < 20; k++) {
        const key = randomBytes(len);
        expect(murmur2(key), key.toString('hex')).toBe(kafkajsMurmur2(key));
      }
    }
  });

  it('chooses the partition kafkajs DefaultPartitioner chooses, for string and buffer keys', () => {
    const kjs = Partitioners.DefaultPartitioner();
    const ours = createPartitioner('default');
    for (const n of [1, 2, 3, 7, 12, 64]) {
      for (let i = 0; i < 300; i++) {
        const key = i % 2 === 0 ? `key-${i}-ü` : randomBytes(1 + (i % 17));
        const expected = kjs({ topic: 't', partitionMetadata: meta(n), message: { key } });
        expect(murmur2Partition(key, n)).toBe(expected);
        expect(ours.choose('t', key, null, n, meta(n).map((p) => p.partitionId))).toBe(expected);
      }
    }
  });

  it('pins known values of the Java client (murmur2 of UTF-8 bytes, seed 0x9747b28c)', () => {
    // Values from org.apache.kafka.common.utils.Utils.murmur2 (UtilsTest).
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([0x61, 0x62, 0x63]))).toBe(479470107);
  });

  it('keeps keyless records on one sticky partition with a leader until its batch is full (KIP-480, the default)', () => {
    const sticky = createPartitioner('default');
    const first = sticky.choose('t', null, 'v', 4, [0, 1, 3]);
    expect([0, 1, 3]).toContain(first);
    for (let i = 0; i < 50; i++) expect(sticky.choose('t', undefined, 'v', 4, [0, 1, 3])).toBe(first);
    const seen = new Set<number>();
    let prev = first;
    for (let i = 0; i < 60; i++) {
      const next = sticky.onNewBatch!('t', prev, 4, [0, 1, 3]);
      expect(next).not.toBe(prev);
      expect([0, 1, 3]).toContain(next);
      expect(sticky.choose('t', null, 'v', 4, [0, 1, 3])).toBe(next);
      seen.add(next);
      prev = next;
    }
    expect(seen).toEqual(new Set([0, 1, 3]));
    // keyed records still hash; another topic has its own sticky partition
    expect(sticky.choose('t', 'foobar', 'v', 4, [0, 1, 3])).toBe(murmur2Partition(Buffer.from('foobar'), 4));
    expect(sticky.onNewBatch!('single', 0, 1, [0])).toBe(0);
    expect(createPartitioner('round-robin').onNewBatch).toBeUndefined();
  });

  it('deals keyless records round-robin over partitions with a leader, or at random, or by a function', () => {
    const rr = createPartitioner('round-robin');
    const seen = Array.from({ length: 6 }, () => rr.choose('t', null, 'v', 4, [0, 1, 3]));
    expect(new Set(seen)).toEqual(new Set([0, 1, 3]));
    for (let i = 0; i < 3; i++) expect(seen[i + 3]).toBe(seen[i]);
    const rnd = createPartitioner('random');
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[rnd.choose('t', 'same-key', null, 4, [0, 1, 2, 3])]!++;
    for (const c of counts) expect(c).toBeGreaterThan(700);
    const fn = createPartitioner(({ key, partitionCount }) => (key === 'last' ? partitionCount - 1 : 0));
    expect(fn.choose('t', 'last', null, 5, [])).toBe(4);
    expect(fn.choose('t', 'x', null, 5, [])).toBe(0);
    expect(() => createPartitioner('nope' as never)).toThrow(/unknown partitioner/);
  });
});
