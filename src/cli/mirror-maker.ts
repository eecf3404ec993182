/**
 * kafka-mirror-maker.sh: copies the topics a whitelist (or blacklist) selects from a source
 * cluster to a target cluster, losing nothing (src/mirror/mirror-maker.ts):
 *
 *   kafka-mirror-maker.sh --consumer.config source.properties --producer.config target.properties --whitelist 'clicks|views.*'
 *
 * source.properties: zookeeper.connect=H:P[/chroot] and group.id=G (a ZooKeeper-coordinated
 * group; auto-commit is forced off; auto.offset.reset defaults to smallest) and any other 0.8
 * consumer property. target.properties: bootstrap.servers=H:P (or metadata.broker.list) and
 * any producer property (defaults acks=all, unbounded retries, the idempotent producer).
 *
 * SIGTERM or SIGINT drains (every record sent is acknowledged), commits, leaves the group and
 * exits 0; a second one exits 1 at once (offsets committed so far are all acknowledged ones).
 * A failed send with --abort.on.send.failure true (the default) stops the mirror with a clear
 * error and exit 1, nothing committed past the failed record. A progress line every
 * --progress.interval.ms (10 s): records mirrored, rate, failures, the group's lag. Bad
 * options, configs, regexes, a handler that does not load, an unreachable target or source
 * ZooKeeper: a message on stderr and exit 1, with nothing registered.
 */
import { ConfigError } from '../common/errors.js';
import { Logger } from '../common/logger.js';
import { readPropertiesFile } from '../common/properties.js';
import { TopicFilter } from '../client/connector/topic-filter.js';
import { mirrorConsumerSettings, mirrorProducerOptions } from '../mirror/config.js';
import { loadMessageHandler, type MessageHandler } from '../mirror/message-handler.js';
import { DEFAULT_QUEUE_SIZE, MirrorMaker } from '../mirror/mirror-maker.js';
import { describeError, fail, newProgram } from './common.js';

const TOOL = 'kafka-mirror-maker';

interface Opts {
  'consumer.config': string;
  'producer.config': string;
  whitelist?: string;
  blacklist?: string;
  'num.streams': string;
  'offset.commit.interval.ms': string;
  'abort.on.send.failure': string;
  'message.handler'?: string;
  'message.handler.args'?: string;
  'preserve.partitions'?: boolean;
  'create.topics': string;
  'progress.interval.ms': string;
  'queue.size': string;
}

function bool(flag: string, v: string): boolean {
  if (v !== 'true' && v !== 'false') fail(TOOL, `--${flag} must be true or false, got "${v}"`);
  return v === 'true';
}

function int(flag: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) fail(TOOL, `--${flag} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

function properties(flag: string, file: string): Record<string, string> {
  try {
    return Object.fromEntries(readPropertiesFile(file));
  } catch (err) {
    fail(TOOL, `cannot read --${flag} ${file}: ${(err as Error).message}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-mirror-maker.sh', 'Copy topics from a source cluster to a target cluster, committing only what the target acknowledged')
    .requiredOption('--consumer.config <file>', 'REQUIRED: the source: consumer properties with zookeeper.connect and group.id')
    .requiredOption('--producer.config <file>', 'REQUIRED: the target: producer properties with bootstrap.servers (or metadata.broker.list)')
    .option('--whitelist <regex>', "the topics to mirror: a regular expression (',' and '|' separate alternatives); topics created later join")
    .option('--blacklist <regex>', 'mirror every topic except those this regular expression matches')
    .option('--num.streams <n>', 'consumer streams, each with its own loop', '1')
    .option('--offset.commit.interval.ms <ms>', 'how often acknowledged offsets are committed', '60000')
    .option('--abort.on.send.failure <bool>', 'true: a failed send stops the mirror (exit 1, nothing committed past it); false: it is logged and skipped', 'true')
    .option('--message.handler <module>', 'a .js/.mjs/.ts module whose default (or "handle") export maps a record to zero or more records')
    .option('--message.handler.args <string>', 'passed to the handler as its second argument')
    .option('--preserve.partitions', 'send each record to its source partition number when the target topic has as many partitions')
    .option('--create.topics <bool>', "true: create missing target topics with the source's partition count; false: leave them to the target's auto.create.topics.enable", 'true')
    .option('--progress.interval.ms <ms>', 'how often the progress line is printed (0: never)', '10000')
    .option('--queue.size <n>', 'records taken from the source and not yet acknowledged by the target, at most', String(DEFAULT_QUEUE_SIZE))
    .addHelpText('after', '\nExample:\n  kafka-mirror-maker.sh --consumer.config source.properties --producer.config target.properties --whitelist "clicks|views.*"')
    .parse(argv)
    .opts<Opts>();

  if ((o.whitelist === undefined) === (o.blacklist === undefined)) fail(TOOL, 'give exactly one of --whitelist or --blacklist');
  const numStreams = int('num.streams', o['num.streams'], 1);
  if (numStreams > 1000) fail(TOOL, `--num.streams must be at most 1000, got ${numStreams}`);
  const commitMs = int('offset.commit.interval.ms', o['offset.commit.interval.ms'], 1);
  const progressMs = int('progress.interval.ms', o['progress.interval.ms'], 0);
  const abortOnSendFailure = bool('abort.on.send.failure', o['abort.on.send.failure']);
  const createTopics = bool('create.topics', o['create.topics']);
  const queueSize = int('queue.size', o['queue.size'], 1);

  const log = new Logger('mirror-maker');
  let filter: TopicFilter;
  let consumerProps: Record<string, string>;
  let producer;
  let handler: MessageHandler | undefined;
  try {
    filter = o.whitelist !== undefined ? TopicFilter.whitelist(o.whitelist) : TopicFilter.blacklist(o.blacklist!);
    const consumer = mirrorConsumerSettings(properties('consumer.config', o['consumer.config']), `--consumer.config ${o['consumer.config']}`);
    for (const n of consumer.notes) log.warn(n);
    consumerProps = consumer.props;
    producer = mirrorProducerOptions(properties('producer.config', o['producer.config']), `--producer.config ${o['producer.config']}`);
    if (o['message.handler'] !== undefined) handler = await loadMessageHandler(o['message.handler'], o['message.handler.args']);
    else if (o['message.handler.args'] !== undefined) throw new ConfigError('--message.handler.args needs --message.handler');
  } catch (err) {
    fail(TOOL, describeError(err));
  }

  // a signal while starting is acted on once there is a mirror to stop
  let mm: MirrorMaker | undefined;
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`${TOOL}: stopping at once; offsets committed so far cover acknowledged records only\n`);
      process.exit(1);
    }
    if (mm) void finish(mm);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    mm = await MirrorMaker.start({
      consumerProps,
      producer,
      filter,
      numStreams,
      offsetCommitIntervalMs: commitMs,
      abortOnSendFailure,
      handler,
      preservePartitions: o['preserve.partitions'] === true,
      createTopics,
      progressIntervalMs: progressMs,
      queueSize,
      logger: log,
    });
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  mm.on('progress', (line) => log.info(line));
  mm.on('failed', () => void finish(mm!));
  if (signals > 0) void finish(mm);
}

let finishing: Promise<void> | undefined;
function finish(mm: MirrorMaker): Promise<void> {
  finishing ??= (async () => {
    await mm.stop();
    const failure = mm.failure;
    if (failure) process.stderr.write(`${TOOL}: ${failure.message}\n`);
    process.stderr.write(`${TOOL}: mirrored ${mm.stats.mirrored} records (${mm.stats.failed} failed, ${mm.stats.dropped} dropped by the handler)\n`, () => process.exit(failure ? 1 : 0));
  })();
  return finishing;
}
