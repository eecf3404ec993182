/**
 * Dynamic configs end to end: kafka-configs.sh and kafka-topics.sh --alter --config write
 * /config/topics/<T> or /config/brokers/<E> and a /config/changes notification (or nothing at
 * all when anything is bad), and running brokers apply a topic's change within seconds, without
 * a restart: retention, LogAppendTime, max.message.bytes, compression.type, cleanup.policy,
 * the timestamp difference limit, min.insync.replicas. One 2-broker cluster; the test that stops
 * a broker runs last. The --add-config parser is unit-tested first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { FAST, state } from '../replication/helpers.js';
import { brokerConfigPath, configChangesPath, partitionStatePath, topicConfigPath, topicPath } from '../../src/zk/paths.js';
import { ConfigArgError, parseAddConfig, parseDeleteConfig } from '../../src/cli/config-args.js';
import { Producer } from '../../src/client/producer/index.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { ErrorCode, KafkaError, errorName } from '../../src/common/errors.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');

function run(tool: string, args: string[]) {
  const r = spawnSync(path.join(BIN, tool), args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('--add-config / --delete-config parsing', () => {
  it('splits at commas outside brackets and each entry at its first "="', () => {
    expect(parseAddConfig('retention.ms=1000')).toEqual({ 'retention.ms': '1000' });
    expect(parseAddConfig(' a = 1 , b=2 ')).toEqual({ a: '1', b: '2' });
    expect(parseAddConfig('cleanup.policy=[compact,delete],retention.ms=5')).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': '5' });
    expect(parseAddConfig('k=[ a , b ,c ]')).toEqual({ k: 'a,b,c' });
    expect(parseAddConfig('k=[one]')).toEqual({ k: 'one' });
    expect(parseAddConfig('sasl.jaas=a=b=c,x=y')).toEqual({ 'sasl.jaas': 'a=b=c', x: 'y' });
    expect(parseAddConfig('k=[a=1,b=2],z=0')).toEqual({ k: 'a=1,b=2', z: '0' });
    expect(Object.keys(parseAddConfig('z=1,a=2,m=3'))).toEqual(['z', 'a', 'm']);
    // a key named like an Object property is an own key like any other (validation refuses it later)
    expect(Object.hasOwn(parseAddConfig('__proto__=1'), '__proto__')).toBe(true);
    expect(parseDeleteConfig('a')).toEqual(['a']);
    expect(parseDeleteConfig(' a , b.c ')).toEqual(['a', 'b.c']);
  });

  it('refuses malformed lists naming what is wrong', () => {
    const refused: [string, RegExp][] = [
      ['', /empty entry/],
      ['a=1,', /empty entry/],
      ['a=1,,b=2', /empty entry/],
      ['novalue', /"novalue" must be of the form key=value/],
      ['=5', /has no key/],
      ['a=', /"a" has an empty value/],
      ['a= ', /"a" has an empty value/],
      ['a=[]', /"a" has an empty value/],
      ['a=[x,,y]', /empty item/],
      ['a=1,a=2', /"a" is given twice/],
      ['a=[x,y', /"\[" is never closed/],
      ['a=x]', /"\]" without "\["/],
      ['a=[[x]]', /nested "\["/],
      ['a=x[y]', /brackets must enclose the whole value/],
      ['a=[x]y', /brackets must enclose the whole value/],
    ];
    for (const [text, msg] of refused) {
      expect(() => parseAddConfig(text), text).toThrow(ConfigArgError);
      expect(() => parseAddConfig(text), text).toThrow(msg);
    }
    expect(() => parseDeleteConfig('a,,b')).toThrow(/empty key/);
    expect(() => parseDeleteConfig('')).toThrow(/empty key/);
    expect(() => parseDeleteConfig('a,b,a')).toThrow(/"a" is given twice/);
  });
});

/** Batches of a .log segment file: [position, attributes] (attributes int16 at byte 21 of a batch). */
function batchAttributes(file: string): number[] {
  const buf = readFileSync(file);
  const out: number[] = [];
  for (let at = 0; at + 23 <= buf.length; at += 12 + buf.readInt32BE(at + 8)) out.push(buf.readInt16BE(at + 21));
  return out;
}

describe('dynamic configs through kafka-configs and kafka-topics, live on running brokers', () => {
  let cluster: TestCluster;
  let zk: string;

  beforeAll(async () => {
    cluster = await new TestCluster('configs', FAST).start(2);
    zk = cluster.zkConnect;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const configs = (...args: string[]) => run('kafka-configs.sh', ['--zookeeper', zk, ...args]);
  const topics = (...args: string[]) => run('kafka-topics.sh', ['--zookeeper', zk, ...args]);
  const changes = async () => (await cluster.zk.children(configChangesPath)) ?? [];
  const znode = async (p: string) => (await cluster.zk.get(p))?.data.toString();
  const ok = (r: { code: number | null; out: string; err: string }, what: string) => {
    expect(r.err, what).toBe('');
    expect(r.code, what).toBe(0);
    return r.out;
  };

  /** A topic of RF 1 on broker 1 (so its files are in broker 1's log dir), or as given. */
  async function createTopic(topic: string, assignment = '1', config: string[] = []) {
    ok(topics('--create', '--topic', topic, '--replica-assignment', assignment, ...config.flatMap((c) => ['--config', c])), `create ${topic}`);
    await leadersKnown(topic);
  }

  /**
   * Waits until every running broker's metadata names a leader for each partition of the topic.
   * (A Producer whose first metadata shows a partition without a leader can wait forever: see
   * the report of this branch.)
   */
  async function leadersKnown(topic: string) {
    for (const b of cluster.brokers.values()) {
      if (b.proc.exitCode !== null || b.proc.signalCode !== null) continue;
      const c = new Cluster({ brokers: `127.0.0.1:${b.port}` });
      try {
        await until(`broker ${b.id} to know the leaders of ${topic}`, async () => {
          const md = (await c.refresh([topic])).topics.find((t) => t.topic === topic);
          return md !== undefined && md.partitions.length > 0 && md.partitions.every((p) => p.leader >= 0);
        });
      } finally {
        c.close();
      }
    }
  }

  /**
   * Waits until every running broker has applied `config` to the topic: each logs
   * `topic config changed topic=T config={...}` right after it re-read the znode and just
   * before it gives the logs the new config.
   */
  async function applied(topic: string, config: Record<string, string>) {
    const re = new RegExp(`topic config changed topic=${topic.replace(/[.]/g, '\\.')} config=(\\{.*\\})$`, 'gm');
    for (const b of cluster.brokers.values()) {
      if (b.proc.exitCode !== null || b.proc.signalCode !== null) continue;
      await until(`broker ${b.id} to apply ${JSON.stringify(config)} to ${topic}`, () => {
        const seen = [...b.output().matchAll(re)].map((m) => JSON.parse(m[1]!) as Record<string, string>);
        return seen.length > 0 && JSON.stringify(Object.entries(seen.at(-1)!).sort()) === JSON.stringify(Object.entries(config).sort());
      }, 15_000, 25);
    }
  }

  const alter = (topic: string, add: string) => ok(configs('--entity-type', 'topics', '--entity-name', topic, '--alter', '--add-config', add), `alter ${topic} ${add}`);

  async function sendError(p: Producer, record: Parameters<Producer['send']>[0]): Promise<KafkaError> {
    const err = await p.send(record).then(() => undefined, (e: unknown) => e);
    expect(err, `${record.topic}: expected the send to fail`).toBeInstanceOf(KafkaError);
    return err as KafkaError;
  }

  function kcat(args: string[]): string {
    return execFileSync('kcat', ['-b', cluster.bootstrap, ...args], { encoding: 'utf8', timeout: 30_000 });
  }

  it('kafka-configs alters, describes and deletes a topic config, one notification per change', async () => {
    const t = 'cfg-roundtrip';
    await createTopic(t);
    expect(await znode(topicConfigPath(t))).toBe('{"version":1,"config":{}}');
    let before = await changes();
    expect(ok(configs('--entity-type', 'topics', '--entity-name', t, '--alter', '--add-config', 'retention.ms=3600000,cleanup.policy=[compact,delete],max.message.bytes=50000'), 'alter')).toBe(
      `Completed Updating config for entity: topic '${t}'.\n`,
    );
    expect(JSON.parse((await znode(topicConfigPath(t)))!)).toEqual({
      version: 1,
      config: { 'retention.ms': '3600000', 'cleanup.policy': 'compact,delete', 'max.message.bytes': '50000' },
    });
    let after = await changes();
    let added = after.filter((c) => !before.includes(c));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^config_change_\d{10}$/);
    expect(await znode(`${configChangesPath}/${added[0]}`)).toBe(`"${t}"`);
    await applied(t, { 'retention.ms': '3600000', 'cleanup.policy': 'compact,delete', 'max.message.bytes': '50000' });

    expect(ok(configs('--entity-type', 'topics', '--entity-name', t, '--describe'), 'describe')).toBe(
      `Configs for topic '${t}' are cleanup.policy=compact,delete,max.message.bytes=50000,retention.ms=3600000\n`,
    );
    // without --entity-name: every topic with a config znode, this one among them
    expect(ok(configs('--entity-type', 'topics', '--describe'), 'describe all').split('\n')).toContain(
      `Configs for topic '${t}' are cleanup.policy=compact,delete,max.message.bytes=50000,retention.ms=3600000`,
    );

    before = after;
    ok(configs('--entity-type', 'topics', '--entity-name', t, '--alter', '--delete-config', 'cleanup.policy,max.message.bytes', '--add-config', 'retention.ms=7200000'), 'delete');
    expect(await znode(topicConfigPath(t))).toBe('{"version":1,"config":{"retention.ms":"7200000"}}');
    after = await changes();
    added = after.filter((c) => !before.includes(c));
    expect(added).toHaveLength(1);
    expect(await znode(`${configChangesPath}/${added[0]}`)).toBe(`"${t}"`);
    await applied(t, { 'retention.ms': '7200000' });

    // bad input: exit 1, a message naming the problem, nothing written, no notification
    const stored = await cluster.zk.get(topicConfigPath(t));
    const refused: [string[], RegExp][] = [
      [['--entity-name', t, '--alter', '--add-config', 'no.such.key=1'], /unknown topic config "no\.such\.key"/],
      [['--entity-name', t, '--alter', '--add-config', 'retention.ms=soon'], /"retention\.ms" must be an integer, got "soon"/],
      [['--entity-name', t, '--alter', '--add-config', 'cleanup.policy=[compact,shred]'], /"cleanup\.policy" must be a list of delete and compact/],
      [['--entity-name', t, '--alter', '--add-config', 'retention.ms=1,preallocate=true'], /topic config "preallocate" is not supported/],
      [['--entity-name', t, '--alter', '--add-config', 'constructor=1'], /unknown topic config "constructor"/],
      [['--entity-name', t, '--alter', '--delete-config', 'segment.bytes'], /segment\.bytes \(not set\)/],
      [['--entity-name', t, '--alter', '--add-config', 'retention.ms=1', '--delete-config', 'retention.ms'], /both added and deleted.*retention\.ms/],
      [['--entity-name', t, '--alter', '--add-config', 'retention.ms=[1'], /never closed/],
      [['--entity-name', 'cfg-no-such-topic', '--alter', '--add-config', 'retention.ms=1'], /topic "cfg-no-such-topic" does not exist/],
      [['--entity-name', 'cfg-no-such-topic', '--describe'], /topic "cfg-no-such-topic" does not exist/],
      [['--entity-name', 'bad/name', '--alter', '--add-config', 'retention.ms=1'], /invalid topic name "bad\/name"/],
      [['--entity-name', t, '--alter'], /--alter needs --add-config and\/or --delete-config/],
      [['--alter', '--add-config', 'retention.ms=1'], /--alter needs --entity-name/],
      [['--entity-default', '--alter', '--add-config', 'retention.ms=1'], /--entity-default is only for --entity-type brokers/],
      [['--entity-name', t, '--describe', '--add-config', 'retention.ms=1'], /only for --alter/],
      [['--entity-name', t, '--describe', '--alter', '--add-config', 'retention.ms=1'], /exactly one of --alter or --describe/],
      [['--entity-name', t], /exactly one of --alter or --describe/],
      [['--entity-name', t, '--alter', '--add-config', 'retention.ms=1', '--no-such-flag'], /unknown option '--no-such-flag'/],
    ];
    for (const [args, msg] of refused) {
      const r = configs('--entity-type', 'topics', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(msg);
      expect(r.out, args.join(' ')).toBe('');
    }
    const others: [string[], RegExp][] = [
      [['--zookeeper', zk, '--entity-type', 'clients', '--entity-name', 'c', '--describe'], /--entity-type must be topics or brokers, got "clients"/],
      [['--zookeeper', zk, '--entity-name', t, '--describe'], /missing required argument --entity-type/],
      [['--entity-type', 'topics', '--entity-name', t, '--describe'], /missing required argument --zookeeper/],
      [['--zookeeper', zk, '--entity-type', 'brokers', '--entity-name', '1', '--entity-default', '--describe'], /cannot be used together/],
      [['--zookeeper', zk, '--entity-type', 'brokers', '--entity-name', 'one', '--describe'], /must be a broker id/],
    ];
    for (const [args, msg] of others) {
      const r = run('kafka-configs.sh', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(msg);
    }
    expect((await cluster.zk.get(topicConfigPath(t)))!.version).toBe(stored!.version);
    expect(await znode(topicConfigPath(t))).toBe('{"version":1,"config":{"retention.ms":"7200000"}}');
    expect(await changes()).toEqual(after);
    expect(await cluster.zk.exists(topicConfigPath('cfg-no-such-topic'))).toBeUndefined();

    const help = run('kafka-configs.sh', ['--help']);
    expect(help.code).toBe(0);
    for (const s of ['--entity-default', '--add-config', "Completed Updating config for entity: topic 'T'.", "Configs for topic 'T' are k1=v1,k2=v2"]) expect(help.out).toContain(s);
  });

  it('kafka-configs writes broker defaults and a per-broker config with a version 2 notification; non-dynamic keys are refused', async () => {
    let before = await changes();
    expect(ok(configs('--entity-type', 'brokers', '--entity-default', '--alter', '--add-config', 'log.retention.ms=604800001,log.cleaner.backoff.ms=20000'), 'default')).toBe(
      'Completed Updating config for entity: default brokers.\n',
    );
    expect(JSON.parse((await znode(brokerConfigPath('<default>')))!)).toEqual({ version: 1, config: { 'log.retention.ms': '604800001', 'log.cleaner.backoff.ms': '20000' } });
    let added = (await changes()).filter((c) => !before.includes(c));
    expect(added).toHaveLength(1);
    expect(JSON.parse((await znode(`${configChangesPath}/${added[0]}`))!)).toEqual({ version: 2, entity_path: 'brokers/<default>' });
    // every broker takes the cluster default from the notification
    for (const b of cluster.brokers.values()) {
      await until(`broker ${b.id} to take the default`, () => /broker config changed entity=<default> config=\{[^\n]*"log\.retention\.ms":"604800001"/.test(b.output()), 15_000);
    }

    before = await changes();
    expect(ok(configs('--entity-type', 'brokers', '--entity-name', '2', '--alter', '--add-config', 'log.cleaner.threads=2'), 'broker 2')).toBe(
      "Completed Updating config for entity: brokers '2'.\n",
    );
    added = (await changes()).filter((c) => !before.includes(c));
    expect(added).toHaveLength(1);
    expect(await znode(`${configChangesPath}/${added[0]}`)).toBe('{"version":2,"entity_path":"brokers/2"}');
    expect(ok(configs('--entity-type', 'brokers', '--describe'), 'describe brokers')).toBe(
      'Configs for default brokers are log.cleaner.backoff.ms=20000,log.retention.ms=604800001\n' + "Configs for brokers '2' are log.cleaner.threads=2\n",
    );
    expect(ok(configs('--entity-type', 'brokers', '--entity-default', '--describe'), 'describe default')).toBe('Configs for default brokers are log.cleaner.backoff.ms=20000,log.retention.ms=604800001\n');

    before = await changes();
    const stored = await znode(brokerConfigPath('<default>'));
    for (const [add, msg] of [
      ['log.dirs=/tmp/x', /"log\.dirs" is not a dynamic broker config/],
      ['broker.id=7', /"broker\.id" is not a dynamic broker config/],
      ['retention.ms=1', /"retention\.ms" is not a dynamic broker config/],
      ['log.retention.ms=later', /"log\.retention\.ms" must be an integer/],
    ] as const) {
      const r = configs('--entity-type', 'brokers', '--entity-default', '--alter', '--add-config', add);
      expect(r.code, add).toBe(1);
      expect(r.err, add).toMatch(msg);
    }
    expect(await znode(brokerConfigPath('<default>'))).toBe(stored);
    expect(await changes()).toEqual(before);

    ok(configs('--entity-type', 'brokers', '--entity-default', '--alter', '--delete-config', 'log.retention.ms,log.cleaner.backoff.ms'), 'delete default');
    ok(configs('--entity-type', 'brokers', '--entity-name', '2', '--alter', '--delete-config', 'log.cleaner.threads'), 'delete 2');
    expect(await znode(brokerConfigPath('<default>'))).toBe('{"version":1,"config":{}}');
  });

  it("kafka-topics --alter --config / --delete-config (0.8), with and without --partitions; a bad --create --config writes nothing", async () => {
    const t = 'cfg-topics-alter';
    await createTopic(t, '1', ['retention.ms=3600000']);
    let before = await changes();
    expect(ok(topics('--alter', '--topic', t, '--config', 'max.message.bytes=4000', '--config', 'cleanup.policy=compact,delete'), 'alter config')).toBe(`Updated config for topic "${t}".\n`);
    expect(JSON.parse((await znode(topicConfigPath(t)))!).config).toEqual({ 'retention.ms': '3600000', 'max.message.bytes': '4000', 'cleanup.policy': 'compact,delete' });
    let added = (await changes()).filter((c) => !before.includes(c));
    expect(added).toHaveLength(1);
    expect(await znode(`${configChangesPath}/${added[0]}`)).toBe(`"${t}"`);

    before = await changes();
    expect(ok(topics('--alter', '--topic', t, '--delete-config', 'retention.ms', '--delete-config', 'cleanup.policy', '--partitions', '2'), 'alter both')).toBe(
      `Updated config for topic "${t}".\nAdding partitions succeeded!\n`,
    );
    expect(JSON.parse((await znode(topicConfigPath(t)))!).config).toEqual({ 'max.message.bytes': '4000' });
    expect(Object.keys(JSON.parse((await znode(topicPath(t)))!).partitions)).toEqual(['0', '1']);
    expect((await changes()).filter((c) => !before.includes(c))).toHaveLength(1);
    await applied(t, { 'max.message.bytes': '4000' });
    expect(ok(topics('--describe', '--topic', t), 'describe')).toContain(`Topic:${t}\tPartitionCount:2\tReplicationFactor:1\tConfigs:max.message.bytes=4000`);

    // partitions alone still work and write no config
    before = await changes();
    expect(ok(topics('--alter', '--topic', t, '--partitions', '3'), 'partitions')).toBe('Adding partitions succeeded!\n');
    expect(await changes()).toEqual(before);

    // refused before anything is written: neither the config nor the partitions change
    const stored = await znode(topicConfigPath(t));
    const refused: [string[], RegExp][] = [
      [['--alter', '--topic', t, '--config', 'max.message.bytes=big', '--partitions', '4'], /"max\.message\.bytes" must be an integer/],
      [['--alter', '--topic', t, '--config', 'preallocate=true'], /"preallocate" is not supported/],
      [['--alter', '--topic', t, '--config', 'retention.ms=1', '--partitions', '2'], /can only be increased/],
      [['--alter', '--topic', t, '--config', 'retention.ms=1', '--partitions', '4', '--replication-factor', '1'], /--replication-factor is only for --create/],
      [['--alter', '--topic', t, '--delete-config', 'segment.ms'], /segment\.ms \(not set\)/],
      [['--alter', '--topic', t, '--delete-config', 'retention.ms=1'], /--delete-config takes a config name/],
      [['--alter', '--topic', t, '--config', 'retention.ms'], /must be of the form key=value/],
      [['--alter', '--topic', t], /--alter requires --partitions .* and\/or --config/],
      [['--alter', '--topic', 'cfg-missing', '--config', 'retention.ms=1'], /topic "cfg-missing" does not exist/],
      [['--describe', '--topic', t, '--config', 'retention.ms=1'], /--config is only for --create and --alter/],
      [['--create', '--topic', 'cfg-x', '--replica-assignment', '1', '--delete-config', 'retention.ms'], /--delete-config is only for --alter/],
    ];
    for (const [args, msg] of refused) {
      const r = topics(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(msg);
      expect(r.out, args.join(' ')).toBe('');
    }
    expect(await znode(topicConfigPath(t))).toBe(stored);
    expect(Object.keys(JSON.parse((await znode(topicPath(t)))!).partitions)).toHaveLength(3);
    expect(await changes()).toEqual(before);

    for (const [config, msg] of [
      ['retention.ms=never', /"retention\.ms" must be an integer/],
      ['no.such.key=1', /unknown topic config "no\.such\.key"/],
      ['segment.jitter.ms=5', /"segment\.jitter\.ms" is not supported/],
      ['max.message.bytes=', /"max\.message\.bytes" has an empty value/],
    ] as const) {
      const r = topics('--create', '--topic', 'cfg-bad-create', '--partitions', '1', '--replication-factor', '1', '--config', 'retention.ms=1000', '--config', config);
      expect(r.code, config).toBe(1);
      expect(r.err, config).toMatch(msg);
      expect(await cluster.zk.exists(topicPath('cfg-bad-create')), config).toBeUndefined();
      expect(await cluster.zk.exists(topicConfigPath('cfg-bad-create')), config).toBeUndefined();
    }
  });

  it('retention.ms lowered on a running cluster deletes the old segments at once', async () => {
    const t = 'cfg-retention';
    await createTopic(t, '1', ['segment.bytes=1024']);
    const dir = path.join(cluster.brokers.get(1)!.dir, 'logs', `${t}-0`);
    const segments = () => readdirSync(dir).filter((f) => f.endsWith('.log')).length;
    const p = new Producer({ brokers: cluster.bootstrap, lingerMs: 0 });
    const old = Date.now() - 10 * 60_000; // CreateTime ten minutes ago: older than the new retention
    for (let i = 0; i < 24; i++) await p.send({ topic: t, partition: 0, value: `record ${i} ${'.'.repeat(180)}`, timestamp: old + i });
    await p.close();
    const consumer = new SimpleConsumer(new Cluster({ brokers: cluster.bootstrap }));
    try {
      expect(segments()).toBeGreaterThanOrEqual(3);
      expect(await consumer.offsetFor(t, 0, -2)).toBe(0); // nothing deleted under the default 7 days
      alter(t, 'retention.ms=60000');
      await until('the old segments to be deleted', async () => segments() === 1 && (await consumer.offsetFor(t, 0, -2)) === 24, 15_000);
      expect(await consumer.offsetFor(t, 0, -1)).toBe(24);
    } finally {
      consumer.cluster.close();
    }
  });

  it('message.timestamp.type=LogAppendTime: records get the broker clock from the change on', async () => {
    const t = 'cfg-logappendtime';
    await createTopic(t);
    const p = new Producer({ brokers: cluster.bootstrap });
    const old = Date.now() - 3_600_000; // an hour ago: well inside the 7 days the log keeps
    const first = await p.send({ topic: t, partition: 0, value: 'before', timestamp: old });
    expect(first.logAppendTime).toBe(-1);
    alter(t, 'message.timestamp.type=LogAppendTime');
    await applied(t, { 'message.timestamp.type': 'LogAppendTime' });
    const sentAt = Date.now();
    const second = await p.send({ topic: t, partition: 0, value: 'after', timestamp: old });
    await p.close();
    expect(second.logAppendTime).toBeGreaterThanOrEqual(sentAt - 1000);
    const lines = kcat(['-C', '-t', t, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%T %s\n']).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${old} before`);
    const [ts, value] = lines[1]!.split(' ');
    expect(value).toBe('after');
    expect(Number(ts)).toBe(second.logAppendTime);
    expect(Math.abs(Number(ts) - Date.now())).toBeLessThan(10_000);
  });

  it('max.message.bytes per topic, lowered then raised, refuses and then accepts a 5000-byte record', async () => {
    const t = 'cfg-maxbytes';
    await createTopic(t);
    const p = new Producer({ brokers: cluster.bootstrap });
    const big = Buffer.alloc(5000, 7);
    expect((await p.send({ topic: t, partition: 0, value: big })).offset).toBe(0); // the broker default (1000012) takes it
    alter(t, 'max.message.bytes=2000');
    await applied(t, { 'max.message.bytes': '2000' });
    const err = await sendError(p, { topic: t, partition: 0, value: big });
    expect(errorName(err.code)).toBe('MESSAGE_TOO_LARGE');
    expect((await p.send({ topic: t, partition: 0, value: Buffer.alloc(500, 1) })).offset).toBe(1);
    alter(t, 'max.message.bytes=20000');
    await applied(t, { 'max.message.bytes': '20000' });
    expect((await p.send({ topic: t, partition: 0, value: big })).offset).toBe(2);
    await p.close();
  });

  it('compression.type=gzip: a snappy batch is stored gzip and reads back unchanged', async () => {
    const t = 'cfg-gzip';
    await createTopic(t);
    const file = path.join(cluster.brokers.get(1)!.dir, 'logs', `${t}-0`, '00000000000000000000.log');
    const send = async (values: string[]) => {
      const p = new Producer({ brokers: cluster.bootstrap, compression: 'snappy', lingerMs: 20 });
      await Promise.all(values.map((v) => p.send({ topic: t, partition: 0, key: `k-${v}`, value: v })));
      await p.close();
    };
    const before = Array.from({ length: 50 }, (_, i) => `before ${i} ${'abc'.repeat(20)}`);
    await send(before);
    const codecs = () => batchAttributes(file).map((a) => a & 7);
    expect(new Set(codecs())).toEqual(new Set([2])); // compression.type=producer keeps snappy
    const n = codecs().length;
    alter(t, 'compression.type=gzip');
    await applied(t, { 'compression.type': 'gzip' });
    const after = Array.from({ length: 50 }, (_, i) => `after ${i} ${'xyz'.repeat(20)}`);
    await send(after);
    const all = codecs();
    expect(all.slice(0, n).every((c) => c === 2)).toBe(true);
    expect(all.length).toBeGreaterThan(n);
    expect(all.slice(n).every((c) => c === 1), `codecs after the change: ${all.slice(n)}`).toBe(true);
    const got = kcat(['-C', '-t', t, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\n']).trim().split('\n');
    expect(got).toEqual([...before, ...after].map((v) => `k-${v}=${v}`));
  });

  it('cleanup.policy=compact refuses keyless records (INVALID_RECORD) and takes keyed ones', async () => {
    const t = 'cfg-compact';
    await createTopic(t);
    const p = new Producer({ brokers: cluster.bootstrap });
    expect((await p.send({ topic: t, partition: 0, value: 'keyless before' })).offset).toBe(0);
    alter(t, 'cleanup.policy=compact');
    await applied(t, { 'cleanup.policy': 'compact' });
    const err = await sendError(p, { topic: t, partition: 0, value: 'keyless after' });
    expect(err.code).toBe(ErrorCode.INVALID_RECORD);
    expect(err.code).toBe(87);
    expect((await p.send({ topic: t, partition: 0, key: 'k', value: 'keyed' })).offset).toBe(1);
    await p.close();
  });

  it('message.timestamp.difference.max.ms=60000 with CreateTime refuses an hour-old record (INVALID_TIMESTAMP)', async () => {
    const t = 'cfg-timediff';
    await createTopic(t);
    const p = new Producer({ brokers: cluster.bootstrap });
    const hourAgo = () => Date.now() - 3_600_000;
    expect((await p.send({ topic: t, partition: 0, value: 'old, before', timestamp: hourAgo() })).offset).toBe(0);
    alter(t, 'message.timestamp.difference.max.ms=60000');
    await applied(t, { 'message.timestamp.difference.max.ms': '60000' });
    const err = await sendError(p, { topic: t, partition: 0, value: 'old, after', timestamp: hourAgo() });
    expect(err.code).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(err.code).toBe(32);
    expect((await p.send({ topic: t, partition: 0, value: 'now', timestamp: Date.now() - 5000 })).offset).toBe(1);
    await p.close();
  });

  it("a restarted broker loads its logs with the topic's overrides, and a restart is no retention pass", async () => {
    const t = 'cfg-restart';
    await createTopic(t, '2', ['segment.bytes=1024']);
    alter(t, 'max.message.bytes=2000,segment.bytes=1024');
    await applied(t, { 'max.message.bytes': '2000', 'segment.bytes': '1024' });
    const big = Buffer.alloc(5000, 3);
    let p = new Producer({ brokers: cluster.bootstrap, lingerMs: 0 });
    expect(errorName((await sendError(p, { topic: t, partition: 0, value: big })).code)).toBe('MESSAGE_TOO_LARGE');
    // eight days old: past the default retention (7 days), deleted at the next retention check
    // (every 300 s), not because the broker restarted
    const old = Date.now() - 8 * 24 * 3_600_000;
    for (let i = 0; i < 12; i++) await p.send({ topic: t, partition: 0, value: `old ${i} ${'.'.repeat(180)}`, timestamp: old });
    await p.close();
    const dir = path.join(cluster.brokers.get(2)!.dir, 'logs', `${t}-0`);
    const segments = () => readdirSync(dir).filter((f) => f.endsWith('.log')).length;
    expect(segments()).toBeGreaterThanOrEqual(3);
    const before = segments();
    await cluster.stopBroker(2);
    await cluster.startBroker(2);
    await cluster.waitForMetadata();
    await leadersKnown(t);
    p = new Producer({ brokers: cluster.bootstrap });
    expect((await p.send({ topic: t, partition: 0, value: 'small' })).offset).toBe(12);
    expect(errorName((await sendError(p, { topic: t, partition: 0, value: big })).code)).toBe('MESSAGE_TOO_LARGE');
    await p.close();
    const consumer = new SimpleConsumer(new Cluster({ brokers: cluster.bootstrap }));
    try {
      expect(await consumer.offsetFor(t, 0, -2)).toBe(0);
    } finally {
      consumer.cluster.close();
    }
    expect(segments()).toBeGreaterThanOrEqual(before);
  });

  it("a topic deleted and created again does not keep the old topic's overrides", async () => {
    const t = 'cfg-recreate';
    await createTopic(t, '1');
    alter(t, 'max.message.bytes=2000,message.timestamp.type=LogAppendTime');
    await applied(t, { 'max.message.bytes': '2000', 'message.timestamp.type': 'LogAppendTime' });
    ok(topics('--delete', '--topic', t), 'delete');
    const dir = path.join(cluster.brokers.get(1)!.dir, 'logs', `${t}-0`);
    await until('the topic and its log to be deleted', async () => !(await cluster.zk.exists(topicPath(t))) && !existsSync(dir));
    // partition 0 on broker 1, which hosted the old topic; partition 1 on broker 2, which only heard of its config
    await createTopic(t, '1,2');
    expect(await znode(topicConfigPath(t))).toBe('{"version":1,"config":{}}');
    const p = new Producer({ brokers: cluster.bootstrap });
    for (const partition of [0, 1]) {
      const md = await p.send({ topic: t, partition, value: Buffer.alloc(5000, 4), timestamp: Date.now() - 60_000 });
      expect(md.offset, `partition ${partition}`).toBe(0);
      expect(md.logAppendTime, `partition ${partition}`).toBe(-1);
    }
    await p.close();
  });

  // stops broker 2: keep last
  it('min.insync.replicas=2 on an RF=2 topic refuses acks=all with one replica down; a topic without it accepts', async () => {
    const guarded = 'cfg-minisr';
    const plain = 'cfg-minisr-plain';
    await createTopic(guarded, '1:2');
    await createTopic(plain, '1:2');
    for (const t of [guarded, plain]) await until(`${t} full ISR`, async () => (await state(cluster, t, 0))?.isr.length === 2);
    alter(guarded, 'min.insync.replicas=2');
    await applied(guarded, { 'min.insync.replicas': '2' });
    const p = new Producer({ brokers: cluster.bootstrap, acks: 'all', retries: 0 });
    expect((await p.send({ topic: guarded, partition: 0, value: 'two in sync' })).offset).toBe(0);

    await cluster.stopBroker(2);
    for (const t of [guarded, plain]) {
      await until(`${t} ISR to shrink to broker 1`, async () => JSON.stringify((await state(cluster, t, 0))?.isr) === '[1]', 30_000);
    }
    // the leader learns its ISR from the controller; its metadata shows the same
    const c = new Cluster({ brokers: `127.0.0.1:${cluster.brokers.get(1)!.port}` });
    try {
      await until('broker 1 to see the shrunken ISRs', async () => {
        const md = await c.refresh([guarded, plain]);
        return md.topics.every((t) => JSON.stringify(t.partitions[0]?.isr) === '[1]');
      });
    } finally {
      c.close();
    }
    const err = await sendError(p, { topic: guarded, partition: 0, value: 'one in sync' });
    expect(err.code).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect((await p.send({ topic: plain, partition: 0, value: 'one in sync is enough here' })).offset).toBe(0);
    await p.close();
    expect(await cluster.zk.exists(partitionStatePath(guarded, 0))).toBeDefined();
    expect(existsSync(path.join(cluster.brokers.get(1)!.dir, 'logs', `${guarded}-0`))).toBe(true);
  });
});
