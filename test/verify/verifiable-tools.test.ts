/**
 * bin/kafka-verifiable-producer.sh and bin/kafka-verifiable-consumer.sh against real brokers:
 * Kafka's JSON event lines, in Kafka's order and with Kafka's fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster } from '../helpers/broker-cluster.js';
import { createReplicated } from '../replication/helpers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');

type Ev = Record<string, unknown> & { name: string; timestamp: number };

function run(tool: string, args: string[], timeout = 90_000) {
  const r = spawnSync(path.join(BIN, tool), args, { encoding: 'utf8', timeout, env: { ...process.env, KAFKA_LOG_LEVEL: 'warn' } });
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Ev);
  return { code: r.status, events, out: r.stdout, err: r.stderr };
}

describe('the verifiable producer and consumer', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('verifiable', { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' }).start(2);
    await createReplicated(cluster, 'vt', 2, 2);
    await createReplicated(cluster, 'vt-strict', 1, 1, { 'min.insync.replicas': '2' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('the producer prints startup_complete, one producer_send_success per record with its partition and offset, shutdown_complete and tool_data', () => {
    const r = run('kafka-verifiable-producer.sh', ['--broker-list', cluster.bootstrap, '--topic', 'vt', '--max-messages', '40', '--value-prefix', '7', '--repeating-keys', '4', '--acks', '-1']);
    expect(r.code).toBe(0);
    const names = r.events.map((e) => e.name);
    expect(names[0]).toBe('startup_complete');
    expect(names.slice(-2)).toEqual(['shutdown_complete', 'tool_data']);
    const ok = r.events.filter((e) => e.name === 'producer_send_success');
    expect(ok).toHaveLength(40);
    expect(Object.keys(ok[0]!).slice(0, 7)).toEqual(['timestamp', 'name', 'key', 'value', 'topic', 'partition', 'offset']);
    expect(new Set(ok.map((e) => e.value))).toEqual(new Set(Array.from({ length: 40 }, (_, i) => `7.${i}`)));
    expect(new Set(ok.map((e) => e.key))).toEqual(new Set(['0', '1', '2', '3']));
    // a key always lands on the same partition; offsets per partition are 0..n-1
    const byPartition = new Map<number, number[]>();
    for (const e of ok) byPartition.set(e.partition as number, [...(byPartition.get(e.partition as number) ?? []), e.offset as number]);
    for (const offs of byPartition.values()) expect([...offs].sort((a, b) => a - b)).toEqual(offs.map((_, i) => i));
    const tool = r.events.at(-1)!;
    expect(tool).toMatchObject({ name: 'tool_data', sent: 40, acked: 40, target_throughput: -1 });
    expect(tool.avg_throughput).toBeGreaterThan(0);
  });

  it('the producer reports a refused send as producer_send_error (min.insync.replicas=2 with one replica), with retries=0 as Kafka', () => {
    const r = run('kafka-verifiable-producer.sh', ['--bootstrap-server', cluster.bootstrap, '--topic', 'vt-strict', '--max-messages', '3', '--throughput', '20']);
    expect(r.code).toBe(0);
    const errs = r.events.filter((e) => e.name === 'producer_send_error');
    expect(errs).toHaveLength(3);
    expect(errs[0]).toMatchObject({ key: null, value: '0', topic: 'vt-strict' });
    expect(String(errs[0]!.exception)).toMatch(/^class /);
    expect(String(errs[0]!.message)).toMatch(/NOT_ENOUGH_REPLICAS|not enough/i);
    expect(r.events.at(-1)).toMatchObject({ name: 'tool_data', sent: 3, acked: 0, target_throughput: 20 });
  });

  it('the consumer in a broker group prints partitions_assigned, records_consumed, record_data (--verbose), offsets_committed and shutdown_complete', () => {
    const r = run('kafka-verifiable-consumer.sh', ['--broker-list', cluster.bootstrap, '--topic', 'vt', '--group-id', 'vg', '--max-messages', '40', '--verbose', '--session-timeout', '6000']);
    expect(r.code).toBe(0);
    const names = r.events.map((e) => e.name);
    expect(names[0]).toBe('startup_complete');
    expect(names[1]).toBe('partitions_assigned');
    expect(names.at(-1)).toBe('shutdown_complete');
    expect(r.events[1]!.partitions).toEqual([{ topic: 'vt', partition: 0 }, { topic: 'vt', partition: 1 }]);
    const batches = r.events.filter((e) => e.name === 'records_consumed');
    expect(batches.reduce((n, e) => n + (e.count as number), 0)).toBe(40);
    const summary = (batches[0]!.partitions as Record<string, unknown>[])[0]!;
    expect(Object.keys(summary)).toEqual(['topic', 'partition', 'count', 'minOffset', 'maxOffset']);
    const data = r.events.filter((e) => e.name === 'record_data');
    expect(new Set(data.map((e) => e.value))).toEqual(new Set(Array.from({ length: 40 }, (_, i) => `7.${i}`)));
    const commits = r.events.filter((e) => e.name === 'offsets_committed');
    expect(commits.length).toBeGreaterThan(0);
    expect(commits.every((c) => c.success === true)).toBe(true);
    // the last commit of each partition is one past its last record
    const last = new Map<number, number>();
    for (const c of commits) for (const off of c.offsets as { partition: number; offset: number }[]) last.set(off.partition, off.offset);
    for (const [p, off] of last) expect(off).toBe(Math.max(...data.filter((d) => d.partition === p).map((d) => d.offset as number)) + 1);
    expect(names).toContain('partitions_revoked');
  });

  it('with --zookeeper the consumer is a 0.8 ZooKeeper-coordinated group and prints the same events', () => {
    const r = run('kafka-verifiable-consumer.sh', ['--zookeeper', cluster.zkConnect, '--topic', 'vt', '--group-id', 'vz', '--max-messages', '40', '--session-timeout', '6000']);
    expect(r.code).toBe(0);
    const names = r.events.map((e) => e.name);
    expect(names[0]).toBe('startup_complete');
    expect(names).toContain('partitions_assigned');
    expect(names.at(-1)).toBe('shutdown_complete');
    expect(r.events.filter((e) => e.name === 'records_consumed').reduce((n, e) => n + (e.count as number), 0)).toBe(40);
    expect(r.events.filter((e) => e.name === 'offsets_committed').every((c) => c.success === true)).toBe(true);
  });

  it('refuses bad usage with a clear message', () => {
    let r = run('kafka-verifiable-producer.sh', ['--topic', 'vt']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('one of --broker-list or --bootstrap-server is required');
    r = run('kafka-verifiable-producer.sh', ['--broker-list', cluster.bootstrap, '--topic', 'vt', '--acks', '2']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('--acks must be -1, 0 or 1');
    r = run('kafka-verifiable-consumer.sh', ['--broker-list', cluster.bootstrap, '--topic', 'vt']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--group-id/);
  });
});
