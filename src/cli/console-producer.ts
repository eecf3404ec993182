/**
 * kafka-console-producer.sh --broker-list H:P --topic T: one record per line of stdin.
 * With `--property parse.key=true` a line is `key<key.separator>value` (separator default tab).
 * Lines are sent in batches (--batch-size lines, or what arrived within --timeout ms); at the
 * end of input every batch is acknowledged (unless acks=0) before the tool exits 0.
 */
import readline from 'node:readline';
import { Cluster } from '../client/cluster.js';
import { SimpleProducer, type ProducerRecord } from '../client/simple-producer.js';
import { CompressionCodec } from '../protocol/records/compression.js';
import { collect, describeError, fail, newProgram, parseKeyValues, positiveInt } from './common.js';

const TOOL = 'kafka-console-producer';
const CODECS: Record<string, CompressionCodec> = { none: CompressionCodec.None, gzip: CompressionCodec.Gzip, snappy: CompressionCodec.Snappy };

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-console-producer.sh', 'Read lines from standard input and publish them to a topic')
    .requiredOption('--broker-list <list>', 'REQUIRED: the brokers to bootstrap from, host1:port1,host2:port2')
    .requiredOption('--topic <topic>', 'REQUIRED: the topic to produce to')
    .option('--property <name=value>', 'reader properties: parse.key=true, key.separator=<sep> (repeatable)', collect, [])
    .option('--compression-codec [codec]', 'none, gzip or snappy (gzip when given without a value)')
    .option('--request-required-acks <acks>', 'acks the broker waits for: 0, 1 or -1 (all)', '1')
    .option('--batch-size <n>', 'lines sent in one request', positiveInt(TOOL, '--batch-size'), 200)
    .option('--timeout <ms>', 'how long to wait for more lines before sending a partial batch', positiveInt(TOOL, '--timeout'), 100)
    .option('--message-send-max-retries <n>', 'retries of a failed send', '3')
    .parse(argv)
    .opts<{ brokerList: string; topic: string; property: string[]; compressionCodec?: string | true; requestRequiredAcks: string; batchSize: number; timeout: number; messageSendMaxRetries: string }>();

  const props = parseKeyValues(TOOL, o.property, '--property');
  const parseKey = props['parse.key'] === 'true';
  const sep = props['key.separator'] ?? '\t';
  const codecName = o.compressionCodec === true ? 'gzip' : (o.compressionCodec ?? 'none');
  const codec = CODECS[codecName];
  if (codec === undefined) fail(TOOL, `unsupported --compression-codec "${codecName}" (none, gzip or snappy)`);
  const acks = Number(o.requestRequiredAcks);
  if (![0, 1, -1].includes(acks)) fail(TOOL, `--request-required-acks must be 0, 1 or -1, got "${o.requestRequiredAcks}"`);

  const cluster = new Cluster({ brokers: o.brokerList, clientId: 'console-producer' });
  const producer = new SimpleProducer(cluster, { acks, compression: codec, retries: Number(o.messageSendMaxRetries) || 3 });
  try {
    await cluster.topicMetadata(o.topic);
  } catch (err) {
    cluster.close();
    fail(TOOL, describeError(err));
  }

  let batch: ProducerRecord[] = [];
  let sending: Promise<unknown> = Promise.resolve();
  let failed: unknown;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    sending = sending.then(() => producer.send(o.topic, records)).catch((err: unknown) => {
      failed ??= err;
    });
  };
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (parseKey) {
      const i = line.indexOf(sep);
      if (i < 0) {
        process.stderr.write(`${TOOL}: no key separator ${JSON.stringify(sep)} in line ${JSON.stringify(line)}; skipped\n`);
        return;
      }
      batch.push({ key: line.slice(0, i), value: line.slice(i + sep.length) });
    } else {
      batch.push({ value: line });
    }
    if (batch.length >= o.batchSize) flush();
    else timer ??= setTimeout(flush, o.timeout);
  });
  await new Promise<void>((resolve) => rl.on('close', resolve));
  flush();
  await sending;
  cluster.close();
  if (failed) fail(TOOL, `send failed: ${describeError(failed)}`);
  process.exit(0);
}
