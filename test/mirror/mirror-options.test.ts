/**
 * kafka-mirror-maker.sh's options on real clusters: a blacklist, a TypeScript
 * --message.handler that drops, renames and fans out, --abort.on.send.failure against a target
 * topic that refuses a record (too large: the mirror stops with a clear error and exit 1,
 * nothing committed past the record; with false it is skipped and the rest goes on), and bad
 * input (options, configs, regexes, handlers, an unreachable target or source): exit 1, a clear
 * message, nothing registered that outlives the process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { describeGroup } from '../../src/client/connector/group-describe.js';
import { Producer, murmur2Partition } from '../../src/client/producer/index.js';
import { consumerGroupPath, consumerIdsPath, consumersPath, offsetPath, topicPath } from '../../src/zk/paths.js';
import { MIRROR_MAIN, SourceWriter, checkMirrored, readTopic, startMirror, writeProperties, type MirrorProcess } from '../helpers/mirror.js';

describe('kafka-mirror-maker options', () => {
  let a: TestCluster;
  let b: TestCluster;
  let writer: SourceWriter;
  const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-mirror-opts-'));
  const mirrors: MirrorProcess[] = [];
  const mirror = (group: string, args: string[]) => {
    const m = startMirror({ dir, sourceZk: a.zkConnect, group, targetBootstrap: b.bootstrap, args });
    mirrors.push(m);
    return m;
  };
  const lagZero = (group: string, topics: string[], timeoutMs = 60_000) =>
    until(`${group}'s lag to reach 0 on ${topics.join(', ')}`, async () => {
      const rows = (await describeGroup(a.zk, group)).partitions.filter((p) => topics.includes(p.topic));
      return rows.length > 0 && new Set(rows.map((r) => r.topic)).size === topics.length && rows.every((p) => p.lag === 0);
    }, timeoutMs, 300);

  beforeAll(async () => {
    [a, b] = await Promise.all([new TestCluster('mirror-opt-a').start(1), new TestCluster('mirror-opt-b').start(1)]);
    writer = new SourceWriter(a.bootstrap);
  });
  afterAll(async () => {
    for (const m of mirrors) m.kill('SIGKILL');
    await writer?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('--blacklist mirrors every topic it does not match (here: the bx.* topics but bx.skip)', async () => {
    for (const t of ['bx.keep', 'bx.keep2', 'bx.skip']) {
      await createTopic(a.zk, t, { partitions: 2, replicationFactor: 1 });
      await writer.write(t, 4, 10);
    }
    const m = mirror('mirror-black', ['--blacklist', '(?!bx\\.).*|bx\\.skip']);
    await lagZero('mirror-black', ['bx.keep', 'bx.keep2']);
    for (const t of ['bx.keep', 'bx.keep2']) expect(checkMirrored(writer.acked.get(t)!, await readTopic(b.bootstrap, t)).missing).toEqual([]);
    expect(await b.zk.exists(topicPath('bx.skip'))).toBeUndefined();
    expect(await m.stop()).toBe(0);
  });

  it('a TypeScript --message.handler drops, renames (with --message.handler.args) and fans out', async () => {
    const handler = path.join(dir, 'handler.ts');
    writeFileSync(
      handler,
      [
        'interface Rec { topic: string; partition: number; offset: number; timestamp: number; key: Buffer | null; value: Buffer | null; headers: { key: string; value: Buffer | null }[] }',
        'export default function handle(r: Rec, prefix?: string): Rec | Rec[] | null {',
        "  if (r.topic === 'hx.audit') return null; // dropped",
        "  if (r.value?.toString().includes('|k0|')) return []; // dropped too",
        '  return [{ ...r, topic: `${prefix}${r.topic}` }, { ...r, topic: "hx-all" }];',
        '}',
      ].join('\n'),
    );
    for (const t of ['hx.orders', 'hx.audit']) {
      await createTopic(a.zk, t, { partitions: 3, replicationFactor: 1 });
      await writer.write(t, 4, 10);
    }
    const m = mirror('mirror-handler', ['--whitelist', 'hx\\..*', '--message.handler', handler, '--message.handler.args', 'dc1.']);
    await lagZero('mirror-handler', ['hx.orders', 'hx.audit']);
    const kept = writer.acked.get('hx.orders')!.filter((v) => !v.includes('|k0|'));
    for (const t of ['dc1.hx.orders', 'hx-all']) {
      const target = await readTopic(b.bootstrap, t);
      const r = checkMirrored(kept, target);
      expect(r.missing, t).toEqual([]);
      expect(r.found, t).toBe(kept.length); // and nothing of k0
    }
    for (const t of ['hx.orders', 'hx.audit', 'dc1.hx.audit']) expect(await b.zk.exists(topicPath(t)), t).toBeUndefined();
    expect(await m.stop()).toBe(0);
    expect(m.stderr()).toMatch(new RegExp(`mirrored ${2 * kept.length} records \\(0 failed, ${80 - kept.length} dropped by the handler\\)`));
  });

  it('--abort.on.send.failure: a record the target refuses stops the mirror (exit 1), nothing committed past it; with false it is skipped', async () => {
    const topic = 'too.large';
    await createTopic(a.zk, topic, { partitions: 1, replicationFactor: 1 });
    await createTopic(b.zk, topic, { partitions: 1, replicationFactor: 1, config: { 'max.message.bytes': '400' } });
    const p = new Producer({ brokers: a.bootstrap, acks: 'all' });
    const offsets: number[] = [];
    for (let i = 0; i < 30; i++) {
      const value = i === 20 ? 'x'.repeat(5000) : `small-${i}`;
      offsets.push((await p.send({ topic, key: `k${i}`, value })).offset);
    }
    await p.close();
    const big = offsets[20]!;

    const m = mirror('mirror-abort', ['--whitelist', topic]);
    expect(await m.exited).toBe(1);
    // the refused record, or the run of records handed on together that holds it
    const refused = new RegExp(`sending (?:a record of )?${topic.replace('.', '\\.')}/0@(\\d+)(?:\\.\\.(\\d+))? to topic "${topic.replace('.', '\\.')}" of the target failed: .*MESSAGE_TOO_LARGE`).exec(m.stderr());
    expect(refused, m.stderr()).not.toBeNull();
    expect(Number(refused![1])).toBeLessThanOrEqual(big);
    expect(Number(refused![2] ?? refused![1])).toBeGreaterThanOrEqual(big);
    expect(m.stderr()).toMatch(/stopping \(abort\.on\.send\.failure\): offsets are committed only up to the records before it/);
    const committed = Number((await a.zk.get(offsetPath('mirror-abort', topic, 0)))?.data.toString() ?? '0');
    expect(committed).toBeLessThanOrEqual(big);
    expect((await a.zk.children(consumerIdsPath('mirror-abort'))) ?? []).toEqual([]);
    const copied = (await readTopic(b.bootstrap, topic)).map((r) => r.value!.toString());
    expect(copied.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `small-${i}`));
    expect(copied).not.toContain('x'.repeat(5000));
    console.log(`abort: the refused record is at offset ${big}; committed ${committed}; ${copied.length} records copied`);

    // without abort: logged, counted, skipped, and the rest goes on (into a fresh target topic)
    await createTopic(b.zk, 'skip.large', { partitions: 1, replicationFactor: 1, config: { 'max.message.bytes': '400' } });
    const handler = path.join(dir, 'to-skip.mjs');
    writeFileSync(handler, "export default (r) => ({ ...r, topic: 'skip.large' });\n");
    const s = mirror('mirror-skip', ['--whitelist', topic, '--abort.on.send.failure', 'false', '--message.handler', handler]);
    await lagZero('mirror-skip', [topic]);
    const values = (await readTopic(b.bootstrap, 'skip.large')).map((r) => r.value!.toString());
    expect(values).toEqual(Array.from({ length: 30 }, (_, i) => `small-${i}`).filter((_, i) => i !== 20));
    expect(await s.stop()).toBe(0);
    expect(s.stderr()).toMatch(/skipped \(abort\.on\.send\.failure=false\)/);
    expect(s.stderr()).toMatch(/mirrored 29 records \(1 failed, 0 dropped by the handler\)/);
  });

  it('--preserve.partitions keeps the source partition when the target topic has as many partitions', async () => {
    await createTopic(a.zk, 'pp.same', { partitions: 3, replicationFactor: 1 });
    await createTopic(a.zk, 'pp.fewer', { partitions: 3, replicationFactor: 1 });
    await createTopic(b.zk, 'pp.fewer', { partitions: 2, replicationFactor: 1 }); // counts differ: the key decides
    const p = new Producer({ brokers: a.bootstrap, acks: 'all' });
    // one timestamp for all: records of three source partitions meet in the target's batches
    for (const t of ['pp.same', 'pp.fewer']) for (let i = 0; i < 30; i++) await p.send({ topic: t, partition: i % 3, key: `k${i}`, value: `${i % 3}`, timestamp: 1_600_000_000_000 });
    await p.close();
    const m = mirror('mirror-preserve', ['--whitelist', 'pp\\..*', '--preserve.partitions']);
    await lagZero('mirror-preserve', ['pp.same', 'pp.fewer']);
    const same = await readTopic(b.bootstrap, 'pp.same');
    expect(same).toHaveLength(30);
    for (const r of same) expect(String(r.partition)).toBe(r.value!.toString());
    const fewer = await readTopic(b.bootstrap, 'pp.fewer');
    expect(fewer).toHaveLength(30);
    for (const r of fewer) expect(r.partition).toBe(murmur2Partition(r.key!, 2));
    expect(await m.stop()).toBe(0);
  });

  it('bad input: a clear error, exit 1, nothing registered', async () => {
    const src = writeProperties(path.join(dir, 'bad-src.properties'), { 'zookeeper.connect': a.zkConnect, 'group.id': 'mirror-bad' });
    const tgt = writeProperties(path.join(dir, 'bad-tgt.properties'), { 'bootstrap.servers': b.bootstrap });
    const noZkNoGroup = writeProperties(path.join(dir, 'bad-none.properties'), { 'auto.offset.reset': 'smallest' });
    const noGroup = writeProperties(path.join(dir, 'bad-nogroup.properties'), { 'zookeeper.connect': a.zkConnect });
    const noBrokers = writeProperties(path.join(dir, 'bad-nobrokers.properties'), { acks: 'all' });
    const badProducer = writeProperties(path.join(dir, 'bad-producer.properties'), { 'bootstrap.servers': b.bootstrap, 'no.such.key': '1' });
    const unreachable = writeProperties(path.join(dir, 'bad-unreachable.properties'), { 'bootstrap.servers': '127.0.0.1:1' });
    const noZk = writeProperties(path.join(dir, 'bad-nozk.properties'), { 'zookeeper.connect': '127.0.0.1:1', 'group.id': 'mirror-bad', 'zookeeper.connection.timeout.ms': '1500' });
    const notAFunction = path.join(dir, 'not-a-function.mjs');
    writeFileSync(notAFunction, 'export const x = 1;\n');
    const brokenTs = path.join(dir, 'broken.ts');
    writeFileSync(brokenTs, 'export default function (r) { return r;\n');
    const std = ['--consumer.config', src, '--producer.config', tgt];
    const cases: [string[], RegExp][] = [
      [[...std, '--whitelist', 'mm.('], /"mm\.\(" is an invalid regex \(whitelist\): Unterminated group/],
      [[...std], /give exactly one of --whitelist or --blacklist/],
      [[...std, '--whitelist', 'a', '--blacklist', 'b'], /give exactly one of --whitelist or --blacklist/],
      [['--consumer.config', noZkNoGroup, '--producer.config', tgt, '--whitelist', 'a'], /has no zookeeper\.connect and no group\.id: the mirror consumes in a ZooKeeper-coordinated group/],
      [['--consumer.config', noGroup, '--producer.config', tgt, '--whitelist', 'a'], /has no group\.id/],
      [['--consumer.config', path.join(dir, 'missing.properties'), '--producer.config', tgt, '--whitelist', 'a'], /cannot read --consumer\.config .*missing\.properties/],
      [['--consumer.config', src, '--producer.config', noBrokers, '--whitelist', 'a'], /has no bootstrap\.servers \(or metadata\.broker\.list\)/],
      [['--consumer.config', src, '--producer.config', badProducer, '--whitelist', 'a'], /unknown producer property "no\.such\.key"/],
      [[...std, '--whitelist', 'a', '--num.streams', '0'], /--num\.streams must be an integer >= 1/],
      [[...std, '--whitelist', 'a', '--abort.on.send.failure', 'maybe'], /--abort\.on\.send\.failure must be true or false/],
      [[...std, '--whitelist', 'a', '--message.handler', path.join(dir, 'nope.js')], /--message\.handler .*nope\.js: no such file/],
      [[...std, '--whitelist', 'a', '--message.handler', notAFunction], /exports no function/],
      [[...std, '--whitelist', 'a', '--message.handler', brokenTs], /does not compile: '}' expected/],
      [['--consumer.config', src, '--producer.config', unreachable, '--whitelist', 'a'], /the target cluster does not answer \(127\.0\.0\.1:1\)/],
      [['--consumer.config', noZk, '--producer.config', tgt, '--whitelist', 'a'], /the source cluster's ZooKeeper \(127\.0\.0\.1:1\) does not answer: connecting to ZooKeeper timed out after \d+ ms/],
    ];
    for (const [args, msg] of cases) {
      const r = spawnSync(process.execPath, [MIRROR_MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(3);
    }
    expect(await a.zk.exists(consumerGroupPath('mirror-bad'))).toBeUndefined();
    expect((await a.zk.children(consumersPath)) ?? []).not.toContain('mirror-bad');
  });
});
