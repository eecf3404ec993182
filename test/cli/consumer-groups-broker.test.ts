/**
 * kafka-consumer-groups.sh --bootstrap-server against real brokers, run as a user runs it: a
 * group formed by kafkajs consumers (consumer.run) is listed and described (offsets, lag,
 * member ids, hosts, assignments, state); its offsets cannot be reset nor the group deleted
 * while it has members; once they leave, a dry run writes nothing, --execute commits the plan
 * and a consumer resumes where it says; the group is then deleted. DeleteGroups over the wire,
 * bad input (nothing written, exit 1), and the ZooKeeper mode alongside.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { CoordinatorClient } from '../../src/client/group/coordinator-client.js';
import { KafkaConnection } from '../../src/network/client-connection.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/common/errors.js';
import { parseDateTime, parseTopicArg } from '../../src/cli/consumer-groups-broker.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');

/** Runs a tool without blocking this process (the kafkajs members here keep heartbeating). */
function run(tool: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(path.join(BIN, tool), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** The table's rows (after its header), split on whitespace. */
function rows(out: string, header: RegExp): string[][] {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => header.test(l));
  expect(at, `no header ${header} in:\n${out}`).toBeGreaterThanOrEqual(0);
  return lines.slice(at + 1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
}

const OFFSETS_HEADER = /^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID$/;
const PLAN_HEADER = /^GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET$/;
const BASE_TS = Date.UTC(2024, 0, 15, 10, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '');

describe('kafka-consumer-groups --bootstrap-server', () => {
  let cluster: TestCluster;
  let kafka: any;
  let client: Cluster;
  let cc: CoordinatorClient;
  const topic = 'cgt';
  let bs: string;
  const cg = (...args: string[]) => run('kafka-consumer-groups.sh', ['--bootstrap-server', bs, ...args]);
  const committed = async (group: string) => (await cc.fetchOffsets(group, null)).map((c) => [c.partition, c.offset]);

  beforeAll(async () => {
    cluster = await new TestCluster('cg-broker', { 'offsets.topic.num.partitions': '4', 'group.initial.rebalance.delay.ms': '0' }).start(2);
    bs = cluster.bootstrap;
    await createTopic(cluster.zk, topic, { partitions: 3, replicationFactor: 2 });
    client = new Cluster({ brokers: bs, clientId: 'cg-test' });
    await client.topicMetadata(topic);
    cc = new CoordinatorClient(client);
    kafka = new Kafka({ clientId: 'cgtool', brokers: bs.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    await produce(0, 10);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  /** Records `from`..`from+count-1` to every partition; record i has timestamp BASE_TS + i s. */
  async function produce(from: number, count: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 3; p++) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ partition: p, value: `v-${p}-${from + i}`, timestamp: String(BASE_TS + (from + i) * 1000) })) });
    }
    await producer.disconnect();
  }

  type Got = { partition: number; offset: number };
  async function member(group: string, got: Got[]): Promise<any> {
    const c = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 10_000, maxWaitTimeInMs: 300 });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ autoCommitInterval: 100, eachMessage: async ({ partition, message }: any) => void got.push({ partition, offset: Number(message.offset) }) });
    return c;
  }

  it('parses --to-datetime and --topic as Kafka does', () => {
    expect(parseDateTime('2024-01-15T10:00:03.500')).toBe(BASE_TS + 3500);
    expect(parseDateTime('2024-01-15T10:00:03.5Z')).toBe(BASE_TS + 3500);
    expect(parseDateTime('2024-01-15T10:00:03')).toBe(BASE_TS + 3000);
    expect(parseDateTime('2024-01-15T12:00:00.000+02:00')).toBe(BASE_TS);
    expect(parseDateTime('2024-01-15T05:30:00.000-0430')).toBe(BASE_TS);
    for (const bad of ['2024-02-30T00:00:00.000', '2024-01-15 10:00:00.000', 'yesterday', '2024-01-15T24:00:00.000', '1705312800000']) expect(parseDateTime(bad), bad).toBeUndefined();
    expect(parseTopicArg('t')).toEqual({ topic: 't', partitions: null });
    expect(parseTopicArg('t:2,0,2')).toEqual({ topic: 't', partitions: [0, 2] });
    expect(typeof parseTopicArg('t:x')).toBe('string');
    expect(typeof parseTopicArg(':1')).toBe('string');
  });

  it('lists and describes a group of kafkajs members; refuses to reset or delete it while they are there; resets it once they left, and a consumer resumes there', async () => {
    const group = 'cg-a';
    const got: Got[] = [];
    const members = [await member(group, got), await member(group, got)];
    await until('every record consumed and committed', async () => got.length >= 30 && (await committed(group)).reduce((n, [, o]) => n + o!, 0) === 30, 60_000);
    const admin = kafka.admin();
    await admin.connect();
    const described = await until('a stable group of two', async () => {
      const d = (await admin.describeGroups([group])).groups[0];
      return d.state === 'Stable' && d.members.length === 2 ? d : undefined;
    }, 30_000);
    await admin.disconnect();
    const ids = new Set<string>(described.members.map((m: any) => m.memberId));

    // --list: from every broker
    let r = await cg('--list');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toContain(group);

    // --describe: one row per partition, its owner, offsets and lag
    r = await cg('--describe', '--group', group);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    let table = rows(r.out, OFFSETS_HEADER);
    expect(table).toHaveLength(3);
    expect(table.map((c) => c[2]).sort()).toEqual(['0', '1', '2']);
    for (const [g, t, , cur, end, lag, id, host, clientId] of table) {
      expect([g, t, cur, end, lag, host, clientId]).toEqual([group, topic, '10', '10', '0', '/127.0.0.1', 'cgtool']);
      expect(ids.has(id!)).toBe(true);
    }
    // the member with two partitions first
    expect(table[0]![6]).toBe(table[1]![6]);
    expect(table[2]![6]).not.toBe(table[0]![6]);

    r = await cg('--describe', '--group', group, '--members', '--verbose');
    expect(r.code).toBe(0);
    table = rows(r.out, /^GROUP\s+CONSUMER-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS\s+ASSIGNMENT$/);
    expect(table.map((c) => c[1]).sort()).toEqual([...ids].sort());
    expect(table.map((c) => [c[0], c[2], c[3]])).toEqual([
      [group, '/127.0.0.1', 'cgtool'],
      [group, '/127.0.0.1', 'cgtool'],
    ]);
    expect(table.map((c) => Number(c[4])).sort()).toEqual([1, 2]);
    expect(table.map((c) => c[5]).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^cgt\(\d,\d\)$/), expect.stringMatching(/^cgt\(\d\)$/)]));
    r = await cg('--describe', '--group', group, '--members');
    expect(rows(r.out, /^GROUP\s+CONSUMER-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS$/)).toHaveLength(2);

    r = await cg('--describe', '--group', group, '--state');
    expect(r.code).toBe(0);
    const [state] = rows(r.out, /^GROUP\s+COORDINATOR \(ID\)\s+ASSIGNMENT-STRATEGY\s+STATE\s+#MEMBERS$/);
    const coordinator = await cc.findCoordinator(group);
    expect(state).toEqual([group, `127.0.0.1:${coordinator.port}`, `(${coordinator.nodeId})`, described.protocol, 'Stable', '2']);

    // an active group: neither reset nor deleted, and nothing written
    r = await cg('--reset-offsets', '--group', group, '--all-topics', '--to-earliest', '--execute');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`Assignments can only be reset if the group '${group}' is inactive, but the current state is Stable.`);
    expect(r.out).toBe('');
    r = await cg('--delete', '--group', group);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`* Group '${group}' could not be deleted due to: GroupNotEmptyException: The group is not empty.`);
    expect(await committed(group)).toEqual([[0, 10], [1, 10], [2, 10]]);

    // the members leave; more records: lag, and no member columns
    for (const m of members) await m.disconnect();
    await until('the group empty', async () => (await cc.describeGroups([group]))[0]!.state === 'Empty');
    await produce(10, 5);
    r = await cg('--describe', '--group', group);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`Consumer group '${group}' has no active members.`);
    expect(rows(r.out, OFFSETS_HEADER)).toEqual([0, 1, 2].map((p) => [group, topic, String(p), '10', '15', '5', '-', '-', '-']));
    r = await cg('--describe', '--group', group, '--members');
    expect([r.code, r.out.trim()]).toEqual([0, '']);
    expect(r.err).toContain('has no active members');
    r = await cg('--describe', '--group', group, '--state');
    expect(rows(r.out, /^GROUP\s+COORDINATOR/)[0]!.slice(3)).toEqual(['Empty', '0']);

    // dry runs (the default, with a warning; or --dry-run): the plan, nothing committed
    r = await cg('--reset-offsets', '--group', group, '--topic', topic, '--to-offset', '3');
    expect(r.code).toBe(0);
    expect(r.err).toContain('WARN: No action will be performed as the --execute option is missing.');
    expect(rows(r.out, PLAN_HEADER)).toEqual([0, 1, 2].map((p) => [group, topic, String(p), '3']));
    const plan = async (...args: string[]) => {
      const x = await cg('--reset-offsets', '--group', group, '--dry-run', ...args);
      expect(x.code, x.err).toBe(0);
      return { plan: rows(x.out, PLAN_HEADER).map((c) => [Number(c[2]), Number(c[3])]), err: x.err };
    };
    expect((await plan('--topic', `${topic}:0,2`, '--shift-by', '-4')).plan).toEqual([[0, 6], [2, 6]]);
    const high = await plan('--all-topics', '--shift-by', '100');
    expect(high.plan).toEqual([[0, 15], [1, 15], [2, 15]]);
    expect(high.err).toContain(`WARN: New offset (110) is higher than latest offset for topic partition ${topic}-0. Value will be set to 15`);
    const low = await plan('--all-topics', '--to-offset', '-5');
    expect(low.plan).toEqual([[0, 0], [1, 0], [2, 0]]);
    expect(low.err).toContain('is lower than earliest offset');
    expect((await plan('--topic', `${topic}:1`, '--to-earliest')).plan).toEqual([[1, 0]]);
    expect((await plan('--all-topics', '--to-latest')).plan).toEqual([[0, 15], [1, 15], [2, 15]]);
    expect((await plan('--all-topics', '--to-current')).plan).toEqual([[0, 10], [1, 10], [2, 10]]);
    // record i has timestamp BASE_TS + i s: the first at or after +3.5 s is offset 4; none after +1 h: the log end
    expect((await plan('--all-topics', '--to-datetime', iso(BASE_TS + 3500))).plan).toEqual([[0, 4], [1, 4], [2, 4]]);
    expect((await plan('--topic', topic, '--to-datetime', `${iso(BASE_TS + 3_600_000)}Z`)).plan).toEqual([[0, 15], [1, 15], [2, 15]]);
    expect(await committed(group)).toEqual([[0, 10], [1, 10], [2, 10]]);

    // --execute: committed; the table shows it
    r = await cg('--reset-offsets', '--group', group, '--all-topics', '--to-datetime', iso(BASE_TS + 6500), '--execute');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(rows(r.out, PLAN_HEADER)).toEqual([0, 1, 2].map((p) => [group, topic, String(p), '7']));
    expect(await committed(group)).toEqual([[0, 7], [1, 7], [2, 7]]);
    r = await cg('--reset-offsets', '--group', group, '--topic', `${topic}:1`, '--shift-by', '-2', '--execute');
    expect(r.code).toBe(0);
    expect(await committed(group)).toEqual([[0, 7], [1, 5], [2, 7]]);
    r = await cg('--describe', '--group', group);
    expect(rows(r.out, OFFSETS_HEADER).map((c) => c.slice(2, 6))).toEqual([['0', '7', '15', '8'], ['1', '5', '15', '10'], ['2', '7', '15', '8']]);

    // a consumer of the group goes on from there
    const again: Got[] = [];
    const resumed = await member(group, again);
    await until('the rest consumed and committed', async () => again.length >= 26 && (await committed(group)).every(([, o]) => o === 15), 60_000);
    await resumed.disconnect();
    const first = [0, 1, 2].map((p) => Math.min(...again.filter((g) => g.partition === p).map((g) => g.offset)));
    expect(first).toEqual([7, 5, 7]);
    expect(again).toHaveLength(26);

    // and once empty again the group can be deleted, with its offsets
    await until('the group empty', async () => (await cc.describeGroups([group]))[0]!.state === 'Empty');
    r = await cg('--delete', '--group', group);
    expect([r.code, r.out.trim()]).toEqual([0, `Deletion of requested consumer groups ('${group}') was successful.`]);
    expect(await cc.fetchOffsets(group, null)).toEqual([]);
    r = await cg('--list');
    expect(r.out.split('\n')).not.toContain(group);
    r = await cg('--describe', '--group', group);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`Error: Consumer group '${group}' does not exist.`);
  }, 180_000);

  it('deletes several groups, reporting each that cannot go; DeleteGroups over the wire answers as Kafka does', async () => {
    await cc.commitOffsets('cg-d1', [{ topic, partition: 0, offset: 1 }]);
    await cc.commitOffsets('cg-d2', [{ topic, partition: 1, offset: 2 }]);
    let r = await cg('--delete', '--group', 'cg-d1', '--group', 'cg-nope');
    expect(r.code).toBe(1);
    expect(r.err).toContain('Error: Deletion of some consumer groups failed:');
    expect(r.err).toContain("* Group 'cg-nope' could not be deleted due to: GroupIdNotFoundException: The group id does not exist.");
    expect(r.out).toContain("These consumer groups were deleted successfully: 'cg-d1'");
    expect(await cc.fetchOffsets('cg-d1', null)).toEqual([]);

    // the wire: the coordinator answers for its groups (each once), another broker NOT_COORDINATOR
    const coordinator = await cc.findCoordinator('cg-d2');
    const other = [...cluster.brokers.values()].find((b) => b.id !== coordinator.nodeId)!;
    const send = async (port: number, groups: string[], version: number) => {
      const conn = new KafkaConnection('127.0.0.1', port, { clientId: 'raw' });
      try {
        const codec = API_CODECS[ApiKey.DeleteGroups];
        return codec.decodeResponse((await conn.request(codec.apiKey, version, (w) => void codec.encodeRequest(w, version, { groups })))!, version);
      } finally {
        conn.close();
      }
    };
    const notMine = await send(other.port, ['cg-d2'], 0);
    expect(notMine.results).toEqual([{ groupId: 'cg-d2', errorCode: ErrorCode.NOT_COORDINATOR }]);
    expect(await cc.fetchOffsets('cg-d2', null)).toHaveLength(1);
    const mine = await send(coordinator.port, ['cg-d2', 'cg-d2', ''], 1);
    expect(mine).toEqual({
      throttleTimeMs: 0,
      results: [
        { groupId: 'cg-d2', errorCode: ErrorCode.NONE },
        { groupId: '', errorCode: ErrorCode.INVALID_GROUP_ID },
      ],
    });
    expect(await cc.fetchOffsets('cg-d2', null)).toEqual([]);

    // kafkajs's admin.deleteGroups speaks it too
    await cc.commitOffsets('cg-d3', [{ topic, partition: 2, offset: 3 }]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.deleteGroups(['cg-d3'])).toEqual([{ groupId: 'cg-d3', errorCode: 0 }]);
    } finally {
      await admin.disconnect();
    }
    expect(await cc.fetchOffsets('cg-d3', null)).toEqual([]);
  }, 60_000);

  it('bad input: a clear error, exit code 1, and nothing written', async () => {
    await cc.commitOffsets('cg-bad', [0, 1, 2].map((partition) => ({ topic, partition, offset: 2 })));
    const cases: [string[], RegExp][] = [
      [['--zookeeper', cluster.zkConnect, '--bootstrap-server', bs, '--list'], /exactly one of --zookeeper .* and --bootstrap-server/],
      [['--list'], /exactly one of --zookeeper .* and --bootstrap-server/],
      [['--bootstrap-server', bs], /exactly one action: --list, --describe, --delete, --reset-offsets/],
      [['--bootstrap-server', bs, '--list', '--describe', '--group', 'cg-bad'], /exactly one action/],
      [['--bootstrap-server', bs, '--describe'], /--describe needs --group/],
      [['--bootstrap-server', bs, '--describe', '--group', 'cg-bad', '--members', '--state'], /mutually exclusive/],
      [['--bootstrap-server', bs, '--describe', '--group', 'cg-bad', '--format', 'offset-checker'], /--format is for --zookeeper/],
      [['--bootstrap-server', bs, '--describe', '--group', 'cg-bad', '--topic', topic], /--topic can only be used with --reset-offsets/],
      [['--bootstrap-server', bs, '--list', '--verbose'], /--verbose can only be used with --describe/],
      [['--bootstrap-server', bs, '--delete', '--group', 'cg-bad', '--topic', topic], /does not support topic-specific offset deletion/],
      [['--bootstrap-server', bs, '--describe', '--group', 'cg-bad', '--execute'], /--execute can only be used with --reset-offsets/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--all-topics', '--execute'], /requires exactly one of the following scenarios/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--all-topics', '--to-earliest', '--to-latest', '--execute'], /exactly one of the following scenarios.*\(got --to-earliest, --to-latest\)/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--all-topics', '--to-earliest', '--dry-run', '--execute'], /only accepts one of --execute and --dry-run/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--to-earliest', '--execute'], /One of the reset scopes should be defined: --all-topics, --topic/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--all-topics', '--topic', topic, '--to-earliest', '--execute'], /--all-topics and --topic cannot be used together/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--all-topics', '--to-offset', 'x', '--execute'], /--to-offset must be an integer/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--all-topics', '--to-datetime', '2024-13-01T00:00:00.000', '--execute'], /--to-datetime must be YYYY-MM-DDTHH:mm:SS.sss/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--topic', `${topic}:a`, '--to-earliest', '--execute'], /must be a topic or topic:partition/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--topic', 'no-such-topic', '--to-earliest', '--execute'], /Error: Topic 'no-such-topic' does not exist/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-bad', '--topic', `${topic}:1,7`, '--to-earliest', '--execute'], /Error: Topic 'cgt' has no partition 7/],
      [['--bootstrap-server', bs, '--reset-offsets', '--group', 'cg-never', '--all-topics', '--to-earliest', '--execute'], /Error: Consumer group 'cg-never' does not exist/],
      [['--bootstrap-server', bs, '--describe', '--group', 'cg-never'], /Error: Consumer group 'cg-never' does not exist/],
      [['--bootstrap-server', bs, '--describe', '--group', 'cg-never', '--state'], /Error: Consumer group 'cg-never' does not exist/],
      [['--bootstrap-server', bs, '--describe', '--group', 'cg-never', '--members'], /Error: Consumer group 'cg-never' does not exist/],
      [['--zookeeper', cluster.zkConnect, '--describe', '--group', 'cg-bad', '--members'], /--members needs --bootstrap-server/],
      [['--zookeeper', cluster.zkConnect, '--reset-offsets', '--group', 'cg-bad', '--all-topics', '--to-earliest'], /--reset-offsets needs --bootstrap-server/],
      [['--bootstrap-server', '127.0.0.1:1', '--list', '--timeout', '2000'], /Error: Executing consumer group command failed due to .*no broker reachable/],
    ];
    const results = await Promise.all(cases.map(([args]) => run('kafka-consumer-groups.sh', args)));
    for (const [i, [args, msg]] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(msg);
      expect(r.out.trim(), args.join(' ')).toBe('');
    }
    expect(await committed('cg-bad')).toEqual([[0, 2], [1, 2], [2, 2]]);
    expect(await cc.fetchOffsets('cg-never', null)).toEqual([]);
    // a commit-only group (no members) is Empty: it can be described; two groups at once, one of them unknown
    let r = await cg('--describe', '--group', 'cg-bad');
    expect(r.code).toBe(0);
    expect(rows(r.out, OFFSETS_HEADER)).toEqual([0, 1, 2].map((p) => ['cg-bad', topic, String(p), '2', '15', '13', '-', '-', '-']));
    r = await cg('--describe', '--group', 'cg-never', '--group', 'cg-bad');
    expect(r.code).toBe(1);
    expect(r.err).toContain("Error: Consumer group 'cg-never' does not exist.");
    expect(rows(r.out, OFFSETS_HEADER)).toHaveLength(3);
  }, 60_000);

  it('--reset-offsets --topic gives a group that does not exist yet its first offsets, as Kafka does', async () => {
    const r = await cg('--reset-offsets', '--group', 'cg-new', '--topic', `${topic}:0`, '--topic', `${topic}:2`, '--to-offset', '4', '--execute');
    expect(r.code, r.err).toBe(0);
    expect(rows(r.out, PLAN_HEADER)).toEqual([['cg-new', topic, '0', '4'], ['cg-new', topic, '2', '4']]);
    expect(await committed('cg-new')).toEqual([[0, 4], [2, 4]]);
    expect((await cg('--list')).out.split('\n')).toContain('cg-new');
  });

  it('--zookeeper keeps showing the ZooKeeper groups only', async () => {
    const r = await run('kafka-consumer-groups.sh', ['--zookeeper', cluster.zkConnect, '--list']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe('');
    const d = await run('kafka-consumer-groups.sh', ['--zookeeper', cluster.zkConnect, '--describe', '--group', 'cg-bad']);
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/consumer group "cg-bad" does not exist/);
  });
});
