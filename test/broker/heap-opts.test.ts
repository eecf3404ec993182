/**
 * The broker's node options (KAFKA_HEAP_OPTS, src/broker/heap-opts.ts): one default, the same in
 * the shell launcher, and the environment wins as in Kafka's scripts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_HEAP_OPTS, brokerNodeArgs } from '../../src/broker/heap-opts.js';

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
