/**
 * TLS and SASL judged by real clients against one broker with four listeners (PLAINTEXT, SSL,
 * SASL_PLAINTEXT, SASL_SSL), certificates made by openssl at test time:
 *   kcat over SSL, over SASL_PLAINTEXT with PLAIN and over SASL_SSL with SCRAM-SHA-256/512
 *   (a user added by kafka-configs.sh), kafkajs with ssl + scram-sha-512 (producer and a group
 *   consumer, so FindCoordinator answers the SASL_SSL endpoint), and our own Producer and
 *   SimpleConsumer over SASL_SSL; a wrong password fails and closes the connection.
 * Bad input, the broker staying up and serving another client: requests before
 * authentication, a huge pre-authentication frame, malformed PLAIN, an authzid other than the
 * user, an unknown mechanism, a SCRAM client-final with a changed nonce, garbage instead of a
 * TLS ClientHello, and a handshake that stalls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { makePki, type Pki } from '../helpers/pki.js';
import { RawClient, bytes, str } from '../helpers/raw-client.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { brokerIdPath } from '../../src/zk/paths.js';
import { decodeBrokerRegistration } from '../../src/zk/payloads.js';
import { Cluster } from '../../src/client/cluster.js';
import { Producer } from '../../src/client/producer/producer.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { clientProof } from '../../src/common/scram.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

function kcat(args: string[], input?: string): string {
  return execFileSync('kcat', args, { input, encoding: 'utf8', timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('TLS and SASL listeners', () => {
  let pki: Pki;
  let cluster: TestCluster;
  const ports: Record<string, number> = {};
  let ssl: string[];
  const topic = `sec-${Math.random().toString(16).slice(2, 8)}`;

  beforeAll(async () => {
    pki = makePki();
    cluster = await new TestCluster('sec', {
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': pki.brokerPem,
      'ssl.truststore.location': pki.caCrt,
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'sasl.jaas.config': JAAS,
      'offsets.topic.replication.factor': '1',
    }).start(1);
    const reg = decodeBrokerRegistration((await cluster.zk.get(brokerIdPath(1)))!.data);
    for (const e of reg.endpoints ?? []) ports[e.listener] = e.port;
    ssl = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${pki.caCrt}`];
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1 });
    // the SCRAM user, through the tool
    execFileSync(path.join(ROOT, 'bin/kafka-configs.sh'), ['--zookeeper', cluster.zkConnect, '--alter', '--entity-type', 'users', '--entity-name', 'bob', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=bob-secret],SCRAM-SHA-512=[password=bob-secret]'], { encoding: 'utf8' });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    pki?.remove();
  });

  const sasl = (mech: string, user: string, pw: string) => ['-X', `sasl.mechanisms=${mech}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${pw}`];
  const roundTrip = (bootstrap: string, extra: string[], lines: string[]): string[] => {
    kcat(['-b', bootstrap, ...extra, '-P', '-t', topic, '-p', '0'], lines.join('\n') + '\n');
    return kcat(['-b', bootstrap, ...extra, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%s\n']).trim().split('\n');
  };

  it('registers every listener (v4) and answers Metadata with the endpoints of the listener asked', () => {
    expect(Object.keys(ports).sort()).toEqual(['PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL', 'SSL']);
    const meta = JSON.parse(kcat(['-b', `127.0.0.1:${ports.SSL}`, ...ssl, '-L', '-J']));
    expect(meta.brokers).toEqual([{ id: 1, name: `127.0.0.1:${ports.SSL}` }]);
  });

  it('kcat over SSL produces and consumes', () => {
    const got = roundTrip(`127.0.0.1:${ports.SSL}`, ssl, ['ssl-1', 'ssl-2']);
    expect(got.slice(-2)).toEqual(['ssl-1', 'ssl-2']);
  });

  it('kcat over SASL_PLAINTEXT with PLAIN produces and consumes', () => {
    const got = roundTrip(`127.0.0.1:${ports.SASL_PLAINTEXT}`, ['-X', 'security.protocol=sasl_plaintext', ...sasl('PLAIN', 'alice', 'alice-secret')], ['plain-1']);
    expect(got.at(-1)).toBe('plain-1');
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'])('kcat over SASL_SSL with %s produces and consumes', (mech) => {
    const got = roundTrip(`127.0.0.1:${ports.SASL_SSL}`, ['-X', 'security.protocol=sasl_ssl', '-X', `ssl.ca.location=${pki.caCrt}`, ...sasl(mech, 'bob', 'bob-secret')], [`${mech}-x`]);
    expect(got.at(-1)).toBe(`${mech}-x`);
  });

  it('kafka-configs --describe shows the mechanisms, never the secrets', () => {
    const out = execFileSync(path.join(ROOT, 'bin/kafka-configs.sh'), ['--zookeeper', cluster.zkConnect, '--describe', '--entity-type', 'users', '--entity-name', 'bob'], { encoding: 'utf8' });
    expect(out).toBe("SCRAM credential configs for user-principal 'bob' are SCRAM-SHA-256=iterations=8192,SCRAM-SHA-512=iterations=4096\n");
  });

  it('a wrong password fails authentication (kcat) and the broker closes the connection (error 58 first)', async () => {
    const r = spawnSync('kcat', ['-b', `127.0.0.1:${ports.SASL_PLAINTEXT}`, '-X', 'security.protocol=sasl_plaintext', ...sasl('PLAIN', 'alice', 'wrong'), '-L', '-m', '5'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN/);
    const c = await saslStart('PLAIN');
    c.request(36, 1, 3, bytes(Buffer.from('\0alice\0wrong')));
    const f = await c.frame();
    expect(f).not.toBe('closed');
    expect((f as Buffer).readInt16BE(4)).toBe(58);
    expect(await c.frame()).toBe('closed');
  });

  it('kafkajs with ssl and SCRAM-SHA-512 produces and consumes in a group', async () => {
    const kafka = new Kafka({
      clientId: 'sec-kjs',
      brokers: [`127.0.0.1:${ports.SASL_SSL}`],
      ssl: { ca: [readFileSync(pki.caCrt, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' },
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 100 },
    });
    const t = `sec-kjs-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, t, { partitions: 1, replicationFactor: 1 });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: t, messages: [{ key: 'k', value: 'kafkajs over SASL_SSL' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `g-${t}` });
    await consumer.connect();
    await consumer.subscribe({ topic: t, fromBeginning: true });
    const got: string[] = [];
    await consumer.run({ eachMessage: async ({ message }: { message: { value: Buffer } }) => void got.push(message.value.toString()) });
    try {
      await until('kafkajs to consume the record', () => got.length > 0, 60_000, 100);
      expect(got).toEqual(['kafkajs over SASL_SSL']);
    } finally {
      await consumer.disconnect();
    }
  }, 90_000);

  it('our Producer and SimpleConsumer speak SASL_SSL with SCRAM-SHA-512', async () => {
    const security = { protocol: 'SASL_SSL' as const, tls: { ca: [readFileSync(pki.caCrt, 'utf8')] }, sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'bob', password: 'bob-secret' } };
    const producer = new Producer({ brokers: `127.0.0.1:${ports.SASL_SSL}`, security });
    const md = await producer.send({ topic, value: 'ours over SASL_SSL' });
    await producer.close();
    const c = new Cluster({ brokers: `127.0.0.1:${ports.SASL_SSL}`, security });
    try {
      const consumer = new SimpleConsumer(c);
      await consumer.seek(topic, 0, md.offset);
      const [r] = await consumer.poll();
      expect(r!.value!.toString()).toBe('ours over SASL_SSL');
    } finally {
      c.close();
    }
    const bad = new Cluster({ brokers: `127.0.0.1:${ports.SASL_SSL}`, security: { ...security, sasl: { ...security.sasl, password: 'nope' } }, requestTimeoutMs: 5000 });
    await expect(bad.refresh([])).rejects.toThrow(/invalid credentials|Authentication failed/);
    bad.close();
  });

  it('console tools and the perf tools take the security settings from --producer.config / --consumer.config', () => {
    const cfg = path.join(pki.dir, 'client.properties');
    writeFileSync(cfg, [
      'security.protocol=SASL_SSL',
      `ssl.truststore.location=${pki.caCrt}`,
      'sasl.mechanism=SCRAM-SHA-256',
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="bob-secret";',
    ].join('\n') + '\n');
    const bootstrap = `127.0.0.1:${ports.SASL_SSL}`;
    const t = `sec-tools-${Math.random().toString(16).slice(2, 8)}`;
    execFileSync(path.join(ROOT, 'bin/kafka-topics.sh'), ['--zookeeper', cluster.zkConnect, '--create', '--topic', t, '--partitions', '1', '--replication-factor', '1'], { encoding: 'utf8' });
    execFileSync(path.join(ROOT, 'bin/kafka-console-producer.sh'), ['--broker-list', bootstrap, '--topic', t, '--producer.config', cfg], { input: 'one\ntwo\n', encoding: 'utf8', timeout: 30_000 });
    const out = execFileSync(path.join(ROOT, 'bin/kafka-console-consumer.sh'), ['--bootstrap-server', bootstrap, '--topic', t, '--from-beginning', '--max-messages', '2', '--consumer.config', cfg], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out.trim().split('\n')).toEqual(['one', 'two']);
    const perf = execFileSync(path.join(ROOT, 'bin/kafka-producer-perf-test.sh'), ['--topic', t, '--num-records', '1000', '--record-size', '100', '--throughput', '-1', '--producer.config', cfg, '--producer-props', `bootstrap.servers=${bootstrap}`], { encoding: 'utf8', timeout: 60_000 });
    expect(perf).toMatch(/1000 records sent/);
    const cperf = execFileSync(path.join(ROOT, 'bin/kafka-consumer-perf-test.sh'), ['--broker-list', bootstrap, '--topic', t, '--messages', '1002', '--hide-header', '--consumer.config', cfg], { encoding: 'utf8', timeout: 60_000 });
    expect(cperf.split(', ')[4]).toBe('1002');
  }, 120_000);

  // ---- bad input ------------------------------------------------------------------------------

  async function saslStart(mechanism: string, version = 1): Promise<RawClient> {
    const c = await RawClient.connect(ports.SASL_PLAINTEXT!);
    c.request(17, version, 1, str(mechanism));
    const f = await c.frame();
    if (f === 'closed' || f.readInt16BE(4) !== 0) throw new Error(`handshake for ${mechanism} refused`);
    return c;
  }

  const stillServes = (): void => {
    const meta = JSON.parse(kcat(['-b', `127.0.0.1:${ports.PLAINTEXT}`, '-L', '-J']));
    expect(meta.brokers).toHaveLength(1);
  };

  it('closes a connection whose first request is not ApiVersions or SaslHandshake, unparsed', async () => {
    const c = await RawClient.connect(ports.SASL_PLAINTEXT!);
    // Metadata v1 claiming 0x7fffffff topics in a few bytes
    c.request(3, 1, 1, Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    expect(await c.frame()).toBe('closed');
    const d = await RawClient.connect(ports.SASL_PLAINTEXT!);
    d.request(18, 1, 1);
    const av = await d.frame();
    expect(av).not.toBe('closed');
    const keys: number[] = [];
    const b = av as Buffer;
    for (let i = 0, n = b.readInt32BE(6); i < n; i++) keys.push(b.readInt16BE(10 + i * 6));
    expect(keys).toEqual(expect.arrayContaining([17, 36]));
    d.request(3, 1, 2, Buffer.from([0, 0, 0, 0]));
    expect(await d.frame()).toBe('closed');
    stillServes();
  });

  it('refuses a pre-authentication frame larger than sasl.server.max.receive.size without allocating it', async () => {
    const before = rssOf(cluster.brokers.get(1)!.proc.pid!);
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(ports.SASL_SSL!, { ca: [readFileSync(pki.caCrt, 'utf8')] })));
    for (const c of clients) c.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 17, 0, 1]));
    for (const c of clients) expect(await c.frame()).toBe('closed');
    // 20 frames of 2 GiB were announced; the broker holds nowhere near that
    expect(rssOf(cluster.brokers.get(1)!.proc.pid!) - before).toBeLessThan(100 * 1024 * 1024);
    stillServes();
  });

  it('answers an unknown mechanism with 33 and the enabled list, then closes', async () => {
    const c = await RawClient.connect(ports.SASL_PLAINTEXT!);
    c.request(17, 1, 1, str('GSSAPI'));
    const f = (await c.frame()) as Buffer;
    expect(f.readInt16BE(4)).toBe(33);
    expect(f.toString('latin1')).toContain('SCRAM-SHA-512');
    expect(await c.frame()).toBe('closed');
  });

  it.each([
    ['two tokens', '\0alice'],
    ['an empty password', '\0alice\0'],
    ['an authzid other than the user (CVE-2017-12610)', 'bob\0alice\0alice-secret'],
    ['four tokens', '\0alice\0alice-secret\0x'],
  ])('refuses a PLAIN message with %s (58, then close)', async (_name, token) => {
    const c = await saslStart('PLAIN');
    c.request(36, 1, 2, bytes(Buffer.from(token)));
    const f = (await c.frame()) as Buffer;
    expect(f.readInt16BE(4)).toBe(58);
    expect(await c.frame()).toBe('closed');
  });

  it('v0 framing: raw tokens; a good one authenticates, a bad one just closes', async () => {
    const good = await saslStart('PLAIN', 0);
    good.token(Buffer.from('\0alice\0alice-secret'));
    expect(await good.frame()).toEqual(Buffer.alloc(0));
    good.request(3, 1, 5, Buffer.from([0, 0, 0, 0]));
    const meta = await good.frame();
    expect(meta).not.toBe('closed');
    expect((meta as Buffer).readInt32BE(0)).toBe(5);
    good.close();
    const bad = await saslStart('PLAIN', 0);
    bad.token(Buffer.from('\0alice\0wrong'));
    expect(await bad.frame()).toBe('closed');
  });

  async function scramFirst(c: RawClient, first: string): Promise<string | 'closed'> {
    c.request(36, 1, 2, bytes(Buffer.from(first)));
    const f = await c.frame();
    if (f === 'closed') return f;
    if (f.readInt16BE(4) !== 0) return `error ${f.readInt16BE(4)}`;
    const msgLen = f.readInt16BE(6);
    const at = 8 + Math.max(0, msgLen);
    return f.subarray(at + 4, at + 4 + f.readInt32BE(at)).toString();
  }

  it('refuses a SCRAM client-final whose nonce is not the server nonce, and a SCRAM authzid other than the user', async () => {
    const c = await saslStart('SCRAM-SHA-256');
    const serverFirst = await scramFirst(c, 'n,,n=bob,r=clientnonce');
    expect(serverFirst).toMatch(/^r=clientnonce[^,]+,s=[^,]+,i=8192$/);
    const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
    // a correct proof, but for a nonce the server never gave
    const forged = `c=biws,r=clientnonceXYZ`;
    const { proof } = clientProof('SCRAM-SHA-256', 'bob-secret', Buffer.from(attrs.s!, 'base64'), 8192, `n=bob,r=clientnonce,${serverFirst},${forged}`);
    c.request(36, 1, 3, bytes(Buffer.from(`${forged},p=${proof.toString('base64')}`)));
    expect(((await c.frame()) as Buffer).readInt16BE(4)).toBe(58);
    expect(await c.frame()).toBe('closed');

    const d = await saslStart('SCRAM-SHA-256');
    expect(await scramFirst(d, 'n,a=alice,n=bob,r=abc')).toBe('error 58');
    expect(await d.frame()).toBe('closed');
    const e = await saslStart('SCRAM-SHA-512');
    expect(await scramFirst(e, 'garbage')).toBe('error 58');
    stillServes();
  });

  it('survives garbage instead of a ClientHello and a handshake that stalls, serving others meanwhile', async () => {
    const garbage = await RawClient.connect(ports.SSL!);
    garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n' + 'z'.repeat(5000)));
    await until('the broker to drop the garbage connection', () => garbage.closed, 15_000);
    const stalled = await RawClient.connect(ports.SSL!);
    stalled.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // a ClientHello that never comes
    const got = roundTrip(`127.0.0.1:${ports.SSL}`, ssl, ['while-stalled']);
    expect(got.at(-1)).toBe('while-stalled');
    expect(stalled.closed).toBe(false);
    await until('the stalled handshake to time out', () => stalled.closed, 20_000, 100);
    stillServes();
  }, 60_000);
});

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}
