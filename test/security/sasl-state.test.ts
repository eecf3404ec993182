/**
 * SaslHandshake and SaslAuthenticate where they do not belong, as Kafka's KafkaApis answers
 * them: after a successful authentication, and on a listener without SASL, each gets
 * ILLEGAL_SASL_STATE (34) and the connection stays open (it was dropped without an answer);
 * our client configured for SASL against a PLAINTEXT listener then says why it failed.
 * SCRAM credentials are answered from the broker's memory (as Kafka's CredentialCache), updated
 * by the users/<name> change notification: a login never makes the broker read ZooKeeper.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { alterScramUser, sanitizeUser, userConfigPath } from '../../src/admin/scram-users.js';
import { encodeCredential, makeCredential } from '../../src/common/scram.js';
import { encodeTopicConfig } from '../../src/zk/payloads.js';
import { configChangePrefixPath } from '../../src/zk/paths.js';
import { SaslAuthenticationError } from '../../src/network/sasl-client.js';
import { RawClient, bytes, str } from '../helpers/raw-client.js';
import { brokerIdPath } from '../../src/zk/paths.js';
import { decodeBrokerRegistration } from '../../src/zk/payloads.js';
import { Cluster } from '../../src/client/cluster.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';

describe('SASL requests out of their state', () => {
  let cluster: TestCluster;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    cluster = await new TestCluster('sasl-state', {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
      'sasl.jaas.config': JAAS,
    }).start(1);
    const reg = decodeBrokerRegistration((await cluster.zk.get(brokerIdPath(1)))!.data);
    for (const e of reg.endpoints ?? []) ports[e.listener] = e.port;
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** error_code and the mechanisms of a SaslHandshake response frame. */
  const handshake = (f: Buffer) => {
    const n = f.readInt32BE(6);
    const mechs: string[] = [];
    let at = 10;
    for (let i = 0; i < n; i++) {
      const len = f.readInt16BE(at);
      mechs.push(f.subarray(at + 2, at + 2 + len).toString());
      at += 2 + len;
    }
    return { correlationId: f.readInt32BE(0), errorCode: f.readInt16BE(4), mechs };
  };
  const metadataWorks = async (c: RawClient, correlationId: number) => {
    c.request(3, 1, correlationId, Buffer.from([0, 0, 0, 0]));
    const f = await c.frame();
    expect(f).not.toBe('closed');
    expect((f as Buffer).readInt32BE(0)).toBe(correlationId);
  };

  it('after authentication: SaslHandshake and SaslAuthenticate get 34, and the connection goes on', async () => {
    const c = await RawClient.connect(ports.SASL_PLAINTEXT!);
    try {
      c.request(17, 1, 1, str('PLAIN'));
      expect(handshake((await c.frame()) as Buffer).errorCode).toBe(0);
      c.request(36, 1, 2, bytes(Buffer.from('\0alice\0alice-secret')));
      expect(((await c.frame()) as Buffer).readInt16BE(4)).toBe(0);
      c.request(17, 1, 3, str('PLAIN'));
      const h = handshake((await c.frame()) as Buffer);
      expect(h).toEqual({ correlationId: 3, errorCode: 34, mechs: ['PLAIN', 'SCRAM-SHA-256'] });
      c.request(36, 1, 4, bytes(Buffer.from('\0alice\0alice-secret')));
      const a = (await c.frame()) as Buffer;
      expect(a.readInt32BE(0)).toBe(4);
      expect(a.readInt16BE(4)).toBe(34);
      expect(a.toString('latin1')).toContain('SaslAuthenticate request received after successful authentication');
      await metadataWorks(c, 5);
    } finally {
      c.close();
    }
  });

  it('on a PLAINTEXT listener: 34 with no mechanism, the connection stays usable', async () => {
    const c = await RawClient.connect(ports.PLAINTEXT!);
    try {
      c.request(17, 0, 1, str('PLAIN'));
      expect(handshake((await c.frame()) as Buffer)).toEqual({ correlationId: 1, errorCode: 34, mechs: [] });
      c.request(36, 0, 2, bytes(Buffer.from('\0alice\0alice-secret')));
      expect(((await c.frame()) as Buffer).readInt16BE(4)).toBe(34);
      await metadataWorks(c, 3);
      // a version we do not speak still closes
      c.request(17, 7, 4, str('PLAIN'));
      expect(await c.frame()).toBe('closed');
    } finally {
      c.close();
    }
  });

  it('our client set up for SASL against the PLAINTEXT listener says the broker refused the SASL state', async () => {
    const c = new Cluster({ brokers: `127.0.0.1:${ports.PLAINTEXT}`, security: { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } }, requestTimeoutMs: 5000 });
    try {
      await expect(c.refresh([])).rejects.toThrow(/ILLEGAL_SASL_STATE/);
    } finally {
      c.close();
    }
  });

  it('SCRAM logins are answered from memory: a credential written without a notification counts only once one comes', async () => {
    const user = 'carl smith'; // a name ZooKeeper holds URL-encoded
    const login = async (password: string): Promise<boolean> => {
      const c = new Cluster({ brokers: `127.0.0.1:${ports.SASL_PLAINTEXT}`, security: { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: user, password } }, requestTimeoutMs: 5000 });
      try {
        await c.refresh([]);
        return true;
      } catch (err) {
        if (err instanceof SaslAuthenticationError) return false;
        throw err;
      } finally {
        c.close();
      }
    };
    expect(await login('carl-secret')).toBe(false);
    // written straight to ZooKeeper, without the notification kafka-configs writes
    await cluster.zk.create(userConfigPath(user), encodeTopicConfig({ 'SCRAM-SHA-256': encodeCredential(makeCredential('SCRAM-SHA-256', 'carl-secret', 4096)) }), { parents: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(await login('carl-secret')).toBe(false);
    await cluster.zk.create(configChangePrefixPath, JSON.stringify({ version: 2, entity_path: `users/${sanitizeUser(user)}` }), { mode: 'persistent_sequential', parents: true });
    await until('carl to log in once announced', () => login('carl-secret'), 10_000, 200);
    expect(await login('wrong')).toBe(false);
    // kafka-configs --delete-config (credentials and notification): refused from the next login on
    await alterScramUser(cluster.zk, user, {}, ['SCRAM-SHA-256']);
    await until('carl to be refused once deleted', async () => !(await login('carl-secret')), 10_000, 200);
  }, 60_000);
});
