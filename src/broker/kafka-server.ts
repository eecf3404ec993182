/**
 * One broker: opens its logs, connects to ZooKeeper, registers `/brokers/ids/<id>` (the
 * broker registry; ephemeral, exact 0.8 JSON), follows the cluster through the metadata cache,
 * takes part in controller election and serves the Kafka protocol on its listener.
 *
 * Start-up order: ZooKeeper -> dynamic configs -> logs (recovery, each with its topic's
 * overrides, as Kafka reads every topic config before loading the logs) -> metadata -> hosted
 * partitions -> listener -> registration, so a broker is visible only once it can serve.
 * Shutdown order (SIGTERM): stop accepting -> resign -> flush and close the logs (clean-shutdown
 * marker) -> deregister -> close the session.
 */
import { ProducerIdManager } from './producer-ids.js';
import { getOrCreateClusterId } from './cluster-id.js';
import type { BrokerConfig } from './config.js';
import { ZkClient } from '../zk/client.js';
import { NodeExistsError } from '../zk/errors.js';
import { brokerIdPath, persistentZkPaths } from '../zk/paths.js';
import { decodeBrokerRegistration, encodeBrokerRegistration } from '../zk/payloads.js';
import { LogManager } from '../storage/log-manager.js';
import { logConfigFromProperties, type TopicOverrides } from '../storage/config.js';
import { topicOverridesFromConfig } from '../storage/topic-config.js';
import { cleanerConfigFromProperties } from '../storage/cleaner/config.js';
import { createListenerServers, registrationEndpoints, type ListenerServer } from './listener-servers.js';
import { interBrokerClientSecurity } from './listeners.js';
import { AclAuthorizer, authorizerConfigFromProperties } from './authorizer.js';
import { ListenerEndpoints } from './listener-endpoints.js';
import type { ClientSecurity } from '../network/client-security.js';
import { MetadataCache } from './metadata-cache.js';
import { ReplicaManager } from './replica-manager.js';
import { KafkaController } from './controller/controller.js';
import { createDispatcher } from './request-dispatcher.js';
import { controlledShutdown } from './controlled-shutdown.js';
import { DynamicConfigManager } from './dynamic-config-manager.js';
import { createGroupCoordinator } from './group-coordination.js';
import { groupCoordinatorConfigFromProperties } from '../coordinator/config.js';
import { crc32cImplementation } from '../protocol/records/crc.js';
import { mallocOnHugePages } from './heap-opts.js';
import type { BrokerContext } from './handlers/context.js';
import { createTopic, liveBrokerIds } from '../admin/topic-admin.js';
import { ProjectError } from '../common/errors.js';
import { Logger } from '../common/logger.js';
import { BrokerMetrics } from './metrics.js';
import { MetricsServer } from '../common/metrics-server.js';
import { defaultFlushScheduler } from '../storage/flush-scheduler.js';
import { FileSystemSync, checkpointSync } from '../storage/syncfs.js';
import { defaultPageCache, nativeDropCache } from '../storage/page-cache.js';

export class BrokerIdInUseError extends ProjectError {}

export class KafkaServer {
  readonly config: BrokerConfig;
  readonly #log: Logger;
  #zk: ZkClient | undefined;
  #logs: LogManager | undefined;
  #metadata: MetadataCache | undefined;
  #configs: DynamicConfigManager | undefined;
  #replicas: ReplicaManager | undefined;
  #controller: KafkaController | undefined;
  #groups: { stop(): void } | undefined;
  #servers: ListenerServer[] = [];
  #interBrokerSecurity: ClientSecurity | undefined;
  #authorizer: AclAuthorizer | undefined;
  #metrics: BrokerMetrics | undefined;
  /** The syncfs helper of grouped flushes (storage/syncfs.ts), when available. */
  #fsSync: FileSystemSync | undefined;
  #metricsServer: MetricsServer | undefined;
  #stopping: Promise<void> | undefined;
  #registered = false;

  constructor(config: BrokerConfig) {
    this.config = config;
    this.#log = new Logger(`broker-${config.brokerId}`);
  }

  /** The first listener's bound port. */
  get port(): number {
    return this.#servers[0]?.server.port ?? this.config.port;
  }

  async start(): Promise<void> {
    const c = this.config;
    this.#log.info('starting', { brokerId: c.brokerId, listener: `${c.host}:${c.port}`, logDirs: c.logDirs.join(','), crc32c: crc32cImplementation, mallocHugePages: mallocOnHugePages() });
    // bad log settings are an error before anything connects
    const defaults = logConfigFromProperties(new Map(c.props));
    const cleaner = cleanerConfigFromProperties(c.props);
    const groupConfig = groupCoordinatorConfigFromProperties(c.props);
    const interBrokerSecurity = interBrokerClientSecurity(c.props, c.listeners);
    const authorizerConfig = authorizerConfigFromProperties(c.props);
    this.#interBrokerSecurity = interBrokerSecurity;
    const zk = await ZkClient.connect({
      connectString: c.zookeeperConnect,
      sessionTimeoutMs: c.zookeeperSessionTimeoutMs,
      connectTimeoutMs: c.zookeeperConnectionTimeoutMs,
      digest: c.zookeeperDigest ?? null,
      secureAcls: c.zookeeperSetAcl,
    });
    this.#zk = zk;
    for (const p of persistentZkPaths) await zk.ensurePath(p);
    if (authorizerConfig) {
      this.#authorizer = new AclAuthorizer(zk, authorizerConfig, this.#log.child('authorizer'), { changeExpirationMs: c.changeNotificationExpirationMs });
      await this.#authorizer.start();
    }
    const configs = new DynamicConfigManager(zk, c.brokerId, this.#log.child('dynamic-config'), { changeExpirationMs: c.changeNotificationExpirationMs });
    this.#configs = configs;
    await configs.start();
    // Every log is loaded with its topic's overrides (with the broker defaults only, a restarted
    // broker ignored them until the topic's next change: retention, max.message.bytes, compact...).
    const loaded = configs.knownTopicConfigs;
    if (c.encryptionKeys) {
      const k = c.encryptionKeys;
      this.#log.info('encryption at rest is on: new segment data is encrypted (AES-256-GCM)', { currentKeyId: k.currentId, keyIds: k.ids.join(',') });
      if (k.looseMode !== undefined) {
        this.#log.warn(`log.encryption.key.file ${c.props.get('log.encryption.key.file')} can be read by group or others (mode ${k.looseMode.toString(8)}): chmod 600 it`);
      }
    }
    this.#logs = await LogManager.open({
      logDirs: c.logDirs,
      defaults,
      cleaner,
      ...(c.encryptionKeys ? { keys: c.encryptionKeys } : {}),
      topicOverrides: Object.fromEntries([...loaded].flatMap(([topic, config]) => this.#overrides(topic, config))),
    });
    const logs = this.#logs;
    // changes announced while the logs loaded were emitted before anyone listened
    for (const [topic, config] of configs.knownTopicConfigs) {
      if (loaded.get(topic) !== config) for (const [, o] of this.#overrides(topic, config)) logs.updateConfig(topic, o);
    }
    const metadata = new MetadataCache();
    const endpoints = new ListenerEndpoints(zk, metadata);
    this.#metadata = metadata;
    const applyBrokerConfig = (dynamic: Record<string, string>): void => {
      try {
        const merged = new Map([...c.props, ...Object.entries(dynamic)]);
        logs.setDefaults(logConfigFromProperties(merged));
        logs.cleaner?.configure(cleanerConfigFromProperties(merged));
      } catch (err) {
        this.#log.warn('ignoring a bad dynamic broker config', { error: err });
      }
    };
    if (Object.keys(configs.brokerConfig).length > 0) applyBrokerConfig(configs.brokerConfig);
    configs.on('broker', applyBrokerConfig);
    const replicas = new ReplicaManager(
      {
        brokerId: c.brokerId,
        replicaLagTimeMaxMs: c.replicaLagTimeMaxMs,
        replicaFetchWaitMaxMs: c.replicaFetchWaitMaxMs,
        replicaFetchMaxBytes: c.replicaFetchMaxBytes,
        interBrokerSecurity,
      },
      this.#logs,
      zk,
      metadata,
      configs,
      this.#log.child('replicas'),
    );
    this.#replicas = replicas;
    await replicas.start();
    const groups = createGroupCoordinator(groupConfig, replicas, this.#log.child('group-coordinator'));
    this.#groups = groups;
    const controller = new KafkaController(
      zk,
      {
        brokerId: c.brokerId,
        uncleanLeaderElectionEnable: c.uncleanLeaderElectionEnable,
        autoLeaderRebalanceEnable: c.autoLeaderRebalanceEnable,
        leaderImbalanceCheckIntervalMs: c.leaderImbalanceCheckIntervalMs,
        interBrokerListener: c.listeners.interBroker,
        interBrokerSecurity,
      },
      this.#log.child('controller'),
    );
    this.#controller = controller;

    if (c.logFlushSyncfsMinLogs > 0) {
      const fsSync = await FileSystemSync.probe(c.logDirs[0]!);
      if (!fsSync) this.#log.info('syncfs is not available here (needs Linux >= 5.8, and python3 or coreutils sync -f): every log flushes with its own fdatasync');
      else this.#log.debug('grouped flushes use syncfs', { helper: fsSync.helper });
      defaultFlushScheduler.groupFlushes(fsSync, c.logFlushSyncfsMinLogs);
      checkpointSync.use(fsSync);
      this.#fsSync = fsSync;
    }
    defaultPageCache.configure(c.logPageCacheRetainBytes, nativeDropCache);
    if (c.logPageCacheRetainBytes > 0 && !nativeDropCache) this.#log.info('log.page.cache.retain.bytes has no effect here: the page-cache module is not built (scripts/build-native.sh needs a C compiler)');
    let zkState = 'connected';
    const metrics = new BrokerMetrics({
      flushScheduler: defaultFlushScheduler,
      replicas: () => this.#replicas,
      isController: () => controller.isActive,
      offlinePartitions: () => controller.offlinePartitionCount(),
      connections: () => this.#servers.map((s) => ({ listener: s.name, count: s.server.connectionCount })),
      logs: () => logs.all(),
      zkState: () => zkState,
    });
    this.#metrics = metrics;
    zk.on('state', (st) => {
      zkState = st === 'authFailed' ? 'disconnected' : st;
      metrics.zkState(st);
    });
    replicas.onIsrChange((_t, _p, from, to) => metrics.isrChange(from, to));
    replicas.onFetchRound((r) => metrics.fetchRound(r));
    const ctx: BrokerContext = {
      config: c,
      metrics,
      zk,
      metadata,
      replicas,
      controller,
      groups: { coordinator: groups.coordinator, config: groupConfig },
      producerIds: new ProducerIdManager(zk, c.brokerId),
      logger: this.#log.child('requests'),
      clusterId: await getOrCreateClusterId(zk),
      ...(this.#authorizer ? { authorizer: this.#authorizer } : {}),
      ...(c.listeners.listeners.length > 1 ? { endpointsFor: (l: string) => endpoints.forListener(l) } : {}),
      controllerId: () => (controller.elector.leaderId >= 0 ? controller.elector.leaderId : metadata.controllerId),
      autoCreateTopic: async (topic) => {
        const live = await liveBrokerIds(zk);
        await createTopic(zk, topic, { partitions: c.numPartitions, replicationFactor: Math.min(c.defaultReplicationFactor, Math.max(1, live.length)) });
        this.#log.info('auto-created topic', { topic, partitions: c.numPartitions });
      },
    };
    this.#servers = createListenerServers(
      c,
      createDispatcher(ctx),
      async (user, mechanism) => configs.scramCredential(user, mechanism),
      this.#log.child('network'),
      (apiKey, times) => metrics.responseSent(apiKey, times),
    );
    for (const s of this.#servers) {
      await s.server.start();
      const l = c.listeners.listeners.find((x) => x.name === s.name)!;
      if (!c.listeners.plainOnly) this.#log.info('listening', { listener: s.name, protocol: l.protocol, address: `${l.host}:${s.server.port}` });
    }
    if (c.metricsPort !== undefined) {
      this.#metricsServer = await MetricsServer.start(metrics.registry, c.host, c.metricsPort);
      this.#log.info('serving metrics', { url: `http://${c.host}:${this.#metricsServer.port}/metrics` });
    }
    await this.#register();
    zk.onSessionExpired(() => this.#register());
    controller.start();
    this.#log.info('started', { brokerId: c.brokerId, port: this.port });
  }

  /** [[topic, overrides]], or [] (with a warning) for a config the broker cannot use. */
  #overrides(topic: string, config: Record<string, string>): [string, TopicOverrides][] {
    try {
      return [[topic, topicOverridesFromConfig(config)]];
    } catch (err) {
      this.#log.warn('ignoring a bad topic config', { topic, error: err });
      return [];
    }
  }

  async #register(): Promise<void> {
    const c = this.config;
    const zk = this.#zk!;
    const data = c.listeners.plainOnly
      ? encodeBrokerRegistration({ host: c.advertisedHost, port: c.advertisedPort === 0 ? this.port : c.advertisedPort, jmxPort: -1, timestamp: Date.now() })
      : encodeBrokerRegistration({ host: c.advertisedHost, port: -1, jmxPort: -1, timestamp: Date.now(), endpoints: registrationEndpoints(c, this.#servers) });
    // A registration left by this broker's previous process (killed less than a session
    // timeout ago) vanishes when that session expires: wait for it, then register.
    const deadline = Date.now() + c.zookeeperSessionTimeoutMs * 1.5 + 2000;
    for (;;) {
      try {
        await zk.createEphemeralExpectConflict(brokerIdPath(c.brokerId), data);
        break;
      } catch (err) {
        if (!(err instanceof NodeExistsError)) throw err;
        if (Date.now() < deadline) {
          this.#log.info('broker id still registered by an earlier session; waiting for it to expire', { brokerId: c.brokerId });
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
      }
      const other = await zk.get(brokerIdPath(c.brokerId));
      let where = 'another process';
      try {
        if (other) {
          const r = decodeBrokerRegistration(other.data);
          where = `${r.host}:${r.port}`;
        }
      } catch {
        /* unreadable registration: keep the generic text */
      }
      throw new BrokerIdInUseError(`broker.id ${c.brokerId} is already registered in ZooKeeper by a live broker at ${where}; choose another broker.id`);
    }
    this.#registered = true;
    this.#log.info('registered in ZooKeeper', { path: brokerIdPath(c.brokerId) });
  }

  /** Deletes this broker's registration, and only if it is this session's own ephemeral. */
  async #deregister(): Promise<void> {
    const zk = this.#zk!;
    const path = brokerIdPath(this.config.brokerId);
    const stat = await zk.exists(path);
    if (stat && stat.ephemeralOwner === zk.sessionOwner) await zk.delete(path, stat.version);
  }

  /**
   * Clean shutdown; safe to call more than once. `exiting`: the process exits right after, so
   * the logs' files are left to the system to close (logs.close).
   */
  shutdown(opts: { exiting?: boolean } = {}): Promise<void> {
    this.#stopping ??= (async () => {
      this.#log.info('shutting down');
      // how long each step took, in the last line: what a slow shutdown spends its time on
      const took: Record<string, number> = {};
      let at = Date.now();
      const step = (name: string): void => {
        const now = Date.now();
        took[`${name}Ms`] = now - at;
        at = now;
      };
      if (this.config.controlledShutdownEnable && this.#controller && this.#registered) await controlledShutdown({ config: this.config, controller: this.#controller, metadata: this.#metadata, zk: this.#zk!, interBrokerSecurity: this.#interBrokerSecurity, log: this.#log });
      step('controlledShutdown');
      for (const s of this.#servers) s.server.stopAccepting();
      await this.#controller?.stop().catch(() => undefined);
      this.#groups?.stop();
      step('controller');
      await this.#replicas?.shutdown();
      step('replicas');
      this.#configs?.stop();
      this.#authorizer?.stop();
      await Promise.all(this.#servers.map((s) => s.server.close()));
      await this.#metricsServer?.close();
      this.#metrics?.close();
      step('network');
      await this.#logs?.close(opts);
      step('logs');
      defaultPageCache.configure(0, undefined);
      if (this.#fsSync) {
        defaultFlushScheduler.groupFlushes(undefined, 0);
        checkpointSync.use(undefined);
        this.#fsSync.close();
      }
      if (this.#zk) {
        if (this.#registered) await this.#deregister().catch(() => undefined);
        await this.#zk.close();
      }
      step('zookeeper');
      this.#log.info('shut down cleanly', took);
    })();
    return this.#stopping;
  }
}
