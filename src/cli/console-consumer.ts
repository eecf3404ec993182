/**
 * kafka-console-consumer.sh --bootstrap-server H:P --topic T: prints each record's value, one
 * per line (with `--property print.key=true`, `key<separator>value`). Starts at the end unless
 * --from-beginning; --partition with --offset reads one partition from a given offset
 * (a number, earliest or latest). Stops after --max-messages or --timeout-ms without records,
 * then reports how many it processed.
 */
import { Cluster } from '../client/cluster.js';
import { SimpleConsumer } from '../client/simple-consumer.js';
import { collect, describeError, fail, newProgram, parseKeyValues } from './common.js';

const TOOL = 'kafka-console-consumer';

interface Opts {
  bootstrapServer?: string;
  brokerList?: string;
  topic: string;
  fromBeginning?: boolean;
  partition?: string;
  offset: string;
  maxMessages?: string;
  timeoutMs?: string;
  property: string[];
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-console-consumer.sh', 'Read records from a topic and print them to standard output')
    .option('--bootstrap-server <list>', 'the brokers to bootstrap from, host1:port1,host2:port2')
    .option('--broker-list <list>', 'the same as --bootstrap-server (0.8 spelling)')
    .requiredOption('--topic <topic>', 'REQUIRED: the topic to consume')
    .option('--from-beginning', 'start with the earliest record instead of the latest')
    .option('--partition <p>', 'consume only this partition')
    .option('--offset <offset>', 'with --partition: a number, earliest or latest', 'latest')
    .option('--max-messages <n>', 'exit after this many records')
    .option('--timeout-ms <ms>', 'exit when no record arrived for this long')
    .option('--property <name=value>', 'formatter properties: print.key=true, key.separator=<sep>, print.offset=true, print.partition=true (repeatable)', collect, [])
    .parse(argv)
    .opts<Opts>();

  const brokers = o.bootstrapServer ?? o.brokerList;
  if (!brokers) fail(TOOL, 'missing required argument --bootstrap-server');
  const props = parseKeyValues(TOOL, o.property, '--property');
  const printKey = props['print.key'] === 'true';
  const printOffset = props['print.offset'] === 'true';
  const printPartition = props['print.partition'] === 'true';
  const sep = props['key.separator'] ?? '\t';
  const max = o.maxMessages === undefined ? Infinity : Number(o.maxMessages);
  if (!(max > 0)) fail(TOOL, `--max-messages must be a positive integer, got "${o.maxMessages}"`);
  const idleMs = o.timeoutMs === undefined ? Infinity : Number(o.timeoutMs);
  if (!(idleMs > 0)) fail(TOOL, `--timeout-ms must be a positive integer, got "${o.timeoutMs}"`);

  const cluster = new Cluster({ brokers, clientId: 'console-consumer' });
  const consumer = new SimpleConsumer(cluster, { maxWaitMs: Math.min(500, idleMs) });
  let count = 0;
  const finish = (code: number): never => {
    process.stderr.write(`Processed a total of ${count} messages\n`);
    cluster.close();
    process.exit(code);
  };
  process.on('SIGINT', () => finish(0));
  process.on('SIGTERM', () => finish(0));
  try {
    const meta = await cluster.topicMetadata(o.topic);
    if (o.partition !== undefined) {
      const p = Number(o.partition);
      if (!meta.partitions.some((x) => x.partition === p)) fail(TOOL, `partition ${o.partition} of "${o.topic}" does not exist`);
      const off = o.offset === 'earliest' || o.offset === 'latest' ? o.offset : Number(o.offset);
      if (typeof off === 'number' && !(Number.isInteger(off) && off >= 0)) fail(TOOL, `--offset must be a non-negative integer, earliest or latest, got "${o.offset}"`);
      await consumer.seek(o.topic, p, o.fromBeginning && o.offset === 'latest' ? 'earliest' : off);
    } else {
      for (const p of meta.partitions) await consumer.seek(o.topic, p.partition, o.fromBeginning ? 'earliest' : 'latest');
    }
    let last = Date.now();
    while (count < max) {
      const records = await consumer.poll();
      if (records.length === 0 && Date.now() - last >= idleMs) break;
      for (const r of records) {
        last = Date.now();
        let line = '';
        if (printPartition) line += `${r.partition}${sep}`;
        if (printOffset) line += `${r.offset}${sep}`;
        if (printKey) line += `${r.key === null ? 'null' : r.key.toString('utf8')}${sep}`;
        line += r.value === null ? 'null' : r.value.toString('utf8');
        if (!process.stdout.write(line + '\n')) await new Promise((res) => process.stdout.once('drain', res));
        if (++count >= max) break;
      }
    }
  } catch (err) {
    process.stderr.write(`${TOOL}: ${describeError(err)}\n`);
    finish(1);
  }
  finish(0);
}
