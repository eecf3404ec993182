/**
 * kafka-consumer-perf-test.sh: Kafka's consumer benchmark, with its options and output.
 *
 *   --broker-list H:P | --bootstrap-server H:P  --topic T  --messages N
 *   [--fetch-size BYTES] [--threads N (ignored)] [--timeout MS] [--show-detailed-stats]
 *   [--reporting-interval MS] [--hide-header] [--group G (ignored: no group is used)]
 *   [--consumer.config F (security.protocol, ssl.*, sasl.*)]
 *
 * Reads every partition of the topic from its earliest offset with the library's
 * SimpleConsumer until N records arrived (or nothing came for --timeout ms), then prints
 *
 *   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
 *
 * and one CSV line (times as yyyy-MM-dd HH:mm:ss:SSS; bytes are keys plus values, as Kafka counts).
 * It reads batch by batch (SimpleConsumer.pollBatches: CRC-checked batches, fetches
 * pipelined) and counts records and their sizes without building record objects
 * (recordStats), as a tool that only measures may.
 */
import { Cluster } from '../client/cluster.js';
import { SimpleConsumer, recordStats } from '../client/simple-consumer.js';
import { describeError, fail, newProgram, positiveInt } from './common.js';
import { securityProperties } from '../client/producer/config.js';
import { readPropertiesFile } from '../common/properties.js';

const TOOL = 'kafka-consumer-perf-test';
const MB = 1024 * 1024;

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-consumer-perf-test.sh', 'A consumer performance test: reads a topic from its start and reports throughput')
    .option('--broker-list <list>', 'the brokers to bootstrap from, host1:port1,host2:port2')
    .option('--bootstrap-server <list>', 'the same as --broker-list')
    .requiredOption('--topic <topic>', 'REQUIRED: the topic to consume')
    .requiredOption('--messages <n>', 'REQUIRED: how many records to consume', positiveInt(TOOL, '--messages'))
    .option('--fetch-size <bytes>', 'bytes to fetch per partition per request', positiveInt(TOOL, '--fetch-size'), 1024 * 1024)
    .option('--threads <n>', 'ignored (one event loop)', '1')
    .option('--num-fetch-threads <n>', 'ignored', '1')
    .option('--group <group>', 'ignored: the test reads without a consumer group')
    .option('--timeout <ms>', 'stop when no record arrived for this long', positiveInt(TOOL, '--timeout'), 10_000)
    .option('--show-detailed-stats', 'print a line every --reporting-interval')
    .option('--reporting-interval <ms>', 'interval of the detailed stats', positiveInt(TOOL, '--reporting-interval'), 5000)
    .option('--hide-header', 'do not print the header line')
    .option('--date-format <fmt>', 'ignored: times are printed as yyyy-MM-dd HH:mm:ss:SSS')
    .option('--consumer.config <file>', 'consumer properties: security.protocol, ssl.truststore.location, sasl.mechanism, sasl.jaas.config, ...')
    .parse(argv)
    .opts<{ 'consumer.config'?: string; brokerList?: string; bootstrapServer?: string; topic: string; messages: number; fetchSize: number; timeout: number; showDetailedStats?: boolean; reportingInterval: number; hideHeader?: boolean }>();

  const brokers = o.bootstrapServer ?? o.brokerList;
  if (!brokers) fail(TOOL, 'give --broker-list or --bootstrap-server');
  let cluster: Cluster;
  try {
    const props = o['consumer.config'] ? Object.fromEntries(readPropertiesFile(o['consumer.config'])) : {};
    cluster = new Cluster({ brokers, clientId: 'consumer-performance', security: securityProperties(props) });
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  const consumer = new SimpleConsumer(cluster, { maxWaitMs: 100, minBytes: 1, maxBytes: o.fetchSize });
  const out = (line: string): void => void process.stdout.write(line + '\n');

  const joinStart = Date.now();
  try {
    const meta = await cluster.topicMetadata(o.topic);
    for (const p of meta.partitions) await consumer.seek(o.topic, p.partition, 'earliest');
  } catch (err) {
    cluster.close();
    fail(TOOL, describeError(err));
  }
  const fetchStart = Date.now();
  const rebalanceMs = fetchStart - joinStart;

  if (o.showDetailedStats && !o.hideHeader) out('time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
  let count = 0;
  let bytes = 0;
  let lastRecordMs = Date.now();
  let lastReport = fetchStart;
  let lastCount = 0;
  let lastBytes = 0;
  try {
    while (count < o.messages) {
      const fetched = await consumer.pollBatches();
      const now = Date.now();
      let got = 0;
      for (const f of fetched) {
        if (count >= o.messages) break;
        const s = recordStats(f, o.messages - count);
        got += s.records;
        count += s.records;
        bytes += s.keyBytes + s.valueBytes;
      }
      if (got === 0) {
        if (now - lastRecordMs > o.timeout) break;
        continue;
      }
      lastRecordMs = now;
      if (o.showDetailedStats && now - lastReport >= o.reportingInterval) {
        const s = (now - lastReport) / 1000;
        out(`${stamp(now)}, 0, ${(bytes / MB).toFixed(4)}, ${((bytes - lastBytes) / MB / s).toFixed(4)}, ${count}, ${((count - lastCount) / s).toFixed(4)}, ${rebalanceMs}, ${now - lastReport}, ${((bytes - lastBytes) / MB / s).toFixed(4)}, ${((count - lastCount) / s).toFixed(4)}`);
        lastReport = now;
        lastCount = count;
        lastBytes = bytes;
      }
    }
  } catch (err) {
    cluster.close();
    fail(TOOL, describeError(err));
  }
  const end = count >= o.messages ? Date.now() : lastRecordMs;
  cluster.close();
  const totalS = Math.max(1, end - joinStart) / 1000;
  const fetchS = Math.max(1, end - fetchStart) / 1000;
  const mb = bytes / MB;
  if (!o.showDetailedStats) {
    if (!o.hideHeader) out('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    out(`${stamp(joinStart)}, ${stamp(end)}, ${mb.toFixed(4)}, ${(mb / totalS).toFixed(4)}, ${count}, ${(count / totalS).toFixed(4)}, ${rebalanceMs}, ${end - fetchStart}, ${(mb / fetchS).toFixed(4)}, ${(count / fetchS).toFixed(4)}`);
  }
  if (count < o.messages) process.stderr.write(`${TOOL}: WARNING: exiting before consuming the expected number of messages: timeout (${o.timeout} ms) exceeded after ${count} of ${o.messages}\n`);
  process.exit(0);
}
