/**
 * How a client connects: `security.protocol` (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), the
 * TLS settings of tls-config.ts, and SASL: `sasl.mechanism` (Java; librdkafka's
 * `sasl.mechanisms` too) PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, with the user and password from
 * `sasl.jaas.config` (`... required username="alice" password="...";`) or librdkafka's
 * `sasl.username` / `sasl.password`.
 */
import type tls from 'node:tls';
import { ConfigError } from '../common/errors.js';
import { isScramMechanism } from '../common/scram.js';
import { clientTlsOptions, parseSecurityProtocol, sourceOf, usesSasl, usesTls, type SecurityProtocol, type SettingSource } from './tls-config.js';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface SaslCredentials {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

export interface ClientSecurity {
  protocol: SecurityProtocol;
  /** For SSL and SASL_SSL. */
  tls?: tls.ConnectionOptions;
  /** For SASL_PLAINTEXT and SASL_SSL. */
  sasl?: SaslCredentials;
}

export interface JaasConfig {
  loginModule: string;
  options: Map<string, string>;
}

/**
 * One JAAS entry as Kafka reads `sasl.jaas.config`: `<LoginModule> required|optional|... k="v" k2=v2;`.
 * Values may be quoted (`\"` and `\\` escaped) or bare.
 */
export function parseJaasConfig(text: string, key = 'sasl.jaas.config'): JaasConfig {
  const t = text.trim();
  const m = /^([\w.$]+)\s+(required|requisite|sufficient|optional)\b([\s\S]*?);?\s*$/.exec(t);
  if (!m) throw new ConfigError(`config "${key}" must look like '<LoginModule> required k="v" ...;'`, { context: { key } });
  const options = new Map<string, string>();
  const rest = m[3]!;
  const re = /\s*([\w.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s";]+))/y;
  let at = 0;
  while (at < rest.length) {
    if (/^\s*$/.test(rest.slice(at))) break;
    re.lastIndex = at;
    const o = re.exec(rest);
    if (!o) throw new ConfigError(`config "${key}": cannot parse the options after ${JSON.stringify(rest.slice(0, at).trim().slice(-20) || m[1])}`, { context: { key } });
    options.set(o[1]!, o[2] !== undefined ? o[2].replace(/\\(.)/g, '$1') : o[3]!);
    at = re.lastIndex;
  }
  return { loginModule: m[1]!, options };
}

export function parseSaslMechanism(value: string, key: string): SaslMechanism {
  const v = value.trim().toUpperCase();
  if (v === 'PLAIN' || isScramMechanism(v)) return v;
  throw new ConfigError(`config "${key}": unsupported SASL mechanism "${value}" (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`, { context: { key } });
}

/** The client settings of a properties map; undefined for plain PLAINTEXT (no setting given). */
export function clientSecurityFromProperties(props: ReadonlyMap<string, string> | Record<string, string>): ClientSecurity | undefined {
  const s: SettingSource = sourceOf(props);
  const p = s.get('security.protocol');
  if (p === undefined) return undefined;
  const protocol = parseSecurityProtocol(p, 'security.protocol');
  const out: ClientSecurity = { protocol };
  if (usesTls(protocol)) out.tls = clientTlsOptions(s);
  if (usesSasl(protocol)) {
    const mechKey = s.get('sasl.mechanism') !== undefined ? 'sasl.mechanism' : 'sasl.mechanisms';
    const mechanism = parseSaslMechanism(s.get(mechKey) ?? 'PLAIN', mechKey);
    let username = s.get('sasl.username');
    let password = s.get('sasl.password');
    const jaas = s.get('sasl.jaas.config');
    if (jaas !== undefined) {
      const j = parseJaasConfig(jaas);
      username ??= j.options.get('username');
      password ??= j.options.get('password');
    }
    if (username === undefined || password === undefined) {
      throw new ConfigError('security.protocol uses SASL but no credentials are set: give sasl.jaas.config (username="..." password="...") or sasl.username and sasl.password', { context: { key: 'sasl.jaas.config' } });
    }
    out.sasl = { mechanism, username, password };
  }
  return out;
}
