/**
 * kafka-producer-perf-test.sh: Kafka's producer benchmark, with its options and output.
 *
 *   --topic T --num-records N --record-size S --throughput R (-1: unthrottled)
 *   --producer-props bootstrap.servers=H:P acks=1 batch.size=16384 linger.ms=0 compression.type=none ...
 *   [--producer.config FILE] [--print-metrics] [--keys N (ours: keyed records key-0..key-N-1)]
 *
 * Every 5 s: `N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency.`
 * At the end: the same totals plus `P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th.`
 * Latency is send-to-acknowledgement, measured on one record in every `sampling` (at most
 * 50,000 samples, evenly spread; avg, max and the percentiles come from them). Kafka's tool
 * samples the same way for its percentiles (at most 500,000). Here the other records carry one
 * shared counting callback, so the tool adds no closure and no clock read per record: a timed
 * record's closure lives until its acknowledgement, tens of milliseconds under full load, and
 * at one record in six (500,000 samples of 3 M) those closures alone cost the producer process
 * a fifth of its CPU time in garbage collection on this machine. 50,000 samples still put 50
 * of them above the 99.9th percentile.
 * The records go through the library's Producer, like any user's.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Producer } from '../client/producer/producer.js';
import { producerOptionsFromProperties } from '../client/producer/config.js';
import { parseProperties } from '../common/properties.js';
import { collect, describeError, fail, newProgram, parseKeyValues, positiveInt } from './common.js';

const TOOL = 'kafka-producer-perf-test';
const MAX_SAMPLES = 50_000;
const REPORT_MS = 5000;

class Stats {
  readonly #start = Date.now();
  /** One record in `sampling` is timed (send to acknowledgement). */
  readonly sampling: number;
  readonly #latencies: Float64Array;
  #samples = 0;
  #count = 0;
  #bytes = 0;
  #maxLatency = 0;
  #totalLatency = 0;
  #windowStart = Date.now();
  #windowCount = 0;
  #windowBytes = 0;
  #windowSamples = 0;
  #windowMax = 0;
  #windowTotal = 0;
  readonly #out: (line: string) => void;

  constructor(numRecords: number, out: (line: string) => void) {
    this.sampling = Math.max(1, Math.ceil(numRecords / MAX_SAMPLES));
    this.#latencies = new Float64Array(Math.ceil(numRecords / this.sampling) + 1);
    this.#out = out;
  }

  /** An acknowledged record that was not timed. */
  count(bytes: number): void {
    this.#count++;
    this.#bytes += bytes;
    this.#windowCount++;
    this.#windowBytes += bytes;
  }

  /** An acknowledged, timed record. */
  record(latency: number, bytes: number, now: number): void {
    this.count(bytes);
    this.#totalLatency += latency;
    if (latency > this.#maxLatency) this.#maxLatency = latency;
    this.#windowSamples++;
    this.#windowTotal += latency;
    if (latency > this.#windowMax) this.#windowMax = latency;
    if (this.#samples < this.#latencies.length) this.#latencies[this.#samples++] = latency;
    if (now - this.#windowStart >= REPORT_MS) {
      this.#print(this.#windowCount, this.#windowBytes, now - this.#windowStart, this.#windowTotal / Math.max(1, this.#windowSamples), this.#windowMax, false);
      this.#windowStart = now;
      this.#windowCount = this.#windowBytes = this.#windowSamples = this.#windowTotal = this.#windowMax = 0;
    }
  }

  #print(count: number, bytes: number, ms: number, avg: number, max: number, final: boolean): void {
    const recsPerSec = (1000 * count) / Math.max(1, ms);
    const mbPerSec = (1000 * bytes) / Math.max(1, ms) / (1024 * 1024);
    if (!final) {
      this.#out(`${count} records sent, ${recsPerSec.toFixed(1)} records/sec (${mbPerSec.toFixed(2)} MB/sec), ${avg.toFixed(1)} ms avg latency, ${max.toFixed(1)} ms max latency.`);
      return;
    }
    const sorted = this.#latencies.slice(0, this.#samples).sort();
    const pct = (p: number): number => (sorted.length === 0 ? 0 : Math.floor(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!));
    this.#out(
      `${count} records sent, ${recsPerSec.toFixed(6)} records/sec (${mbPerSec.toFixed(2)} MB/sec), ${avg.toFixed(2)} ms avg latency, ${max.toFixed(2)} ms max latency, ` +
        `${pct(0.5)} ms 50th, ${pct(0.95)} ms 95th, ${pct(0.99)} ms 99th, ${pct(0.999)} ms 99.9th.`,
    );
  }

  printTotal(): void {
    this.#print(this.#count, this.#bytes, Date.now() - this.#start, this.#totalLatency / Math.max(1, this.#samples), this.#maxLatency, true);
  }
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-producer-perf-test.sh', 'A producer performance test: sends records as fast as allowed and reports throughput and latency')
    .requiredOption('--topic <topic>', 'REQUIRED: the topic to produce to')
    .requiredOption('--num-records <n>', 'REQUIRED: how many records to send', positiveInt(TOOL, '--num-records'))
    .option('--record-size <bytes>', 'record size in bytes', positiveInt(TOOL, '--record-size'))
    .option('--payload-file <file>', 'send lines of this file as values (at random) instead of random bytes')
    .option('--keys <n>', 'ours: give the records keys, key-0 .. key-<n-1> in turn (the default partitioner hashes them); default keyless', positiveInt(TOOL, '--keys'))
    .requiredOption('--throughput <n>', 'REQUIRED: throttle to about this many records/sec; -1 for no throttling')
    .option('--producer-props <k=v...>', 'producer configs (bootstrap.servers=..., acks, batch.size, linger.ms, compression.type, ...)', (v: string, prev: string[]) => [...prev, ...v.split(/\s+/).filter(Boolean)], [])
    .option('--producer.config <file>', 'a producer config properties file')
    .option('--print-metrics', 'print the producer metrics at the end')
    .option('--property <k=v>', 'ignored (compatibility)', collect, [])
    .parse(argv)
    .opts<{ topic: string; numRecords: number; recordSize?: number; payloadFile?: string; keys?: number; throughput: string; producerProps: string[]; 'producer.config'?: string; printMetrics?: boolean }>();

  const throughput = Number(o.throughput);
  if (!Number.isFinite(throughput) || throughput === 0 || (throughput < 0 && throughput !== -1)) fail(TOOL, `--throughput must be a positive number or -1, got "${o.throughput}"`);
  if ((o.recordSize === undefined) === (o.payloadFile === undefined)) fail(TOOL, 'give exactly one of --record-size and --payload-file');
  let props: Record<string, string> = {};
  if (o['producer.config']) {
    try {
      props = Object.fromEntries(parseProperties(readFileSync(o['producer.config'], 'utf8')));
    } catch (err) {
      fail(TOOL, `cannot read --producer.config: ${describeError(err)}`);
    }
  }
  props = { ...props, ...parseKeyValues(TOOL, o.producerProps, '--producer-props') };
  if (!props['bootstrap.servers'] && !props['metadata.broker.list'] && !props['zookeeper.connect']) fail(TOOL, '--producer-props must include bootstrap.servers=host:port');
  let producer: Producer;
  try {
    producer = new Producer({ clientId: 'producer-performance', ...producerOptionsFromProperties(props) });
  } catch (err) {
    fail(TOOL, describeError(err));
  }

  const payloads: Buffer[] = o.payloadFile
    ? readFileSync(o.payloadFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => Buffer.from(l))
    : [Buffer.from(randomBytes(o.recordSize!).map((b) => 65 + (b % 26)))];
  if (payloads.length === 0) fail(TOOL, `--payload-file ${o.payloadFile} has no lines`);

  try {
    await producer.partitionsFor(o.topic);
  } catch (err) {
    await producer.close().catch(() => undefined);
    fail(TOOL, describeError(err));
  }

  // the keys are made before the clock starts (as the payloads are): 100,000 of them take
  // ~100 ms with the garbage collection they cause, which a 2-second run would count
  const keys = o.keys === undefined ? undefined : Array.from({ length: o.keys }, (_, k) => Buffer.from(`key-${k}`));
  const out = (line: string): void => void process.stdout.write(line + '\n');
  const stats = new Stats(o.numRecords, out);
  let firstError: Error | undefined;
  let failedCount = 0;
  // One shared callback per payload counts the records that are not sampled: no closure,
  // no clock read per record. Every `every`-th record carries its own callback with its send
  // time (the latency sample: avg, max and percentiles come from these, as Kafka samples).
  const onError = (err: Error): void => {
    failedCount++;
    firstError ??= err;
  };
  const counters = payloads.map((p) => (err: Error | null): void => {
    if (err) onError(err);
    else stats.count(p.length);
  });
  const every = stats.sampling;
  const startMs = Date.now();
  const n = o.numRecords;
  const topic = o.topic;
  // produce() copies a record into its batch at once, so one record object per payload serves
  // every send (no allocation per record)
  const records: { topic: string; value: Buffer; key?: Buffer }[] = payloads.map((value) => ({ topic, value }));
  for (let i = 0; i < n; i++) {
    const j = payloads.length === 1 ? 0 : Math.floor(Math.random() * payloads.length);
    const value = payloads[j]!;
    if (keys) records[j]!.key = keys[i % keys.length];
    let room: boolean;
    if (i % every === 0) {
      const sendStart = Date.now();
      room = producer.produce(records[j]!, (err) => {
        if (err) return onError(err);
        const now = Date.now();
        stats.record(now - sendStart, value.length, now);
      });
    } else {
      room = producer.produce(records[j]!, counters[j]);
    }
    if (throughput > 0) {
      const ahead = ((i + 1) * 1000) / throughput - (Date.now() - startMs);
      if (ahead > 0) {
        await new Promise((r) => setTimeout(r, ahead));
        continue;
      }
    }
    if (!room) await producer.ready();
    else if ((i & 1023) === 1023) await new Promise((r) => setImmediate(r));
  }
  await producer.flush();
  stats.printTotal();
  if (o.printMetrics) {
    for (const [k, v] of Object.entries(producer.metrics())) out(`producer-metrics:${k} : ${v}`);
  }
  await producer.close();
  if (firstError) fail(TOOL, `${failedCount} record(s) failed; the first: ${describeError(firstError)}`);
  process.exit(0);
}
