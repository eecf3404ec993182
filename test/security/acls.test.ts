/**
 * ACLs and inter-broker security on two brokers whose inter-broker listener is SASL_SSL (PLAIN,
 * the brokers log in as the super user admin), with Kafka's AclAuthorizer:
 *   a user without an ACL gets TOPIC_AUTHORIZATION_FAILED from kcat and kafkajs and writes
 *   nothing; kafka-acls.sh --producer/--consumer lets it in within a second; a Deny wins over an
 *   Allow; a forged replica_id Fetch (CVE-2018-1288) gets 29 and no records; mutual TLS maps the
 *   client certificate's DN to the principal an ACL names; replication keeps working over
 *   SASL_SSL across a SIGKILL of the leader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { makePki, type Pki } from '../helpers/pki.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { brokerIdPath, partitionStatePath } from '../../src/zk/paths.js';
import { decodeBrokerRegistration, decodePartitionState } from '../../src/zk/payloads.js';
import { Cluster, call } from '../../src/client/cluster.js';
import { Producer } from '../../src/client/producer/producer.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { KafkaConnection } from '../../src/network/client-connection.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { ClientSecurity } from '../../src/network/client-security.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

describe('ACLs, and replication over SASL_SSL', () => {
  let pki: Pki;
  let cluster: TestCluster;
  const ports = new Map<number, Record<string, number>>();
  let ca: string;
  const sec = (user: string, password: string): ClientSecurity => ({ protocol: 'SASL_SSL', tls: { ca: [ca] }, sasl: { mechanism: 'PLAIN', username: user, password } });
  const saslSsl = (id = 1) => `127.0.0.1:${ports.get(id)!.SASL_SSL}`;
  const kcatAs = (user: string, pw: string) => ['-X', 'security.protocol=sasl_ssl', '-X', `ssl.ca.location=${pki.caCrt}`, '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${user}`, '-X', `sasl.password=${pw}`];
  const acls = (...args: string[]) => execFileSync(path.join(ROOT, 'bin/kafka-acls.sh'), ['--authorizer-properties', `zookeeper.connect=${cluster.zkConnect}`, ...args], { encoding: 'utf8' });

  async function readPorts(): Promise<void> {
    for (const id of cluster.brokers.keys()) {
      const reg = decodeBrokerRegistration((await cluster.zk.get(brokerIdPath(id)))!.data);
      ports.set(id, Object.fromEntries((reg.endpoints ?? []).map((e) => [e.listener, e.port])));
    }
  }

  /** The latest offset of partition 0, read as the super user. */
  async function endOffset(topic: string): Promise<number> {
    const c = new Cluster({ brokers: saslSsl(), security: sec('admin', 'admin-secret') });
    try {
      const consumer = new SimpleConsumer(c);
      return await consumer.seek(topic, 0, 'latest');
    } finally {
      c.close();
    }
  }

  beforeAll(async () => {
    pki = makePki('carol');
    ca = readFileSync(pki.caCrt, 'utf8');
    cluster = await new TestCluster('acl', {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,MTLS://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL',
      'listener.name.mtls.ssl.client.auth': 'required',
      'inter.broker.listener.name': 'SASL_SSL',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.jaas.config': JAAS,
      'ssl.keystore.location': pki.brokerPem,
      'ssl.truststore.location': pki.caCrt,
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'super.users': 'User:admin',
      'offsets.topic.replication.factor': '1',
    }).start(2);
    await readPorts();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    pki?.remove();
  });

  it('a user without an ACL gets TOPIC_AUTHORIZATION_FAILED from kcat and kafkajs, and writes nothing', async () => {
    const topic = `acl-none-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [1]]]) });
    const r = spawnSync('kcat', ['-b', saslSsl(), ...kcatAs('alice', 'alice-secret'), '-P', '-t', topic, '-p', '0'], { input: 'nope\n', encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout + r.stderr).toMatch(/Topic authorization failed/i);
    const kafka = new Kafka({ clientId: 'acl-kjs', brokers: [saslSsl()], ssl: { ca: [ca] }, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const err = await producer.send({ topic, messages: [{ value: 'nope' }] }).then(() => undefined, (e: { type?: string; cause?: { type?: string } }) => e);
      // kafkajs wraps the protocol error (type TOPIC_AUTHORIZATION_FAILED) in a non-retriable one
      expect(err?.type ?? err?.cause?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await producer.disconnect();
    }
    expect(await endOffset(topic)).toBe(0);
  }, 60_000);

  it('kafka-acls.sh --producer / --consumer let the user in; a Deny wins over the Allow', async () => {
    const topic = `acl-ok-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [1]]]) });
    const added = acls('--add', '--allow-principal', 'User:alice', '--producer', '--topic', topic);
    expect(added).toContain(`ResourcePattern(resourceType=TOPIC, name=${topic}, patternType=LITERAL)`);
    expect(added).toContain('(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)');
    await until('alice to be allowed to write', () => spawnSync('kcat', ['-b', saslSsl(), ...kcatAs('alice', 'alice-secret'), '-P', '-t', topic, '-p', '0'], { input: 'hello\n', encoding: 'utf8', timeout: 30_000 }).status === 0 && true, 15_000, 200);
    acls('--add', '--allow-principal', 'User:alice', '--consumer', '--topic', topic, '--group', 'g-alice');
    const consume = () => spawnSync('kcat', ['-b', saslSsl(), ...kcatAs('alice', 'alice-secret'), '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%s\n'], { encoding: 'utf8', timeout: 8_000 });
    await until('alice to read', () => consume().stdout.includes('hello'), 15_000, 200);
    expect(acls('--list', '--topic', topic)).toMatch(/operation=READ, permissionType=ALLOW/);
    acls('--add', '--deny-principal', 'User:alice', '--operation', 'Read', '--topic', topic);
    await until('the Deny to win', () => /Topic authorization failed/i.test(consume().stderr) && true, 15_000, 200);
  }, 90_000);

  it('a forged replica_id Fetch (CVE-2018-1288) gets 29 on every partition and no records', async () => {
    const topic = `acl-forge-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 2, assignment: new Map([[0, [1, 2]]]) });
    acls('--add', '--allow-principal', 'User:alice', '--operation', 'All', '--topic', topic);
    const producer = new Producer({ brokers: saslSsl(), security: sec('admin', 'admin-secret'), acks: 'all' });
    await producer.send({ topic, value: 'secret' });
    await producer.close();
    const conn = new KafkaConnection('127.0.0.1', ports.get(1)!.SASL_SSL!, { security: sec('alice', 'alice-secret') });
    try {
      const res = await call(conn, API_CODECS[ApiKey.Fetch], 4, {
        replicaId: 2,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 1_000_000, maxBytes: 1 << 20 }] }],
      });
      const p = res!.topics[0]!.partitions[0]!;
      expect(p.errorCode).toBe(29);
      expect(p.records === null || p.records.length === 0).toBe(true);
    } finally {
      conn.close();
    }
    const state = decodePartitionState((await cluster.zk.get(partitionStatePath(topic, 0)))!.data);
    expect(state.isr.sort()).toEqual([1, 2]);
  }, 60_000);

  it("mutual TLS: the client certificate's DN is the principal an ACL names", async () => {
    const topic = `acl-mtls-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [1]]]) });
    const mtls = ['-b', `127.0.0.1:${ports.get(1)!.MTLS}`, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${pki.caCrt}`];
    const withCert = [...mtls, '-X', `ssl.certificate.location=${pki.clientCrt}`, '-X', `ssl.key.location=${pki.clientKey}`];
    const produce = (args: string[]) => spawnSync('kcat', [...args, '-P', '-t', topic, '-p', '0'], { input: 'mtls\n', encoding: 'utf8', timeout: 30_000 });
    expect(produce(withCert).stderr).toMatch(/Topic authorization failed/i);
    acls('--add', '--allow-principal', pki.clientPrincipal, '--producer', '--topic', topic);
    await until('the certificate principal to be allowed', () => produce(withCert).status === 0 && true, 15_000, 200);
    const noCert = spawnSync('kcat', [...mtls, '-L', '-m', '5'], { encoding: 'utf8', timeout: 30_000 });
    expect(noCert.status).not.toBe(0);
    expect(await endOffset(topic)).toBe(1);
  }, 60_000);

  it('replicates over SASL_SSL and keeps every record across a SIGKILL of the leader', async () => {
    const topic = `acl-repl-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 2, assignment: new Map([[0, [1, 2]]]) });
    const state = async () => decodePartitionState((await cluster.zk.get(partitionStatePath(topic, 0)))!.data);
    await until('both replicas in the ISR', async () => (await state()).isr.length === 2, 30_000, 100);
    const bootstrap = `${saslSsl(1)},${saslSsl(2)}`;
    const producer = new Producer({ brokers: bootstrap, security: sec('admin', 'admin-secret'), acks: 'all' });
    for (let i = 0; i < 50; i++) await producer.send({ topic, value: `r${i}` });
    const leader = (await state()).leader;
    await cluster.stopBroker(leader, 'SIGKILL');
    await until('a new leader', async () => {
      const s = await state();
      return s.leader >= 0 && s.leader !== leader;
    }, 30_000, 100);
    for (let i = 50; i < 100; i++) await producer.send({ topic, value: `r${i}` });
    await producer.close();
    const survivor = leader === 1 ? 2 : 1;
    const c = new Cluster({ brokers: saslSsl(survivor), security: sec('admin', 'admin-secret') });
    try {
      const consumer = new SimpleConsumer(c);
      await consumer.seek(topic, 0, 'earliest');
      const got: string[] = [];
      while (got.length < 100) for (const r of await consumer.poll()) got.push(r.value!.toString());
      expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    } finally {
      c.close();
    }
    await cluster.startBroker(leader);
    await readPorts();
    await until('the restarted broker back in the ISR (replicating over SASL_SSL)', async () => (await state()).isr.length === 2, 60_000, 200);
  }, 150_000);
});
