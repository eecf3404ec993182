/**
 * kafka-console-consumer.sh --whitelist / --blacklist (0.8's wildcard console consumer) as a
 * user runs it: records of every matching topic, including one created while it runs, and
 * bad input refused before anything is registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { consumerGroupPath, consumerIdsPath, consumersPath } from '../../src/zk/paths.js';
import { produce } from '../helpers/consumer-process.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');
const TOOL = path.join(BIN, 'kafka-console-consumer.sh');

function run(args: string[]) {
  const r = spawnSync(TOOL, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const lines = (out: string) => out.trim().split('\n').filter(Boolean).sort();

describe('console consumer --whitelist / --blacklist', () => {
  let cluster: TestCluster;
  let zk: string;
  beforeAll(async () => {
    cluster = await new TestCluster('console-wildcard').start(1);
    zk = cluster.zkConnect;
    for (const t of ['cw.a', 'cw.b', 'cx']) await createTopic(cluster.zk, t, { partitions: 2, replicationFactor: 1 });
    for (const t of ['cw.a', 'cw.b', 'cx']) await produce(cluster.bootstrap, t, 2, 2, t);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('--whitelist prints every matching topic (print.topic=true) and nothing else', () => {
    const r = run(['--zookeeper', zk, '--whitelist', 'cw\\..*', '--from-beginning', '--timeout-ms', '4000', '--property', 'print.topic=true']);
    expect(r.code, r.err).toBe(0);
    expect(lines(r.out)).toEqual(['cw.a', 'cw.b'].flatMap((t) => [0, 1].flatMap((p) => [0, 1].map((i) => `${t}\t${t}-${p}-${i}`))).sort());
    expect(r.err).toContain('Processed a total of 8 messages');
  });

  it("--blacklist prints the others; ',' separates alternatives", () => {
    const r = run(['--zookeeper', zk, '--blacklist', 'cw.a, cw.b', '--from-beginning', '--max-messages', '4', '--property', 'print.topic=true']);
    expect(r.code, r.err).toBe(0);
    expect(lines(r.out)).toEqual([0, 1].flatMap((p) => [0, 1].map((i) => `cx\tcx-${p}-${i}`)).sort());
  });

  it('a topic created while it runs joins the subscription', async () => {
    const proc = spawn(TOOL, ['--zookeeper', zk, '--group', 'cw-live', '--whitelist', 'cw\\..*', '--from-beginning', '--property', 'print.topic=true'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => proc.once('exit', res));
    try {
      await until('the 8 existing records', () => lines(out).length === 8, 30_000);
      await createTopic(cluster.zk, 'cw.new', { partitions: 1, replicationFactor: 1 });
      await produce(cluster.bootstrap, 'cw.new', 1, 3, 'fresh');
      await until('the new topic\'s 3 records', () => lines(out).filter((l) => l.startsWith('cw.new\t')).length === 3, 30_000);
      expect(lines(out).filter((l) => l.startsWith('cw.new\t'))).toEqual(['cw.new\tfresh-0-0', 'cw.new\tfresh-0-1', 'cw.new\tfresh-0-2']);
    } finally {
      proc.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect((await cluster.zk.children(consumerIdsPath('cw-live'))) ?? []).toEqual([]);
  });

  it('refuses bad input before registering anything', async () => {
    const before = ((await cluster.zk.children(consumersPath)) ?? []).length;
    const cases: [string[], RegExp][] = [
      [['--zookeeper', zk, '--group', 'cw-bad', '--whitelist', 'cw.('], /"cw\.\(" is an invalid regex \(whitelist\): Unterminated group/],
      [['--zookeeper', zk, '--group', 'cw-bad', '--blacklist', '[x'], /is an invalid regex \(blacklist\)/],
      [['--zookeeper', zk, '--group', 'cw-bad', '--topic', 'cx', '--whitelist', 'cw.*'], /give only one of --topic, --whitelist or --blacklist/],
      [['--zookeeper', zk, '--group', 'cw-bad'], /give one of --topic, --whitelist or --blacklist/],
      [['--zookeeper', zk, '--whitelist', 'cw.*', '--partition', '0'], /--partition reads one partition of one topic/],
      [['--bootstrap-server', cluster.bootstrap, '--whitelist', 'cw.*', '--consumer-property', 'group.protocol=broker', '--group', 'cw-bad'], /--whitelist and --blacklist subscribe through the ZooKeeper consumer connector/],
    ];
    for (const [args, msg] of cases) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(msg);
    }
    expect(await cluster.zk.exists(consumerGroupPath('cw-bad'))).toBeUndefined();
    expect(((await cluster.zk.children(consumersPath)) ?? []).length).toBe(before);
  });
});
