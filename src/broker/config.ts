/**
 * The broker's configuration: a Java properties file with Kafka's names and defaults
 * (config/server.properties), plus `--override key=value` flags. Log settings (`log.*`) are
 * read by the storage layer's own reader; this file owns everything else.
 */
import { ENCRYPTION_KEY_FILE_PROPERTY, KeyRing } from '../storage/encryption.js';
import os from 'node:os';
import { ConfigReader } from '../common/config-reader.js';
import { ConfigError } from '../common/errors.js';
import { CHANGE_EXPIRATION_MS, CHANGE_EXPIRATION_SETTING } from './change-notifications.js';
import { listenerSecurity, listenersFromProperties, type ListenerSecurity, type ListenersConfig } from './listeners.js';

export interface BrokerConfig {
  brokerId: number;
  /** The address the listener binds to. */
  host: string;
  port: number;
  /** What the broker registers in ZooKeeper and answers in Metadata. */
  advertisedHost: string;
  advertisedPort: number;
  logDirs: string[];
  /**
   * Ours: when at least this many logs wait for an fsync slot, they flush together through one
   * syncfs of their filesystem (storage/flush-scheduler.ts); 0 keeps an fdatasync per log.
   */
  logFlushSyncfsMinLogs: number;
  /**
   * Ours: about this many bytes of the most recently flushed log data stay in the page cache;
   * older flushed data is dropped from it (posix_fadvise), so new writes reuse its pages
   * (storage/page-cache.ts). 0 leaves the page cache to the kernel.
   */
  logPageCacheRetainBytes: number;
  zookeeperConnect: string;
  zookeeperSessionTimeoutMs: number;
  zookeeperConnectionTimeoutMs: number;
  /** zookeeper.set.acl: create znodes with Kafka's secure ACLs (needs zookeeperDigest). */
  zookeeperSetAcl: boolean;
  /** zookeeper.digest (ours; Kafka uses a JAAS Client section): "user:password" for ZooKeeper digest auth, else $ZKAFKA_ZOOKEEPER_DIGEST. */
  zookeeperDigest: string | undefined;
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  messageMaxBytes: number;
  socketRequestMaxBytes: number;
  connectionsMaxIdleMs: number;
  uncleanLeaderElectionEnable: boolean;
  minInsyncReplicas: number;
  replicaLagTimeMaxMs: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchMaxBytes: number;
  controlledShutdownEnable: boolean;
  controlledShutdownMaxRetries: number;
  controlledShutdownRetryBackoffMs: number;
  autoLeaderRebalanceEnable: boolean;
  leaderImbalanceCheckIntervalMs: number;
  /** metrics.port: where /metrics is served (Prometheus text); undefined = off, 0 = a free port. */
  metricsPort: number | undefined;
  /** Every listener, with its security protocol, and the inter-broker one (listeners.ts). */
  listeners: ListenersConfig;
  /** TLS options and SASL settings per listener name (key files read and checked at start-up). */
  listenerSecurity: ReadonlyMap<string, ListenerSecurity>;
  /** sasl.server.max.receive.size: the frame limit before SASL authentication (CVE-2022-34917). */
  saslServerMaxReceiveSize: number;
  /**
   * Internal, ours (zkafka.internal.change.notification.expiration.ms): how old a change
   * notification under /config/changes, /kafka-acl-changes or /kafka-acl-extended-changes must be
   * before the broker deletes it. Kafka's constant, 15 minutes; lowered only by tests.
   */
  changeNotificationExpirationMs: number;
  /** Every property as given, for the storage layer's `log.*` reader. */
  props: ReadonlyMap<string, string>;
  /** log.encryption.key.file's keys (storage/encryption.ts): segments encrypted at rest. Read at start only. */
  encryptionKeys?: KeyRing;
}

export function brokerConfigFromProperties(props: ReadonlyMap<string, string>): BrokerConfig {
  const c = new ConfigReader(props);
  const brokerId = c.int('broker.id', undefined, { min: 0 });
  let host = c.string('host.name', '');
  let port = c.int('port', 9092, { min: 0, max: 65535 });
  const logDirs = c.has('log.dirs') ? c.list('log.dirs') : [c.string('log.dir', '/tmp/kafka-logs')];
  if (logDirs.length === 0) throw new ConfigError('config "log.dirs" names no directory', { context: { key: 'log.dirs' } });
  const listeners = listenersFromProperties(props, {
    host,
    port,
    advertisedHost: c.string('advertised.host.name', ''),
    advertisedPort: c.int('advertised.port', -1, { min: -1, max: 65535 }),
  });
  // host/port: the first listener's (what 0.8 called host.name/port)
  const first = listeners.listeners[0]!;
  ({ host, port } = first);
  for (const l of listeners.listeners) {
    if (l.advertisedHost === '' || l.advertisedHost === '0.0.0.0') l.advertisedHost = os.hostname();
    if (l.advertisedPort < 0) l.advertisedPort = l.port;
  }
  const advertisedHost = first.advertisedHost;
  const advertisedPort = first.advertisedPort;
  const zookeeperConnect = c.string('zookeeper.connect');
  if (!/^[^,\s]+:\d+(,[^,\s]+:\d+)*(\/[^\s]*)?$/.test(zookeeperConnect)) {
    throw new ConfigError(`config "zookeeper.connect" must be host:port[,host:port...][/chroot], got "${zookeeperConnect}"`, {
      context: { key: 'zookeeper.connect' },
    });
  }
  const sessionTimeout = c.int('zookeeper.session.timeout.ms', 6000, { min: 1 });
  const zookeeperSetAcl = c.bool('zookeeper.set.acl', false);
  const zookeeperDigest = c.string('zookeeper.digest', process.env.ZKAFKA_ZOOKEEPER_DIGEST ?? '') || undefined;
  if (zookeeperDigest !== undefined && !/^[^:]+:.+$/.test(zookeeperDigest)) {
    throw new ConfigError('config "zookeeper.digest" must be user:password', { context: { key: 'zookeeper.digest' } });
  }
  if (zookeeperSetAcl && zookeeperDigest === undefined) {
    throw new ConfigError('zookeeper.set.acl is true, but no ZooKeeper credentials are configured: set zookeeper.digest=user:password (or $ZKAFKA_ZOOKEEPER_DIGEST)', { context: { key: 'zookeeper.set.acl' } });
  }
  const keyFile = c.string(ENCRYPTION_KEY_FILE_PROPERTY, '');
  const encryptionKeys = keyFile === '' ? undefined : KeyRing.load(keyFile);
  return {
    ...(encryptionKeys ? { encryptionKeys } : {}),
    brokerId,
    host: host === '' ? '0.0.0.0' : host,
    port,
    advertisedHost,
    advertisedPort,
    logDirs,
    zookeeperConnect,
    zookeeperSessionTimeoutMs: sessionTimeout,
    zookeeperSetAcl,
    zookeeperDigest,
    zookeeperConnectionTimeoutMs: c.int('zookeeper.connection.timeout.ms', sessionTimeout, { min: 1 }),
    numPartitions: c.int('num.partitions', 1, { min: 1 }),
    defaultReplicationFactor: c.int('default.replication.factor', 1, { min: 1 }),
    autoCreateTopicsEnable: c.bool('auto.create.topics.enable', true),
    deleteTopicEnable: c.bool('delete.topic.enable', true),
    messageMaxBytes: c.int('message.max.bytes', 1000012, { min: 0 }),
    socketRequestMaxBytes: c.int('socket.request.max.bytes', 104857600, { min: 1 }),
    connectionsMaxIdleMs: c.int('connections.max.idle.ms', 600000, { min: 1 }),
    uncleanLeaderElectionEnable: c.bool('unclean.leader.election.enable', false),
    minInsyncReplicas: c.int('min.insync.replicas', 1, { min: 1 }),
    replicaLagTimeMaxMs: c.int('replica.lag.time.max.ms', 10000, { min: 1 }),
    replicaFetchWaitMaxMs: c.int('replica.fetch.wait.max.ms', 500, { min: 0 }),
    replicaFetchMaxBytes: c.int('replica.fetch.max.bytes', 1048576, { min: 1 }),
    controlledShutdownEnable: c.bool('controlled.shutdown.enable', true),
    controlledShutdownMaxRetries: c.int('controlled.shutdown.max.retries', 3, { min: 1 }),
    controlledShutdownRetryBackoffMs: c.int('controlled.shutdown.retry.backoff.ms', 5000, { min: 0 }),
    autoLeaderRebalanceEnable: c.bool('auto.leader.rebalance.enable', true),
    leaderImbalanceCheckIntervalMs: c.int('leader.imbalance.check.interval.seconds', 300, { min: 1 }) * 1000,
    listeners,
    listenerSecurity: new Map(listeners.listeners.map((l): [string, ListenerSecurity] => [l.name, listenerSecurity(props, l)])),
    saslServerMaxReceiveSize: c.int('sasl.server.max.receive.size', 524288, { min: 1024 }),
    changeNotificationExpirationMs: c.int(CHANGE_EXPIRATION_SETTING, CHANGE_EXPIRATION_MS, { min: 0 }),
    metricsPort: c.has('metrics.port') ? c.int('metrics.port', 0, { min: 0, max: 65535 }) : undefined,
    logFlushSyncfsMinLogs: c.int('log.flush.syncfs.min.logs', 16, { min: 0 }),
    logPageCacheRetainBytes: c.long('log.page.cache.retain.bytes', 256 * 1024 * 1024, { min: 0 }),
    props,
  };
}
