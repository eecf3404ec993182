/**
 * The REST proxy's configuration: Confluent kafka-rest's property names and defaults where it
 * has them.
 *
 * | key                            | default                  |
 * |--------------------------------|--------------------------|
 * | listeners                      | http://127.0.0.1:8082 (the first is used; http only) |
 * | zookeeper.connect              | required: host:port[,host:port][/chroot] (metadata and consumers) |
 * | bootstrap.servers              | none: the producer finds the brokers in ZooKeeper |
 * | schema.registry.url            | none: the avro embedded format is refused |
 * | host.name                      | none: base_uri uses the request's Host header |
 * | consumer.instance.timeout.ms   | 300000 (an idle consumer instance is closed) |
 * | consumer.request.timeout.ms    | 1000 (GET .../records waits this long without ?timeout=) |
 * | consumer.request.max.bytes     | 67108864 (the most key and value bytes one GET .../records answers) |
 * | request.max.bytes              | 16777216 (a larger request body is refused with 413, unread) |
 * | producer.<key>                 | a producer property (acks, linger.ms, compression.type, ...) |
 * | consumer.<key>                 | a consumer connector property for every instance (zookeeper.session.timeout.ms, fetch.wait.max.ms, ...) |
 * | id                             | accepted (Confluent's proxy id), unused |
 */
import { ConfigError } from '../common/errors.js';

export interface RestConfig {
  host: string;
  port: number;
  zookeeperConnect: string;
  bootstrapServers: string | undefined;
  schemaRegistryUrl: string | undefined;
  hostName: string | undefined;
  consumerInstanceTimeoutMs: number;
  consumerRequestTimeoutMs: number;
  consumerRequestMaxBytes: number;
  requestMaxBytes: number;
  producerProps: Record<string, string>;
  consumerProps: Record<string, string>;
}

const KNOWN = new Set([
  'listeners',
  'zookeeper.connect',
  'bootstrap.servers',
  'schema.registry.url',
  'host.name',
  'consumer.instance.timeout.ms',
  'consumer.request.timeout.ms',
  'consumer.request.max.bytes',
  'request.max.bytes',
  'id',
]);

export function restConfig(props: ReadonlyMap<string, string>): RestConfig {
  const get = (k: string): string | undefined => {
    const v = props.get(k)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const producerProps: Record<string, string> = {};
  const consumerProps: Record<string, string> = {};
  for (const [k, v] of props) {
    if (KNOWN.has(k)) continue;
    if (k.startsWith('producer.')) producerProps[k.slice('producer.'.length)] = v.trim();
    else if (k.startsWith('consumer.')) consumerProps[k.slice('consumer.'.length)] = v.trim();
    else throw new ConfigError(`unknown property ${k} (known: ${[...KNOWN].join(', ')}, producer.<key>, consumer.<key>)`);
  }
  const int = (k: string, dflt: number, min: number): number => {
    const v = get(k);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new ConfigError(`${k} must be an integer >= ${min}, got "${v}"`);
    return Number(v);
  };
  const listener = (get('listeners') ?? 'http://127.0.0.1:8082').split(',')[0]!.trim();
  const lm = /^http:\/\/([^:/]*|\[[^\]]+\]):(\d{1,5})\/?$/.exec(listener);
  if (!lm || Number(lm[2]) > 65535) throw new ConfigError(`listeners must look like http://host:port, got "${listener}" (https is not supported)`);
  const zookeeperConnect = get('zookeeper.connect');
  if (!zookeeperConnect) throw new ConfigError('zookeeper.connect (--zookeeper host:port[,host:port][/chroot]) is required');
  const hosts = zookeeperConnect.split('/')[0]!;
  for (const h of hosts.split(',')) if (!/^[^:\s,]+:\d{1,5}$/.test(h.trim())) throw new ConfigError(`zookeeper.connect "${zookeeperConnect}" is not host:port[,host:port...][/chroot]`);
  const bootstrapServers = get('bootstrap.servers');
  if (bootstrapServers) for (const h of bootstrapServers.split(',')) if (!/^([A-Za-z]+:\/\/)?[^:\s,]+:\d{1,5}$/.test(h.trim())) throw new ConfigError(`bootstrap.servers "${bootstrapServers}" is not host:port[,host:port...]`);
  const schemaRegistryUrl = get('schema.registry.url');
  if (schemaRegistryUrl && !/^https?:\/\/[^/]+/.test(schemaRegistryUrl)) throw new ConfigError(`schema.registry.url must be an http:// URL, got "${schemaRegistryUrl}"`);
  return {
    host: lm[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0',
    port: Number(lm[2]),
    zookeeperConnect,
    bootstrapServers: bootstrapServers?.replace(/[A-Za-z]+:\/\//g, ''),
    schemaRegistryUrl,
    hostName: get('host.name'),
    consumerInstanceTimeoutMs: int('consumer.instance.timeout.ms', 300_000, 1),
    consumerRequestTimeoutMs: int('consumer.request.timeout.ms', 1000, 0),
    consumerRequestMaxBytes: int('consumer.request.max.bytes', 67_108_864, 1),
    requestMaxBytes: int('request.max.bytes', 16_777_216, 1),
    producerProps,
    consumerProps,
  };
}
