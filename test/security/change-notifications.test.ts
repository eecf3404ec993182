/**
 * Old change notifications are deleted, as Kafka's ZkNodeChangeNotificationListener does
 * (changeExpirationMs, 15 minutes; here lowered to 3 s with the internal broker setting
 * zkafka.internal.change.notification.expiration.ms), on a real broker with the ACL authorizer:
 *   - notifications already old when the broker starts (/kafka-acl-changes,
 *     /kafka-acl-extended-changes, /config/changes) are gone once it has started;
 *   - a fresh notification is applied and kept; once it is older than the expiry, the next
 *     change under the same root deletes it, and that next change is applied too (an ACL that
 *     lets alice see a topic, a prefixed ACL, a topic's max.message.bytes);
 *   - with Kafka's default expiry nothing young is deleted (the broker keeps what it just wrote).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { ZkClient } from '../../src/zk/client.js';
import { configChangesPath } from '../../src/zk/paths.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { alterEntityConfig } from '../../src/admin/config-admin.js';
import { addAcls, aclChangesPath, aclExtendedChangesPath, type Resource } from '../../src/admin/acls.js';
import { Cluster } from '../../src/client/cluster.js';
import { Producer } from '../../src/client/producer/producer.js';
import { decodeBrokerRegistration } from '../../src/zk/payloads.js';
import { brokerIdPath } from '../../src/zk/paths.js';
import { KafkaError } from '../../src/common/errors.js';
import type { ClientSecurity } from '../../src/network/client-security.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';
const EXPIRY_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('old change notifications are purged', () => {
  let cluster: TestCluster;
  let saslPort = 0;
  const alice: ClientSecurity = { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } };
  const suffix = Math.random().toString(16).slice(2, 8);
  const topic = `cn-${suffix}`;
  const prefixed = `p-${suffix}-x`;
  const other = `cn2-${suffix}`;
  const kids = async (root: string) => ((await cluster.zk.children(root)) ?? []).sort();

  /** The topic's Metadata error code as alice sees it (29: she may not see it). */
  async function aliceSees(t: string): Promise<number> {
    const c = new Cluster({ brokers: `127.0.0.1:${saslPort}`, security: alice });
    try {
      return (await c.refresh([t])).topics.find((x) => x.topic === t)?.errorCode ?? -1;
    } finally {
      c.close();
    }
  }

  /** Error code of producing a 1000-byte record to the topic (0 when written). */
  async function bigRecord(): Promise<number> {
    const p = new Producer({ brokers: cluster.bootstrap, retries: 0, acks: 1 });
    try {
      await p.send({ topic, partition: 0, value: Buffer.alloc(1000, 'x') });
      return 0;
    } catch (err) {
      return err instanceof KafkaError ? err.code : -1;
    } finally {
      await p.close();
    }
  }

  beforeAll(async () => {
    cluster = new TestCluster('change-purge', {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.jaas.config': JAAS,
      'authorizer.class.name': 'kafka.security.auth.SimpleAclAuthorizer',
      // the PLAINTEXT listener (the helper, the admin calls) is the super user
      'super.users': 'User:ANONYMOUS',
      'zkafka.internal.change.notification.expiration.ms': String(EXPIRY_MS),
    });
    // notifications written before the broker starts, old by the time it does
    const zk = await ZkClient.connect({ connectString: cluster.zkConnect, sessionTimeoutMs: 10_000 });
    try {
      for (let i = 0; i < 2; i++) await zk.create(`${aclChangesPath}/acl_changes_`, 'Topic:gone', { mode: 'persistent_sequential', parents: true });
      await zk.create(`${aclExtendedChangesPath}/acl_changes_`, JSON.stringify({ version: 1, resourceType: 'TOPIC', name: 'gone-', patternType: 'PREFIXED' }), { mode: 'persistent_sequential', parents: true });
      for (let i = 0; i < 2; i++) await zk.create(`${configChangesPath}/config_change_`, JSON.stringify({ version: 2, entity_path: 'topics/gone' }), { mode: 'persistent_sequential', parents: true });
      expect(((await zk.children(aclChangesPath)) ?? []).length).toBe(2);
    } finally {
      await zk.close();
    }
    await sleep(EXPIRY_MS + 500);
    await cluster.start(1);
    const reg = decodeBrokerRegistration((await cluster.zk.get(brokerIdPath(1)))!.data);
    saslPort = reg.endpoints!.find((e) => e.listener === 'SASL_PLAINTEXT')!.port;
    for (const t of [topic, prefixed, other]) await createTopic(cluster.zk, t, { partitions: 1, replicationFactor: 1 });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('deletes the notifications that were already old when the broker started', async () => {
    // the broker purges while it starts; it is registered (and answering) by now
    await until('the old notifications to be gone', async () => (await kids(aclChangesPath)).length === 0 && (await kids(aclExtendedChangesPath)).length === 0 && (await kids(configChangesPath)).length === 0, 10_000, 100);
  });

  it('applies and keeps a fresh notification; the next change, once it is old, deletes it and is applied too', async () => {
    expect(await aliceSees(topic)).toBe(29);
    const t: Resource = { type: 'Topic', name: topic, patternType: 'LITERAL' };
    await addAcls(cluster.zk, t, [{ principal: 'User:alice', permissionType: 'Allow', operation: 'Describe', host: '*' }]);
    await until('alice to see the topic', async () => (await aliceSees(topic)) === 0, 10_000, 100);
    await alterEntityConfig(cluster.zk, 'topics', topic, { 'max.message.bytes': '200' }, []);
    await until('max.message.bytes=200 to refuse a 1000-byte record', async () => (await bigRecord()) === 10, 10_000, 200);
    const firstAcl = await kids(aclChangesPath);
    const firstCfg = await kids(configChangesPath);
    expect(firstAcl).toHaveLength(1);
    expect(firstCfg).toHaveLength(1);
    expect(await kids(aclExtendedChangesPath)).toEqual([]);

    // nothing happens while no change comes, even past the expiry...
    await sleep(EXPIRY_MS + 500);
    expect(await kids(aclChangesPath)).toEqual(firstAcl);
    expect(await kids(configChangesPath)).toEqual(firstCfg);

    // ...the next change under each root purges the old ones, and is applied
    expect(await aliceSees(prefixed)).toBe(29);
    expect(await aliceSees(other)).toBe(29);
    await addAcls(cluster.zk, { type: 'Topic', name: `p-${suffix}`, patternType: 'PREFIXED' }, [{ principal: 'User:alice', permissionType: 'Allow', operation: 'Describe', host: '*' }]);
    await addAcls(cluster.zk, { type: 'Topic', name: other, patternType: 'LITERAL' }, [{ principal: 'User:alice', permissionType: 'Allow', operation: 'Describe', host: '*' }]);
    await alterEntityConfig(cluster.zk, 'topics', topic, { 'max.message.bytes': '100000' }, []);
    await until('the old ACL and config notifications to be purged', async () => {
      const acl = await kids(aclChangesPath);
      const cfg = await kids(configChangesPath);
      return acl.length === 1 && !acl.includes(firstAcl[0]!) && cfg.length === 1 && !cfg.includes(firstCfg[0]!);
    }, 10_000, 100);
    expect(await kids(aclExtendedChangesPath)).toHaveLength(1);
    await until('the prefixed and literal ACLs to apply', async () => (await aliceSees(prefixed)) === 0 && (await aliceSees(other)) === 0, 10_000, 100);
    await until('max.message.bytes=100000 to take a 1000-byte record', async () => (await bigRecord()) === 0, 10_000, 200);
    // the earlier ACL still holds (purging a notification changes no ACL)
    expect(await aliceSees(topic)).toBe(0);
  }, 60_000);
});

describe("with Kafka's default expiry", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('change-keep', { 'authorizer.class.name': 'kafka.security.auth.SimpleAclAuthorizer', 'super.users': 'User:ANONYMOUS' }).start(1);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps young notifications through later changes', async () => {
    const t = `keep-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, t, { partitions: 1, replicationFactor: 1 });
    for (let i = 0; i < 3; i++) {
      await addAcls(cluster.zk, { type: 'Topic', name: t, patternType: 'LITERAL' }, [{ principal: `User:u${i}`, permissionType: 'Allow', operation: 'Read', host: '*' }]);
      await alterEntityConfig(cluster.zk, 'topics', t, { 'retention.ms': String(100000 + i) }, []);
    }
    await sleep(1500); // the broker has processed them (and purged nothing)
    expect((await cluster.zk.children(aclChangesPath))!).toHaveLength(3);
    expect((await cluster.zk.children(configChangesPath))!.length).toBeGreaterThanOrEqual(3);
  }, 30_000);
});
