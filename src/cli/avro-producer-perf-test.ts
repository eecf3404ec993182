/**
 * kafka-avro-producer-perf-test.sh --topic T --num-records N --schema-registry-url U
 * --producer-props bootstrap.servers=H:P [k=v ...]: producer throughput with Avro values (a
 * 10-field record, serialized per record by the Avro serializer: validation, avsc encoding and
 * Confluent's framing) as a ratio to producing the very same bytes raw, in the same run (raw
 * first, then Avro, each on a fresh producer). Prints one JSON line:
 * {"records":N,"value_bytes":B,"raw_records_per_sec":..,"avro_records_per_sec":..,"ratio":..}.
 */
import { Producer } from '../client/producer/producer.js';
import { producerOptionsFromProperties } from '../client/producer/config.js';
import { AvroSerializer, SchemaRegistryClient, subjectStrategy } from '../client/serde/index.js';
import { parseAvroSchema } from '../common/avro.js';
import { collect, describeError, fail, newProgram, parseKeyValues, positiveInt } from './common.js';

const TOOL = 'kafka-avro-producer-perf-test';

export const BENCH_SCHEMA = {
  type: 'record',
  name: 'BenchRecord',
  namespace: 'zkafka.bench',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'user', type: 'string' },
    { name: 'email', type: 'string' },
    { name: 'age', type: 'int' },
    { name: 'score', type: 'double' },
    { name: 'active', type: 'boolean' },
    { name: 'country', type: 'string' },
    { name: 'created', type: 'long' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

function record(i: number) {
  return { id: i, user: `user-${i % 1000}`, email: `user${i % 1000}@example.com`, age: 20 + (i % 50), score: i / 7, active: i % 2 === 0, country: 'NO', created: 1_700_000_000_000 + i, tags: ['a', 'bb'], note: i % 3 ? null : 'n' };
}

async function run(producer: Producer, topic: string, values: (i: number) => Buffer, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  let failed: Error | undefined;
  const cb = (err: Error | null) => {
    if (err) failed ??= err;
  };
  for (let i = 0; i < n; i++) {
    if (!producer.produce({ topic, value: values(i) }, cb)) await producer.ready();
  }
  await producer.flush();
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  if (failed) throw failed;
  return n / secs;
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-avro-producer-perf-test.sh', 'Producer throughput with Avro values (a 10-field record) against the same bytes produced raw')
    .requiredOption('--topic <topic>', 'REQUIRED: the topic to produce to')
    .requiredOption('--num-records <n>', 'REQUIRED: records per pass', positiveInt(TOOL, '--num-records'))
    .requiredOption('--schema-registry-url <url>', 'REQUIRED: the schema registry')
    .requiredOption('--producer-props <k=v...>', 'REQUIRED: producer properties, bootstrap.servers=H:P and others', collect, [])
    .parse(argv)
    .opts<{ topic: string; numRecords: number; schemaRegistryUrl: string; producerProps: string[] }>();
  try {
    const opts = producerOptionsFromProperties(parseKeyValues(TOOL, o.producerProps.flatMap((p) => p.split(/\s+/)).filter(Boolean), '--producer-props'));
    const ser = new AvroSerializer(new SchemaRegistryClient(o.schemaRegistryUrl), parseAvroSchema(BENCH_SCHEMA), false, subjectStrategy(undefined), true);
    const id = await ser.idFor(o.topic);
    const n = o.numRecords;
    const objects = Array.from({ length: 1000 }, (_, i) => record(i));
    const encoded = objects.map((r) => ser.encode(id, r));
    const valueBytes = encoded.reduce((s, b) => s + b.length, 0) / encoded.length;
    // raw, Avro, Avro, raw (ABBA): drift on a shared machine weighs on both alike
    const rates = { raw: [] as number[], avro: [] as number[] };
    for (const kind of ['raw', 'avro', 'avro', 'raw'] as const) {
      const p = new Producer(opts);
      rates[kind].push(await run(p, o.topic, kind === 'raw' ? (i) => encoded[i % 1000]! : (i) => ser.encode(id, objects[i % 1000]!), n));
      await p.close();
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const raw = mean(rates.raw);
    const avro = mean(rates.avro);
    process.stdout.write(JSON.stringify({ records: n, value_bytes: Math.round(valueBytes), raw_records_per_sec: Math.round(raw), avro_records_per_sec: Math.round(avro), ratio: Number((avro / raw).toFixed(3)) }) + '\n');
    process.exit(0);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
}
