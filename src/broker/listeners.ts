/**
 * The broker's listeners (KIP-103): `listeners=PLAINTEXT://h:9092,SSL://h:9093,CLIENT://h:9094`,
 * names mapped to security protocols by `listener.security.protocol.map` (the default maps each
 * protocol's own name), `advertised.listeners` (by listener name; default: the listener's own
 * address), and the listener brokers talk to each other on: `inter.broker.listener.name`, or the
 * listener of protocol `security.inter.broker.protocol` (default PLAINTEXT). Per-listener
 * settings are `listener.name.<name lower-case>.<setting>` over the top-level ones. SASL:
 * `sasl.enabled.mechanisms` (default PLAIN,SCRAM-SHA-256,SCRAM-SHA-512; Kafka's default, GSSAPI,
 * is not supported), `sasl.mechanism.inter.broker.protocol` (default PLAIN here), PLAIN users from
 * `listener.name.<l>.plain.sasl.jaas.config` or `sasl.jaas.config` (`user_<name>="<password>"`),
 * whose `username`/`password` are also what this broker logs in with to other brokers.
 */
import type tls from 'node:tls';
import { ConfigError } from '../common/errors.js';
import { clientTlsOptions, parseSecurityProtocol, serverTlsOptions, sourceOf, usesSasl, usesTls, type SecurityProtocol } from '../network/tls-config.js';
import { parseJaasConfig, parseSaslMechanism, type ClientSecurity, type SaslMechanism } from '../network/client-security.js';

export interface Listener {
  name: string;
  protocol: SecurityProtocol;
  host: string;
  port: number;
  advertisedHost: string;
  advertisedPort: number;
}

export interface ListenerSecurity {
  tls?: tls.TlsOptions;
  mechanisms: SaslMechanism[];
  /** PLAIN users: name -> password. */
  plainUsers: ReadonlyMap<string, string>;
}

export interface ListenersConfig {
  listeners: Listener[];
  /** The listener brokers use to reach each other (replication, controller requests). */
  interBroker: string;
  /** True when the broker has the one PLAINTEXT listener of 0.8 (registration stays v1). */
  plainOnly: boolean;
}

const ENDPOINT = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/;

function parseEndpoints(value: string, key: string): { name: string; host: string; port: number }[] {
  const out: { name: string; host: string; port: number }[] = [];
  for (const part of value.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const m = ENDPOINT.exec(part);
    if (!m) throw new ConfigError(`config "${key}" must look like NAME://host:port[,NAME://host:port...], got "${part}"`, { context: { key } });
    const name = m[1]!.toUpperCase();
    if (out.some((e) => e.name === name)) throw new ConfigError(`config "${key}" names listener ${name} twice`, { context: { key } });
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(`config "${key}": port ${port} out of range`, { context: { key } });
    out.push({ name, host: m[2]!.replace(/^\[(.*)\]$/, '$1'), port });
  }
  if (out.length === 0) throw new ConfigError(`config "${key}" names no listener`, { context: { key } });
  return out;
}

function protocolMap(props: ReadonlyMap<string, string>): Map<string, SecurityProtocol> {
  const key = 'listener.security.protocol.map';
  const map = new Map<string, SecurityProtocol>();
  const v = props.get(key);
  if (v === undefined) {
    for (const p of ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const) map.set(p, p);
    return map;
  }
  for (const part of v.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const m = /^([A-Za-z0-9_]+):([A-Za-z_]+)$/.exec(part);
    if (!m) throw new ConfigError(`config "${key}" must look like NAME:PROTOCOL[,NAME:PROTOCOL...], got "${part}"`, { context: { key } });
    map.set(m[1]!.toUpperCase(), parseSecurityProtocol(m[2]!, key));
  }
  return map;
}

/** Parses the listener settings; `host`/`port` are the 0.8 `host.name`/`port` used when `listeners` is absent. */
export function listenersFromProperties(props: ReadonlyMap<string, string>, legacy: { host: string; port: number; advertisedHost: string; advertisedPort: number }): ListenersConfig {
  const map = protocolMap(props);
  const given = props.get('listeners');
  const eps = given === undefined ? [{ name: 'PLAINTEXT', host: legacy.host, port: legacy.port }] : parseEndpoints(given, 'listeners');
  const adv = props.get('advertised.listeners') === undefined ? [] : parseEndpoints(props.get('advertised.listeners')!, 'advertised.listeners');
  const listeners: Listener[] = eps.map((e) => {
    const protocol = map.get(e.name);
    if (!protocol) throw new ConfigError(`listener ${e.name} has no security protocol: add it to listener.security.protocol.map`, { context: { key: 'listener.security.protocol.map' } });
    const a = adv.find((x) => x.name === e.name);
    const host = e.host === '' ? '0.0.0.0' : e.host;
    const first = eps[0] === e;
    return {
      name: e.name,
      protocol,
      host,
      port: e.port,
      advertisedHost: a?.host || (first && legacy.advertisedHost) || host,
      advertisedPort: a ? a.port : first && legacy.advertisedPort >= 0 ? legacy.advertisedPort : e.port,
    };
  });
  for (const a of adv) if (!listeners.some((l) => l.name === a.name)) throw new ConfigError(`config "advertised.listeners" names ${a.name}, which is not in listeners`, { context: { key: 'advertised.listeners' } });
  let interBroker: string;
  if (props.get('inter.broker.listener.name') !== undefined) {
    if (props.get('security.inter.broker.protocol') !== undefined) throw new ConfigError('set only one of inter.broker.listener.name and security.inter.broker.protocol', { context: { key: 'inter.broker.listener.name' } });
    interBroker = props.get('inter.broker.listener.name')!.trim().toUpperCase();
    if (!listeners.some((l) => l.name === interBroker)) throw new ConfigError(`config "inter.broker.listener.name": ${interBroker} is not in listeners`, { context: { key: 'inter.broker.listener.name' } });
  } else {
    const p = parseSecurityProtocol(props.get('security.inter.broker.protocol') ?? 'PLAINTEXT', 'security.inter.broker.protocol');
    const l = listeners.find((x) => x.name === p) ?? listeners.find((x) => x.protocol === p);
    if (!l) {
      throw new ConfigError(
        `security.inter.broker.protocol is ${p}${props.get('security.inter.broker.protocol') === undefined ? ' (the default)' : ''} but no listener uses ${p}: add one, or set inter.broker.listener.name`,
        { context: { key: 'security.inter.broker.protocol' } },
      );
    }
    interBroker = l.name;
  }
  const plainOnly = listeners.length === 1 && listeners[0]!.name === 'PLAINTEXT' && listeners[0]!.protocol === 'PLAINTEXT';
  return { listeners, interBroker, plainOnly };
}

const prefixOf = (listener: string): string => `listener.name.${listener.toLowerCase()}.`;

/** The TLS options and SASL settings of one listener (reads key files: a bad one is a ConfigError naming the setting). */
export function listenerSecurity(props: ReadonlyMap<string, string>, l: Listener): ListenerSecurity {
  const s = sourceOf(props, prefixOf(l.name));
  const out: ListenerSecurity = { mechanisms: [], plainUsers: new Map() };
  if (usesTls(l.protocol)) out.tls = serverTlsOptions(s, l.name);
  if (usesSasl(l.protocol)) {
    const key = s.name('sasl.enabled.mechanisms');
    out.mechanisms = (s.get('sasl.enabled.mechanisms') ?? 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512').split(',').map((x) => x.trim()).filter((x) => x !== '').map((m) => parseSaslMechanism(m, key));
    if (out.mechanisms.length === 0) throw new ConfigError(`config "${key}" names no mechanism`, { context: { key } });
    const jaas = plainJaas(props, l.name);
    if (jaas) {
      const users = new Map<string, string>();
      for (const [k, v] of jaas.options) if (k.startsWith('user_')) users.set(k.slice(5), v);
      out.plainUsers = users;
    }
  }
  return out;
}

function plainJaas(props: ReadonlyMap<string, string>, listener: string): ReturnType<typeof parseJaasConfig> | undefined {
  for (const key of [`${prefixOf(listener)}plain.sasl.jaas.config`, `${prefixOf(listener)}sasl.jaas.config`, 'sasl.jaas.config']) {
    const v = props.get(key);
    if (v !== undefined) return parseJaasConfig(v, key);
  }
  return undefined;
}

/** How this broker connects to the inter-broker listener of the others; undefined for PLAINTEXT. */
export function interBrokerClientSecurity(props: ReadonlyMap<string, string>, cfg: ListenersConfig): ClientSecurity | undefined {
  const l = cfg.listeners.find((x) => x.name === cfg.interBroker)!;
  if (l.protocol === 'PLAINTEXT') return undefined;
  const s = sourceOf(props, prefixOf(l.name));
  const out: ClientSecurity = { protocol: l.protocol };
  if (usesTls(l.protocol)) out.tls = clientTlsOptions(s);
  if (usesSasl(l.protocol)) {
    const mechanism = parseSaslMechanism(props.get('sasl.mechanism.inter.broker.protocol') ?? 'PLAIN', 'sasl.mechanism.inter.broker.protocol');
    const mk = `${prefixOf(l.name)}${mechanism.toLowerCase()}.sasl.jaas.config`;
    const v = props.get(mk) ?? props.get(`${prefixOf(l.name)}sasl.jaas.config`) ?? props.get('sasl.jaas.config');
    const j = v === undefined ? undefined : parseJaasConfig(v, mk);
    const username = j?.options.get('username');
    const password = j?.options.get('password');
    if (username === undefined || password === undefined) {
      throw new ConfigError(`the inter-broker listener ${l.name} uses SASL: give the broker's own username="..." password="..." in ${mk} (or sasl.jaas.config)`, { context: { key: mk } });
    }
    out.sasl = { mechanism, username, password };
  }
  return out;
}
