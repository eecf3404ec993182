/**
 * kafka-verifiable-consumer.sh --broker-list H:P --topic T --group-id G [--max-messages N]
 *     [--enable-autocommit] [--reset-policy earliest|latest|none] [--session-timeout MS]
 *     [--assignment-strategy S] [--verbose] [--consumer.config F] [--zookeeper H:P[/chroot]]
 * Kafka's VerifiableConsumer (org.apache.kafka.tools): consumes in a group and prints every
 * consumer event as one JSON line:
 *
 *   startup_complete
 *   partitions_assigned  {"partitions":[{"topic":"t","partition":0},..]}
 *   partitions_revoked   {"partitions":[..]}
 *   records_consumed     {"count":N,"partitions":[{"topic":"t","partition":0,"count":N,"minOffset":A,"maxOffset":B}]}
 *   record_data          {"key":..,"value":..,"topic":..,"partition":..,"offset":..}   (--verbose, one per record)
 *   offsets_committed    {"offsets":[{"topic":"t","partition":0,"offset":B+1}],"success":true[,"error":".."]}
 *                        (after every batch, unless --enable-autocommit)
 *   shutdown_complete    (after --max-messages records, or SIGTERM/SIGINT)
 *
 * With --broker-list the group is coordinated by the brokers (GroupConsumer, offsets in
 * __consumer_offsets), as Kafka's tool. With --zookeeper (ours) it is a 0.8 group through the
 * ZooKeeper consumer connector (offsets in /consumers/G/offsets); --broker-list is then not
 * needed. The connector hands records over one at a time: a records_consumed event covers what
 * arrived within 50 ms (at most 500 records). --session-timeout is the group session
 * (broker groups; at least the broker's group.min.session.timeout.ms, 6000) or the ZooKeeper
 * session (connector).
 */
import { GroupConsumer } from '../client/group/group-consumer.js';
import { ConsumerConnector } from '../client/connector/consumer-connector.js';
import type { ConsumerRecord } from '../client/connector/stream.js';
import { readPropertiesFile } from '../common/properties.js';
import { describeError, fail, newProgram } from './common.js';
import { emit, stdoutDrained } from './json-events.js';

const TOOL = 'kafka-verifiable-consumer';

interface Options {
  brokerList?: string;
  bootstrapServer?: string;
  zookeeper?: string;
  topic: string;
  groupId: string;
  groupInstanceId?: string;
  maxMessages: number;
  sessionTimeout: number;
  verbose?: boolean;
  enableAutocommit?: boolean;
  resetPolicy: string;
  assignmentStrategy?: string;
  'consumer.config'?: string;
}

interface Rec {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

function int(flag: string) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v)) fail(TOOL, `${flag} must be an integer, got "${v}"`);
    return Number(v);
  };
}

/** Prints records_consumed (and record_data) for one batch; returns the next offsets to commit. */
class Reporter {
  consumed = 0;
  constructor(private readonly o: Options) {}

  get finished(): boolean {
    return this.o.maxMessages >= 0 && this.consumed >= this.o.maxMessages;
  }

  batch(records: Rec[]): { topic: string; partition: number; offset: number }[] {
    if (this.o.maxMessages >= 0) records = records.slice(0, Math.max(0, this.o.maxMessages - this.consumed));
    if (records.length === 0) return [];
    const byTp = new Map<string, Rec[]>();
    for (const r of records) {
      const k = `${r.topic}\u0000${r.partition}`;
      let l = byTp.get(k);
      if (!l) byTp.set(k, (l = []));
      l.push(r);
    }
    const summaries = [...byTp.values()].map((l) => ({ topic: l[0]!.topic, partition: l[0]!.partition, count: l.length, minOffset: l[0]!.offset, maxOffset: l[l.length - 1]!.offset }));
    if (this.o.verbose) {
      for (const r of records) emit('record_data', { key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, topic: r.topic, partition: r.partition, offset: r.offset });
    }
    this.consumed += records.length;
    emit('records_consumed', { count: records.length, partitions: summaries });
    return summaries.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.maxOffset + 1 }));
  }
}

const tps = (l: { topic: string; partition: number }[]) => l.map((p) => ({ topic: p.topic, partition: p.partition }));

export async function main(argv: string[]): Promise<void> {
  const program = newProgram('kafka-verifiable-consumer.sh', 'Consumes a topic in a consumer group and prints every consumer event (assignments, records consumed, commits) as a JSON line.')
    .option('--broker-list <HOST:PORT,...>', 'brokers to bootstrap from (a broker-coordinated group)')
    .option('--bootstrap-server <HOST:PORT,...>', 'the same as --broker-list')
    .option('--zookeeper <HOST:PORT[/chroot]>', "ours: a ZooKeeper-coordinated group (0.8's consumer connector)")
    .requiredOption('--topic <TOPIC>', 'consume this topic')
    .requiredOption('--group-id <GROUP_ID>', 'the consumer group')
    .option('--group-instance-id <ID>', 'static membership (not supported)')
    .option('--max-messages <N>', 'consume this many records, then shut down; -1: until SIGTERM/SIGINT', int('--max-messages'), -1)
    .option('--session-timeout <MS>', 'the session timeout', int('--session-timeout'), 30000)
    .option('--verbose', 'print a record_data event for every record')
    .option('--enable-autocommit', 'let the consumer commit on its own (no offsets_committed events)')
    .option('--reset-policy <POLICY>', 'where to start without a committed offset: earliest, latest or none', 'earliest')
    .option('--assignment-strategy <S>', 'range or roundrobin (Java class names accepted)')
    .option('--consumer.config <FILE>', 'consumer properties (flags win)');
  program.parse(argv);
  const o = program.opts<Options>();
  const brokers = o.bootstrapServer ?? o.brokerList;
  if (!brokers && !o.zookeeper) fail(TOOL, 'one of --broker-list, --bootstrap-server or --zookeeper is required');
  if (o.groupInstanceId) fail(TOOL, '--group-instance-id: static membership is not supported');
  if (!['earliest', 'latest', 'none'].includes(o.resetPolicy)) fail(TOOL, `--reset-policy must be earliest, latest or none, got "${o.resetPolicy}"`);
  let fileProps: Record<string, string> = {};
  if (o['consumer.config']) {
    try {
      fileProps = Object.fromEntries(readPropertiesFile(o['consumer.config']));
    } catch (err) {
      fail(TOOL, `cannot read ${o['consumer.config']}: ${describeError(err)}`);
    }
  }
  const reporter = new Reporter(o);
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  emit('startup_complete');
  try {
    if (o.zookeeper) await runConnector(o, fileProps, reporter, () => stopping, (w) => (wake = w));
    else await runGroupConsumer(o, brokers!, fileProps, reporter, () => stopping);
  } catch (err) {
    process.stderr.write(`${TOOL}: ${describeError(err)}\n`);
    emit('shutdown_complete');
    await stdoutDrained();
    process.exit(1);
  }
  emit('shutdown_complete');
  await stdoutDrained();
  process.exit(0);
}

async function runGroupConsumer(o: Options, brokers: string, fileProps: Record<string, string>, reporter: Reporter, stopping: () => boolean): Promise<void> {
  const props: Record<string, string> = {
    ...fileProps,
    'bootstrap.servers': brokers,
    'group.id': o.groupId,
    'enable.auto.commit': String(Boolean(o.enableAutocommit)),
    'auto.offset.reset': o.resetPolicy,
    'session.timeout.ms': String(o.sessionTimeout),
  };
  if (o.assignmentStrategy) props['partition.assignment.strategy'] = o.assignmentStrategy;
  if (Number(props['heartbeat.interval.ms'] ?? 3000) >= o.sessionTimeout) props['heartbeat.interval.ms'] = String(Math.max(1, Math.floor(o.sessionTimeout / 3)));
  const consumer = new GroupConsumer(props);
  consumer.on('assigned', (a) => emit('partitions_assigned', { partitions: tps(a.partitions) }));
  consumer.on('revoked', (r) => emit('partitions_revoked', { partitions: tps(r.partitions) }));
  consumer.subscribe([o.topic]);
  try {
    while (!stopping() && !reporter.finished) {
      let records;
      try {
        records = await consumer.poll(200);
      } catch (err) {
        process.stderr.write(`${TOOL}: poll: ${describeError(err)}\n`);
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const offsets = reporter.batch(records);
      if (!o.enableAutocommit && offsets.length > 0) {
        try {
          await consumer.commitSync(offsets);
          emit('offsets_committed', { offsets, success: true });
        } catch (err) {
          emit('offsets_committed', { offsets, error: describeError(err), success: false });
        }
      }
    }
  } finally {
    await consumer.close().catch((err) => process.stderr.write(`${TOOL}: close: ${describeError(err)}\n`));
  }
}

async function runConnector(o: Options, fileProps: Record<string, string>, reporter: Reporter, stopping: () => boolean, onWake: (w: () => void) => void): Promise<void> {
  const props: Record<string, string> = {
    ...fileProps,
    'group.id': o.groupId,
    'zookeeper.connect': o.zookeeper!,
    'auto.commit.enable': String(Boolean(o.enableAutocommit)),
    'auto.offset.reset': o.resetPolicy === 'earliest' ? 'smallest' : o.resetPolicy === 'latest' ? 'largest' : 'none',
    'zookeeper.session.timeout.ms': String(o.sessionTimeout),
  };
  if (o.assignmentStrategy) props['partition.assignment.strategy'] = /round/i.test(o.assignmentStrategy) ? 'roundrobin' : 'range';
  if (props['auto.commit.enable'] === 'true' && !fileProps['auto.commit.interval.ms']) props['auto.commit.interval.ms'] = '5000';
  const { connector, streams } = await ConsumerConnector.subscribe(props, { [o.topic]: 1 });
  connector.on('assigned', (owned) => emit('partitions_assigned', { partitions: tps(owned) }));
  connector.on('revoked', (owned) => emit('partitions_revoked', { partitions: tps(owned) }));
  const stream = streams.get(o.topic)![0]!;
  const it = stream[Symbol.asyncIterator]();
  let pending: ConsumerRecord[] = [];
  let firstAt = 0;
  const flush = async () => {
    const batch = pending;
    pending = [];
    const offsets = reporter.batch(batch);
    for (const r of batch) connector.markProcessed(r);
    if (!o.enableAutocommit && offsets.length > 0) {
      try {
        await connector.commitOffsets();
        emit('offsets_committed', { offsets, success: true });
      } catch (err) {
        emit('offsets_committed', { offsets, error: describeError(err), success: false });
      }
    }
  };
  let next: Promise<IteratorResult<ConsumerRecord>> | undefined;
  try {
    while (!stopping() && !reporter.finished) {
      next ??= it.next();
      const waitMs = pending.length > 0 ? Math.max(0, firstAt + 50 - Date.now()) : 1000;
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        next.then((v) => ({ v })),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), waitMs);
          onWake(() => resolve(undefined));
        }),
      ]);
      clearTimeout(timer);
      if (r !== undefined) {
        next = undefined;
        if (r.v.done) break;
        if (pending.length === 0) firstAt = Date.now();
        pending.push(r.v.value);
        if (pending.length < 500 && Date.now() - firstAt < 50) continue;
      }
      if (pending.length > 0) await flush();
    }
    if (pending.length > 0) await flush();
  } finally {
    await connector.close().catch((err) => process.stderr.write(`${TOOL}: close: ${describeError(err)}\n`));
  }
}
