/**
 * kafka-console-producer.sh --broker-list H:P --topic T: one record per line of stdin.
 * With `--property parse.key=true` a line is `key<key.separator>value` (separator default tab).
 * Lines are sent in batches (--batch-size lines, or what arrived within --timeout ms); at the
 * end of input every batch is acknowledged (unless acks=0) before the tool exits 0.
 */
import readline from 'node:readline';
import { Cluster } from '../client/cluster.js';
import { Producer } from '../client/producer/producer.js';
import { securityProperties } from '../client/producer/config.js';
import { readPropertiesFile } from '../common/properties.js';
import { collect, describeError, fail, newProgram, parseKeyValues, positiveInt } from './common.js';

const TOOL = 'kafka-console-producer';
const CODECS = ['none', 'gzip', 'snappy', 'lz4'] as const;

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-console-producer.sh', 'Read lines from standard input and publish them to a topic')
    .requiredOption('--broker-list <list>', 'REQUIRED: the brokers to bootstrap from, host1:port1,host2:port2')
    .requiredOption('--topic <topic>', 'REQUIRED: the topic to produce to')
    .option('--property <name=value>', 'reader properties: parse.key=true, key.separator=<sep> (repeatable)', collect, [])
    .option('--compression-codec [codec]', 'none, gzip, snappy or lz4 (gzip when given without a value)')
    .option('--request-required-acks <acks>', 'acks the broker waits for: 0, 1 or -1 (all)', '1')
    .option('--batch-size <n>', 'records per partition batch, at most', positiveInt(TOOL, '--batch-size'), 200)
    .option('--timeout <ms>', 'how long a partly filled batch waits for more lines (linger.ms)', positiveInt(TOOL, '--timeout'), 100)
    .option('--message-send-max-retries <n>', 'retries of a failed send', '3')
    .option('--retry-backoff-ms <ms>', 'wait before a retry', positiveInt(TOOL, '--retry-backoff-ms'), 100)
    .option('--producer.config <file>', 'producer properties from a Java properties file (security.protocol, ssl.truststore.location, sasl.mechanism, sasl.jaas.config, ...)')
    .option('--producer-property <name=value>', 'a producer property (repeatable), over --producer.config', collect, [])
    .parse(argv)
    .opts<{ 'producer.config'?: string; producerProperty: string[]; brokerList: string; topic: string; property: string[]; compressionCodec?: string | true; requestRequiredAcks: string; batchSize: number; timeout: number; messageSendMaxRetries: string; retryBackoffMs: number }>();

  const props = parseKeyValues(TOOL, o.property, '--property');
  const parseKey = props['parse.key'] === 'true';
  const sep = props['key.separator'] ?? '\t';
  const codecName = o.compressionCodec === true ? 'gzip' : (o.compressionCodec ?? 'none');
  if (!(CODECS as readonly string[]).includes(codecName)) fail(TOOL, `unsupported --compression-codec "${codecName}" (none, gzip, snappy or lz4)`);
  const acks = Number(o.requestRequiredAcks);
  if (![0, 1, -1].includes(acks)) fail(TOOL, `--request-required-acks must be 0, 1 or -1, got "${o.requestRequiredAcks}"`);
  const retries = Number(o.messageSendMaxRetries);
  if (!Number.isInteger(retries) || retries < 0) fail(TOOL, `--message-send-max-retries must be a non-negative integer, got "${o.messageSendMaxRetries}"`);

  let producerProps: Record<string, string> = {};
  if (o['producer.config']) {
    try {
      producerProps = Object.fromEntries(readPropertiesFile(o['producer.config']));
    } catch (err) {
      fail(TOOL, `cannot read --producer.config ${o['producer.config']}: ${(err as Error).message}`);
    }
  }
  producerProps = { ...producerProps, ...parseKeyValues(TOOL, o.producerProperty, '--producer-property') };
  let cluster: Cluster;
  try {
    cluster = new Cluster({ brokers: o.brokerList, clientId: 'console-producer', security: securityProperties(producerProps) });
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  try {
    await cluster.topicMetadata(o.topic);
  } catch (err) {
    cluster.close();
    fail(TOOL, describeError(err));
  }
  const producer = new Producer({
    cluster,
    acks: acks as 0 | 1 | -1,
    compression: codecName as (typeof CODECS)[number],
    retries,
    retryBackoffMs: o.retryBackoffMs,
    lingerMs: o.timeout,
    // --batch-size counts lines; a line is small: give the batch room for that many.
    batchSize: Math.max(16384, o.batchSize * 128),
  });

  let failed: unknown;
  const onAck = (err: Error | null): void => {
    if (err) failed ??= err;
  };
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    let ok: boolean;
    if (parseKey) {
      const i = line.indexOf(sep);
      if (i < 0) {
        process.stderr.write(`${TOOL}: no key separator ${JSON.stringify(sep)} in line ${JSON.stringify(line)}; skipped\n`);
        return;
      }
      ok = producer.produce({ topic: o.topic, key: line.slice(0, i), value: line.slice(i + sep.length) }, onAck);
    } else {
      ok = producer.produce({ topic: o.topic, value: line }, onAck);
    }
    if (!ok) {
      rl.pause();
      void producer.ready().then(() => rl.resume());
    }
  });
  await new Promise<void>((resolve) => rl.on('close', resolve));
  await producer.close();
  cluster.close();
  if (failed) fail(TOOL, `send failed: ${describeError(failed)}`);
  process.exit(0);
}
