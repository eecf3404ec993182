/**
 * Security settings without a broker: SCRAM against RFC 7677's vector, the listener settings
 * (names, protocol map, advertised listeners, inter-broker listener), v4 registrations, JAAS,
 * and the start-up errors for bad TLS settings (naming the setting).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { brokerConfigFromProperties } from '../../src/broker/config.js';
import { clientProof, decodeCredential, encodeCredential, makeCredential, parseClientFinal, parseClientFirst, verifyClientProof, serverSignature } from '../../src/common/scram.js';
import { decodeBrokerRegistration, encodeBrokerRegistration, registrationEndpoint } from '../../src/zk/payloads.js';
import { clientSecurityFromProperties, parseJaasConfig } from '../../src/network/client-security.js';
import { sanitizeUser } from '../../src/admin/scram-users.js';
import { authorizerConfigFromProperties } from '../../src/broker/authorizer.js';
import { makePki, type Pki } from '../helpers/pki.js';

const base = { 'broker.id': '1', 'zookeeper.connect': '127.0.0.1:2181' };
const cfg = (extra: Record<string, string>) => brokerConfigFromProperties(new Map(Object.entries({ ...base, ...extra })));

describe('SCRAM (RFC 7677 section 3)', () => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const bare = 'n=user,r=rOprNGfwEbeRWgbNEkqO';
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const withoutProof = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const authMessage = `${bare},${serverFirst},${withoutProof}`;

  it('computes the client proof and the server signature of the RFC', () => {
    const { proof, serverSignature: v } = clientProof('SCRAM-SHA-256', 'pencil', salt, 4096, authMessage);
    expect(proof.toString('base64')).toBe('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(v.toString('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('verifies a proof against a stored credential, and refuses a wrong one', () => {
    const cred = makeCredential('SCRAM-SHA-256', 'pencil', 4096, salt);
    const again = decodeCredential(encodeCredential(cred));
    expect(again).toEqual(cred);
    const { proof } = clientProof('SCRAM-SHA-256', 'pencil', salt, 4096, authMessage);
    expect(verifyClientProof('SCRAM-SHA-256', again, authMessage, proof)).toBe(true);
    expect(serverSignature('SCRAM-SHA-256', again.serverKey, authMessage).toString('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    const wrong = clientProof('SCRAM-SHA-256', 'pencil2', salt, 4096, authMessage).proof;
    expect(verifyClientProof('SCRAM-SHA-256', again, authMessage, wrong)).toBe(false);
    expect(verifyClientProof('SCRAM-SHA-256', again, authMessage, proof.subarray(1))).toBe(false);
  });

  it('parses the client messages and refuses malformed ones', () => {
    expect(parseClientFirst(`n,,${bare}`)).toMatchObject({ authzid: '', username: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO', bare });
    expect(parseClientFirst('n,a=bob,n=alice,r=abc')).toMatchObject({ authzid: 'bob', username: 'alice' });
    expect(parseClientFirst('n,,n=a=2Cb=3Dc,r=x').username).toBe('a,b=c');
    for (const bad of ['', 'y,,n=u,r=x', 'p=tls,,n=u,r=x', 'n,,r=x', 'n,,n=,r=x', 'n,,n=u,r=', 'n,,n=u=ZZ,r=x']) expect(() => parseClientFirst(bad), bad).toThrow();
    expect(parseClientFinal(`${withoutProof},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`).nonce).toBe('rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    for (const bad of ['', 'c=biws,r=x', 'r=x,c=biws,p=AAAA', 'c=biws,r=x,p=!!!']) expect(() => parseClientFinal(bad), bad).toThrow();
  });

  it("stores users under Kafka's sanitized names", () => {
    expect(sanitizeUser('alice')).toBe('alice');
    expect(sanitizeUser('a b*c')).toBe('a%20b%2Ac');
  });
});

describe('listeners', () => {
  it('keeps the 0.8 single PLAINTEXT listener (registration v1)', () => {
    const c = cfg({ listeners: 'PLAINTEXT://127.0.0.1:9093' });
    expect(c.listeners).toMatchObject({ interBroker: 'PLAINTEXT', plainOnly: true });
    expect(c.listeners.listeners).toEqual([{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9093, advertisedHost: '127.0.0.1', advertisedPort: 9093 }]);
  });

  it('maps named listeners to protocols, advertises them by name and picks the inter-broker one', () => {
    const c = cfg({
      listeners: 'CLIENT://0.0.0.0:9092,REPLICATION://127.0.0.1:9093',
      'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,REPLICATION:PLAINTEXT',
      'advertised.listeners': 'CLIENT://kafka.example:19092',
      'inter.broker.listener.name': 'REPLICATION',
    });
    expect(c.listeners.interBroker).toBe('REPLICATION');
    expect(c.listeners.plainOnly).toBe(false);
    expect(c.listeners.listeners.map((l) => [l.name, l.protocol, l.host, l.port, l.advertisedHost, l.advertisedPort])).toEqual([
      ['CLIENT', 'SASL_PLAINTEXT', '0.0.0.0', 9092, 'kafka.example', 19092],
      ['REPLICATION', 'PLAINTEXT', '127.0.0.1', 9093, '127.0.0.1', 9093],
    ]);
    expect(c.listenerSecurity.get('CLIENT')!.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  });

  it.each([
    [{ listeners: 'SSL://h:1' }, /security.inter.broker.protocol is PLAINTEXT \(the default\) but no listener uses PLAINTEXT/],
    [{ listeners: 'PLAINTEXT://h:1,PLAINTEXT://h:2' }, /names listener PLAINTEXT twice/],
    [{ listeners: 'CLIENT://h:1,PLAINTEXT://h:2' }, /listener CLIENT has no security protocol/],
    [{ listeners: 'PLAINTEXT://h:1', 'inter.broker.listener.name': 'OTHER' }, /OTHER is not in listeners/],
    [{ listeners: 'PLAINTEXT://h:1', 'advertised.listeners': 'SSL://h:2' }, /names SSL, which is not in listeners/],
    [{ listeners: 'PLAINTEXT://h:1,SSL://h:2' }, /listener SSL uses TLS but no key is configured: set ssl.keystore.location/],
    [{ listeners: 'PLAINTEXT://h:1,SASL_SSL://h:2', 'security.inter.broker.protocol': 'SASL_SSL', 'ssl.keystore.key': 'x', 'ssl.keystore.certificate.chain': 'y' }, /"ssl.keystore.key": no PEM private key/],
    [{ listeners: 'PLAINTEXT://h:1,SASL_PLAINTEXT://h:2', 'sasl.enabled.mechanisms': 'GSSAPI' }, /unsupported SASL mechanism "GSSAPI"/],
    [{ 'authorizer.class.name': 'com.example.Mine' }, /unsupported authorizer/],
    [{ 'zookeeper.set.acl': 'true' }, /zookeeper.set.acl is true, but no ZooKeeper credentials are configured/],
  ])('refuses %o with an error naming the setting', (extra, msg) => {
    expect(() => {
      cfg(extra as Record<string, string>);
      authorizerConfigFromProperties(new Map(Object.entries(extra as Record<string, string>)));
    }).toThrow(msg);
  });

  it('writes and reads a v4 registration: endpoints, protocol map, top-level host/port of the PLAINTEXT endpoint', () => {
    const data = encodeBrokerRegistration({
      host: 'h',
      port: -1,
      timestamp: 1,
      endpoints: [
        { listener: 'SSL', protocol: 'SSL', host: 'h', port: 9093 },
        { listener: 'PLAINTEXT', protocol: 'PLAINTEXT', host: 'h', port: 9092 },
      ],
    });
    const o = JSON.parse(data.toString());
    expect(o).toMatchObject({ version: 4, host: 'h', port: 9092, endpoints: ['SSL://h:9093', 'PLAINTEXT://h:9092'], listener_security_protocol_map: { SSL: 'SSL', PLAINTEXT: 'PLAINTEXT' } });
    const reg = decodeBrokerRegistration(data);
    expect([reg.host, reg.port]).toEqual(['h', 9092]);
    expect(registrationEndpoint(reg, 'SSL')).toEqual({ host: 'h', port: 9093 });
    const secure = JSON.parse(encodeBrokerRegistration({ host: 'h', port: -1, endpoints: [{ listener: 'CLIENT', protocol: 'SASL_SSL', host: 'h', port: 1 }] }).toString());
    expect([secure.host, secure.port]).toEqual([null, -1]);
    expect(decodeBrokerRegistration(JSON.stringify(secure)).port).toBe(1);
  });

  it('parses JAAS entries as Kafka does', () => {
    const j = parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="a\\"b" user_alice="alice-secret" debug=true;');
    expect(j.loginModule).toBe('org.apache.kafka.common.security.plain.PlainLoginModule');
    expect([...j.options]).toEqual([['username', 'admin'], ['password', 'a"b'], ['user_alice', 'alice-secret'], ['debug', 'true']]);
    expect(() => parseJaasConfig('username="x"')).toThrow(/sasl.jaas.config/);
  });
});

describe('TLS settings', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki?.remove());

  it('reads a PEM keystore (key and chain in one file) and a truststore', () => {
    const c = cfg({ listeners: 'PLAINTEXT://h:1,SSL://h:2', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pki.brokerPem, 'ssl.truststore.location': pki.caCrt, 'ssl.client.auth': 'required' });
    const tls = c.listenerSecurity.get('SSL')!.tls!;
    expect(String(tls.key)).toContain('PRIVATE KEY');
    expect(String(tls.cert)).toContain('CERTIFICATE');
    expect(tls).toMatchObject({ requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  });

  it('names the setting of a missing, unreadable or wrong key file', () => {
    const broken = path.join(pki.dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n' + '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const ssl = { listeners: 'PLAINTEXT://h:1,SSL://h:2' };
    expect(() => cfg({ ...ssl, 'ssl.keystore.location': '/nonexistent/broker.pem' })).toThrow(/config "ssl.keystore.location": cannot read \/nonexistent\/broker.pem/);
    expect(() => cfg({ ...ssl, 'ssl.keystore.location': pki.caCrt })).toThrow(/config "ssl.keystore.location": no PEM private key found/);
    expect(() => cfg({ ...ssl, 'ssl.keystore.location': broken })).toThrow(/config "ssl.keystore.location": the private key cannot be read/);
    expect(() => cfg({ ...ssl, 'listener.name.ssl.ssl.keystore.location': broken })).toThrow(/config "listener.name.ssl.ssl.keystore.location"/);
    expect(() => cfg({ ...ssl, 'ssl.keystore.location': pki.brokerPem, 'ssl.enabled.protocols': 'TLSv1.1' })).toThrow(/"ssl.enabled.protocols": unsupported protocol "TLSv1.1"/);
    expect(() => cfg({ ...ssl, 'ssl.keystore.location': pki.brokerPem, 'ssl.client.auth': 'maybe' })).toThrow(/"ssl.client.auth" must be none, requested or required/);
  });

  it("reads a client's settings: Kafka's names and librdkafka's", () => {
    expect(clientSecurityFromProperties({})).toBeUndefined();
    const s = clientSecurityFromProperties({
      'security.protocol': 'SASL_SSL',
      'ssl.truststore.location': pki.caCrt,
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";',
    })!;
    expect(s.protocol).toBe('SASL_SSL');
    expect(s.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' });
    expect(s.tls!.ca).toHaveLength(1);
    const r = clientSecurityFromProperties({ 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'bob', 'sasl.password': 'pw' })!;
    expect(r.sasl).toEqual({ mechanism: 'PLAIN', username: 'bob', password: 'pw' });
    expect(() => clientSecurityFromProperties({ 'security.protocol': 'SASL_SSL' })).toThrow(/no credentials/);
    expect(() => clientSecurityFromProperties({ 'security.protocol': 'TLS' })).toThrow(/security.protocol/);
  });
});
