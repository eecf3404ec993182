/**
 * kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh as a user runs them: Kafka's
 * options and output formats (numbers are not checked: timing belongs to scripts/bench.sh).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');
function run(tool: string, args: string[]) {
  const r = spawnSync(path.join(BIN, tool), args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('perf tools', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('perf-tools', { 'auto.create.topics.enable': 'false' }).start(1);
    await createTopic(cluster.zk, 'perf', { partitions: 2, replicationFactor: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('the producer perf test sends --num-records and prints Kafka\'s summary line', () => {
    const r = run('kafka-producer-perf-test.sh', ['--topic', 'perf', '--num-records', '20000', '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${cluster.bootstrap}`, 'acks=1', 'compression.type=snappy', '--print-metrics']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^20000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/m);
    expect(r.out).toContain('producer-metrics:recordsSent : 20000');
  });

  it('the producer perf test throttles with --throughput and refuses bad input', () => {
    const t0 = Date.now();
    const r = run('kafka-producer-perf-test.sh', ['--topic', 'perf', '--num-records', '300', '--record-size', '10', '--throughput', '200', '--producer-props', `bootstrap.servers=${cluster.bootstrap}`]);
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThan(1000);
    expect(run('kafka-producer-perf-test.sh', ['--topic', 'perf', '--num-records', '1', '--record-size', '1', '--throughput', '-1']).err).toMatch(/bootstrap\.servers/);
    expect(run('kafka-producer-perf-test.sh', ['--topic', 'perf', '--num-records', '1', '--record-size', '1', '--throughput', '-1', '--producer-props', `bootstrap.servers=${cluster.bootstrap}`, 'no.such=1']).err).toMatch(/unknown producer property "no.such"/);
    const missing = run('kafka-producer-perf-test.sh', ['--topic', 'perf-missing', '--num-records', '1', '--record-size', '1', '--throughput', '-1', '--producer-props', `bootstrap.servers=${cluster.bootstrap}`, 'max.block.ms=1000']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/perf-missing/);
  });

  it('the producer perf test gives records keys with --keys (ours): each key stays in the partition it hashes to', async () => {
    await createTopic(cluster.zk, 'perf-keyed', { partitions: 4, replicationFactor: 1 });
    const r = run('kafka-producer-perf-test.sh', ['--topic', 'perf-keyed', '--num-records', '600', '--record-size', '20', '--throughput', '-1', '--keys', '6', '--producer-props', `bootstrap.servers=${cluster.bootstrap}`]);
    expect(r.code).toBe(0);
    const seen = new Map<string, Set<number>>();
    let total = 0;
    // each partition's end offset, so that each console consumer exits once it has read them all
    const client = new Cluster({ brokers: cluster.bootstrap });
    const ends = await new SimpleConsumer(client).seekMany([0, 1, 2, 3].map((partition) => ({ topic: 'perf-keyed', partition })), 'latest').finally(() => client.close());
    expect(ends.reduce((a, b) => a + b, 0)).toBe(600);
    for (const p of [0, 1, 2, 3]) {
      if (ends[p] === 0) continue;
      const c = run('kafka-console-consumer.sh', ['--bootstrap-server', cluster.bootstrap, '--topic', 'perf-keyed', '--partition', String(p), '--offset', 'earliest', '--max-messages', String(ends[p]), '--timeout-ms', '10000', '--property', 'print.key=true']);
      for (const line of c.out.split('\n').filter(Boolean)) {
        const key = line.split('\t')[0]!;
        (seen.get(key) ?? seen.set(key, new Set()).get(key)!).add(p);
        total++;
      }
    }
    expect(total).toBe(600);
    expect([...seen.keys()].sort()).toEqual(['key-0', 'key-1', 'key-2', 'key-3', 'key-4', 'key-5']);
    for (const parts of seen.values()) expect(parts.size).toBe(1);
    expect(run('kafka-producer-perf-test.sh', ['--topic', 'perf-keyed', '--num-records', '1', '--record-size', '1', '--throughput', '-1', '--keys', '0', '--producer-props', `bootstrap.servers=${cluster.bootstrap}`]).code).not.toBe(0);
  });

  it('the consumer perf test reads the topic from offset 0 and prints the CSV header and line', () => {
    const r = run('kafka-consumer-perf-test.sh', ['--broker-list', cluster.bootstrap, '--topic', 'perf', '--messages', '20300', '--threads', '1']);
    expect(r.code).toBe(0);
    const [header, line] = r.out.trim().split('\n');
    expect(header).toBe('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    const cols = line!.split(', ');
    expect(cols).toHaveLength(10);
    expect(cols[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}$/);
    expect(cols[4]).toBe('20300');
    expect(Number(cols[2])).toBeCloseTo((20000 * 100 + 300 * 10) / 1048576, 3);
  });
});
