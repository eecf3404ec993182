/**
 * kafka-console-consumer.sh: prints each record's value, one per line (with
 * `--property print.key=true`, `key<separator>value`), then "Processed a total of N messages".
 *
 * Three ways to consume:
 *  - In a consumer group coordinated through ZooKeeper (the default for a group), through the
 *    ZooKeeper consumer connector (src/client/connector): `--zookeeper H:P [--group G]` (0.8's
 *    form; without --group a console-consumer-<n> group is made and deleted at exit), or
 *    `--bootstrap-server H:P` with a group (`--group G` or `--consumer-property group.id=G`).
 *    With only --bootstrap-server, the ensemble is found as zookeeper-locator.ts says: the
 *    `zookeeper.connect` consumer property, else the ensemble `scripts/cluster.sh up` recorded
 *    in data/cluster.env, else 127.0.0.1:2181, and it must list the bootstrap broker. Offsets
 *    are committed to /consumers/<G>/offsets (with `--consumer-property offsets.storage=kafka`,
 *    0.8.2's, to the group's coordinator instead, and to both with dual.commit.enabled); the
 *    group starts at the latest offset unless --from-beginning (auto.offset.reset=smallest).
 *  - In a group coordinated by the brokers (Kafka 0.9+'s group coordinator), with the consumer
 *    property `group.protocol=broker` (--consumer-property or --consumer.config) and
 *    --bootstrap-server: the group consumer (src/client/group/group-consumer.ts) joins the
 *    group (`--group G` or group.id; without one a console-consumer-<n> group that commits
 *    nothing), consumes its share of the topic's partitions and commits to __consumer_offsets
 *    (every auto.commit.interval.ms and at exit, exactly the records printed). A new group
 *    starts at the latest offset unless --from-beginning (auto.offset.reset=earliest). The
 *    Java consumer's properties apply (session.timeout.ms, partition.assignment.strategy,
 *    ...); KAFKA_LOG_LEVEL=info shows each assignment. `group.protocol=zookeeper` is the
 *    default; any other value is an error.
 *  - Without a group: reads every partition from the latest (or --from-beginning earliest)
 *    offset, or one partition (--partition P --offset O|earliest|latest), straight from the
 *    brokers (SimpleConsumer); nothing is registered.
 * Stops after --max-messages or --timeout-ms without records.
 *
 * `--whitelist R` or `--blacklist R` instead of `--topic T` (0.8's wildcard consumer): every
 * topic the regular expression allows (`,` and `|` both separate alternatives; internal topics
 * left out unless exclude.internal.topics=false), including topics created while it runs. Only
 * through the ZooKeeper connector: without a group a console-consumer-<n> group is made, as
 * above.
 */
import { securityProperties } from '../client/producer/config.js';
import type { ClientSecurity } from '../network/client-security.js';
import { Cluster } from '../client/cluster.js';
import { SimpleConsumer } from '../client/simple-consumer.js';
import { ConsumerConnector } from '../client/connector/consumer-connector.js';
import { GroupConsumer } from '../client/group/group-consumer.js';
import { ConsumerTimeoutError, type ConsumerRecord, type KafkaStream } from '../client/connector/stream.js';
import { TopicFilter } from '../client/connector/topic-filter.js';
import { locateZooKeeper } from '../client/connector/zookeeper-locator.js';
import { ZkClient } from '../zk/client.js';
import { consumerGroupPath } from '../zk/paths.js';
import { readPropertiesFile } from '../common/properties.js';
import { Logger } from '../common/logger.js';
import { collect, describeError, fail, newProgram, parseKeyValues } from './common.js';

const TOOL = 'kafka-console-consumer';

interface Opts {
  bootstrapServer?: string;
  brokerList?: string;
  zookeeper?: string;
  group?: string;
  topic?: string;
  whitelist?: string;
  blacklist?: string;
  fromBeginning?: boolean;
  deleteConsumerOffsets?: boolean;
  partition?: string;
  offset: string;
  maxMessages?: string;
  timeoutMs?: string;
  property: string[];
  consumerProperty: string[];
  /** commander keeps the dot: `--consumer.config` is opts()['consumer.config']. */
  'consumer.config'?: string;
}

/** Turns a record into its output line; null prints nothing (the formatter reported why). */
export interface Formatter {
  format(r: { topic: string; partition: number; offset: number; timestamp: number; key: Buffer | null; value: Buffer | null }): string | null | Promise<string | null>;
}
/** Another tool built on this one (kafka-avro-console-consumer): its name and its formatter. */
export interface ConsoleConsumerVariant {
  name: string;
  description: string;
  formatter(props: Record<string, string>, topic: string): Formatter;
}

function formatter(props: Record<string, string>): Formatter {
  const printKey = props['print.key'] === 'true';
  const printOffset = props['print.offset'] === 'true';
  const printPartition = props['print.partition'] === 'true';
  const printTopic = props['print.topic'] === 'true';
  const sep = props['key.separator'] ?? '\t';
  return {
    format(r) {
      let line = '';
      if (printTopic) line += `${r.topic}${sep}`;
      if (printPartition) line += `${r.partition}${sep}`;
      if (printOffset) line += `${r.offset}${sep}`;
      if (printKey) line += `${r.key === null ? 'null' : r.key.toString('utf8')}${sep}`;
      return line + (r.value === null ? 'null' : r.value.toString('utf8'));
    },
  };
}

/** Exits once everything written to stdout has reached it (a pipe may still hold some). */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

async function write(line: string): Promise<void> {
  if (!process.stdout.write(line + '\n')) await new Promise((res) => process.stdout.once('drain', res));
}

async function emit(format: Formatter, r: Parameters<Formatter['format']>[0]): Promise<void> {
  const line = await format.format(r);
  if (line !== null) await write(line);
}

export async function main(argv: string[], variant?: ConsoleConsumerVariant): Promise<void> {
  const o = newProgram(variant?.name ?? 'kafka-console-consumer.sh', variant?.description ?? 'Read records from a topic and print them to standard output')
    .option('--bootstrap-server <list>', 'the brokers to bootstrap from, host1:port1,host2:port2')
    .option('--broker-list <list>', 'the same as --bootstrap-server (0.8 spelling)')
    .option('--zookeeper <connect>', 'consume in a group coordinated by this ZooKeeper, host:port[,host:port...][/chroot]')
    .option('--group <group>', 'the consumer group (the same as --consumer-property group.id=<group>); coordinated through ZooKeeper unless group.protocol=broker')
    .option('--topic <topic>', 'the topic to consume (or --whitelist / --blacklist)')
    .option('--whitelist <regex>', "every topic this regular expression matches, also those created later (',' and '|' separate alternatives); through the ZooKeeper connector")
    .option('--blacklist <regex>', 'every topic this regular expression does not match, also those created later; through the ZooKeeper connector')
    .option('--from-beginning', 'start with the earliest record instead of the latest (a group: when it has no committed offset)')
    .option('--delete-consumer-offsets', "delete the group's committed offsets first (with --from-beginning: start over)")
    .option('--partition <p>', 'consume only this partition (no group)')
    .option('--offset <offset>', 'with --partition: a number, earliest or latest', 'latest')
    .option('--max-messages <n>', 'exit after this many records')
    .option('--timeout-ms <ms>', 'exit when no record arrived for this long')
    .option('--property <name=value>', 'formatter properties: print.key=true, key.separator=<sep>, print.offset=true, print.partition=true, print.topic=true (repeatable)', collect, [])
    .option(
      '--consumer-property <name=value>',
      'a consumer property (repeatable), e.g. group.id=G, zookeeper.connect=H:P, auto.commit.interval.ms=1000; group.protocol=broker joins a group the brokers coordinate (with --bootstrap-server; Java consumer properties such as session.timeout.ms apply), group.protocol=zookeeper (the default) one coordinated through ZooKeeper',
      collect,
      [],
    )
    .option('--consumer.config <file>', 'consumer properties from a Java properties file')
    .parse(argv)
    .opts<Opts>();

  const brokers = o.bootstrapServer ?? o.brokerList;
  const given = [o.topic, o.whitelist, o.blacklist].filter((x) => x !== undefined).length;
  if (given !== 1) fail(TOOL, given === 0 ? 'give one of --topic, --whitelist or --blacklist' : 'give only one of --topic, --whitelist or --blacklist');
  let filter: TopicFilter | undefined;
  try {
    if (o.whitelist !== undefined) filter = TopicFilter.whitelist(o.whitelist);
    if (o.blacklist !== undefined) filter = TopicFilter.blacklist(o.blacklist);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  const format = (variant?.formatter ?? formatter)(parseKeyValues(TOOL, o.property, '--property'), o.topic ?? '');
  const max = o.maxMessages === undefined ? Infinity : Number(o.maxMessages);
  if (!(max > 0) || (o.maxMessages !== undefined && !Number.isInteger(max))) fail(TOOL, `--max-messages must be a positive integer, got "${o.maxMessages}"`);
  const idleMs = o.timeoutMs === undefined ? Infinity : Number(o.timeoutMs);
  if (!(idleMs > 0)) fail(TOOL, `--timeout-ms must be a positive integer, got "${o.timeoutMs}"`);

  let consumerProps: Record<string, string> = {};
  const configFile = o['consumer.config'];
  if (configFile) {
    try {
      consumerProps = Object.fromEntries(readPropertiesFile(configFile));
    } catch (err) {
      fail(TOOL, `cannot read --consumer.config ${configFile}: ${(err as Error).message}`);
    }
  }
  consumerProps = { ...consumerProps, ...parseKeyValues(TOOL, o.consumerProperty, '--consumer-property') };
  if (o.group !== undefined) consumerProps['group.id'] = o.group;
  if (o.zookeeper !== undefined) consumerProps['zookeeper.connect'] = o.zookeeper;

  const protocol = consumerProps['group.protocol'] ?? 'zookeeper';
  if (protocol !== 'zookeeper' && protocol !== 'broker') {
    fail(TOOL, `unknown group.protocol "${protocol}": zookeeper (a group coordinated through ZooKeeper, the default) or broker (a group coordinated by the brokers)`);
  }
  if (protocol === 'broker') {
    if (filter) fail(TOOL, '--whitelist and --blacklist subscribe through the ZooKeeper consumer connector; group.protocol=broker consumes named topics (--topic)');
    if (o.zookeeper !== undefined) fail(TOOL, 'group.protocol=broker joins a group through the brokers: use --bootstrap-server, not --zookeeper');
    if (!brokers) fail(TOOL, 'group.protocol=broker needs --bootstrap-server');
    if (o.partition !== undefined) fail(TOOL, '--partition reads one partition without a group; it cannot be used with group.protocol=broker');
    if (o.deleteConsumerOffsets) fail(TOOL, '--delete-consumer-offsets deletes offsets kept in ZooKeeper; it cannot be used with group.protocol=broker');
    return consumeInBrokerGroup(o, consumerProps, brokers, format, max, idleMs);
  }
  delete consumerProps['group.protocol'];

  // a wildcard needs the connector: without a group it makes one up, as 0.8's console consumer did
  const grouped = o.zookeeper !== undefined || consumerProps['group.id'] !== undefined || filter !== undefined;
  if (!brokers && o.zookeeper === undefined) fail(TOOL, 'missing required argument --bootstrap-server (or --zookeeper)');
  if (filter && o.partition !== undefined) fail(TOOL, '--partition reads one partition of one topic; it cannot be used with --whitelist or --blacklist');
  if (grouped && o.partition !== undefined) fail(TOOL, '--partition reads one partition without a group; it cannot be used with --group, group.id or --zookeeper');
  if (grouped) return consumeInGroup(o, filter, consumerProps, brokers, format, max, idleMs);
  let security: ClientSecurity | undefined;
  try {
    security = securityProperties(consumerProps);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  return consumeDirectly(o, brokers!, format, max, idleMs, security);
}

/** Through the ZooKeeper consumer connector. */
async function consumeInGroup(o: Opts, filter: TopicFilter | undefined, props: Record<string, string>, brokers: string | undefined, format: Formatter, max: number, idleMs: number): Promise<void> {
  const generatedGroup = props['group.id'] === undefined;
  if (generatedGroup) props['group.id'] = `console-consumer-${Math.floor(Math.random() * 100_000)}`;
  try {
    if (props['zookeeper.connect'] === undefined) props['zookeeper.connect'] = (await locateZooKeeper(brokers!, undefined)).connect;
    else if (brokers) await locateZooKeeper(brokers, props['zookeeper.connect']);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  props['auto.offset.reset'] ??= o.fromBeginning ? 'smallest' : 'largest';
  props['auto.commit.interval.ms'] ??= '10000'; // 0.8's console consumer default
  if (Number.isFinite(idleMs)) props['consumer.timeout.ms'] = String(idleMs);

  process.env.KAFKA_LOG_LEVEL ??= 'warn'; // the connector's rebalance lines only on request
  const log = new Logger('console-consumer');
  // a signal while joining (the member is registered before subscribe() returns) is kept and
  // acted on once there is a connector to close: the default action would leave the
  // registration and the made-up group behind
  let stopOnSignal: (() => void) | undefined;
  let signalled = false;
  const onSignal = (): void => {
    signalled = true;
    stopOnSignal?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let connector: ConsumerConnector;
  let stream: KafkaStream;
  try {
    if (o.deleteConsumerOffsets) await deleteGroupOffsets(props);
    if (filter) {
      const r = await ConsumerConnector.subscribeByFilter(props, filter, 1, { logger: log });
      connector = r.connector;
      stream = r.streams[0]!;
    } else {
      const r = await ConsumerConnector.subscribe(props, [o.topic!], { logger: log });
      connector = r.connector;
      stream = r.streams.get(o.topic!)![0]!;
    }
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  let count = 0;
  let exitCode = 0;
  let finishing: Promise<never> | undefined;
  const finish = (code: number): Promise<never> =>
    (finishing ??= (async () => {
      await connector.close().catch((err) => log.warn('close failed', { error: err as Error }));
      if (generatedGroup) await deleteGroup(props).catch(() => undefined);
      process.stderr.write(`Processed a total of ${count} messages\n`);
      exitAfterFlush(code);
      return new Promise<never>(() => {});
    })());
  stopOnSignal = () => void finish(0);
  if (signalled) stopOnSignal();
  try {
    let last: ConsumerRecord | undefined;
    for await (const r of stream) {
      last = r;
      await emit(format, r);
      if (++count >= max) break;
    }
    if (last) connector.markProcessed(last);
  } catch (err) {
    if (!(err instanceof ConsumerTimeoutError)) {
      process.stderr.write(`${TOOL}: ${describeError(err)}\n`);
      exitCode = 1;
    }
  }
  await finish(exitCode);
}

/** Through the group consumer: a group the brokers coordinate. */
async function consumeInBrokerGroup(o: Opts, props: Record<string, string>, brokers: string, format: Formatter, max: number, idleMs: number): Promise<void> {
  props['bootstrap.servers'] = brokers;
  delete props['group.protocol'];
  if (props['group.id'] === undefined) {
    // as Kafka's tool: a made-up group, whose offsets are worth nothing to anyone
    props['group.id'] = `console-consumer-${Math.floor(Math.random() * 100_000)}`;
    props['enable.auto.commit'] ??= 'false';
  }
  const reset = props['auto.offset.reset'];
  if (o.fromBeginning && reset !== undefined && reset !== 'earliest' && reset !== 'smallest') {
    fail(TOOL, `--from-beginning cannot be used with auto.offset.reset=${reset}`);
  }
  props['auto.offset.reset'] ??= o.fromBeginning ? 'earliest' : 'latest';
  props['client.id'] ??= 'console-consumer';
  process.env.KAFKA_LOG_LEVEL ??= 'warn'; // the assignment lines only on request
  const log = new Logger('console-consumer');
  let consumer: GroupConsumer;
  try {
    consumer = new GroupConsumer(props, { logger: log });
    consumer.subscribe([o.topic!]);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  let count = 0;
  let finishing: Promise<never> | undefined;
  const finish = (code: number): Promise<never> =>
    (finishing ??= (async () => {
      // commits the positions (what was printed) and leaves the group
      await consumer.close().catch((err) => log.warn('close failed', { error: err as Error }));
      process.stderr.write(`Processed a total of ${count} messages\n`);
      exitAfterFlush(code);
      return new Promise<never>(() => {});
    })());
  process.on('SIGINT', () => void finish(0));
  process.on('SIGTERM', () => void finish(0));
  try {
    let last = Date.now();
    while (count < max && !finishing) {
      // never more records than are still to print: the commit at exit covers exactly those
      const left = max - count;
      const records = await consumer.poll(Math.min(1000, idleMs), { maxRecords: Number.isFinite(left) ? left : undefined });
      if (finishing) break;
      if (records.length === 0) {
        if (Date.now() - last >= idleMs) break;
        continue;
      }
      last = Date.now();
      for (const r of records) {
        await emit(format, r);
        count++;
      }
    }
  } catch (err) {
    process.stderr.write(`${TOOL}: ${describeError(err)}\n`);
    return finish(1);
  }
  return finish(0);
}

function zkOf(props: Record<string, string>): Promise<ZkClient> {
  const c = props['zookeeper.connect']!;
  const slash = c.indexOf('/');
  return ZkClient.connect({ connectString: slash < 0 ? c : c.slice(0, slash), chroot: slash < 0 ? undefined : c.slice(slash), connectTimeoutMs: 6000 });
}

async function deleteGroupOffsets(props: Record<string, string>): Promise<void> {
  const zk = await zkOf(props);
  try {
    await zk.deleteRecursive(`${consumerGroupPath(props['group.id']!)}/offsets`);
  } finally {
    await zk.close();
  }
}

/** 0.8's console consumer removed the group it made up. */
async function deleteGroup(props: Record<string, string>): Promise<void> {
  const zk = await zkOf(props);
  try {
    await zk.deleteRecursive(consumerGroupPath(props['group.id']!));
  } finally {
    await zk.close();
  }
}

/** Without a group: straight from the partition leaders. */
async function consumeDirectly(o: Opts, brokers: string, format: Formatter, max: number, idleMs: number, security?: ClientSecurity): Promise<void> {
  const cluster = new Cluster({ brokers, clientId: 'console-consumer', security });
  const consumer = new SimpleConsumer(cluster, { maxWaitMs: Math.min(500, idleMs) });
  let count = 0;
  let finished = false;
  const finish = (code: number): Promise<never> => {
    if (!finished) {
      finished = true;
      process.stderr.write(`Processed a total of ${count} messages\n`);
      cluster.close();
      exitAfterFlush(code);
    }
    return new Promise<never>(() => {});
  };
  process.on('SIGINT', () => void finish(0));
  process.on('SIGTERM', () => void finish(0));
  try {
    const topic = o.topic!;
    const meta = await cluster.topicMetadata(topic);
    if (o.partition !== undefined) {
      const p = Number(o.partition);
      if (!meta.partitions.some((x) => x.partition === p)) fail(TOOL, `partition ${o.partition} of "${topic}" does not exist`);
      const off = o.offset === 'earliest' || o.offset === 'latest' ? o.offset : Number(o.offset);
      if (typeof off === 'number' && !(Number.isInteger(off) && off >= 0)) fail(TOOL, `--offset must be a non-negative integer, earliest or latest, got "${o.offset}"`);
      await consumer.seek(topic, p, o.fromBeginning && o.offset === 'latest' ? 'earliest' : off);
    } else {
      for (const p of meta.partitions) await consumer.seek(topic, p.partition, o.fromBeginning ? 'earliest' : 'latest');
    }
    let last = Date.now();
    while (count < max) {
      const records = await consumer.poll();
      if (records.length === 0 && Date.now() - last >= idleMs) break;
      for (const r of records) {
        last = Date.now();
        await emit(format, r);
        if (++count >= max) break;
      }
    }
  } catch (err) {
    process.stderr.write(`${TOOL}: ${describeError(err)}\n`);
    return finish(1);
  }
  return finish(0);
}
