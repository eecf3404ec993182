/**
 * The high-level consumer's configuration: Kafka 0.8's ConsumerConfig names and defaults.
 * Every value is checked before anything is registered in ZooKeeper; a bad one is a
 * ConfigError naming the key. Unknown keys are reported (as 0.8's VerifiableProperties did)
 * and ignored.
 *
 * | key                              | default  |
 * |----------------------------------|----------|
 * | group.id                         | required |
 * | zookeeper.connect                | required (host:port[,host:port...][/chroot]) |
 * | consumer.id                      | generated: <hostname>-<ms>-<hex> |
 * | client.id                        | group.id |
 * | zookeeper.session.timeout.ms     | 6000     |
 * | zookeeper.connection.timeout.ms  | 6000     |
 * | auto.commit.enable               | true     |
 * | auto.commit.interval.ms          | 60000    |
 * | auto.offset.reset                | largest  (smallest or largest; earliest/latest accepted) |
 * | rebalance.max.retries            | 4        |
 * | rebalance.backoff.ms             | 2000     |
 * | partition.assignment.strategy    | range    (range or roundrobin) |
 * | fetch.message.max.bytes          | 1048576  |
 * | fetch.min.bytes                  | 1        |
 * | fetch.wait.max.ms                | 100      |
 * | queued.max.message.chunks        | 2        |
 * | refresh.leader.backoff.ms        | 200      |
 * | socket.timeout.ms                | 30000    |
 * | consumer.timeout.ms              | -1       (the stream iterator throws ConsumerTimeoutError after this long without a record) |
 * | offsets.storage                  | zookeeper (zookeeper or kafka; see offset-storage.ts) |
 * | dual.commit.enabled              | true with offsets.storage=kafka, else false (true with zookeeper is refused: it means nothing there) |
 * | offsets.channel.backoff.ms       | 1000     (longest pause between retries of the offset manager; between commit retries at close) |
 * | offsets.channel.socket.timeout.ms| 10000    (a request to the offset manager; also the deadline of one commit or fetch, retries included) |
 * | offsets.commit.max.retries       | 5        (offsets.storage=kafka: retries of the commit at close) |
 * | exclude.internal.topics          | true     (a whitelist or blacklist never takes __consumer_offsets) |
 *
 * offsets.storage and dual.commit.enabled are 0.8.2's: with kafka the group's offsets are
 * committed to and fetched from its offset manager (the broker's group coordinator, which keeps
 * them in __consumer_offsets); membership, ownership and rebalancing stay in ZooKeeper. To move
 * a group's offsets from ZooKeeper to Kafka without a gap, restart its members with
 * offsets.storage=kafka (dual.commit.enabled is then true by default): they resume at the larger
 * of the two offsets and commit to both; once every member runs so, dual.commit.enabled=false.
 */
import { ConfigError } from '../../common/errors.js';
import { clientSecurityFromProperties, type ClientSecurity } from '../../network/client-security.js';
import { ASSIGNMENT_STRATEGIES, type AssignmentStrategy } from './assignors.js';

export interface ConsumerConfig {
  groupId: string;
  /** host:port list without the chroot. */
  zookeeperConnect: string;
  /** The chroot of zookeeper.connect ('/x'), if any. */
  zookeeperChroot: string | undefined;
  consumerId: string | undefined;
  clientId: string;
  /** Serve Prometheus /metrics on 127.0.0.1 at this port (0: a free one); off when unset. */
  metricsPort: number | undefined;
  zookeeperSessionTimeoutMs: number;
  zookeeperConnectionTimeoutMs: number;
  autoCommitEnable: boolean;
  autoCommitIntervalMs: number;
  autoOffsetReset: 'smallest' | 'largest';
  rebalanceMaxRetries: number;
  rebalanceBackoffMs: number;
  partitionAssignmentStrategy: AssignmentStrategy;
  fetchMessageMaxBytes: number;
  fetchMinBytes: number;
  fetchWaitMaxMs: number;
  queuedMaxMessageChunks: number;
  refreshLeaderBackoffMs: number;
  socketTimeoutMs: number;
  consumerTimeoutMs: number;
  /** Where offsets are committed and fetched from. */
  offsetsStorage: OffsetsStorageName;
  /** offsets.storage=kafka: commit to ZooKeeper too, and resume at the larger of the two offsets. */
  dualCommitEnabled: boolean;
  offsetsChannelBackoffMs: number;
  offsetsChannelSocketTimeoutMs: number;
  offsetsCommitMaxRetries: number;
  /** Wildcard subscriptions leave internal topics (__consumer_offsets) out. */
  excludeInternalTopics: boolean;
  /** TLS / SASL to the brokers (security.protocol, ssl.*, sasl.*): the brokers' endpoints of that protocol are used. */
  security?: ClientSecurity;
}

export const OFFSETS_STORAGES = ['zookeeper', 'kafka'] as const;
export type OffsetsStorageName = (typeof OFFSETS_STORAGES)[number];

export type ConsumerProperties = Record<string, string | number | boolean> | ReadonlyMap<string, string>;

const KNOWN = new Set([
  'group.id',
  'zookeeper.connect',
  'consumer.id',
  'client.id',
  'metrics.port',
  'zookeeper.session.timeout.ms',
  'zookeeper.connection.timeout.ms',
  'zookeeper.sync.time.ms',
  'auto.commit.enable',
  'auto.commit.interval.ms',
  'auto.offset.reset',
  'rebalance.max.retries',
  'rebalance.backoff.ms',
  'partition.assignment.strategy',
  'fetch.message.max.bytes',
  'fetch.min.bytes',
  'fetch.wait.max.ms',
  'queued.max.message.chunks',
  'refresh.leader.backoff.ms',
  'socket.timeout.ms',
  'socket.receive.buffer.bytes',
  'consumer.timeout.ms',
  'offsets.storage',
  'dual.commit.enabled',
  'offsets.channel.backoff.ms',
  'offsets.channel.socket.timeout.ms',
  'offsets.commit.max.retries',
  'exclude.internal.topics',
]);

/** Parses and checks consumer properties. `warn` receives one line per unknown key. */
export function consumerConfig(props: ConsumerProperties, warn: (msg: string) => void = () => {}): ConsumerConfig {
  const map = new Map<string, string>(props instanceof Map ? [...(props as ReadonlyMap<string, string>)] : Object.entries(props).map(([k, v]) => [k, String(v)]));
  const isSecurity = (k: string): boolean => k === 'security.protocol' || k.startsWith('ssl.') || k.startsWith('sasl.') || k === 'enable.ssl.certificate.verification';
  for (const k of map.keys()) if (!KNOWN.has(k) && !isSecurity(k)) warn(`unknown consumer property "${k}" is ignored`);
  const security = clientSecurityFromProperties(new Map([...map].filter(([k]) => isSecurity(k))));
  const get = (k: string): string | undefined => {
    const v = map.get(k)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (k: string, dflt: number, min = 0): number => {
    const v = get(k);
    if (v === undefined) return dflt;
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) {
      throw new ConfigError(`consumer property ${k} must be an integer >= ${min}, got "${v}"`, { context: { key: k } });
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
  if (groupId === undefined) throw new ConfigError('consumer property group.id is required');
  if (groupId.includes('/') || groupId === '.' || groupId === '..' || /[\s\u0000]/.test(groupId)) {
    throw new ConfigError(`consumer property group.id "${groupId}" is not a valid group name (no "/", whitespace, "." or "..")`, { context: { key: 'group.id' } });
  }
  const connect = get('zookeeper.connect');
  if (connect === undefined) throw new ConfigError('consumer property zookeeper.connect is required (host:port[,host:port...][/chroot])');
  const slash = connect.indexOf('/');
  const hosts = slash < 0 ? connect : connect.slice(0, slash);
  const chroot = slash < 0 ? undefined : connect.slice(slash).replace(/\/+$/, '') || undefined;
  for (const h of hosts.split(',')) {
    if (!/^[^:\s,]+:\d{1,5}$/.test(h.trim())) {
      throw new ConfigError(`consumer property zookeeper.connect "${connect}" is not host:port[,host:port...][/chroot]`, { context: { key: 'zookeeper.connect' } });
    }
  }
  const consumerId = get('consumer.id');
  if (consumerId !== undefined && (consumerId.includes('/') || /\s/.test(consumerId))) {
    throw new ConfigError(`consumer property consumer.id "${consumerId}" must not contain "/" or whitespace`, { context: { key: 'consumer.id' } });
  }
  const resetRaw = get('auto.offset.reset') ?? 'largest';
  const reset = resetRaw === 'earliest' ? 'smallest' : resetRaw === 'latest' ? 'largest' : resetRaw;
  if (reset !== 'smallest' && reset !== 'largest') {
    throw new ConfigError(`consumer property auto.offset.reset must be smallest or largest, got "${resetRaw}"`, { context: { key: 'auto.offset.reset' } });
  }
  const strategy = get('partition.assignment.strategy') ?? 'range';
  if (!(ASSIGNMENT_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new ConfigError(`consumer property partition.assignment.strategy must be ${ASSIGNMENT_STRATEGIES.join(' or ')}, got "${strategy}"`, {
      context: { key: 'partition.assignment.strategy' },
    });
  }
  const storageRaw = get('offsets.storage') ?? 'zookeeper';
  const storage = storageRaw.toLowerCase(); // as 0.8.2
  if (!(OFFSETS_STORAGES as readonly string[]).includes(storage)) {
    throw new ConfigError(`consumer property offsets.storage must be zookeeper or kafka, got "${storageRaw}"`, { context: { key: 'offsets.storage' } });
  }
  const dualCommit = bool('dual.commit.enabled', storage === 'kafka');
  if (dualCommit && storage !== 'kafka') {
    throw new ConfigError(
      'consumer property dual.commit.enabled=true needs offsets.storage=kafka: it commits to ZooKeeper as well as to Kafka while a group moves its offsets to Kafka; with offsets.storage=zookeeper offsets go to ZooKeeper only',
      { context: { key: 'dual.commit.enabled' } },
    );
  }
  const consumerTimeoutMs = int('consumer.timeout.ms', -1, -1);

  return {
    ...(security ? { security } : {}),
    groupId,
    zookeeperConnect: hosts,
    zookeeperChroot: chroot,
    consumerId,
    clientId: get('client.id') ?? groupId,
    metricsPort: get('metrics.port') === undefined ? undefined : int('metrics.port', 0, 0),
    zookeeperSessionTimeoutMs: int('zookeeper.session.timeout.ms', 6000, 1),
    zookeeperConnectionTimeoutMs: int('zookeeper.connection.timeout.ms', 6000, 1),
    autoCommitEnable: bool('auto.commit.enable', true),
    autoCommitIntervalMs: int('auto.commit.interval.ms', 60_000, 1),
    autoOffsetReset: reset,
    rebalanceMaxRetries: int('rebalance.max.retries', 4, 1),
    rebalanceBackoffMs: int('rebalance.backoff.ms', 2000, 0),
    partitionAssignmentStrategy: strategy as AssignmentStrategy,
    fetchMessageMaxBytes: int('fetch.message.max.bytes', 1024 * 1024, 1),
    fetchMinBytes: int('fetch.min.bytes', 1, 0),
    fetchWaitMaxMs: int('fetch.wait.max.ms', 100, 0),
    queuedMaxMessageChunks: int('queued.max.message.chunks', 2, 1),
    refreshLeaderBackoffMs: int('refresh.leader.backoff.ms', 200, 0),
    socketTimeoutMs: int('socket.timeout.ms', 30_000, 1),
    consumerTimeoutMs: consumerTimeoutMs === 0 ? -1 : consumerTimeoutMs,
    offsetsStorage: storage as OffsetsStorageName,
    dualCommitEnabled: dualCommit,
    offsetsChannelBackoffMs: int('offsets.channel.backoff.ms', 1000, 0),
    offsetsChannelSocketTimeoutMs: int('offsets.channel.socket.timeout.ms', 10_000, 1),
    offsetsCommitMaxRetries: int('offsets.commit.max.retries', 5, 0),
    excludeInternalTopics: bool('exclude.internal.topics', true),
  };
}

/** Checks the stream count of a wildcard subscription (createMessageStreamsByFilter). */
export function validateStreamCount(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000) {
    throw new ConfigError(`bad subscription: the number of streams must be from 1 to 1000, got ${JSON.stringify(n)}`);
  }
}

/** Checks a subscription (topic -> number of streams) before it is registered. */
export function validateSubscription(sub: Readonly<Record<string, number>>, validateTopic: (t: string) => void): void {
  const topics = Object.keys(sub);
  if (topics.length === 0) throw new ConfigError('the subscription names no topic');
  for (const t of topics) {
    try {
      validateTopic(t);
    } catch (err) {
      throw new ConfigError(`bad subscription: ${(err as Error).message}`, { cause: err, context: { topic: t } });
    }
    const n = sub[t];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000) {
      throw new ConfigError(`bad subscription: topic "${t}" needs a stream count from 1 to 1000, got ${JSON.stringify(n)}`, { context: { topic: t } });
    }
  }
}
