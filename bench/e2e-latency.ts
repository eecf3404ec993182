/**
 * End-to-end latency at a fixed rate: a Producer sends R records/s for D seconds (acks=1,
 * linger 0), each value carrying its send time; a SimpleConsumer long-polls the partition and
 * measures receive time - send time. Prints
 *   `e2e R msg/s: N records, p50 X ms, p99 Y ms, p99.9 Z ms, max M ms`
 * The broker exposes a record only after it is flushed (log.flush.interval.messages=1), so
 * this includes the fsync.
 *
 *   node dist/bench/e2e-latency.js BROKERS TOPIC RATE SECONDS
 */
import { Producer } from '../src/client/producer/producer.js';
import { Cluster } from '../src/client/cluster.js';
import { SimpleConsumer } from '../src/client/simple-consumer.js';

async function main(): Promise<void> {
  const [brokers, topic, rateArg, secondsArg] = process.argv.slice(2);
  const rate = Number(rateArg ?? 10_000);
  const seconds = Number(secondsArg ?? 10);
  const total = rate * seconds;
  const producer = new Producer({ brokers: brokers!, acks: 1 });
  await producer.partitionsFor(topic!);
  const cluster = new Cluster({ brokers: brokers! });
  const consumer = new SimpleConsumer(cluster, { maxWaitMs: 100, minBytes: 1 });
  await consumer.seek(topic!, 0, 'latest');
  const latencies: number[] = [];
  let done = false;
  const reading = (async () => {
    while (!done && latencies.length < total) {
      for (const r of await consumer.poll()) {
        const sent = r.value!.readDoubleBE(0);
        latencies.push(performance.timeOrigin + performance.now() - sent);
      }
    }
  })();
  const start = performance.now();
  const pad = Buffer.alloc(92, 66);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const v = Buffer.allocUnsafe(100);
    v.writeDoubleBE(performance.timeOrigin + performance.now(), 0);
    pad.copy(v, 8);
    producer.produce({ topic: topic!, partition: 0, value: v });
  }
  await producer.flush();
  const deadline = Date.now() + 10_000;
  while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  done = true;
  await reading;
  await producer.close();
  cluster.close();
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p: number): string => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2) : 'n/a');
  console.log(`e2e ${rate} msg/s: ${sorted.length} records, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, p99.9 ${pct(0.999)} ms, max ${sorted.length ? sorted[sorted.length - 1]!.toFixed(2) : 'n/a'} ms`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
