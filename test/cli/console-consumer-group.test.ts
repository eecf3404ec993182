/**
 * kafka-console-consumer.sh in a consumer group (the ZooKeeper connector), and
 * kafka-consumer-groups.sh reading what the group left in ZooKeeper, as a user runs them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { consumerGroupPath, consumersPath, offsetPath } from '../../src/zk/paths.js';
import { produce, startConsumer } from '../helpers/consumer-process.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');

function run(tool: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(path.join(BIN, tool), args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('console consumer in a group, and kafka-consumer-groups', () => {
  let cluster: TestCluster;
  let zk: string;
  const envDir = mkdtempSync(path.join(tmpdir(), 'zkafka-env-'));
  beforeAll(async () => {
    cluster = await new TestCluster('console-group').start(1);
    zk = cluster.zkConnect;
    await createTopic(cluster.zk, 'cg', { partitions: 2, replicationFactor: 1 });
    await produce(cluster.bootstrap, 'cg', 2, 10, 'v');
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(envDir, { recursive: true, force: true });
  });

  it('--zookeeper --group consumes, commits at exit, and the next run goes on from there', async () => {
    let r = run('kafka-console-consumer.sh', ['--zookeeper', zk, '--group', 'console-a', '--topic', 'cg', '--from-beginning', '--max-messages', '12', '--property', 'print.partition=true', '--property', 'print.offset=true']);
    expect(r.err).toContain('Processed a total of 12 messages');
    expect(r.code).toBe(0);
    const first = r.out.trim().split('\n');
    expect(first).toHaveLength(12);
    const committed = async (p: number) => Number((await cluster.zk.get(offsetPath('console-a', 'cg', p)))?.data.toString() ?? 0);
    expect((await committed(0)) + (await committed(1))).toBe(12);

    // the rest (8), and nothing twice: the group's offsets say where to go on
    r = run('kafka-console-consumer.sh', ['--zookeeper', zk, '--group', 'console-a', '--topic', 'cg', '--timeout-ms', '3000', '--property', 'print.partition=true', '--property', 'print.offset=true']);
    expect(r.code).toBe(0);
    const second = r.out.trim().split('\n');
    expect(second).toHaveLength(8);
    expect([...first, ...second].sort()).toEqual(Array.from({ length: 2 }, (_, p) => Array.from({ length: 10 }, (_, o) => `${p}\t${o}\tv-${p}-${o}`)).flat().sort());
    expect((await committed(0)) + (await committed(1))).toBe(20);
  });

  it('--bootstrap-server with a group.id consumer property uses the connector (zookeeper.connect given)', () => {
    const r = run('kafka-console-consumer.sh', ['--bootstrap-server', cluster.bootstrap, '--topic', 'cg', '--consumer-property', 'group.id=console-b', '--consumer-property', `zookeeper.connect=${zk}`, '--from-beginning', '--max-messages', '20']);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').sort()).toEqual(Array.from({ length: 2 }, (_, p) => Array.from({ length: 10 }, (_, o) => `v-${p}-${o}`)).flat().sort());
  });

  it('--bootstrap-server alone finds no ZooKeeper that lists the broker: a clear error', () => {
    // cluster.env names the shared ensemble without the test's chroot: no such broker there.
    const port = inject('zkConnect').split(',')[0]!.split(':')[1];
    writeFileSync(path.join(envDir, 'cluster.env'), `SAVED_ZK_NODES=1\nSAVED_ZK_PORT=${port}\nSAVED_BROKERS=1\nSAVED_PORT=9092\n`);
    const r = run('kafka-console-consumer.sh', ['--bootstrap-server', cluster.bootstrap, '--topic', 'cg', '--consumer-property', 'group.id=console-c', '--max-messages', '1'], { KAFKA_CLUSTER_DIR: envDir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`ZooKeeper 127.0.0.1:${port} \\(from .*cluster.env\\) does not list broker ${cluster.bootstrap}.*zookeeper.connect=host:port`));
  });

  it('without --group it makes a console-consumer-<n> group and deletes it at exit', async () => {
    const r = run('kafka-console-consumer.sh', ['--zookeeper', zk, '--topic', 'cg', '--from-beginning', '--max-messages', '3']);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(3);
    const groups = (await cluster.zk.children(consumersPath)) ?? [];
    expect(groups.filter((g) => g.startsWith('console-consumer-'))).toEqual([]);
    // and while one runs, its group is there with one member
    const proc = spawn(path.join(BIN, 'kafka-console-consumer.sh'), ['--zookeeper', zk, '--topic', 'cg', '--from-beginning'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => proc.once('exit', res));
    const g = await until('a console-consumer-<n> group with a member', async () => {
      for (const x of (await cluster.zk.children(consumersPath)) ?? []) {
        if (x.startsWith('console-consumer-') && ((await cluster.zk.children(`${consumerGroupPath(x)}/ids`)) ?? []).length === 1) return x;
      }
      return undefined;
    }, 30_000);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await cluster.zk.exists(consumerGroupPath(g))).toBeUndefined();
  });

  it('refuses bad input before registering anything', async () => {
    const cases: [string[], RegExp][] = [
      [['--zookeeper', zk, '--group', 'console-bad', '--topic', 'cg', '--partition', '0'], /--partition reads one partition without a group/],
      [['--zookeeper', zk, '--group', 'console-bad', '--topic', 'cg', '--consumer-property', 'auto.offset.reset=never'], /auto.offset.reset must be smallest or largest/],
      [['--zookeeper', zk, '--group', 'console-bad', '--topic', 'no such topic'], /invalid topic name/],
      [['--zookeeper', zk, '--group', 'console-bad', '--topic', 'cg', '--consumer-property', 'oops'], /must be of the form key=value/],
      [['--topic', 'cg', '--group', 'console-bad'], /--bootstrap-server \(or --zookeeper\)/],
    ];
    for (const [args, msg] of cases) {
      const r = run('kafka-console-consumer.sh', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(msg);
    }
    expect(await cluster.zk.exists(consumerGroupPath('console-bad'))).toBeUndefined();
  });

  it('SIGTERM closes the group member cleanly: offsets committed, registration gone', async () => {
    const proc = spawn(path.join(BIN, 'kafka-console-consumer.sh'), ['--zookeeper', zk, '--group', 'console-d', '--topic', 'cg', '--from-beginning'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await until('all 20 records printed', () => out.trim().split('\n').length === 20, 30_000);
    const exited = new Promise<number | null>((res) => proc.once('exit', res));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('Processed a total of 20 messages');
    expect((await cluster.zk.children(`${consumerGroupPath('console-d')}/ids`)) ?? []).toEqual([]);
    const offsets = await Promise.all([0, 1].map(async (p) => (await cluster.zk.get(offsetPath('console-d', 'cg', p)))?.data.toString()));
    expect(offsets).toEqual(['10', '10']);
  });

  it('kafka-consumer-groups lists, describes (both layouts) and deletes groups', async () => {
    let r = run('kafka-consumer-groups.sh', ['--zookeeper', zk, '--list']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(expect.arrayContaining(['console-a', 'console-b']));

    // a live member owns both partitions of console-a's topic after producing more
    await produce(cluster.bootstrap, 'cg', 2, 5, 'w');
    const member = startConsumer({ zk, group: 'console-e', topics: ['cg'], props: { 'auto.commit.interval.ms': '60000' } });
    await member.started;
    await until('the member to own both partitions', async () => (await cluster.zk.children(`${consumerGroupPath('console-e')}/owners/cg`))?.length === 2, 30_000);

    r = run('kafka-consumer-groups.sh', ['--zookeeper', zk, '--describe', '--group', 'console-a']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+OWNER$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/))).toEqual([
      ['cg', '0', '10', '15', '5', 'none'],
      ['cg', '1', '10', '15', '5', 'none'],
    ]);
    expect(r.err).toContain('has no active members');

    r = run('kafka-consumer-groups.sh', ['--zookeeper', zk, '--describe', '--group', 'console-e', '--format', 'offset-checker']);
    expect(r.code).toBe(0);
    const oc = r.out.trim().split('\n');
    expect(oc[0]).toMatch(/^Group\s+Topic\s+Pid\s+Offset\s+logSize\s+Lag\s+Owner$/);
    expect(oc).toHaveLength(3);
    for (const [i, l] of oc.slice(1).entries()) {
      const [g, t, p, , size, , owner] = l.split(/\s+/);
      expect([g, t, p, size, owner]).toEqual(['console-e', 'cg', String(i), '15', `${member.id}-0`]);
    }

    r = run('kafka-consumer-groups.sh', ['--zookeeper', zk, '--delete', '--group', 'console-e']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/still has 1 active member/);
    await member.stop();
    r = run('kafka-consumer-groups.sh', ['--zookeeper', zk, '--delete', '--group', 'console-e']);
    expect(r.code).toBe(0);
    expect(await cluster.zk.exists(consumerGroupPath('console-e'))).toBeUndefined();

    for (const [args, msg] of [
      [['--describe', '--group', 'nope'], /consumer group "nope" does not exist/],
      [['--describe'], /--describe needs --group/],
      [['--list', '--describe', '--group', 'x'], /exactly one of/],
      [['--describe', '--group', 'console-a', '--format', 'xml'], /--format must be table or offset-checker/],
    ] as [string[], RegExp][]) {
      r = run('kafka-consumer-groups.sh', ['--zookeeper', zk, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(msg);
    }
    expect(run('kafka-consumer-groups.sh', ['--list']).err).toMatch(/--zookeeper/);
  });
});
