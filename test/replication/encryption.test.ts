/**
 * Encryption at rest through real broker processes and a real ZooKeeper:
 *  - a broker with log.encryption.key.file takes records from kafkajs and serves them back
 *    identical; its segment files hold no plaintext; kafka-dump-log.sh reads them with the key
 *    and lists them without it; a group-readable key file gets a warning; restarted without
 *    the key file the broker refuses to start, naming the partition and the key id;
 *  - a bad key file is a start-up error (exit 1) naming the property and the line;
 *  - RF=2 with each broker encrypting under its own key file: the follower encrypts what it
 *    copies with its own key, the leader is killed (SIGKILL, recovery decrypts on restart), a
 *    new one takes over, and every acknowledged record reads back intact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROKER_MAIN, TestCluster, until } from '../helpers/broker-cluster.js';
import { readTopic } from '../helpers/mirror.js';
import { Producer } from '../../src/client/producer/index.js';
import { ENCRYPTED_MAGIC } from '../../src/storage/encryption.js';
import { FAST, createReplicated, state, waitFullIsr } from './helpers.js';

const require = createRequire(import.meta.url);
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');
const DUMP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/kafka-dump-log.sh');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function keyFile(dir: string, name: string, ids: number[], mode = 0o600): string {
  const f = path.join(dir, name);
  writeFileSync(f, ids.map((id) => `${id}:${randomBytes(32).toString('hex')}`).join('\n') + '\n', { mode });
  return f;
}

function segmentFiles(cluster: TestCluster, brokerId: number, topic: string, partition = 0): string[] {
  const dir = path.join(cluster.brokers.get(brokerId)!.dir, 'logs', `${topic}-${partition}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Key ids of every stored batch (0 = plaintext) of a broker's copy of a partition. */
function storedKeyIds(files: string[]): number[] {
  const out: number[] = [];
  for (const f of files) {
    const buf = readFileSync(f);
    for (let at = 0; at + 12 <= buf.length; at += buf.readInt32BE(at + 8) + 12) out.push(buf[at + 16] === ENCRYPTED_MAGIC ? buf.readInt32BE(at + 61) : 0);
  }
  return out;
}

describe('encryption at rest in a broker', () => {
  it('a kafkajs round trip is identical, the segments hold no plaintext, kafka-dump-log reads them with the key', async () => {
    const keysDir = mkdtempSync(path.join(tmpdir(), 'zkafka-enc-keys-'));
    cleanups.push(() => rmSync(keysDir, { recursive: true, force: true }));
    const keys = keyFile(keysDir, 'keys', [3, 8], 0o640); // group-readable: a warning
    const cluster = new TestCluster('enc-one', { ...FAST, 'log.encryption.key.file': keys });
    cleanups.push(() => cluster.stop());
    await cluster.start(1);
    expect(cluster.brokers.get(1)!.output()).toMatch(/log\.encryption\.key\.file .*keys can be read by group or others \(mode 640\)/);
    expect(cluster.brokers.get(1)!.output()).not.toContain(readFileSync(keys, 'utf8').split('\n')[0]!.slice(2, 40));

    const kafka = new Kafka({ clientId: 'enc', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'enc-data', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`confidential-${i}-${'q'.repeat(i)}`), headers: { h: `hv${i}` } }));
    await producer.send({ topic: 'enc-data', acks: -1, messages: messages.slice(0, 30) });
    await producer.send({ topic: 'enc-data', acks: -1, compression: CompressionTypes.GZIP, messages: messages.slice(30) });
    await producer.disconnect();

    const got = await readTopic(cluster.bootstrap, 'enc-data');
    expect(got.map((r) => [r.key!.toString(), r.value!.toString(), r.headers.map((h) => `${h.key}=${h.value!.toString()}`).join()])).toEqual(
      messages.map((m) => [m.key, m.value.toString(), `h=${m.headers.h}`]),
    );
    const files = segmentFiles(cluster, 1, 'enc-data');
    const onDisk = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(onDisk.length).toBeGreaterThan(0);
    expect(onDisk.includes(Buffer.from('confidential-'))).toBe(false);
    expect(new Set(storedKeyIds(files))).toEqual(new Set([8]));

    // kafka-dump-log on the broker's live segment
    const withKey = spawnSync(DUMP, ['--files', files[0]!, '--print-data-log', '--encryption-key-file', keys], { encoding: 'utf8', timeout: 60_000 });
    expect(withKey.status).toBe(0);
    expect(withKey.stdout).toContain('payload: confidential-0');
    expect(withKey.stdout).toContain(`payload: confidential-29-${'q'.repeat(29)}`);
    expect(withKey.stdout).toMatch(/isvalid: true encrypted: true keyId: 8/);
    const listed = spawnSync(DUMP, ['--files', files[0]!, '--print-data-log'], { encoding: 'utf8', timeout: 60_000 });
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/isvalid: unverified encrypted: true keyId: 8/);
    expect(listed.stdout).not.toContain('confidential');

    // restarted without the key file: the broker refuses to start, naming the partition and key id
    expect(await cluster.stopBroker(1)).toBe(0);
    // (spawned here: the helper would wait for a registration that never comes)
    const props = path.join(cluster.baseDir, 'server-1.properties');
    const noKey = path.join(cluster.baseDir, 'server-1-nokey.properties');
    writeFileSync(noKey, readFileSync(props, 'utf8').replace(/^log\.encryption\.key\.file=.*$/m, ''));
    const refused = spawnSync(process.execPath, [BROKER_MAIN, noKey], { encoding: 'utf8', timeout: 60_000 });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/failed to start: partition enc-data-0, segment .*00000000000000000000\.log: the batch is encrypted with key id 8, which log\.encryption\.key\.file does not hold/);
    // with the key again it serves everything
    await cluster.startBroker(1);
    expect((await readTopic(cluster.bootstrap, 'enc-data')).map((r) => r.value!.toString())).toEqual(messages.map((m) => m.value.toString()));
  });

  it('a bad key file is a start-up error naming the property and the line (exit 1)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-enc-bad-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const bad = path.join(dir, 'keys');
    writeFileSync(bad, `# ok\n1:${'a'.repeat(64)}\n2:${'b'.repeat(62)}\n`, { mode: 0o600 });
    const props = path.join(dir, 'server.properties');
    const base = `broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=${path.join(dir, 'logs')}\nzookeeper.connect=127.0.0.1:1\n`;
    writeFileSync(props, `${base}log.encryption.key.file=${bad}\n`);
    const r = spawnSync(process.execPath, [BROKER_MAIN, props], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad config: log\.encryption\.key\.file .*keys, line 3: key 2 has 62 hex chars, AES-256 needs 64/);
    expect(r.stderr).not.toContain('a'.repeat(64));
    writeFileSync(props, `${base}log.encryption.key.file=${path.join(dir, 'missing')}\n`);
    const m = spawnSync(process.execPath, [BROKER_MAIN, props], { encoding: 'utf8', timeout: 60_000 });
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/log\.encryption\.key\.file .*missing: cannot read it/);
  });

  it('RF=2, each broker with its own key: the follower encrypts with its key; a killed leader fails over and every record reads back', async () => {
    const keysDir = mkdtempSync(path.join(tmpdir(), 'zkafka-enc-keys-'));
    cleanups.push(() => rmSync(keysDir, { recursive: true, force: true }));
    const keyOf = { 1: keyFile(keysDir, 'keys-1', [11]), 2: keyFile(keysDir, 'keys-2', [22]) } as Record<number, string>;
    const cluster = new TestCluster('enc-rep', FAST);
    cleanups.push(() => cluster.stop());
    await cluster.start(0);
    for (const id of [1, 2]) await cluster.startBroker(id, { 'log.encryption.key.file': keyOf[id]! });
    await cluster.waitForMetadata();
    const topic = 'enc-rep';
    await createReplicated(cluster, topic, 1, 2, { 'min.insync.replicas': '1' });

    const producer = new Producer({ brokers: cluster.bootstrap, acks: 'all', lingerMs: 2, clientId: 'enc-rep' });
    cleanups.push(() => producer.close());
    const acked: string[] = [];
    const send = async (from: number, n: number) => {
      await Promise.all(Array.from({ length: n }, (_, i) => producer.send({ topic, key: `k${(from + i) % 13}`, value: `replicated-secret-${from + i}` }).then(() => void acked.push(`replicated-secret-${from + i}`))));
    };
    await send(0, 200);
    const leader = (await state(cluster, topic, 0))!.leader;
    const follower = leader === 1 ? 2 : 1;
    await until('the follower to copy every batch', () => {
      const n = storedKeyIds(segmentFiles(cluster, follower, topic)).length;
      return n > 0 && n === storedKeyIds(segmentFiles(cluster, leader, topic)).length;
    }, 20_000);
    for (const id of [1, 2]) {
      const files = segmentFiles(cluster, id, topic);
      expect(Buffer.concat(files.map((f) => readFileSync(f))).includes(Buffer.from('replicated-secret'))).toBe(false);
      expect(new Set(storedKeyIds(files))).toEqual(new Set([id === 1 ? 11 : 22]));
    }

    // the leader dies hard; the follower takes over and keeps taking writes
    await cluster.stopBroker(leader, 'SIGKILL');
    await until('a new leader', async () => (await state(cluster, topic, 0))?.leader === follower, 30_000);
    await send(200, 100);
    // the old leader comes back (recovery decrypts its segments with its key) and catches up
    await cluster.startBroker(leader, { 'log.encryption.key.file': keyOf[leader]! });
    await waitFullIsr(cluster, topic, 1, 2);
    await send(300, 50);
    const got = (await readTopic(cluster.bootstrap, topic)).map((r) => r.value!.toString());
    expect(got.length).toBe(350);
    expect(new Set(got)).toEqual(new Set(acked));
    // now the old leader leads again, and serves the same records from its own encrypted copy
    await cluster.stopBroker(follower, 'SIGTERM');
    await until('the old leader to lead again', async () => (await state(cluster, topic, 0))?.leader === leader, 30_000);
    const again = (await readTopic(cluster.bootstrap, topic)).map((r) => r.value!.toString());
    expect(again).toEqual(got);
    const files = segmentFiles(cluster, leader, topic);
    expect(Buffer.concat(files.map((f) => readFileSync(f))).includes(Buffer.from('replicated-secret'))).toBe(false);
    expect(new Set(storedKeyIds(files))).toEqual(new Set([leader === 1 ? 11 : 22]));
  });
});
