/**
 * The tools as a user runs them (bin/*.sh), against real brokers: kafka-topics writes and
 * reads the 0.8 znodes; the console producer and consumer move lines through the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { topicConfigPath, topicPath, deleteTopicPath } from '../../src/zk/paths.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');

function run(tool: string, args: string[], input?: string) {
  const r = spawnSync(path.join(BIN, tool), args, { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('command-line tools', () => {
  let cluster: TestCluster;
  let zk: string;
  beforeAll(async () => {
    cluster = await new TestCluster('tools').start(2);
    zk = cluster.zkConnect;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('kafka-topics creates, lists, describes, alters and deletes a topic', async () => {
    let r = run('kafka-topics.sh', ['--zookeeper', zk, '--create', '--topic', 'tools-a', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=3600000']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Created topic "tools-a".');
    expect((await cluster.zk.get(topicConfigPath('tools-a')))!.data.toString()).toBe('{"version":1,"config":{"retention.ms":"3600000"}}');
    expect(Object.keys(JSON.parse((await cluster.zk.get(topicPath('tools-a')))!.data.toString()).partitions)).toEqual(['0', '1', '2']);

    r = run('kafka-topics.sh', ['--zookeeper', zk, '--list']);
    expect(r.out.split('\n')).toContain('tools-a');

    r = run('kafka-topics.sh', ['--zookeeper', zk, '--describe', '--topic', 'tools-a']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Topic:tools-a\tPartitionCount:3\tReplicationFactor:1\tConfigs:retention.ms=3600000');
    const rows = r.out.split('\n').filter((l) => l.startsWith('\tTopic: tools-a\tPartition:'));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/\tLeader: ([12])\tReplicas: \1\tIsr: \1$/);

    r = run('kafka-topics.sh', ['--zookeeper', zk, '--alter', '--topic', 'tools-a', '--partitions', '5']);
    expect(r.code).toBe(0);
    r = run('kafka-topics.sh', ['--zookeeper', zk, '--describe', '--topic', 'tools-a']);
    expect(r.out).toContain('PartitionCount:5');

    r = run('kafka-topics.sh', ['--zookeeper', zk, '--alter', '--topic', 'tools-a', '--partitions', '2']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/can only be increased/);

    // the brokers host the partitions, then drop them when the topic is deleted
    const dirs = () => [...cluster.brokers.values()].flatMap((b) => [0, 1, 2, 3, 4].map((p) => path.join(b.dir, 'logs', `tools-a-${p}`))).filter((d) => existsSync(d));
    await until('all 5 partition directories', () => dirs().length === 5);
    r = run('kafka-topics.sh', ['--zookeeper', zk, '--delete', '--topic', 'tools-a']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('marked for deletion');
    await until('the controller to delete the topic', async () => !(await cluster.zk.exists(topicPath('tools-a'))) && !(await cluster.zk.exists(deleteTopicPath('tools-a'))));
    await until('the brokers to delete the logs', () => dirs().length === 0);
  });

  it('kafka-topics refuses bad input with exit code 1 and a clear message', () => {
    run('kafka-topics.sh', ['--zookeeper', zk, '--create', '--topic', 'tools-b', '--partitions', '1', '--replication-factor', '1']);
    const cases: [string[], RegExp][] = [
      [['--create', '--topic', 'tools-b', '--partitions', '1', '--replication-factor', '1'], /already exists/],
      [['--create', '--topic', 'tools-c', '--partitions', '1', '--replication-factor', '3'], /replication factor 3 is larger than the 2 live broker/],
      [['--create', '--topic', 'bad/name', '--partitions', '1', '--replication-factor', '1'], /invalid topic name/],
      [['--create', '--topic', 'tools-d', '--partitions', '1', '--replication-factor', '1', '--config', 'no.such.key=1'], /unknown topic config "no.such.key"/],
      [['--create', '--topic', 'tools-e', '--partitions', 'x', '--replication-factor', '1'], /--partitions must be a positive integer/],
      [['--describe', '--topic', 'missing-topic'], /does not exist/],
      [['--list', '--create'], /exactly one of/],
    ];
    for (const [args, msg] of cases) {
      const r = run('kafka-topics.sh', ['--zookeeper', zk, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(msg);
    }
    expect(run('kafka-topics.sh', ['--list']).err).toMatch(/--zookeeper/);
    const help = run('kafka-topics.sh', ['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--replication-factor');
  });

  it('the console producer and consumer move keyed lines through the cluster, with snappy', () => {
    run('kafka-topics.sh', ['--zookeeper', zk, '--create', '--topic', 'tools-lines', '--partitions', '2', '--replication-factor', '1']);
    const lines = Array.from({ length: 500 }, (_, i) => `key${i % 7}:line ${i} with spaces and ü`);
    const p = run('kafka-console-producer.sh', ['--broker-list', cluster.bootstrap, '--topic', 'tools-lines', '--property', 'parse.key=true', '--property', 'key.separator=:', '--compression-codec', 'snappy'], lines.join('\n') + '\n');
    expect(p.err).toBe('');
    expect(p.code).toBe(0);
    const c = run('kafka-console-consumer.sh', ['--bootstrap-server', cluster.bootstrap, '--topic', 'tools-lines', '--from-beginning', '--max-messages', '500', '--property', 'print.key=true', '--property', 'key.separator=:']);
    expect(c.code).toBe(0);
    expect(c.err).toContain('Processed a total of 500 messages');
    const got = c.out.trim().split('\n');
    expect([...got].sort()).toEqual([...lines].sort());
    // order within a key (one key -> one partition) is kept
    for (let k = 0; k < 7; k++) expect(got.filter((l) => l.startsWith(`key${k}:`))).toEqual(lines.filter((l) => l.startsWith(`key${k}:`)));

    const one = run('kafka-console-consumer.sh', ['--bootstrap-server', cluster.bootstrap, '--topic', 'tools-lines', '--partition', '0', '--offset', '3', '--max-messages', '2', '--property', 'print.offset=true']);
    expect(one.code).toBe(0);
    expect(one.out.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(['3', '4']);
  });

  it('the console tools refuse bad input with exit code 1', () => {
    expect(run('kafka-console-consumer.sh', ['--bootstrap-server', cluster.bootstrap]).code).toBe(1);
    const r = run('kafka-console-producer.sh', ['--broker-list', cluster.bootstrap, '--topic', 'x', '--compression-codec', 'brotli'], '');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unsupported --compression-codec "brotli"/);
    const bad = run('kafka-console-consumer.sh', ['--bootstrap-server', cluster.bootstrap, '--topic', 'tools-lines', '--partition', '9']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/partition 9 .* does not exist/);
  });
});
