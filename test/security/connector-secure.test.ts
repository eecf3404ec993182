/**
 * The ZooKeeper consumer connector and the ZooKeeper-bootstrapped producer over secure
 * listeners, judged end to end on two brokers that have only SSL (mutual TLS) and SASL_SSL
 * listeners (inter-broker over SASL_SSL with PLAIN, the brokers logging in as the super user
 * admin) and ACLs on:
 *   - a Producer with zookeeper.connect and security.protocol=SASL_SSL finds the brokers'
 *     SASL_SSL endpoints in /brokers/ids and writes as the SCRAM user bob;
 *   - a connector group of two consumers, bob (SCRAM-SHA-512, Read on the topic and the group),
 *     consumes everything, rebalances when one leaves (the other then owns every partition and
 *     gets what is produced next), and commits its offsets to /consumers/<G>/offsets;
 *   - alice (Describe but no Read) and mallory (no ACL at all) get a KafkaError 29 naming the
 *     topic from the stream, and no record;
 *   - a client whose security.protocol no broker listens with (PLAINTEXT, SASL_PLAINTEXT) gets a
 *     clear error instead of talking to the wrong port;
 *   - kafka-console-consumer --bootstrap-server <SSL port> --group G --consumer.config (SSL with
 *     a client certificate, whose DN an ACL names) consumes through the connector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { makePki, type Pki } from '../helpers/pki.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { brokerIdPath, offsetPath } from '../../src/zk/paths.js';
import { decodeBrokerRegistration } from '../../src/zk/payloads.js';
import { Cluster } from '../../src/client/cluster.js';
import { Producer } from '../../src/client/producer/producer.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { ConsumerConnector } from '../../src/client/connector/consumer-connector.js';
import type { KafkaStream, ConsumerRecord } from '../../src/client/connector/stream.js';
import { NoListenerError } from '../../src/client/broker-endpoints.js';
import { KafkaError } from '../../src/common/errors.js';
import { CoordinatorClient } from '../../src/client/group/coordinator-client.js';
import { Logger } from '../../src/common/logger.js';
import type { ClientSecurity } from '../../src/network/client-security.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret";';
const scramJaas = (user: string, pw: string) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${pw}";`;
const PARTITIONS = 4;

describe('ZooKeeper consumer connector over SSL / SASL_SSL with ACLs', () => {
  let pki: Pki;
  let cluster: TestCluster;
  let ca: string;
  const ports = new Map<number, Record<string, number>>();
  const topic = `zksec-${Math.random().toString(16).slice(2, 8)}`;
  const group = `g-${topic}`;
  const admin = (): ClientSecurity => ({ protocol: 'SASL_SSL', tls: { ca: [ca] }, sasl: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' } });
  const tool = (name: string, args: string[]) => execFileSync(path.join(ROOT, 'bin', name), args, { encoding: 'utf8', timeout: 60_000 });
  const acls = (...args: string[]) => tool('kafka-acls.sh', ['--authorizer-properties', `zookeeper.connect=${cluster.zkConnect}`, ...args]);
  const addScramUser = (user: string, pw: string) => tool('kafka-configs.sh', ['--zookeeper', cluster.zkConnect, '--alter', '--entity-type', 'users', '--entity-name', user, '--add-config', `SCRAM-SHA-512=[password=${pw}]`]);
  const consumerProps = (user: string, pw: string, g: string): Record<string, string> => ({
    'zookeeper.connect': cluster.zkConnect,
    'group.id': g,
    'auto.offset.reset': 'smallest',
    'rebalance.backoff.ms': '300',
    'zookeeper.session.timeout.ms': '6000',
    // the 0.8 default: a rebalance commits what was processed, so the next owner goes on from there
    'auto.commit.enable': 'true',
    'security.protocol': 'SASL_SSL',
    'ssl.truststore.location': pki.caCrt,
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': scramJaas(user, pw),
  });
  /** The console consumer's --consumer.config: SSL with the client certificate (principal pki.clientPrincipal). */
  const sslConfig = (): string => {
    const cfg = path.join(pki.dir, 'console-ssl.properties');
    writeFileSync(cfg, [`zookeeper.connect=${cluster.zkConnect}`, 'security.protocol=SSL', `ssl.truststore.location=${pki.caCrt}`, `ssl.keystore.location=${pki.clientPem}`].join('\n') + '\n');
    return cfg;
  };
  const readOffsetNode = async (g: string, p: number) => (await cluster.zk.get(offsetPath(g, topic, p)))?.data.toString();
  const quiet = () => new Logger('connector-secure');

  /** Latest offset of each partition, read as the super user. */
  async function endOffsets(t: string): Promise<number[]> {
    const c = new Cluster({ brokers: [...ports.values()].map((p) => ({ host: '127.0.0.1', port: p.SASL_SSL! })), security: admin() });
    try {
      const consumer = new SimpleConsumer(c);
      const out: number[] = [];
      for (let p = 0; p < PARTITIONS; p++) out.push(await consumer.seek(t, p, 'latest'));
      return out;
    } finally {
      c.close();
    }
  }

  /** Every record of a stream into `got`, each marked processed at once (so a commit covers it); ends when the connector closes. */
  function drain(connector: ConsumerConnector, stream: KafkaStream, got: ConsumerRecord[], errors: Error[] = []): Promise<void> {
    return (async () => {
      for (;;) {
        try {
          for await (const r of stream) {
            got.push(r);
            connector.markProcessed(r);
          }
          return;
        } catch (err) {
          errors.push(err as Error);
          if (stream.closed) return;
        }
      }
    })();
  }

  beforeAll(async () => {
    pki = makePki('carol');
    ca = readFileSync(pki.caCrt, 'utf8');
    cluster = new TestCluster('zksec', {
      listeners: 'SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'listener.name.ssl.ssl.client.auth': 'required',
      'inter.broker.listener.name': 'SASL_SSL',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
      'sasl.jaas.config': JAAS,
      'ssl.keystore.location': pki.brokerPem,
      'ssl.truststore.location': pki.caCrt,
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'super.users': 'User:admin',
      'offsets.topic.replication.factor': '1',
    });
    cluster.clientSecurity = admin();
    await cluster.start(2);
    for (const id of cluster.brokers.keys()) {
      const reg = decodeBrokerRegistration((await cluster.zk.get(brokerIdPath(id)))!.data);
      ports.set(id, Object.fromEntries((reg.endpoints ?? []).map((e) => [e.listener, e.port])));
    }
    addScramUser('bob', 'bob-secret');
    addScramUser('alice', 'alice-secret');
    addScramUser('mallory', 'mallory-secret');
    await createTopic(cluster.zk, topic, { partitions: PARTITIONS, replicationFactor: 1, assignment: new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, [(p % 2) + 1]])) });
    acls('--add', '--allow-principal', 'User:bob', '--producer', '--topic', topic);
    acls('--add', '--allow-principal', 'User:bob', '--consumer', '--topic', topic, '--group', group);
    acls('--add', '--allow-principal', 'User:alice', '--operation', 'Describe', '--topic', topic);
    acls('--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--group', `${group}-alice`);
    // every broker has loaded bob's ACLs: his Metadata for the topic answers without error
    for (const p of ports.values()) {
      const c = new Cluster({ brokers: `127.0.0.1:${p.SASL_SSL}`, security: { protocol: 'SASL_SSL', tls: { ca: [ca] }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'bob', password: 'bob-secret' } } });
      try {
        await until('bob to be allowed on every broker', async () => (await c.refresh([topic])).topics[0]?.errorCode === 0, 30_000, 200);
      } finally {
        c.close();
      }
    }
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    pki?.remove();
  });

  it('registers only SSL and SASL_SSL endpoints (no PLAINTEXT host/port)', async () => {
    const reg = JSON.parse((await cluster.zk.get(brokerIdPath(1)))!.data.toString());
    expect(reg.host).toBeNull();
    expect(reg.port).toBe(-1);
    expect(Object.keys(ports.get(1)!).sort()).toEqual(['SASL_SSL', 'SSL']);
  });

  it('a producer bootstrapped from ZooKeeper writes over SASL_SSL; a PLAINTEXT one is told no broker listens for it', async () => {
    const security: ClientSecurity = { protocol: 'SASL_SSL', tls: { ca: [ca] }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'bob', password: 'bob-secret' } };
    const producer = new Producer({ zookeeper: cluster.zkConnect, security, acks: -1 });
    try {
      await producer.sendBatch(Array.from({ length: 200 }, (_, i) => ({ topic, partition: i % PARTITIONS, value: `a${i}` })));
    } finally {
      await producer.close();
    }
    expect((await endOffsets(topic)).reduce((a, b) => a + b, 0)).toBe(200);
    await expect(Cluster.fromZooKeeper(cluster.zkConnect)).rejects.toThrow(/no broker registered in ZooKeeper has a listener for security\.protocol=PLAINTEXT \(brokers: 1: SSL:\/\/127\.0\.0\.1:\d+,SASL_SSL:\/\/127\.0\.0\.1:\d+/);
    await expect(Cluster.fromZooKeeper(cluster.zkConnect, { security: { protocol: 'SASL_PLAINTEXT', sasl: security.sasl } })).rejects.toBeInstanceOf(NoListenerError);
  }, 60_000);

  it('a group of two SCRAM consumers reads everything, rebalances when one leaves, and commits to ZooKeeper', async () => {
    const props = consumerProps('bob', 'bob-secret', group);
    const a = await ConsumerConnector.subscribe(props, [topic], { logger: quiet() });
    const b = await ConsumerConnector.subscribe(props, [topic], { logger: quiet() });
    const gotA: ConsumerRecord[] = [];
    const gotB: ConsumerRecord[] = [];
    const errors: Error[] = [];
    // Both read only once the group has settled: a reads alone until b has joined (its first
    // generation owns every partition), and whatever it processed then is committed at the
    // rebalance, so b would start past it; it could take all 200 records in that time.
    let doneA: Promise<void> | undefined;
    let doneB: Promise<void> | undefined;
    try {
      await until('both members to own two partitions each', () => a.connector.owned.length === 2 && b.connector.owned.length === 2, 30_000, 100);
      doneA = drain(a.connector, a.streams.get(topic)![0]!, gotA, errors);
      doneB = drain(b.connector, b.streams.get(topic)![0]!, gotB, errors);
      await until('the 200 records to be consumed', () => gotA.length + gotB.length >= 200, 60_000, 100);
      // at least once: a record may come twice around a rebalance, none may be missing
      const values = new Set([...gotA, ...gotB].map((r) => r.value!.toString()));
      expect([...values].sort()).toEqual(Array.from({ length: 200 }, (_, i) => `a${i}`).sort());
      expect(gotA.length).toBeGreaterThan(0);
      expect(gotB.length).toBeGreaterThan(0);
      expect(errors).toEqual([]);

      await b.connector.close();
      await doneB;
      await until('the remaining member to own every partition', () => a.connector.owned.length === PARTITIONS, 30_000, 100);
      const producer = new Producer({ brokers: `127.0.0.1:${ports.get(1)!.SASL_SSL}`, security: admin(), acks: -1 });
      try {
        await producer.sendBatch(Array.from({ length: 100 }, (_, i) => ({ topic, partition: i % PARTITIONS, value: `b${i}` })));
      } finally {
        await producer.close();
      }
      await until('the records produced after the rebalance', () => gotA.filter((r) => r.value!.toString().startsWith('b')).length >= 100, 60_000, 100);
      const all = new Set([...gotA, ...gotB].map((r) => r.value!.toString()));
      expect(all.size).toBe(300);
      expect(gotA.length + gotB.length).toBeLessThan(400); // not everything twice
      await a.connector.commitOffsets();
      const ends = await endOffsets(topic);
      for (let p = 0; p < PARTITIONS; p++) expect(Number((await cluster.zk.get(offsetPath(group, topic, p)))!.data.toString())).toBe(ends[p]);
      expect(errors).toEqual([]);
    } finally {
      await a.connector.close();
      await b.connector.close();
      await Promise.all([doneA, doneB]);
    }
  }, 150_000);

  it.each([
    ['alice', 'alice-secret', 'Describe but no Read'],
    ['mallory', 'mallory-secret', 'no ACL'],
  ])('%s (%s) gets a TOPIC_AUTHORIZATION_FAILED error naming the topic, and no record', async (user, pw) => {
    const { connector, streams } = await ConsumerConnector.subscribe(consumerProps(user, pw, `${group}-${user}`), [topic], { logger: quiet() });
    const stream = streams.get(topic)![0]!;
    try {
      const first = await stream.next().then(
        (r) => r,
        (e: unknown) => e,
      );
      expect(first).toBeInstanceOf(KafkaError);
      expect((first as KafkaError).code).toBe(29);
      expect((first as Error).message).toContain(`not authorized to read topic "${topic}" as user "${user}"`);
      expect(connector.owned.length).toBe(PARTITIONS);
      // still nothing, and the error again when the fetcher tries once more
      await new Promise((r) => setTimeout(r, 2500));
      expect(stream.poll()).toBeUndefined();
      await expect(stream.next()).rejects.toThrow(/not authorized to read topic/);
    } finally {
      await connector.close();
    }
  }, 60_000);

  it('a consumer whose security.protocol no broker listens with is refused at subscribe', async () => {
    const plain = { 'zookeeper.connect': cluster.zkConnect, 'group.id': `${group}-plain` };
    await expect(ConsumerConnector.subscribe(plain, [topic], { logger: quiet() })).rejects.toThrow(/no broker registered in ZooKeeper has a listener for security\.protocol=PLAINTEXT/);
    const saslPlain = { ...consumerProps('bob', 'bob-secret', `${group}-sp`), 'security.protocol': 'SASL_PLAINTEXT' };
    await expect(ConsumerConnector.subscribe(saslPlain, [topic], { logger: quiet() })).rejects.toBeInstanceOf(NoListenerError);
    // nothing was left registered
    expect((await cluster.zk.children(`/consumers/${group}-plain/ids`)) ?? []).toEqual([]);
  }, 30_000);

  it('the console consumer over SSL without Read says so and exits 1', () => {
    const cfg = sslConfig();
    let out = '';
    let code = 0;
    try {
      execFileSync(path.join(ROOT, 'bin/kafka-console-consumer.sh'), ['--bootstrap-server', `127.0.0.1:${ports.get(1)!.SSL}`, '--topic', topic, '--group', `${group}-denied`, '--from-beginning', '--max-messages', '1', '--timeout-ms', '20000', '--consumer.config', cfg], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      code = e.status;
      out = e.stdout + e.stderr;
    }
    expect(code).toBe(1);
    expect(out).toContain(`not authorized to read topic "${topic}" over SSL`);
    expect(out).toContain('Processed a total of 0 messages');
  }, 90_000);

  it('kafka-console-consumer --bootstrap-server <SSL> --group --consumer.config consumes over mutual TLS through the connector', async () => {
    const g = `${group}-console`;
    acls('--add', '--allow-principal', pki.clientPrincipal, '--consumer', '--topic', topic, '--group', g);
    const cfg = sslConfig();
    const total = (await endOffsets(topic)).reduce((x, y) => x + y, 0);
    expect(total).toBe(300);
    const run = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          path.join(ROOT, 'bin/kafka-console-consumer.sh'),
          ['--bootstrap-server', `127.0.0.1:${ports.get(1)!.SSL}`, '--topic', topic, '--group', g, '--from-beginning', '--max-messages', String(total), '--timeout-ms', '20000', '--consumer.config', cfg],
          { encoding: 'utf8', timeout: 90_000 },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    // the ACL reaches both brokers within a moment; until then the tool fails with the authorization error
    let r = await run();
    for (let i = 0; i < 3 && r.code !== 0 && /not authorized/.test(r.stderr); i++) r = await run();
    expect(r.stderr).toContain(`Processed a total of ${total} messages`);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(new Set(lines).size).toBe(total);
    expect(lines.filter((l) => /^a\d+$/.test(l))).toHaveLength(200);
    // and its offsets are in ZooKeeper
    const ends = await endOffsets(topic);
    for (let p = 0; p < PARTITIONS; p++) expect(Number((await cluster.zk.get(offsetPath(g, topic, p)))!.data.toString())).toBe(ends[p]);
  }, 180_000);

  it('kafka-consumer-groups --command-config: log end offsets over SASL_SSL (--zookeeper), every call over SASL_SSL (--bootstrap-server)', async () => {
    const cfg = path.join(pki.dir, 'groups-sasl.properties');
    writeFileSync(cfg, ['security.protocol=SASL_SSL', `ssl.truststore.location=${pki.caCrt}`, 'sasl.mechanism=SCRAM-SHA-512', `sasl.jaas.config=${scramJaas('bob', 'bob-secret')}`].join('\n') + '\n');
    const ends = await endOffsets(topic);
    const rows = (out: string) => out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    const secured = rows(tool('kafka-consumer-groups.sh', ['--zookeeper', cluster.zkConnect, '--describe', '--group', group, '--command-config', cfg]));
    expect(secured.map((r) => [r[0], Number(r[1]), r[2], r[3], r[4]])).toEqual(Array.from({ length: PARTITIONS }, (_, p) => [topic, p, String(ends[p]), String(ends[p]), '0']));
    // without it, no broker listens for PLAINTEXT: the log end offsets are unknown, not an error
    const plain = rows(tool('kafka-consumer-groups.sh', ['--zookeeper', cluster.zkConnect, '--describe', '--group', group]));
    expect(plain.map((r) => r[3])).toEqual(Array(PARTITIONS).fill('unknown'));
    const bootstrap = `127.0.0.1:${ports.get(1)!.SASL_SSL}`;
    expect(() => tool('kafka-consumer-groups.sh', ['--bootstrap-server', bootstrap, '--list', '--command-config', cfg])).not.toThrow();
    expect(() => execFileSync(path.join(ROOT, 'bin/kafka-consumer-groups.sh'), ['--bootstrap-server', bootstrap, '--list', '--timeout', '3000'], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] })).toThrow();
  }, 120_000);

  it('offsets.storage=kafka over SASL_SSL: commits to the group coordinator with Read on the group; without it the stream says GROUP_AUTHORIZATION_FAILED', async () => {
    const g = `${group}-kafka`;
    acls('--add', '--allow-principal', 'User:bob', '--consumer', '--topic', topic, '--group', g);
    const props = { ...consumerProps('bob', 'bob-secret', g), 'offsets.storage': 'kafka', 'dual.commit.enabled': 'false' };
    const producer = new Producer({ brokers: `127.0.0.1:${ports.get(1)!.SASL_SSL}`, security: admin(), acks: -1 });
    try {
      await producer.sendBatch(Array.from({ length: 20 }, (_, i) => ({ topic, partition: i % PARTITIONS, value: `k${i}` })));
    } finally {
      await producer.close();
    }
    const total = (await endOffsets(topic)).reduce((x, y) => x + y, 0);
    let c = await ConsumerConnector.subscribe(props, [topic], { logger: quiet() });
    const got: ConsumerRecord[] = [];
    const errors: Error[] = [];
    let done = drain(c.connector, c.streams.get(topic)![0]!, got, errors);
    try {
      // the ACL may reach the brokers a moment after kafka-acls returns
      await until('every record', () => new Set(got.map((r) => `${r.partition}/${r.offset}`)).size >= total, 60_000, 100);
      await c.connector.commitOffsets();
    } finally {
      await c.connector.close();
      await done;
    }
    const adminCluster = new Cluster({ brokers: `127.0.0.1:${ports.get(1)!.SASL_SSL}`, security: admin() });
    try {
      const cc = new CoordinatorClient(adminCluster, { timeoutMs: 20_000 });
      const offsets = await cc.fetchOffsets(g, Array.from({ length: PARTITIONS }, (_, p) => ({ topic, partition: p })));
      const ends = await endOffsets(topic);
      expect(offsets.map((o) => [o.partition, o.offset]).sort((a, b) => a[0]! - b[0]!)).toEqual(ends.map((e, p) => [p, e]));
      expect(await readOffsetNode(g, 0)).toBeUndefined(); // not in ZooKeeper
    } finally {
      adminCluster.close();
    }

    // no ACL on this group: the coordinator refuses it, and the application is told
    c = await ConsumerConnector.subscribe({ ...props, 'group.id': `${g}-denied` }, [topic], { logger: quiet() });
    try {
      const err = await c.streams.get(topic)![0]!.next().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(KafkaError);
      expect((err as KafkaError).code).toBe(30);
      expect(c.connector.owned).toEqual([]);
    } finally {
      await c.connector.close();
    }
  }, 120_000);

  it('console producer and console consumer (--zookeeper, a made-up group) over SASL_SSL with sasl.username / sasl.password', async () => {
    const t = `zksec-console-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, t, { partitions: 2, replicationFactor: 1, assignment: new Map([[0, [1]], [1, [2]]]) });
    acls('--add', '--allow-principal', 'User:bob', '--producer', '--consumer', '--topic', t, '--group', '*');
    const cfg = path.join(pki.dir, 'console-sasl.properties');
    writeFileSync(cfg, ['security.protocol=SASL_SSL', `ssl.truststore.location=${pki.caCrt}`, 'sasl.mechanism=SCRAM-SHA-512', 'sasl.username=bob', 'sasl.password=bob-secret'].join('\n') + '\n');
    const lines = Array.from({ length: 50 }, (_, i) => `line-${i}`);
    await until(
      'the console producer to be allowed',
      () => {
        try {
          execFileSync(path.join(ROOT, 'bin/kafka-console-producer.sh'), ['--broker-list', `127.0.0.1:${ports.get(2)!.SASL_SSL}`, '--topic', t, '--producer.config', cfg], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 60_000, stdio: ['pipe', 'pipe', 'pipe'] });
          return true;
        } catch {
          return false;
        }
      },
      20_000,
      500,
    );
    const out = execFileSync(path.join(ROOT, 'bin/kafka-console-consumer.sh'), ['--zookeeper', cluster.zkConnect, '--topic', t, '--from-beginning', '--max-messages', '50', '--timeout-ms', '20000', '--consumer.config', cfg], { encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out.trim().split('\n').sort()).toEqual([...lines].sort());
    // the made-up group was removed at exit
    expect(((await cluster.zk.children('/consumers')) ?? []).filter((g) => g.startsWith('console-consumer-'))).toEqual([]);
  }, 150_000);
});
