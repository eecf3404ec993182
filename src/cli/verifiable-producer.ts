/**
 * kafka-verifiable-producer.sh --broker-list H:P --topic T [--max-messages N] [--throughput N]
 *                              [--acks -1|0|1] [--value-prefix N] [--repeating-keys N]
 *                              [--message-create-time MS] [--producer.config F] [--command-config F]
 * Kafka's VerifiableProducer (org.apache.kafka.tools): produces increasing integers (`N`, or
 * `<prefix>.N` with --value-prefix) and prints one JSON event per line, so that a test can see
 * exactly which records were acknowledged, where, and which failed:
 *
 *   {"timestamp":..,"name":"startup_complete"}
 *   {"timestamp":..,"name":"producer_send_success","key":null,"value":"7","topic":"t","partition":1,"offset":42,"latency_ms":3}
 *   {"timestamp":..,"name":"producer_send_error","key":null,"value":"8","topic":"t","exception":"class KafkaError","message":".."}
 *   {"timestamp":..,"name":"shutdown_complete"}
 *   {"timestamp":..,"name":"tool_data","sent":N,"acked":N,"target_throughput":T,"avg_throughput":X}
 *
 * As in Kafka: --acks defaults to -1, retries to 0 (a failed send is reported, not retried;
 * `retries=N` in a config file changes it), --max-messages -1 produces until SIGTERM/SIGINT,
 * which flushes what is in flight before shutdown_complete. Ours: `latency_ms` (send to
 * acknowledgement) on every success, and `--bootstrap-server` as a synonym of --broker-list.
 */
import { Producer } from '../client/producer/producer.js';
import { producerOptionsFromProperties } from '../client/producer/config.js';
import { readPropertiesFile } from '../common/properties.js';
import { describeError, fail, newProgram } from './common.js';
import { emit, exceptionName, stdoutDrained } from './json-events.js';

const TOOL = 'kafka-verifiable-producer';

function int(flag: string) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v)) fail(TOOL, `${flag} must be an integer, got "${v}"`);
    return Number(v);
  };
}

export async function main(argv: string[]): Promise<void> {
  const program = newProgram('kafka-verifiable-producer.sh', 'Produces increasing integers to a topic and prints a JSON event for every send: which records were acknowledged (partition, offset) and which failed.')
    .option('--broker-list <HOST:PORT,...>', 'brokers to bootstrap from')
    .option('--bootstrap-server <HOST:PORT,...>', 'the same as --broker-list')
    .requiredOption('--topic <TOPIC>', 'produce to this topic')
    .option('--max-messages <N>', 'produce this many records; -1: until SIGTERM/SIGINT', int('--max-messages'), -1)
    .option('--throughput <N>', 'at most about N records a second; -1: as fast as possible', int('--throughput'), -1)
    .option('--acks <ACKS>', 'acks of every send: -1 (all in-sync replicas), 1 (the leader) or 0', '-1')
    .option('--value-prefix <N>', 'values are <N>.<counter> (an integer, as Kafka)', int('--value-prefix'))
    .option('--repeating-keys <N>', 'keys 0,1,..,N-1,0,..; default: no key', int('--repeating-keys'))
    .option('--message-create-time <MS>', 'record timestamps start here and advance with the clock', int('--message-create-time'), -1)
    .option('--producer.config <FILE>', 'producer properties (Kafka names)')
    .option('--command-config <FILE>', 'the same as --producer.config');
  program.parse(argv);
  const o = program.opts<{
    brokerList?: string;
    bootstrapServer?: string;
    topic: string;
    maxMessages: number;
    throughput: number;
    acks: string;
    valuePrefix?: number;
    repeatingKeys?: number;
    messageCreateTime: number;
    'producer.config'?: string;
    commandConfig?: string;
  }>();
  const brokers = o.bootstrapServer ?? o.brokerList;
  if (!brokers) fail(TOOL, 'one of --broker-list or --bootstrap-server is required');
  if (!['-1', '0', '1', 'all'].includes(o.acks)) fail(TOOL, `--acks must be -1, 0 or 1, got "${o.acks}"`);
  if (o['producer.config'] && o.commandConfig) fail(TOOL, 'Options --producer.config and --command-config are mutually exclusive.');
  if (o.repeatingKeys !== undefined && o.repeatingKeys <= 0) fail(TOOL, `--repeating-keys must be positive, got ${o.repeatingKeys}`);
  const props: Record<string, string> = { acks: o.acks, retries: '0' };
  const file = o['producer.config'] ?? o.commandConfig;
  if (file) {
    try {
      Object.assign(props, Object.fromEntries(readPropertiesFile(file)));
    } catch (err) {
      fail(TOOL, `cannot read ${file}: ${describeError(err)}`);
    }
  }
  props['bootstrap.servers'] = brokers;
  let producer: Producer;
  try {
    producer = new Producer({ clientId: 'verifiable-producer', ...producerOptionsFromProperties(props) });
  } catch (err) {
    fail(TOOL, describeError(err));
  }

  let stopping = false;
  let sent = 0;
  let acked = 0;
  const startMs = Date.now();
  let createTime = o.messageCreateTime >= 0 ? o.messageCreateTime : undefined;
  let keyCounter = 0;
  let shutdown: Promise<void> | undefined;
  const finish = (): Promise<void> =>
    (shutdown ??= (async () => {
      stopping = true;
      await producer.close().catch((err) => process.stderr.write(`${TOOL}: close: ${describeError(err)}\n`));
      emit('shutdown_complete');
      const elapsed = Math.max(1, Date.now() - startMs);
      emit('tool_data', { sent, acked, target_throughput: o.throughput, avg_throughput: (1000 * acked) / elapsed });
      await stdoutDrained();
      process.exit(0);
    })());
  process.on('SIGTERM', () => void finish());
  process.on('SIGINT', () => void finish());

  emit('startup_complete');
  const max = o.maxMessages < 0 ? Number.MAX_SAFE_INTEGER : o.maxMessages;
  for (let i = 0; i < max && !stopping; i++) {
    const value = o.valuePrefix !== undefined ? `${o.valuePrefix}.${i}` : String(i);
    let key: string | null = null;
    if (o.repeatingKeys !== undefined) {
      key = String(keyCounter++);
      if (keyCounter === o.repeatingKeys) keyCounter = 0;
    }
    const sentAt = Date.now();
    sent++;
    const timestamp = createTime;
    if (createTime !== undefined) createTime += Date.now() - startMs;
    const room = producer.produce({ topic: o.topic, key: key ?? undefined, value, timestamp }, (err, md) => {
      if (err || !md) {
        emit('producer_send_error', { key, value, topic: o.topic, exception: exceptionName(err), message: describeError(err) });
      } else {
        acked++;
        emit('producer_send_success', { key, value, topic: md.topic, partition: md.partition, offset: md.offset, latency_ms: Date.now() - sentAt });
      }
    });
    if (!room) await producer.ready();
    if (o.throughput > 0) {
      const due = startMs + ((i + 1) * 1000) / o.throughput;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    } else if ((i & 1023) === 1023) {
      await new Promise((r) => setImmediate(r)); // let the answers in
    }
  }
  await finish();
}
