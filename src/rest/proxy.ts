/**
 * The REST proxy assembled: one ZooKeeper session for metadata, one shared producer (bootstrap
 * servers, or the brokers registered in ZooKeeper), the consumer instances (each with its own
 * ZooKeeper session through the connector), and the HTTP server. `close()` stops serving, closes
 * every consumer instance (they leave their groups), flushes the producer and ends the session.
 */
import { Logger } from '../common/logger.js';
import { ZkClient } from '../zk/client.js';
import { Producer, producerOptionsFromProperties } from '../client/producer/index.js';
import { AvroCodec } from './avro.js';
import type { RestConfig } from './config.js';
import { ConsumerManager } from './consumer-manager.js';
import { Metadata, TopicCache } from './metadata.js';
import { ProduceHandler, restPartitioner } from './produce.js';
import { RestServer } from './server.js';

export interface RunningProxy {
  port: number;
  server: RestServer;
  consumers: ConsumerManager;
  close(): Promise<void>;
}

export async function startRestProxy(config: RestConfig): Promise<RunningProxy> {
  const log = new Logger('rest');
  const slash = config.zookeeperConnect.indexOf('/');
  const zk = await ZkClient.connect({
    connectString: slash < 0 ? config.zookeeperConnect : config.zookeeperConnect.slice(0, slash),
    chroot: slash < 0 ? undefined : config.zookeeperConnect.slice(slash),
    connectTimeoutMs: 15_000,
    sessionTimeoutMs: 30_000,
  });
  let producer: Producer | undefined;
  let consumers: ConsumerManager | undefined;
  try {
    const source = config.bootstrapServers ? { brokers: config.bootstrapServers } : { zookeeper: config.zookeeperConnect };
    producer = new Producer({ clientId: 'kafka-rest', ...producerOptionsFromProperties(config.producerProps), ...source, partitioner: restPartitioner() });
    const metadata = new Metadata(zk);
    const avro = config.schemaRegistryUrl ? new AvroCodec(config.schemaRegistryUrl) : undefined;
    consumers = new ConsumerManager(config.zookeeperConnect, config.consumerInstanceTimeoutMs, config.consumerProps);
    const server = new RestServer({
      metadata,
      produce: new ProduceHandler(producer, new TopicCache(metadata), avro),
      consumers,
      avro,
      maxRequestBytes: config.requestMaxBytes,
      consumerRequestTimeoutMs: config.consumerRequestTimeoutMs,
      consumerRequestMaxBytes: config.consumerRequestMaxBytes,
      hostName: config.hostName,
    });
    const port = await server.listen(config.host, config.port);
    const p = producer;
    const c = consumers;
    let closing: Promise<void> | undefined;
    return {
      port,
      server,
      consumers,
      close: () =>
        (closing ??= (async () => {
          await server.close();
          await c.close();
          await p.close().catch((err: unknown) => log.warn('producer close failed', { error: err as Error }));
          await zk.close();
        })()),
    };
  } catch (err) {
    await consumers?.close();
    await producer?.close().catch(() => undefined);
    await zk.close();
    throw err;
  }
}
