/**
 * kafka-console-consumer.sh in a group the brokers coordinate (--consumer-property
 * group.protocol=broker), as a user runs it, on brokers with the coordinator's defaults (a
 * 3 s initial rebalance delay each time the group forms): a run commits exactly what it
 * printed and the next run goes on from there; a member killed with SIGKILL is replaced by
 * another run after its session timeout; ZooKeeper stays untouched; bad combinations are
 * clear errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { produce } from '../helpers/consumer-process.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { CoordinatorClient } from '../../src/client/group/coordinator-client.js';
import { consumerGroupPath } from '../../src/zk/paths.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');
const TOOL = path.join(BIN, 'kafka-console-consumer.sh');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(TOOL, args, { encoding: 'utf8', timeout: 90_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const all = (tag: string, partitions: number, per: number) => Array.from({ length: partitions }, (_, p) => Array.from({ length: per }, (_, o) => `${p}\t${o}\t${tag}-${p}-${o}`)).flat().sort();

describe('console consumer in a broker-coordinated group', () => {
  let cluster: TestCluster;
  let client: Cluster;
  let cc: CoordinatorClient;
  const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-ccbg-'));
  beforeAll(async () => {
    cluster = await new TestCluster('console-broker-group').start(1);
    client = new Cluster({ brokers: cluster.bootstrap });
    cc = new CoordinatorClient(client);
    await createTopic(cluster.zk, 'cbg', { partitions: 2, replicationFactor: 1 });
    await client.topicMetadata('cbg');
    await produce(cluster.bootstrap, 'cbg', 2, 10, 'v');
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const printing = ['--property', 'print.partition=true', '--property', 'print.offset=true'];

  it('consumes N records and commits exactly those; the next run resumes from the commit (nothing printed twice); ZooKeeper is not used', async () => {
    const base = ['--bootstrap-server', cluster.bootstrap, '--group', 'cbg-a', '--consumer-property', 'group.protocol=broker', '--topic', 'cbg', ...printing];
    let r = run([...base, '--from-beginning', '--max-messages', '12']);
    expect(r.err).toContain('Processed a total of 12 messages');
    expect(r.code).toBe(0);
    const first = lines(r.out);
    expect(first).toHaveLength(12);
    const committed = async () => (await cc.fetchOffsets('cbg-a', null)).reduce((n, o) => n + o.offset, 0);
    expect(await committed()).toBe(12);

    r = run([...base, '--timeout-ms', '5000']);
    expect(r.code).toBe(0);
    const second = lines(r.out);
    expect(second).toHaveLength(8);
    expect([...first, ...second].sort()).toEqual(all('v', 2, 10));
    expect(await committed()).toBe(20);
    // the group is the coordinator's, and nothing of it is in ZooKeeper
    expect((await cc.describeGroups(['cbg-a']))[0]).toMatchObject({ state: 'Empty', protocolType: 'consumer' });
    expect(await cluster.zk.exists(consumerGroupPath('cbg-a'))).toBeFalsy();
  });

  it('takes group.id from --consumer.config, shows assignments with KAFKA_LOG_LEVEL=info; a new group without --from-beginning starts at the end', () => {
    const file = path.join(dir, 'consumer.properties');
    writeFileSync(file, 'group.id=cbg-b\nsession.timeout.ms=7000\npartition.assignment.strategy=roundrobin\n');
    const r = run(['--bootstrap-server', cluster.bootstrap, '--consumer.config', file, '--consumer-property', 'group.protocol=broker', '--topic', 'cbg', '--timeout-ms', '1500'], { KAFKA_LOG_LEVEL: 'info' });
    expect(r.code).toBe(0);
    expect(lines(r.out)).toEqual([]);
    expect(r.err).toMatch(/partitions assigned group=cbg-b generation=1 .*leader=true protocol=roundrobin partitions=cbg-0,cbg-1/);
    expect(r.err).toMatch(/resetting offset group=cbg-b partition=cbg-0 why=no committed offset to=latest \(10\)/);
    expect(r.err).toContain('Processed a total of 0 messages');
  });

  it('a run killed with SIGKILL leaves no LeaveGroup: the next run gets the partitions once the session timed out, from the last commit', async () => {
    await createTopic(cluster.zk, 'cbg-k', { partitions: 1, replicationFactor: 1 });
    await client.topicMetadata('cbg-k');
    await produce(cluster.bootstrap, 'cbg-k', 1, 5, 'k');
    const args = ['--bootstrap-server', cluster.bootstrap, '--group', 'cbg-k', '--consumer-property', 'group.protocol=broker', '--topic', 'cbg-k', '--from-beginning', ...printing];
    const proc = spawn(TOOL, [...args, '--consumer-property', 'session.timeout.ms=6000', '--consumer-property', 'auto.commit.interval.ms=100'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((res) => proc.once('exit', res));
    try {
      await until('the five records printed and committed', async () => lines(out).length === 5 && (await cc.fetchOffsets('cbg-k', null))[0]?.offset === 5, 30_000);
    } finally {
      proc.kill('SIGKILL');
      await exited;
    }
    const killedAt = Date.now();
    await produce(cluster.bootstrap, 'cbg-k', 1, 3, 'k2');
    const r = run([...args, '--max-messages', '3']);
    expect(r.code).toBe(0);
    expect(lines(r.out)).toEqual(['0\t5\tk2-0-0', '0\t6\tk2-0-1', '0\t7\tk2-0-2']);
    // the dead member kept the partition until its 6 s session ended
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(5500);
  });

  it('refuses an unknown group.protocol, and group.protocol=broker with --zookeeper or --delete-consumer-offsets', () => {
    let r = run(['--bootstrap-server', cluster.bootstrap, '--group', 'x', '--consumer-property', 'group.protocol=coordinator', '--topic', 'cbg']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown group.protocol "coordinator": zookeeper (a group coordinated through ZooKeeper, the default) or broker');
    r = run(['--zookeeper', cluster.zkConnect, '--group', 'x', '--consumer-property', 'group.protocol=broker', '--topic', 'cbg']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('use --bootstrap-server, not --zookeeper');
    r = run(['--bootstrap-server', cluster.bootstrap, '--group', 'x', '--consumer-property', 'group.protocol=broker', '--topic', 'cbg', '--delete-consumer-offsets']);
    expect(r.code).toBe(1);
    r = run(['--bootstrap-server', cluster.bootstrap, '--group', 'x', '--consumer-property', 'group.protocol=broker', '--consumer-property', 'auto.offset.reset=latest', '--from-beginning', '--topic', 'cbg']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('--from-beginning cannot be used with auto.offset.reset=latest');
    r = run(['--help']);
    expect(r.out).toContain('group.protocol=broker');
  });
});
