/**
 * Kafka's security protocols and its PEM TLS settings (KIP-651), read the same way for a
 * broker listener and for a client:
 *
 *   ssl.keystore.type=PEM      ssl.keystore.location (PKCS#8 key + certificate chain in one file)
 *                              or inline ssl.keystore.key + ssl.keystore.certificate.chain
 *   ssl.key.password           the key's passphrase (an encrypted PKCS#8 key)
 *   ssl.truststore.type=PEM    ssl.truststore.location or inline ssl.truststore.certificates
 *   ssl.enabled.protocols      TLSv1.2,TLSv1.3 (the default)
 *   ssl.cipher.suites          passed to OpenSSL as given (its names, ':' joined)
 *   ssl.endpoint.identification.algorithm  https (default: the client checks the broker's
 *                              certificate names its address) or empty (no check)
 * and librdkafka's client names: ssl.ca.location, ssl.certificate.location, ssl.key.location.
 * A bad or missing file is a ConfigError naming the setting.
 */
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import { ConfigError } from '../common/errors.js';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

export const usesTls = (p: SecurityProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol): boolean => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

export function parseSecurityProtocol(value: string, key: string): SecurityProtocol {
  const p = value.trim().toUpperCase();
  if (!(SECURITY_PROTOCOLS as readonly string[]).includes(p)) {
    throw new ConfigError(`config "${key}" must be one of ${SECURITY_PROTOCOLS.join(', ')}, got "${value}"`, { context: { key } });
  }
  return p as SecurityProtocol;
}

/** Where settings come from: `get` answers a Kafka name, `name` says which key really held it (for errors). */
export interface SettingSource {
  get(key: string): string | undefined;
  name(key: string): string;
}

export function sourceOf(props: ReadonlyMap<string, string> | Record<string, string>, prefix = ''): SettingSource {
  const m = props instanceof Map ? props : new Map(Object.entries(props as Record<string, string>));
  const has = (k: string): boolean => prefix !== '' && m.has(prefix + k);
  return {
    get: (k) => (has(k) ? m.get(prefix + k) : m.get(k)),
    name: (k) => (has(k) ? prefix + k : k),
  };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function blocks(pem: string): { type: string; text: string }[] {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1]!, text: m[0] }));
}

function readPem(s: SettingSource, key: string): string {
  const file = s.get(key)!;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config "${s.name(key)}": cannot read ${file}: ${(err as Error).message}`, { context: { key: s.name(key) }, cause: err });
  }
}

export interface KeyMaterial {
  key: string;
  cert: string;
  passphrase?: string;
}

/** The private key and certificate chain (ssl.keystore.*, or librdkafka's ssl.key/certificate.location); undefined when none is set. */
export function readKeystore(s: SettingSource): KeyMaterial | undefined {
  const type = s.get('ssl.keystore.type');
  if (type !== undefined && type.trim().toUpperCase() !== 'PEM') {
    throw new ConfigError(`config "${s.name('ssl.keystore.type')}": only PEM keystores are supported, got "${type}"`, { context: { key: s.name('ssl.keystore.type') } });
  }
  const passphrase = s.get('ssl.key.password') || undefined;
  let key: string | undefined;
  let cert: string | undefined;
  let keyName = 'ssl.keystore.location';
  let certName = 'ssl.keystore.location';
  if (s.get('ssl.keystore.location')) {
    const all = blocks(readPem(s, 'ssl.keystore.location'));
    key = all.find((b) => b.type.endsWith('PRIVATE KEY'))?.text;
    cert = all.filter((b) => b.type === 'CERTIFICATE').map((b) => b.text).join('\n') || undefined;
  } else if (s.get('ssl.keystore.key') || s.get('ssl.keystore.certificate.chain')) {
    keyName = 'ssl.keystore.key';
    certName = 'ssl.keystore.certificate.chain';
    key = blocks(s.get('ssl.keystore.key') ?? '').find((b) => b.type.endsWith('PRIVATE KEY'))?.text;
    cert = blocks(s.get('ssl.keystore.certificate.chain') ?? '').filter((b) => b.type === 'CERTIFICATE').map((b) => b.text).join('\n') || undefined;
  } else if (s.get('ssl.key.location') || s.get('ssl.certificate.location')) {
    keyName = 'ssl.key.location';
    certName = 'ssl.certificate.location';
    key = s.get('ssl.key.location') ? blocks(readPem(s, 'ssl.key.location')).find((b) => b.type.endsWith('PRIVATE KEY'))?.text : undefined;
    cert = s.get('ssl.certificate.location') ? blocks(readPem(s, 'ssl.certificate.location')).filter((b) => b.type === 'CERTIFICATE').map((b) => b.text).join('\n') || undefined : undefined;
  } else {
    return undefined;
  }
  if (!key) throw new ConfigError(`config "${s.name(keyName)}": no PEM private key found`, { context: { key: s.name(keyName) } });
  if (!cert) throw new ConfigError(`config "${s.name(certName)}": no PEM certificate found`, { context: { key: s.name(certName) } });
  try {
    crypto.createPrivateKey({ key, passphrase });
  } catch (err) {
    throw new ConfigError(`config "${s.name(keyName)}": the private key cannot be read${passphrase ? ' with ssl.key.password' : ''}: ${(err as Error).message}`, { context: { key: s.name(keyName) }, cause: err });
  }
  try {
    new crypto.X509Certificate(cert);
  } catch (err) {
    throw new ConfigError(`config "${s.name(certName)}": the certificate cannot be read: ${(err as Error).message}`, { context: { key: s.name(certName) }, cause: err });
  }
  return { key, cert, passphrase };
}

/** The trusted CA certificates (ssl.truststore.location / .certificates, or librdkafka's ssl.ca.location); undefined = the system's. */
export function readTruststore(s: SettingSource): string[] | undefined {
  const type = s.get('ssl.truststore.type');
  if (type !== undefined && type.trim().toUpperCase() !== 'PEM') {
    throw new ConfigError(`config "${s.name('ssl.truststore.type')}": only PEM truststores are supported, got "${type}"`, { context: { key: s.name('ssl.truststore.type') } });
  }
  let name: string;
  let pem: string;
  if (s.get('ssl.truststore.location')) [name, pem] = ['ssl.truststore.location', readPem(s, 'ssl.truststore.location')];
  else if (s.get('ssl.truststore.certificates')) [name, pem] = ['ssl.truststore.certificates', s.get('ssl.truststore.certificates')!];
  else if (s.get('ssl.ca.location')) [name, pem] = ['ssl.ca.location', readPem(s, 'ssl.ca.location')];
  else return undefined;
  const certs = blocks(pem).filter((b) => b.type === 'CERTIFICATE').map((b) => b.text);
  if (certs.length === 0) throw new ConfigError(`config "${s.name(name)}": no PEM certificate found`, { context: { key: s.name(name) } });
  return certs;
}

function protocolRange(s: SettingSource): { minVersion: tls.SecureVersion; maxVersion: tls.SecureVersion } {
  const key = 'ssl.enabled.protocols';
  const list = (s.get(key) ?? 'TLSv1.2,TLSv1.3').split(',').map((x) => x.trim()).filter((x) => x !== '');
  const known = ['TLSv1.2', 'TLSv1.3'];
  for (const p of list) if (!known.includes(p)) throw new ConfigError(`config "${s.name(key)}": unsupported protocol "${p}" (TLSv1.2, TLSv1.3)`, { context: { key: s.name(key) } });
  if (list.length === 0) throw new ConfigError(`config "${s.name(key)}" names no protocol`, { context: { key: s.name(key) } });
  const sorted = known.filter((p) => list.includes(p)) as tls.SecureVersion[];
  return { minVersion: sorted[0]!, maxVersion: sorted[sorted.length - 1]! };
}

function ciphers(s: SettingSource): string | undefined {
  const v = s.get('ssl.cipher.suites');
  return v && v.trim() !== '' ? v.split(',').map((x) => x.trim()).join(':') : undefined;
}

export type ClientAuth = 'none' | 'requested' | 'required';

/** A TLS listener's options: the keystore is required. */
export function serverTlsOptions(s: SettingSource, listener: string): tls.TlsOptions & { clientAuth: ClientAuth } {
  const ks = readKeystore(s);
  if (!ks) throw new ConfigError(`listener ${listener} uses TLS but no key is configured: set ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain)`, { context: { key: s.name('ssl.keystore.location') } });
  const authKey = 'ssl.client.auth';
  const clientAuth = (s.get(authKey) ?? 'none').trim().toLowerCase();
  if (clientAuth !== 'none' && clientAuth !== 'requested' && clientAuth !== 'required') {
    throw new ConfigError(`config "${s.name(authKey)}" must be none, requested or required, got "${clientAuth}"`, { context: { key: s.name(authKey) } });
  }
  const ca = readTruststore(s);
  const c = ciphers(s);
  return {
    key: ks.key,
    cert: ks.cert,
    passphrase: ks.passphrase,
    ...(ca ? { ca } : {}),
    ...(c ? { ciphers: c } : {}),
    ...protocolRange(s),
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'required',
    clientAuth: clientAuth as ClientAuth,
  };
}

/** A client's TLS options (trust, optional client certificate, hostname check). */
export function clientTlsOptions(s: SettingSource): tls.ConnectionOptions {
  const ks = readKeystore(s);
  const ca = readTruststore(s);
  const c = ciphers(s);
  const algo = s.get('ssl.endpoint.identification.algorithm');
  const verify = s.get('enable.ssl.certificate.verification');
  return {
    ...(ks ? { key: ks.key, cert: ks.cert, passphrase: ks.passphrase } : {}),
    ...(ca ? { ca } : {}),
    ...(c ? { ciphers: c } : {}),
    ...protocolRange(s),
    rejectUnauthorized: verify === undefined || verify.trim().toLowerCase() !== 'false',
    ...(algo !== undefined && algo.trim() === '' ? { checkServerIdentity: () => undefined } : {}),
  };
}

/** Kafka's SSL principal: the subject's full DN, most specific part first (RFC 2253), e.g. CN=alice,OU=eng,O=Acme. */
export function subjectDn(raw: Buffer): string {
  const x = new crypto.X509Certificate(raw);
  return x.subject.split('\n').filter((l) => l !== '').reverse().join(',');
}
