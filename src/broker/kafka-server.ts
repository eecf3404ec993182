/**
 * One broker: opens its logs, connects to ZooKeeper, registers `/brokers/ids/<id>` (the
 * broker registry; ephemeral, exact 0.8 JSON), follows the cluster through the metadata cache,
 * takes part in controller election and serves the Kafka protocol on its listener.
 *
 * Start-up order: logs (recovery first) -> ZooKeeper -> metadata -> hosted partitions ->
 * listener -> registration, so a broker is visible only once it can serve.
 * Shutdown order (SIGTERM): stop accepting -> resign -> flush and close the logs (clean-shutdown
 * marker) -> deregister -> close the session.
 */
import type { BrokerConfig } from './config.js';
import { ZkClient } from '../zk/client.js';
import { NodeExistsError } from '../zk/errors.js';
import { brokerIdPath, persistentZkPaths } from '../zk/paths.js';
import { decodeBrokerRegistration, encodeBrokerRegistration } from '../zk/payloads.js';
import { LogManager } from '../storage/log-manager.js';
import { logConfigFromProperties } from '../storage/config.js';
import { SocketServer } from '../network/socket-server.js';
import { MetadataCache } from './metadata-cache.js';
import { ReplicaManager } from './replica-manager.js';
import { KafkaController } from './controller/controller.js';
import { createDispatcher } from './request-dispatcher.js';
import type { BrokerContext } from './handlers/context.js';
import { createTopic, liveBrokerIds } from '../admin/topic-admin.js';
import { ProjectError } from '../common/errors.js';
import { Logger } from '../common/logger.js';

export class BrokerIdInUseError extends ProjectError {}

export class KafkaServer {
  readonly config: BrokerConfig;
  readonly #log: Logger;
  #zk: ZkClient | undefined;
  #logs: LogManager | undefined;
  #metadata: MetadataCache | undefined;
  #replicas: ReplicaManager | undefined;
  #controller: KafkaController | undefined;
  #server: SocketServer | undefined;
  #stopping: Promise<void> | undefined;
  #registered = false;

  constructor(config: BrokerConfig) {
    this.config = config;
    this.#log = new Logger(`broker-${config.brokerId}`);
  }

  get port(): number {
    return this.#server?.port ?? this.config.port;
  }

  async start(): Promise<void> {
    const c = this.config;
    this.#log.info('starting', { brokerId: c.brokerId, listener: `${c.host}:${c.port}`, logDirs: c.logDirs.join(',') });
    this.#logs = await LogManager.open({ logDirs: c.logDirs, defaults: logConfigFromProperties(new Map(c.props)) });
    const zk = await ZkClient.connect({
      connectString: c.zookeeperConnect,
      sessionTimeoutMs: c.zookeeperSessionTimeoutMs,
      connectTimeoutMs: c.zookeeperConnectionTimeoutMs,
    });
    this.#zk = zk;
    for (const p of persistentZkPaths) await zk.ensurePath(p);
    const metadata = new MetadataCache(zk, this.#log.child('metadata'));
    this.#metadata = metadata;
    await metadata.start();
    const replicas = new ReplicaManager(c.brokerId, this.#logs, metadata, this.#log.child('replicas'));
    this.#replicas = replicas;
    metadata.on('change', () => void replicas.sync());
    await replicas.sync();
    const controller = new KafkaController(zk, c.brokerId, this.#log.child('controller'));
    this.#controller = controller;

    const ctx: BrokerContext = {
      config: c,
      zk,
      metadata,
      replicas,
      logger: this.#log.child('requests'),
      controllerId: () => controller.elector.leaderId,
      autoCreateTopic: async (topic) => {
        const live = await liveBrokerIds(zk);
        await createTopic(zk, topic, { partitions: c.numPartitions, replicationFactor: Math.min(c.defaultReplicationFactor, Math.max(1, live.length)) });
        this.#log.info('auto-created topic', { topic, partitions: c.numPartitions });
      },
    };
    this.#server = new SocketServer(
      { host: c.host, port: c.port, maxRequestBytes: c.socketRequestMaxBytes, idleTimeoutMs: c.connectionsMaxIdleMs, logger: this.#log.child('network') },
      createDispatcher(ctx),
    );
    await this.#server.start();
    await this.#register();
    zk.onSessionExpired(() => this.#register());
    controller.start();
    this.#log.info('started', { brokerId: c.brokerId, port: this.port });
  }

  async #register(): Promise<void> {
    const c = this.config;
    const zk = this.#zk!;
    const data = encodeBrokerRegistration({ host: c.advertisedHost, port: c.advertisedPort === 0 ? this.port : c.advertisedPort, jmxPort: -1, timestamp: Date.now() });
    try {
      await zk.createEphemeralExpectConflict(brokerIdPath(c.brokerId), data);
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
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
    if (stat && stat.ephemeralOwner === BigInt('0x' + zk.sessionIdHex)) await zk.delete(path, stat.version);
  }

  /** Clean shutdown; safe to call more than once. */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#log.info('shutting down');
      this.#server?.stopAccepting();
      await this.#controller?.stop().catch(() => undefined);
      this.#metadata?.stop();
      await this.#server?.close();
      await this.#logs?.close();
      if (this.#zk) {
        if (this.#registered) await this.#deregister().catch(() => undefined);
        await this.#zk.close();
      }
      this.#log.info('shut down cleanly');
    })();
    return this.#stopping;
  }
}
