/**
 * The broker's node options (KAFKA_HEAP_OPTS, src/broker/heap-opts.ts): one default, the same in
 * the shell launcher, and the environment wins as in Kafka's scripts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_HEAP_OPTS, brokerNodeArgs, mallocOnHugePages } from '../../src/broker/heap-opts.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('KAFKA_HEAP_OPTS', () => {
  it('bin/kafka-server-start.sh has the same default as the processes tests and benchmarks start', () => {
    const script = readFileSync(path.join(ROOT, 'bin/kafka-server-start.sh'), 'utf8');
    expect(script).toContain(`DEFAULT_KAFKA_HEAP_OPTS="${DEFAULT_KAFKA_HEAP_OPTS}"`);
    // the container's entry point goes through that script
    expect(readFileSync(path.join(ROOT, 'docker/broker-entrypoint.sh'), 'utf8')).toMatch(/exec \/opt\/zkafka\/bin\/kafka-server-start\.sh /);
  });

  it('takes KAFKA_HEAP_OPTS over the default, then KAFKA_OPTS', () => {
    expect(brokerNodeArgs({})).toEqual([DEFAULT_KAFKA_HEAP_OPTS]);
    expect(brokerNodeArgs({ KAFKA_HEAP_OPTS: '' })).toEqual([DEFAULT_KAFKA_HEAP_OPTS]);
    expect(brokerNodeArgs({ KAFKA_HEAP_OPTS: ' --max-old-space-size=512  --initial-old-space-size=64 ', KAFKA_OPTS: '--trace-gc' })).toEqual([
      '--max-old-space-size=512',
      '--initial-old-space-size=64',
      '--trace-gc',
    ]);
  });
});

describe('malloc on huge pages (bin/_malloc.sh)', () => {
  /** GLIBC_TUNABLES after sourcing the snippet, with `before` set (or unset) first. */
  const after = (before: string | undefined): string => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    if (before !== undefined) env.GLIBC_TUNABLES = before;
    const r = spawnSync('bash', ['-c', `. "${path.join(ROOT, 'bin/_malloc.sh')}"; printf '%s' "$GLIBC_TUNABLES"`], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    return r.stdout;
  };

  it('sets glibc.malloc.hugetlb=1, keeps the other tunables, and leaves a hugetlb the caller chose', () => {
    expect(after(undefined)).toBe('glibc.malloc.hugetlb=1');
    expect(after('')).toBe('glibc.malloc.hugetlb=1');
    expect(after('glibc.malloc.arena_max=2')).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    expect(after('glibc.malloc.hugetlb=0')).toBe('glibc.malloc.hugetlb=0');
    expect(after('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0')).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0');
  });

  it('is sourced by every launcher: the tools, the broker and the benchmarks', () => {
    expect(readFileSync(path.join(ROOT, 'bin/_run.sh'), 'utf8')).toMatch(/^\. "\$here\/bin\/_malloc\.sh"$/m);
    expect(readFileSync(path.join(ROOT, 'bin/kafka-server-start.sh'), 'utf8')).toMatch(/^\. "\$here\/bin\/_malloc\.sh"$/m);
    expect(readFileSync(path.join(ROOT, 'scripts/bench.sh'), 'utf8')).toMatch(/^\. bin\/_malloc\.sh$/m);
  });

  it('mallocOnHugePages() reads it as glibc does', () => {
    expect(mallocOnHugePages({})).toBe(false);
    expect(mallocOnHugePages({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' })).toBe(true);
    expect(mallocOnHugePages({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2' })).toBe(true);
    expect(mallocOnHugePages({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).toBe(false);
    expect(mallocOnHugePages({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=10' })).toBe(false);
  });
});
