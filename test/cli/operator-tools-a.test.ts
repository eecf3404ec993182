/**
 * Three operator tools as a user runs them (bin/*.sh), against two real brokers:
 * kafka-get-offsets (latest, earliest, by timestamp, 0.8's offset lists), kafka-dump-log on a
 * broker's own segment files, and kafka-replica-verification (--once and the periodic report).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster, call } from '../../src/client/cluster.js';
import { Producer } from '../../src/client/producer/index.js';
import { ErrorCode } from '../../src/common/errors.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { splitBatches } from '../../src/protocol/records/record-batch.js';
import { topicPath } from '../../src/zk/paths.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');
function run(tool: string, args: string[]) {
  const r = spawnSync(path.join(BIN, tool), args, { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const STAMP = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}';
const T0 = 1_600_000_000_000;

describe('operator tools: get-offsets, dump-log, replica-verification', () => {
  const id = randomBytes(3).toString('hex');
  const rf2 = `ota-rf2-${id}`; // partition 0 led by broker 1, partition 1 by broker 2
  const rf1 = `ota-rf1-${id}`;
  let cluster: TestCluster;
  let brokers: string;

  beforeAll(async () => {
    cluster = await new TestCluster('operator-tools-a').start(2);
    brokers = cluster.bootstrap;
    await createTopic(cluster.zk, rf2, { partitions: 2, replicationFactor: 2, assignment: new Map([[0, [1, 2]], [1, [2, 1]]]) });
    await createTopic(cluster.zk, rf1, { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [1]]]) });
    const producer = new Producer({ brokers, acks: 'all', lingerMs: 0 });
    try {
      // partition 0: 10 records one second apart (one batch each); partition 1: 5; rf1: 3
      for (let i = 0; i < 10; i++) await producer.send({ topic: rf2, partition: 0, key: `k${i}`, value: `v${i}`, timestamp: T0 + i * 1000 });
      await Promise.all(Array.from({ length: 5 }, (_, i) => producer.send({ topic: rf2, partition: 1, value: `w${i}`, timestamp: T0 + i })));
      for (let i = 0; i < 3; i++) await producer.send({ topic: rf1, partition: 0, value: `x${i}` });
    } finally {
      await producer.close();
    }
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** The error broker 2 answers a Fetch with replica id -2 (Kafka's debugging consumer) for its follower copy of rf2's partition. */
  async function followerFetchError(partition: number): Promise<number> {
    const probe = new Cluster({ brokers });
    try {
      await probe.refresh();
      const res = (await call(probe.connectionTo(2), API_CODECS[ApiKey.Fetch], 4, {
        replicaId: -2, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
        topics: [{ topic: rf2, partitions: [{ partition, fetchOffset: 0, maxBytes: 1 << 20 }] }],
      }))!;
      return res.topics[0]!.partitions[0]!.errorCode;
    } finally {
      probe.close();
    }
  }
  /** Does this broker serve a follower's copy to Kafka's debugging consumer, as Kafka's brokers do? */
  let followerReadsAnswer: boolean | undefined;
  async function followerReads(): Promise<boolean> {
    if (followerReadsAnswer === undefined) {
      const code = await followerFetchError(0);
      expect([ErrorCode.NONE, ErrorCode.NOT_LEADER_FOR_PARTITION]).toContain(code);
      followerReadsAnswer = code === ErrorCode.NONE;
    }
    return followerReadsAnswer;
  }

  it('kafka-get-offsets prints the latest, earliest and by-timestamp offsets per partition', () => {
    const offsets = (...args: string[]) => run('kafka-get-offsets.sh', ['--broker-list', brokers, '--topic', rf2, ...args]);
    let r = offsets('--time', '-1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${rf2}:0:10\n${rf2}:1:5\n`);
    expect(offsets().out).toBe(`${rf2}:0:10\n${rf2}:1:5\n`); // -1 is the default
    expect(offsets('--time', '-2').out).toBe(`${rf2}:0:0\n${rf2}:1:0\n`);
    // the first record at or after the time; partition 1's records are all older: no offset
    r = offsets('--time', String(T0 + 4500));
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${rf2}:0:5\n${rf2}:1:\n`);
    expect(offsets('--time', String(T0), '--partitions', '1').out).toBe(`${rf2}:1:0\n`);
    expect(offsets('--time', '-1', '--partitions', '0', '--offsets', '5').out).toBe(`${rf2}:0:10,0\n`);
  });

  it('kafka-get-offsets refuses an unknown topic (without creating it), a missing partition and a bad time', async () => {
    const missing = `ota-missing-${id}`;
    const cases: [string[], RegExp][] = [
      [['--topic', missing], new RegExp(`topic "${missing}" does not exist`)],
      [['--topic', rf2, '--partitions', '0,7'], new RegExp(`topic "${rf2}" has no partition 7 \\(it has 2: 0,1\\)`)],
      [['--topic', rf2, '--time', 'yesterday'], /--time must be -1 \(latest\), -2 \(earliest\) or a timestamp in ms, got "yesterday"/],
      [['--topic', rf2, '--partitions', 'a'], /--partitions must be a comma-separated list/],
    ];
    for (const [args, msg] of cases) {
      const r = run('kafka-get-offsets.sh', ['--broker-list', brokers, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
    }
    expect(await cluster.zk.exists(topicPath(missing))).toBeFalsy();
    const noBroker = run('kafka-get-offsets.sh', ['--topic', rf2]);
    expect(noBroker.code).toBe(1);
    expect(noBroker.err).toMatch(/give --broker-list/);
  });

  it("kafka-dump-log reads a broker's live segment and index", () => {
    const seg = path.join(cluster.brokers.get(1)!.dir, 'logs', `${rf2}-0`, '00000000000000000000');
    let r = run('kafka-dump-log.sh', ['--files', `${seg}.log`, '--print-data-log']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const records = r.out.split('\n').filter((l) => l.startsWith('| offset:'));
    expect(records).toEqual(Array.from({ length: 10 }, (_, i) => expect.stringMatching(new RegExp(`^\\| offset: ${i} CreateTime: ${T0 + i * 1000} keysize: 2 valuesize: 2 sequence: -?\\d+ headerKeys: \\[\\] key: k${i} payload: v${i}$`))));
    const batches = r.out.split('\n').filter((l) => l.startsWith('baseOffset:'));
    expect(batches).toHaveLength(10);
    for (const b of batches) expect(b).toMatch(/producerId: -?\d+ .*partitionLeaderEpoch: \d+ .* magic: 2 compresscodec: NONE crc: \d+ isvalid: true$/);
    r = run('kafka-dump-log.sh', ['--files', `${seg}.index,${seg}.timeindex`, '--index-sanity-check']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${seg}.index passed sanity check.`);
    expect(r.out).toContain(`${seg}.timeindex passed sanity check.`);
  });

  it('kafka-replica-verification --once verifies a topic up to its high watermark', () => {
    const r = run('kafka-replica-verification.sh', ['--broker-list', brokers, '--topic-white-list', rf1, '--once']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^${STAMP}: verification process is started\\.$`));
    expect(lines[1]).toMatch(new RegExp(`^${STAMP}: max lag is 0 for partition \\[${rf1},0\\] at offset 3 among 1 partitions$`));
    expect(lines[2]).toMatch(/all 1 partitions verified up to their high watermarks: the replicas are identical$/);

    const none = run('kafka-replica-verification.sh', ['--broker-list', brokers, '--topic-white-list', `nothing-${id}.*`, '--once']);
    expect(none.code).toBe(1);
    expect(none.err).toContain(`no topic matches --topic-white-list ^(?:nothing-${id}.*)$`);
  });

  it('kafka-replica-verification --once reads every replica of an RF=2 topic', async () => {
    expect(await followerReads()).toBe(true);
    const r = run('kafka-replica-verification.sh', ['--broker-list', brokers, '--topic-white-list', `${rf2},${rf1}`, '--once']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`: max lag is 0 for partition \\[${rf1},0\\] at offset 3 among 3 partitions\\n`));
    expect(r.out).toContain('all 3 partitions verified up to their high watermarks');
  });

  it('kafka-replica-verification reports the max lag every interval until stopped', async () => {
    const child = spawn(path.join(BIN, 'kafka-replica-verification.sh'), ['--broker-list', brokers, '--topic-white-list', rf1, '--report-interval-ms', '300', '--max-wait-ms', '100', '--time', '-2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await until('two reports', () => (out.match(/max lag is/g) ?? []).length >= 2 || child.exitCode !== null, 30_000);
    } finally {
      child.kill('SIGTERM');
    }
    await exited;
    expect(err).toBe('');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/verification process is started\.$/);
    expect(lines[1]).toMatch(new RegExp(`^${STAMP}: max lag is 0 for partition \\[${rf1},0\\] at offset 3 among 1 partitions$`));
  });

  it('kafka-replica-verification finds a follower copy that differs from the leader', async () => {
    // broker 2 follows partition 0: stop it cleanly, flip a byte inside a record of its copy, start it again
    await cluster.stopBroker(2);
    const file = path.join(cluster.brokers.get(2)!.dir, 'logs', `${rf2}-0`, '00000000000000000000.log');
    const bytes = readFileSync(file);
    const b = splitBatches(bytes)[3]!;
    bytes[b.at + b.header.batchLength + 12 - 2]! ^= 0x01;
    writeFileSync(file, bytes);
    await cluster.startBroker(2);
    await until('broker 2 to serve its copy of partition 0 again', () => followerFetchError(0).then((e) => e === ErrorCode.NONE));
    const r = run('kafka-replica-verification.sh', ['--broker-list', brokers, '--topic-white-list', rf2, '--once']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^${STAMP}: partition \\[${rf2},0\\]: replica 2's batch at offsets 3\\.\\.3 fails its CRC check \\(stored checksum \\d+, computed \\d+\\)$`, 'm'));
  });
});
