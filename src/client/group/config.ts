/**
 * The group consumer's configuration: the Java consumer's property names and defaults (Kafka
 * 2.0's ConsumerConfig) for what it implements. Every value is checked before anything is
 * sent; a bad one is a ConfigError naming the key. Unknown keys are reported and ignored.
 *
 * | key                            | default   |
 * |--------------------------------|-----------|
 * | bootstrap.servers              | required (host:port,...), unless a Cluster is given |
 * | security.protocol, ssl.*, sasl.* | PLAINTEXT (client-security.ts)                 |
 * | group.id                       | required  |
 * | client.id                      | consumer-<n> |
 * | session.timeout.ms             | 10000     |
 * | heartbeat.interval.ms          | 3000      (below session.timeout.ms) |
 * | max.poll.interval.ms           | 300000    (also the rebalance timeout sent in JoinGroup) |
 * | enable.auto.commit             | true      |
 * | auto.commit.interval.ms        | 5000      |
 * | auto.offset.reset              | latest    (latest, earliest or none; 0.8's largest / smallest accepted) |
 * | partition.assignment.strategy  | range     (range, roundrobin, comma-separated by preference; Java class names accepted) |
 * | fetch.max.wait.ms              | 500       |
 * | fetch.min.bytes                | 1         |
 * | max.partition.fetch.bytes      | 1048576   |
 * | max.poll.records               | 500       |
 * | request.timeout.ms             | 30000     |
 * | retry.backoff.ms               | 100       |
 * | metadata.max.age.ms            | 300000    (how often the leader looks for partition count changes) |
 * | group.protocol                 | (read by the console consumer: broker for this consumer; ignored here) |
 */
import { ConfigError } from '../../common/errors.js';
import { parseBrokerList } from '../../network/client-connection.js';
import { clientSecurityFromProperties, type ClientSecurity } from '../../network/client-security.js';
import { assignorsFromStrategy, type ConsumerAssignor } from './assignors.js';

export type OffsetResetPolicy = 'earliest' | 'latest' | 'none';

export interface GroupConsumerConfig {
  /** host:port,...; may be empty when a Cluster is handed to the consumer. */
  bootstrapServers: string;
  /** TLS / SASL (security.protocol, ssl.*, sasl.*); undefined = PLAINTEXT. */
  security?: ClientSecurity;
  groupId: string;
  clientId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxPollIntervalMs: number;
  enableAutoCommit: boolean;
  autoCommitIntervalMs: number;
  autoOffsetReset: OffsetResetPolicy;
  /** In preference order. */
  assignors: ConsumerAssignor[];
  fetchMaxWaitMs: number;
  fetchMinBytes: number;
  maxPartitionFetchBytes: number;
  maxPollRecords: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  metadataMaxAgeMs: number;
}

export type GroupConsumerProperties = Record<string, string | number | boolean> | ReadonlyMap<string, string>;

const KNOWN = new Set([
  'bootstrap.servers',
  'group.id',
  'client.id',
  'session.timeout.ms',
  'heartbeat.interval.ms',
  'max.poll.interval.ms',
  'enable.auto.commit',
  'auto.commit.interval.ms',
  'auto.offset.reset',
  'partition.assignment.strategy',
  'fetch.max.wait.ms',
  'fetch.min.bytes',
  'max.partition.fetch.bytes',
  'max.poll.records',
  'request.timeout.ms',
  'retry.backoff.ms',
  'metadata.max.age.ms',
  'group.protocol',
  // Java consumer settings with no meaning here
  'key.deserializer',
  'value.deserializer',
]);

let clientSeq = 0;

/** Parses and checks group consumer properties. `warn` receives one line per unknown key. */
export function groupConsumerConfig(props: GroupConsumerProperties, warn: (msg: string) => void = () => {}): GroupConsumerConfig {
  const map = new Map<string, string>(props instanceof Map ? [...(props as ReadonlyMap<string, string>)] : Object.entries(props).map(([k, v]) => [k, String(v)]));
  const isSecurity = (k: string): boolean => k === 'security.protocol' || k.startsWith('ssl.') || k.startsWith('sasl.') || k === 'enable.ssl.certificate.verification';
  for (const k of map.keys()) if (!KNOWN.has(k) && !isSecurity(k)) warn(`unknown consumer property "${k}" is ignored`);
  const security = clientSecurityFromProperties(new Map([...map].filter(([k]) => isSecurity(k))));
  const get = (k: string): string | undefined => {
    const v = map.get(k)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (k: string, dflt: number, min: number): number => {
    const v = get(k);
    if (v === undefined) return dflt;
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min || Number(v) > 2147483647) {
      throw new ConfigError(`consumer property ${k} must be an integer from ${min} to 2147483647, got "${v}"`, { context: { key: k } });
    }
    return Number(v);
  };
  const bool = (k: string, dflt: boolean): boolean => {
    const v = get(k);
    if (v === undefined) return dflt;
    if (v !== 'true' && v !== 'false') throw new ConfigError(`consumer property ${k} must be true or false, got "${v}"`, { context: { key: k } });
    return v === 'true';
  };

  const groupId = get('group.id');
  if (groupId === undefined) throw new ConfigError('consumer property group.id is required to join a group', { context: { key: 'group.id' } });
  const bootstrapServers = get('bootstrap.servers') ?? '';
  if (bootstrapServers !== '') {
    try {
      parseBrokerList(bootstrapServers);
    } catch (err) {
      throw new ConfigError(`consumer property bootstrap.servers: ${(err as Error).message}`, { context: { key: 'bootstrap.servers' } });
    }
  }
  const resetRaw = get('auto.offset.reset') ?? 'latest';
  const reset = resetRaw === 'smallest' ? 'earliest' : resetRaw === 'largest' ? 'latest' : resetRaw;
  if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') {
    throw new ConfigError(`consumer property auto.offset.reset must be latest, earliest or none (or 0.8's largest / smallest), got "${resetRaw}"`, { context: { key: 'auto.offset.reset' } });
  }
  const sessionTimeoutMs = int('session.timeout.ms', 10_000, 1);
  const heartbeatIntervalMs = int('heartbeat.interval.ms', 3000, 1);
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new ConfigError(`consumer property heartbeat.interval.ms (${heartbeatIntervalMs}) must be lower than session.timeout.ms (${sessionTimeoutMs})`, { context: { key: 'heartbeat.interval.ms' } });
  }
  return {
    bootstrapServers,
    ...(security ? { security } : {}),
    groupId,
    clientId: get('client.id') ?? `consumer-${++clientSeq}`,
    sessionTimeoutMs,
    heartbeatIntervalMs,
    maxPollIntervalMs: int('max.poll.interval.ms', 300_000, 1),
    enableAutoCommit: bool('enable.auto.commit', true),
    autoCommitIntervalMs: int('auto.commit.interval.ms', 5000, 0),
    autoOffsetReset: reset,
    assignors: assignorsFromStrategy(get('partition.assignment.strategy') ?? 'range'),
    fetchMaxWaitMs: int('fetch.max.wait.ms', 500, 0),
    fetchMinBytes: int('fetch.min.bytes', 1, 0),
    maxPartitionFetchBytes: int('max.partition.fetch.bytes', 1024 * 1024, 1),
    maxPollRecords: int('max.poll.records', 500, 1),
    requestTimeoutMs: int('request.timeout.ms', 30_000, 1),
    retryBackoffMs: int('retry.backoff.ms', 100, 0),
    metadataMaxAgeMs: int('metadata.max.age.ms', 300_000, 0),
  };
}
