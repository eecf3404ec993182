/**
 * ZooKeeper operator tools as a user runs them (bin/*.sh, against the shared ensemble):
 * zookeeper-shell (one command, and commands piped on stdin), kafka-verify-consumer-rebalance
 * on a real ConsumerConnector group and on broken ownership made by hand, and the
 * kafka-export-zk-offsets / kafka-import-zk-offsets round trip between two chroots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { syncedReads, useZkChroot } from '../helpers/zk.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { rangeAssign } from '../../src/client/connector/assignors.js';
import { ConsumerConnector } from '../../src/client/connector/consumer-connector.js';
import { commitOffset, readOffset } from '../../src/client/connector/offsets.js';
import { readOwners } from '../../src/client/connector/registry.js';
import { consumerIdPath, consumerIdsPath, consumersPath, ownerPath } from '../../src/zk/paths.js';
import { encodeConsumerRegistration, encodeOwner } from '../../src/zk/payloads.js';
import type { ZkClient } from '../../src/zk/client.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');

/** Runs a tool without blocking the event loop (in-process consumers keep their sessions). */
function run(tool: string, args: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(path.join(BIN, tool), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    p.stdin.end(input ?? '');
  });
}

describe('zookeeper-shell', () => {
  const z = useZkChroot('shell');
  const piped = useZkChroot('shell-piped'); // a tree of its own, whatever the other test left
  let zk: ZkClient;
  const shell = (...args: string[]) => run('zookeeper-shell.sh', [z.connectString, ...args]);
  beforeAll(async () => {
    zk = syncedReads(await z.connect());
  });

  it('ls, get, stat, create, set, delete and rmr, one command per run; errors exit 1', async () => {
    let r = await shell('create', '/app', 'hello world');
    expect([r.code, r.out, r.err]).toEqual([0, 'Created /app\n', '']);
    expect((await zk.get('/app'))!.data.toString()).toBe('hello world');

    r = await shell('create', '-s', '/app/seq-', '{"a":1}');
    expect(r.code).toBe(0);
    const seq = /^Created (\/app\/seq-\d{10})\n$/.exec(r.out)![1]!;
    expect((await zk.get(seq))!.data.toString()).toBe('{"a":1}');

    r = await shell('ls', '/');
    expect([r.code, r.out]).toEqual([0, '[app]\n']);
    r = await shell('ls', '-R', '/app');
    expect(r.out).toBe(`/app\n${seq}\n`);

    r = await shell('set', '/app', '-1');
    expect(r.code).toBe(0);
    r = await shell('get', '/app');
    expect([r.code, r.out]).toEqual([0, '-1\n']);

    r = await shell('stat', '/app');
    expect(r.code).toBe(0);
    const s = (await zk.exists('/app'))!;
    const lines = r.out.trim().split('\n');
    expect(lines.map((l) => l.split(' = ')[0])).toEqual(['cZxid', 'ctime', 'mZxid', 'mtime', 'pZxid', 'cversion', 'dataVersion', 'aclVersion', 'ephemeralOwner', 'dataLength', 'numChildren']);
    expect(lines).toContain(`cZxid = 0x${s.czxid.toString(16)}`);
    expect(lines).toContain('dataVersion = 1');
    expect(lines).toContain('ephemeralOwner = 0x0');
    expect(lines).toContain('dataLength = 2');
    expect(lines).toContain('numChildren = 1');
    expect(lines[1]).toMatch(/^ctime = \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \S+ \d{4}$/);
    r = await shell('get', '-s', '/app');
    expect(r.out).toBe(`-1\n${lines.join('\n')}\n`);

    // failures: the reason on stderr, nothing on stdout, exit 1
    const failures: [string[], string][] = [
      [['get', '/missing'], 'Node does not exist: /missing'],
      [['stat', '/app/missing'], 'Node does not exist: /app/missing'],
      [['create', '/app', 'x'], 'Node already exists: /app'],
      [['create', '/no/parent', 'x'], 'Node does not exist: /no/parent'],
      [['delete', '/app'], 'Node not empty: /app'],
      [['rmr', '/missing'], 'Node does not exist: /missing'],
      [['ls', 'relative'], 'Path must start with / character'],
      [['frobnicate', '/app'], 'Unknown command: frobnicate'],
    ];
    for (const [args, msg] of failures) {
      r = await shell(...args);
      expect([r.code, r.out], args.join(' ')).toEqual([1, '']);
      expect(r.err.split('\n')[0], args.join(' ')).toBe(msg);
    }
    expect((await zk.get('/app'))!.data.toString()).toBe('-1'); // the refused create changed nothing

    r = await shell('delete', seq);
    expect(r.code).toBe(0);
    expect(await zk.exists(seq)).toBeUndefined();
    await zk.create('/app/a/b/c', 'deep', { parents: true });
    r = await shell('rmr', '/app');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(await zk.exists('/app')).toBeUndefined();
  });

  it('reads commands piped on stdin until EOF or quit', async () => {
    const zk = syncedReads(await piped.connect());
    await zk.create('/controller', '{"version":1,"brokerid":7,"timestamp":"1"}');
    let r = await run('zookeeper-shell.sh', [piped.connectString], 'ls /\nget /controller\n\ncreate /piped "two words"\n');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe('[controller]\n{"version":1,"brokerid":7,"timestamp":"1"}\nCreated /piped\n');
    expect((await zk.get('/piped'))!.data.toString()).toBe('two words');

    // a failing command does not stop the others, but the exit status says one failed; quit ends it
    r = await run('zookeeper-shell.sh', [piped.connectString], 'get /nope\nset /piped again\nquit\ncreate /after-quit x\n');
    expect(r.code).toBe(1);
    expect(r.err).toBe('Node does not exist: /nope\n');
    expect((await zk.get('/piped'))!.data.toString()).toBe('again');
    expect(await zk.exists('/after-quit')).toBeUndefined();

    r = await run('zookeeper-shell.sh', ['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('deleteall path');
  });
});

describe('kafka-verify-consumer-rebalance', () => {
  let cluster: TestCluster;
  const connectors: ConsumerConnector[] = [];
  const topic = 'verify-t';
  beforeAll(async () => {
    cluster = await new TestCluster('verify-rebalance').start(1);
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 1 });
  });
  afterAll(async () => {
    await Promise.all(connectors.map((c) => c.close()));
    await cluster?.stop();
  });
  const verify = (group: string) => run('kafka-verify-consumer-rebalance.sh', ['--zookeeper', cluster.zkConnect, '--group', group]);

  it('a settled ConsumerConnector group passes; an owner znode deleted behind its back fails', async () => {
    const group = `verify-live-${process.pid}`;
    const props = { 'group.id': group, 'zookeeper.connect': cluster.zkConnect, 'rebalance.backoff.ms': '200', 'auto.offset.reset': 'smallest' };
    for (const streams of [1, 2]) connectors.push((await ConsumerConnector.subscribe(props, { [topic]: streams })).connector);
    const ids = connectors.map((c) => c.consumerId);
    const expected = rangeAssign({ consumers: new Map(ids.map((id, i) => [id, { [topic]: i + 1 }])), partitions: new Map([[topic, [0, 1, 2, 3]]]) });
    await until('the group to settle on the range assignment', async () => {
      const owners = await readOwners(cluster.zk, group, topic);
      return expected.every((o) => owners.get(o.partition) === o.threadId) && owners.size === 4;
    });
    let r = await verify(group);
    expect(r.err).toBe('');
    expect([r.code, r.out]).toEqual([0, 'Rebalance operation successful !\n']);

    await cluster.zk.delete(ownerPath(group, topic, 2));
    r = await verify(group);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`No owner for partition [${topic},2]\nRebalance operation failed !\n`);
  });

  it('names an owner that is not a live member, a thread beyond its streams, and a missing owner', async () => {
    const group = `verify-broken-${process.pid}`;
    const live = `${group}_host-1-aaaaaaaa`;
    const dead = `${group}_gone-2-bbbbbbbb`;
    await cluster.zk.create(consumerIdPath(group, live), encodeConsumerRegistration({ subscription: { [topic]: 1 } }), { mode: 'ephemeral', parents: true });
    await cluster.zk.create(ownerPath(group, topic, 0), encodeOwner(`${live}-0`), { parents: true });
    await cluster.zk.create(ownerPath(group, topic, 1), encodeOwner(`${dead}-0`));
    await cluster.zk.create(ownerPath(group, topic, 2), encodeOwner(`${live}-1`));
    const r = await verify(group);
    expect(r.code).toBe(1);
    expect(r.out.split('\n')).toEqual([
      `Owner ${dead}-0 for partition [${topic},1] is not a valid member of consumer group ${group}`,
      `Owner ${live}-1 for partition [${topic},2] is not a valid member of consumer group ${group}`,
      `No owner for partition [${topic},3]`,
      'Rebalance operation failed !',
      '',
    ]);
    expect((await cluster.zk.children(consumerIdsPath(group)))).toEqual([live]);

    const missing = await run('kafka-verify-consumer-rebalance.sh', ['--zookeeper.connect', cluster.zkConnect, '--group', 'no-such-group']); // 0.8's flag
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('consumer group "no-such-group" does not exist');
    const usage = await run('kafka-verify-consumer-rebalance.sh', ['--zookeeper', cluster.zkConnect]);
    expect([usage.code, usage.err]).toEqual([1, 'kafka-verify-consumer-rebalance: missing required argument --group\n']);
  });
});

describe('kafka-export-zk-offsets / kafka-import-zk-offsets', () => {
  const src = useZkChroot('offsets-src');
  const dst = useZkChroot('offsets-dst');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'zkafka-offsets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips every group, or the groups named, between two chroots', async () => {
    const a = await src.connect();
    const b = await dst.connect();
    for (const [g, t, p, o] of [['g1', 't1', 10, 99], ['g1', 't1', 2, 5], ['g1', 't0', 0, 0], ['g2', 'other.topic', 1, 123456789012]] as const) await commitOffset(a, g, t, p, o);
    await a.create(`${consumersPath}/g3/ids`, '', { parents: true }); // a group with no offsets
    const all = path.join(dir, 'all.txt');
    let r = await run('kafka-export-zk-offsets.sh', ['--zkconnect', src.connectString, '--output-file', all]);
    expect([r.code, r.err]).toEqual([0, '']);
    const expected = ['/consumers/g1/offsets/t0/0:0', '/consumers/g1/offsets/t1/2:5', '/consumers/g1/offsets/t1/10:99', '/consumers/g2/offsets/other.topic/1:123456789012'];
    expect(readFileSync(all, 'utf8')).toBe(expected.join('\n') + '\n');

    const one = path.join(dir, 'g2.txt');
    r = await run('kafka-export-zk-offsets.sh', ['--zookeeper', src.connectString, '--output-file', one, '--group', 'g2']);
    expect(r.code).toBe(0);
    expect(readFileSync(one, 'utf8')).toBe(expected[3] + '\n');

    r = await run('kafka-import-zk-offsets.sh', ['--zookeeper', dst.connectString, '--input-file', all]);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(await readOffset(b, 'g1', 't1', 10)).toBe(99);
    expect(await readOffset(b, 'g2', 'other.topic', 1)).toBe(123456789012);
    const back = path.join(dir, 'back.txt');
    r = await run('kafka-export-zk-offsets.sh', ['--zkconnect', dst.connectString, '--output-file', back]);
    expect(r.code).toBe(0);
    expect(readFileSync(back, 'utf8')).toBe(readFileSync(all, 'utf8'));
  });

  it('refuses a malformed input file, naming the line, and writes nothing', async () => {
    const b = await dst.connect();
    await commitOffset(b, 'g9', 't', 0, 7);
    const bad = path.join(dir, 'bad.txt');
    writeFileSync(bad, ['/consumers/g9/offsets/t/0:1000', '/consumers/g9/offsets/t/1:5', '/consumers/g9/offsets/t/2:not-a-number', '/consumers/g9/offsets/t/3:4', ''].join('\n'));
    const r = await run('kafka-import-zk-offsets.sh', ['--zkconnect', dst.connectString, '--input-file', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('line 3: bad offset "not-a-number"');
    expect(r.err).toContain('nothing was written');
    expect(r.out).toBe('');
    expect(await readOffset(b, 'g9', 't', 0)).toBe(7);
    expect(await b.exists('/consumers/g9/offsets/t/1')).toBeUndefined();

    const noFile = await run('kafka-export-zk-offsets.sh', ['--zkconnect', dst.connectString]);
    expect([noFile.code, noFile.err]).toEqual([1, 'kafka-export-zk-offsets: missing required argument --output-file\n']);
    const missingGroup = await run('kafka-export-zk-offsets.sh', ['--zkconnect', dst.connectString, '--output-file', path.join(dir, 'never.txt'), '--group', 'nope']);
    expect(missingGroup.code).toBe(1);
    expect(missingGroup.err).toContain('consumer group "nope" does not exist');
    expect(() => readFileSync(path.join(dir, 'never.txt'))).toThrow(/ENOENT/);
  });
});
