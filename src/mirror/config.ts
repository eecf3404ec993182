/**
 * The mirror's two configurations, checked before anything connects:
 *
 * - the consumer's (`--consumer.config`): a ZooKeeper-coordinated group on the source, so
 *   `zookeeper.connect` and `group.id` are required. `auto.commit.enable` is forced off (the
 *   mirror commits what the target acknowledged, never what was merely fetched),
 *   `auto.offset.reset` defaults to smallest, so a topic that starts matching the whitelist
 *   while the mirror runs is copied from its first record, and `queued.max.message.chunks`
 *   to 10.
 * - the producer's (`--producer.config`): the target, `bootstrap.servers` or
 *   `metadata.broker.list`. Defaults as 0.9's MirrorMaker: acks=all, retries and
 *   delivery.timeout.ms unbounded, max.block.ms unbounded (block.on.buffer.full); ordering per
 *   partition comes from the idempotent producer (enable.idempotence=true, up to 5 requests in
 *   flight); a user who turns idempotence off gets max.in.flight.requests.per.connection=1,
 *   0.9's way to keep the order.
 */
import { ConfigError } from '../common/errors.js';
import { consumerConfig, type ConsumerConfig } from '../client/connector/config.js';
import { producerOptionsFromProperties, type ProducerOptions } from '../client/producer/index.js';

const MAX_INT = '2147483647';

export interface MirrorConsumerSettings {
  props: Record<string, string>;
  config: ConsumerConfig;
  /** Lines worth a warning (a forced setting). */
  notes: string[];
}

export function mirrorConsumerSettings(given: Record<string, string>, source = 'the consumer config'): MirrorConsumerSettings {
  const notes: string[] = [];
  const missing = ['zookeeper.connect', 'group.id'].filter((k) => !given[k]?.trim());
  if (missing.length > 0) {
    throw new ConfigError(
      `${source} has no ${missing.join(' and no ')}: the mirror consumes in a ZooKeeper-coordinated group on the source cluster (zookeeper.connect=host:port[/chroot], group.id=<group>)`,
    );
  }
  const props = { ...given };
  if (props['auto.commit.enable'] !== undefined && props['auto.commit.enable'].trim() !== 'false') {
    notes.push('auto.commit.enable is turned off: the mirror commits only offsets whose records the target acknowledged');
  }
  props['auto.commit.enable'] = 'false';
  props['auto.offset.reset'] ??= 'smallest';
  // chunks fetched ahead per stream: 0.8's default of 2 left one stream waiting for the next
  // fetch about a quarter of the time (a chunk is one partition's fetch, at most
  // fetch.message.max.bytes); 10 keeps it fed
  props['queued.max.message.chunks'] ??= '10';
  props['client.id'] ??= `mirror-maker-${props['group.id']!.trim()}`;
  let unknown: string[] = [];
  const config = consumerConfig(props, (m) => unknown.push(m));
  unknown = unknown.map((m) => `${source}: ${m}`);
  return { props, config, notes: [...notes, ...unknown] };
}

export function mirrorProducerOptions(given: Record<string, string>, source = 'the producer config'): ProducerOptions {
  if (!given['bootstrap.servers']?.trim() && !given['metadata.broker.list']?.trim()) {
    throw new ConfigError(`${source} has no bootstrap.servers (or metadata.broker.list): the brokers of the target cluster`);
  }
  const props: Record<string, string> = {
    acks: 'all',
    retries: MAX_INT,
    'delivery.timeout.ms': MAX_INT,
    'max.block.ms': MAX_INT,
    'enable.idempotence': 'true',
    'client.id': 'mirror-maker',
    ...given,
  };
  if (props['enable.idempotence']?.trim() === 'false' && given['max.in.flight.requests.per.connection'] === undefined) {
    props['max.in.flight.requests.per.connection'] = '1';
  }
  try {
    return producerOptionsFromProperties(props);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`, { cause: err });
  }
}
