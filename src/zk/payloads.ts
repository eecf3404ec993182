/**
 * Codecs for the data of every Kafka 0.8 znode (docs/reference.md section 2). Encoders write
 * exactly what Kafka 0.8.2 writes, byte for byte, keys in its order:
 *
 *   /brokers/ids/<id>            {"version":1,"host":"h","port":9092,"jmx_port":-1,"timestamp":"<ms>"}
 *   /brokers/topics/<T>          {"version":1,"partitions":{"0":[1,2],"1":[2,3]}}
 *   .../partitions/<P>/state     {"version":1,"leader":1,"leader_epoch":0,"controller_epoch":1,"isr":[1,2]}
 *   /controller                  {"version":1,"brokerid":1,"timestamp":"<ms>"}
 *   /controller_epoch            1                                  (integer text)
 *   /consumers/<G>/ids/<id>      {"version":1,"subscription":{"t":1},"pattern":"static","timestamp":"<ms>"}
 *   /consumers/<G>/owners/T/P    <consumerId>-<n>                   (text)
 *   /consumers/<G>/offsets/T/P   1234                               (decimal text)
 *   /admin/reassign_partitions   {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[0,1]}]}
 *   /admin/preferred_replica_election  {"version":1,"partitions":[{"topic":"t","partition":0}]}
 *   /config/topics/<T>           {"version":1,"config":{"retention.ms":"1000"}}
 *   /config/changes/config_change_<seq>  "<topic>"                  (a JSON string)
 *   /cluster/id                  {"version":"1","id":"<22 chars>"}    (Kafka 0.10.1+; version a string)
 *
 * Decoders are lenient, as other clients write variants: any key order, numbers given as
 * strings, a missing version, kafka-node's `"pattern":"white_list"`, 0.9+ broker registrations
 * with `endpoints` only. Garbage throws ZkPayloadError naming the path and the field.
 */
import { ZkPayloadError } from './errors.js';
import { DEFAULT_BROKER_ENTITY } from './paths.js';

export type ZkData = Buffer | string | Uint8Array;

const text = (data: ZkData): string => (typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

type Obj = Record<string, unknown>;

function parseObject(data: ZkData, path: string): Obj {
  let v: unknown;
  try {
    v = JSON.parse(text(data));
  } catch (err) {
    throw new ZkPayloadError(path, `not JSON: ${JSON.stringify(text(data).slice(0, 80))}`, undefined, { cause: err });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ZkPayloadError(path, 'not a JSON object');
  return v as Obj;
}

/** An integer given as a number or a decimal string. */
function int(v: unknown, path: string, field: string): number {
  const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new ZkPayloadError(path, `expected an integer, got ${JSON.stringify(v)}`, field);
  }
  return n;
}

function optInt(v: unknown, path: string, field: string, dflt: number): number {
  return v === undefined || v === null ? dflt : int(v, path, field);
}

function str(v: unknown, path: string, field: string): string {
  if (typeof v !== 'string') throw new ZkPayloadError(path, `expected a string, got ${JSON.stringify(v)}`, field);
  return v;
}

function intArray(v: unknown, path: string, field: string): number[] {
  if (!Array.isArray(v)) throw new ZkPayloadError(path, `expected an array, got ${JSON.stringify(v)}`, field);
  return v.map((x, i) => int(x, path, `${field}[${i}]`));
}

function checkVersion(o: Obj, path: string): void {
  if (o.version !== undefined) int(o.version, path, 'version');
}

/** Milliseconds as Kafka writes them: a decimal string. Lenient on read. */
function timestamp(v: unknown, path: string): number {
  return v === undefined || v === null ? 0 : int(v, path, 'timestamp');
}

// ---- /brokers/ids/<id> ----------------------------------------------------------------------

export interface BrokerRegistration {
  host: string;
  port: number;
  /** -1 when JMX is off. */
  jmxPort: number;
  /** Registration time, ms since the epoch. */
  timestamp: number;
  /** 0.9+: every listener's endpoint ("endpoints"), with its security protocol (v4 "listener_security_protocol_map"). */
  endpoints?: BrokerRegistrationEndpoint[];
}

export interface BrokerRegistrationEndpoint {
  listener: string;
  protocol: string;
  host: string;
  port: number;
}

/**
 * Version 1 (0.8) without endpoints. With endpoints, version 4 as Kafka 1.x-2.x writes it:
 * "endpoints":["PLAINTEXT://h:9092","SSL://h:9093"], "listener_security_protocol_map", and
 * top-level host/port = the first PLAINTEXT endpoint (null/-1 when there is none).
 */
export function encodeBrokerRegistration(r: { host: string; port: number; jmxPort?: number; timestamp?: number; endpoints?: BrokerRegistrationEndpoint[] }): Buffer {
  if (!r.endpoints) return json({ version: 1, host: r.host, port: r.port, jmx_port: r.jmxPort ?? -1, timestamp: String(r.timestamp ?? Date.now()) });
  const plain = r.endpoints.find((e) => e.protocol === 'PLAINTEXT');
  return json({
    listener_security_protocol_map: Object.fromEntries(r.endpoints.map((e) => [e.listener, e.protocol])),
    endpoints: r.endpoints.map((e) => `${e.listener}://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`),
    jmx_port: r.jmxPort ?? -1,
    host: plain ? plain.host : null,
    timestamp: String(r.timestamp ?? Date.now()),
    port: plain ? plain.port : -1,
    version: 4,
  });
}

export function decodeBrokerRegistration(data: ZkData, path = '/brokers/ids/?'): BrokerRegistration {
  const o = parseObject(data, path);
  checkVersion(o, path);
  let host = typeof o.host === 'string' && o.host !== '' ? o.host : undefined;
  let port = o.port === undefined || o.port === null || o.port === -1 ? undefined : int(o.port, path, 'port');
  let endpoints: BrokerRegistrationEndpoint[] | undefined;
  if (Array.isArray(o.endpoints)) {
    // 0.9+: "endpoints":["PLAINTEXT://host:9092"]
    const map = o.listener_security_protocol_map !== null && typeof o.listener_security_protocol_map === 'object' ? (o.listener_security_protocol_map as Obj) : {};
    endpoints = [];
    for (const e of o.endpoints.map(String)) {
      const m = /^([^:]+):\/\/\[?([^\]]*?)\]?:(\d+)$/.exec(e);
      if (!m) continue;
      const proto = map[m[1]!];
      endpoints.push({ listener: m[1]!, protocol: typeof proto === 'string' ? proto : m[1]!, host: m[2]!, port: Number(m[3]) });
    }
    if ((host === undefined || port === undefined) && endpoints.length > 0) {
      host ??= endpoints[0]!.host;
      port ??= endpoints[0]!.port;
    }
  }
  if (host === undefined) throw new ZkPayloadError(path, 'no host', 'host');
  if (port === undefined) throw new ZkPayloadError(path, 'no port', 'port');
  const out: BrokerRegistration = { host, port, jmxPort: optInt(o.jmx_port, path, 'jmx_port', -1), timestamp: timestamp(o.timestamp, path) };
  if (endpoints) out.endpoints = endpoints;
  return out;
}

/** The endpoint a registration gives for a listener (0.8 registrations: PLAINTEXT is host/port). */
export function registrationEndpoint(r: BrokerRegistration, listener: string): { host: string; port: number } | undefined {
  if (!r.endpoints) return listener === 'PLAINTEXT' ? { host: r.host, port: r.port } : undefined;
  const e = r.endpoints.find((x) => x.listener === listener);
  return e && { host: e.host, port: e.port };
}

/**
 * The endpoint a client of `protocol` (its security.protocol) connects to: the listener whose
 * mapped security protocol is that one; with several, the listener named like the protocol,
 * else the first registered (Kafka's rule for clients that find brokers through ZooKeeper). A
 * 0.8 registration (no endpoints) has only PLAINTEXT, at host/port. Undefined when the broker
 * has no such listener (never the top-level host/port of another protocol).
 */
export function endpointForProtocol(r: BrokerRegistration, protocol: string): BrokerRegistrationEndpoint | undefined {
  const p = protocol.toUpperCase();
  if (!r.endpoints) return p === 'PLAINTEXT' ? { listener: 'PLAINTEXT', protocol: 'PLAINTEXT', host: r.host, port: r.port } : undefined;
  const matching = r.endpoints.filter((e) => e.protocol.toUpperCase() === p);
  return matching.find((e) => e.listener.toUpperCase() === p) ?? matching[0];
}

/** "SSL://h:9093,CLIENT(SASL_SSL)://h:9094": a registration's listeners, for messages. */
export function describeEndpoints(r: BrokerRegistration): string {
  if (!r.endpoints) return `PLAINTEXT://${r.host}:${r.port}`;
  if (r.endpoints.length === 0) return 'no listener';
  return r.endpoints.map((e) => `${e.listener}${e.listener === e.protocol ? '' : `(${e.protocol})`}://${e.host}:${e.port}`).join(',');
}

// ---- /brokers/topics/<T> --------------------------------------------------------------------

/** Partition -> replica list (the first replica is the preferred leader). */
export type TopicAssignment = Map<number, number[]>;

export function encodeTopicAssignment(a: TopicAssignment | Record<string | number, readonly number[]>): Buffer {
  const entries: [number, readonly number[]][] =
    a instanceof Map ? [...a.entries()] : Object.entries(a).map(([k, v]) => [Number(k), v]);
  entries.sort((x, y) => x[0] - y[0]);
  // JSON object keys that are integer-like are ordered ascending by JS anyway; build the text
  // ourselves so the order is explicit.
  const body = entries.map(([p, r]) => `${JSON.stringify(String(p))}:${JSON.stringify([...r])}`).join(',');
  return Buffer.from(`{"version":1,"partitions":{${body}}}`, 'utf8');
}

export function decodeTopicAssignment(data: ZkData, path = '/brokers/topics/?'): TopicAssignment {
  const o = parseObject(data, path);
  checkVersion(o, path);
  const parts = o.partitions;
  if (parts === null || typeof parts !== 'object' || Array.isArray(parts)) {
    throw new ZkPayloadError(path, 'expected an object of partition -> replicas', 'partitions');
  }
  const out: TopicAssignment = new Map();
  const keys = Object.keys(parts).map((k) => [int(k, path, `partitions.${k}`), k] as const).sort((a, b) => a[0] - b[0]);
  for (const [p, k] of keys) out.set(p, intArray((parts as Obj)[k], path, `partitions.${k}`));
  return out;
}

// ---- /brokers/topics/<T>/partitions/<P>/state ----------------------------------------------

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  controllerEpoch: number;
  isr: number[];
}

export function encodePartitionState(s: PartitionState): Buffer {
  return json({ version: 1, leader: s.leader, leader_epoch: s.leaderEpoch, controller_epoch: s.controllerEpoch, isr: s.isr });
}

export function decodePartitionState(data: ZkData, path = '/brokers/topics/?/partitions/?/state'): PartitionState {
  const o = parseObject(data, path);
  checkVersion(o, path);
  return {
    leader: int(o.leader, path, 'leader'),
    leaderEpoch: int(o.leader_epoch, path, 'leader_epoch'),
    controllerEpoch: int(o.controller_epoch, path, 'controller_epoch'),
    isr: intArray(o.isr, path, 'isr'),
  };
}

// ---- /controller, /controller_epoch ---------------------------------------------------------

export interface ControllerRegistration {
  brokerId: number;
  timestamp: number;
}

export function encodeController(c: { brokerId: number; timestamp?: number }): Buffer {
  return json({ version: 1, brokerid: c.brokerId, timestamp: String(c.timestamp ?? Date.now()) });
}

/** Also accepts the bare integer that Kafka 0.7 wrote. */
export function decodeController(data: ZkData, path = '/controller'): ControllerRegistration {
  const t = text(data).trim();
  if (/^-?\d+$/.test(t)) return { brokerId: Number(t), timestamp: 0 };
  const o = parseObject(t, path);
  checkVersion(o, path);
  return { brokerId: int(o.brokerid, path, 'brokerid'), timestamp: timestamp(o.timestamp, path) };
}

export function encodeControllerEpoch(epoch: number): Buffer {
  return Buffer.from(String(int(epoch, '/controller_epoch', 'epoch')), 'utf8');
}

export function decodeControllerEpoch(data: ZkData, path = '/controller_epoch'): number {
  return int(text(data).trim(), path, 'epoch');
}

// ---- /consumers/<G>/ids/<consumerId> --------------------------------------------------------

export type SubscriptionPattern = 'static' | 'white_list' | 'black_list';

export interface ConsumerRegistration {
  /** Topic (or, for white_list/black_list, a regex) -> number of streams. */
  subscription: Record<string, number>;
  pattern: SubscriptionPattern;
  timestamp: number;
}

export function encodeConsumerRegistration(r: { subscription: Record<string, number>; pattern?: SubscriptionPattern; timestamp?: number }): Buffer {
  return json({ version: 1, subscription: r.subscription, pattern: r.pattern ?? 'static', timestamp: String(r.timestamp ?? Date.now()) });
}

export function decodeConsumerRegistration(data: ZkData, path = '/consumers/?/ids/?'): ConsumerRegistration {
  const o = parseObject(data, path);
  checkVersion(o, path);
  const sub = o.subscription;
  if (sub === null || typeof sub !== 'object' || Array.isArray(sub)) {
    throw new ZkPayloadError(path, 'expected an object of topic -> streams', 'subscription');
  }
  const subscription: Record<string, number> = {};
  for (const [t, n] of Object.entries(sub as Obj)) subscription[t] = int(n, path, `subscription.${t}`);
  const pattern = o.pattern === undefined ? 'static' : str(o.pattern, path, 'pattern');
  if (pattern !== 'static' && pattern !== 'white_list' && pattern !== 'black_list') {
    throw new ZkPayloadError(path, `unknown pattern ${JSON.stringify(pattern)}`, 'pattern');
  }
  return { subscription, pattern, timestamp: timestamp(o.timestamp, path) };
}

// ---- /consumers/<G>/owners/<T>/<P>, /consumers/<G>/offsets/<T>/<P> --------------------------

/** The owner value: the consumer thread id `<consumerId>-<n>` (kafka-node: the bare id). */
export function encodeOwner(threadId: string): Buffer {
  return Buffer.from(threadId, 'utf8');
}

export function decodeOwner(data: ZkData, path = '/consumers/?/owners/?/?'): string {
  const t = text(data);
  if (t.length === 0) throw new ZkPayloadError(path, 'empty owner', 'owner');
  return t;
}

/** The next offset to consume, as decimal text. */
export function encodeOffset(offset: number | bigint): Buffer {
  const b = BigInt(offset);
  return Buffer.from(b.toString(10), 'utf8');
}

export function decodeOffset(data: ZkData, path = '/consumers/?/offsets/?/?'): bigint {
  const t = text(data).trim();
  if (!/^-?\d+$/.test(t)) throw new ZkPayloadError(path, `expected a decimal offset, got ${JSON.stringify(t.slice(0, 40))}`, 'offset');
  return BigInt(t);
}

// ---- /admin/reassign_partitions, /admin/preferred_replica_election -------------------------

export interface PartitionReassignment {
  topic: string;
  partition: number;
  replicas: number[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export function encodeReassignment(partitions: readonly PartitionReassignment[]): Buffer {
  return json({ version: 1, partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas })) });
}

export function decodeReassignment(data: ZkData, path = '/admin/reassign_partitions'): PartitionReassignment[] {
  return partitionList(data, path).map((e, i) => ({
    topic: str(e.topic, path, `partitions[${i}].topic`),
    partition: int(e.partition, path, `partitions[${i}].partition`),
    replicas: intArray(e.replicas, path, `partitions[${i}].replicas`),
  }));
}

export function encodePreferredReplicaElection(partitions: readonly TopicPartition[]): Buffer {
  return json({ version: 1, partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })) });
}

export function decodePreferredReplicaElection(data: ZkData, path = '/admin/preferred_replica_election'): TopicPartition[] {
  return partitionList(data, path).map((e, i) => ({
    topic: str(e.topic, path, `partitions[${i}].topic`),
    partition: int(e.partition, path, `partitions[${i}].partition`),
  }));
}

function partitionList(data: ZkData, path: string): Obj[] {
  const o = parseObject(data, path);
  checkVersion(o, path);
  if (!Array.isArray(o.partitions)) throw new ZkPayloadError(path, 'expected an array', 'partitions');
  return o.partitions.map((e, i) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new ZkPayloadError(path, 'expected an object', `partitions[${i}]`);
    return e as Obj;
  });
}

// ---- /config/topics/<T>, /config/changes/config_change_<seq> ------------------------------

/** Topic config overrides; values are strings, as Kafka stores them. */
export type TopicConfig = Record<string, string>;

export function encodeTopicConfig(config: Record<string, string | number | boolean>): Buffer {
  const c: TopicConfig = {};
  for (const [k, v] of Object.entries(config)) c[k] = String(v);
  return json({ version: 1, config: c });
}

export function decodeTopicConfig(data: ZkData, path = '/config/topics/?'): TopicConfig {
  if (text(data).trim() === '') return {};
  const o = parseObject(data, path);
  checkVersion(o, path);
  const c = o.config ?? {};
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new ZkPayloadError(path, 'expected an object', 'config');
  const out: TopicConfig = {};
  for (const [k, v] of Object.entries(c as Obj)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else throw new ZkPayloadError(path, `expected a string value, got ${JSON.stringify(v)}`, `config.${k}`);
  }
  return out;
}

/** What a config change notification names: a topic, or a broker entity (an id or `<default>`). */
export interface ConfigChange {
  entityType: 'topics' | 'brokers';
  entityName: string;
}

/**
 * A topic's config change notification as 0.8.1 writes it: the topic name as a JSON string.
 * Other entities are written as 0.10.1+ does: {"version":2,"entity_path":"brokers/<name>"}.
 */
export function encodeConfigChange(topic: string): Buffer {
  return json(topic);
}

export function encodeEntityConfigChange(c: ConfigChange): Buffer {
  return c.entityType === 'topics' ? encodeConfigChange(c.entityName) : json({ version: 2, entity_path: `${c.entityType}/${c.entityName}` });
}

/**
 * Reads every payload Kafka has written: 0.8's `"T"` (or a bare name), 0.9's
 * {"version":1,"entity_type":"topics","entity_name":"T"} and 0.10.1's {"version":2,"entity_path":"topics/T"}.
 */
export function decodeEntityConfigChange(data: ZkData, path = '/config/changes/?'): ConfigChange {
  const t = text(data).trim();
  if (!t.startsWith('{')) return { entityType: 'topics', entityName: decodeConfigChange(data, path) };
  const o = parseObject(data, path);
  let type: unknown;
  let name: unknown;
  if (o.version === 1) {
    type = o.entity_type;
    name = o.entity_name;
  } else if (o.version === 2) {
    if (typeof o.entity_path !== 'string') throw new ZkPayloadError(path, 'expected a string', 'entity_path');
    const slash = o.entity_path.indexOf('/');
    type = o.entity_path.slice(0, slash);
    name = o.entity_path.slice(slash + 1);
    if (slash <= 0) throw new ZkPayloadError(path, `bad entity path ${JSON.stringify(o.entity_path)}`, 'entity_path');
  } else {
    throw new ZkPayloadError(path, `unsupported version ${JSON.stringify(o.version)}`, 'version');
  }
  if (type !== 'topics' && type !== 'brokers') throw new ZkPayloadError(path, `unsupported entity type ${JSON.stringify(type)}`, 'entity_type');
  if (typeof name !== 'string' || !(type === 'topics' ? LEGAL_TOPIC_NAME.test(name) : name === DEFAULT_BROKER_ENTITY || /^\d+$/.test(name))) throw new ZkPayloadError(path, `bad entity name ${JSON.stringify(name)}`, 'entity_name');
  return { entityType: type, entityName: name };
}

/** What a notification may name: a legal topic name (Kafka's characters), a broker id or `<default>`. */
const LEGAL_TOPIC_NAME = /^(?!\.{1,2}$)[a-zA-Z0-9._-]+$/;

/** Accepts the JSON string Kafka writes and a bare topic name; either must be a legal topic name. */
export function decodeConfigChange(data: ZkData, path = '/config/changes/?'): string {
  const t = text(data).trim();
  if (t.startsWith('"')) {
    try {
      const v: unknown = JSON.parse(t);
      if (typeof v === 'string' && LEGAL_TOPIC_NAME.test(v)) return v;
    } catch {
      /* fall through */
    }
    throw new ZkPayloadError(path, `bad topic name ${JSON.stringify(t.slice(0, 80))}`, 'topic');
  }
  if (!LEGAL_TOPIC_NAME.test(t)) throw new ZkPayloadError(path, `bad topic name ${JSON.stringify(t.slice(0, 80))}`, 'topic');
  return t;
}

// ---- /cluster/id --------------------------------------------------------------------------

/** Kafka 0.10.1+'s ClusterIdZNode: the version is a string there. */
export function encodeClusterId(id: string): Buffer {
  return json({ version: '1', id });
}

export function decodeClusterId(data: ZkData, path = '/cluster/id'): string {
  const o = parseObject(data, path);
  checkVersion(o, path);
  const id = str(o.id, path, 'id');
  if (id.length === 0) throw new ZkPayloadError(path, 'empty cluster id', 'id');
  return id;
}
