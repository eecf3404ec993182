/**
 * Avro end to end through a real broker and a real registry: our producer (value.serializer =
 * KafkaAvroSerializer) writes Confluent's wire format; our group consumer
 * (value.deserializer = KafkaAvroDeserializer, a newer reader schema) reads old and new records
 * through resolvers; @kafkajs/confluent-schema-registry decodes what we wrote and we decode what
 * it encoded; an unknown schema id is a clear error on that record, and later records still come.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { Producer } from '../../src/client/producer/producer.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { DeserializingGroupConsumer, SerializationError, SerializingProducer, frame, type DecodedRecord } from '../../src/client/serde/index.js';
import { ConfigError } from '../../src/common/errors.js';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { startRegistry, type RegistryProcess } from '../helpers/registry.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');
function tool(name: string, args: string[], input = '') {
  const r = spawnSync(path.join(BIN, `${name}.sh`), args, { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const V1 = JSON.stringify({ type: 'record', name: 'User', namespace: 'demo', fields: [{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }] });
const V2 = JSON.stringify({ type: 'record', name: 'User', namespace: 'demo', fields: [{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }, { name: 'phone', type: ['null', 'string'], default: null }] });

describe('Avro serdes end to end', () => {
  let cluster: TestCluster;
  let reg: RegistryProcess;
  let client: Cluster;
  const topic = 'users';
  beforeAll(async () => {
    cluster = await new TestCluster('avro-serde', { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' }).start(1);
    reg = await startRegistry(cluster.zkConnect);
    client = new Cluster({ brokers: cluster.bootstrap });
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1 });
    await client.topicMetadata(topic);
  });
  afterAll(async () => {
    client?.close();
    await reg?.stop();
    await cluster?.stop();
  });

  it('writes, evolves and reads through the registry, interoperating with Confluent\'s client', async () => {
    const base = { 'bootstrap.servers': cluster.bootstrap, 'schema.registry.url': reg.url, 'key.serializer': 'org.apache.kafka.common.serialization.StringSerializer', 'value.serializer': 'io.confluent.kafka.serializers.KafkaAvroSerializer' };
    const p1 = SerializingProducer.fromProperties({ ...base, 'value.schema': V1 });
    for (let i = 0; i < 3; i++) await p1.send({ topic, key: `k${i}`, value: { name: `old${i}`, age: i } });
    // a value that does not fit: a clear error naming the field, nothing sent
    const bad = await p1.send({ topic, key: 'bad', value: { name: 'x', age: 'old' } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(SerializationError);
    expect((bad as Error).message).toMatch(/age="old"/);
    await p1.close();

    const p2 = SerializingProducer.fromProperties({ ...base, 'value.schema': V2 });
    await p2.send({ topic, key: 'k3', value: { name: 'new3', age: 3, phone: '555' } });
    await p2.close();

    // Confluent's client encodes with the id it gets for V2 (the same id we registered)
    const kjs = new SchemaRegistry({ host: reg.url });
    const v2id = await kjs.getLatestSchemaId(`${topic}-value`);
    const raw = new Producer({ cluster: client });
    await raw.send({ topic, key: 'k4', value: await kjs.encode(v2id, { name: 'kjs4', age: 4, phone: null }) });
    // an id the registry never handed out, then one more good record
    await raw.send({ topic, key: 'k5', value: frame(987654, Buffer.from([2, 0x61, 10])) });
    await raw.send({ topic, key: 'k6', value: await kjs.encode(v2id, { name: 'kjs6', age: 6, phone: '7' }) });
    await raw.close();

    // Confluent's client decodes what our producer wrote (offsets 0..3)
    const sc = new SimpleConsumer(client);
    await sc.seek(topic, 0, 'earliest');
    const rawRecords = await until('raw records', async () => {
      const got = await sc.poll();
      return got.length > 0 ? got : undefined;
    });
    expect(await kjs.decode(rawRecords[0]!.value!)).toEqual({ name: 'old0', age: 0 });
    expect(rawRecords[0]!.value![0]).toBe(0);
    expect(await kjs.decode(rawRecords[3]!.value!)).toEqual({ name: 'new3', age: 3, phone: '555' });

    // our group consumer with the V2 reader schema
    const consumer = new DeserializingGroupConsumer({
      'bootstrap.servers': cluster.bootstrap, 'group.id': 'avro-g', 'auto.offset.reset': 'earliest', 'fetch.max.wait.ms': '100',
      'schema.registry.url': reg.url, 'key.deserializer': 'org.apache.kafka.common.serialization.StringDeserializer',
      'value.deserializer': 'io.confluent.kafka.serializers.KafkaAvroDeserializer', 'value.reader.schema': V2,
    });
    consumer.subscribe([topic]);
    const got: DecodedRecord[] = [];
    try {
      await until('7 records', async () => {
        got.push(...(await consumer.poll(200)));
        return got.length >= 7;
      }, 60_000);
    } finally {
      await consumer.close();
    }
    const plain = got.map((r) => ({ key: r.key, value: r.error ? undefined : { ...(r.value as object) } }));
    expect(plain).toEqual([
      { key: 'k0', value: { name: 'old0', age: 0, phone: null } },
      { key: 'k1', value: { name: 'old1', age: 1, phone: null } },
      { key: 'k2', value: { name: 'old2', age: 2, phone: null } },
      { key: 'k3', value: { name: 'new3', age: 3, phone: '555' } },
      { key: 'k4', value: { name: 'kjs4', age: 4, phone: null } },
      { key: 'k5', value: undefined },
      { key: 'k6', value: { name: 'kjs6', age: 6, phone: '7' } },
    ]);
    const err = got[5]!.error!;
    expect(err).toBeInstanceOf(SerializationError);
    expect(err.message).toMatch(/offset 5: schema id 987654 is unknown to the schema registry/);
  });

  it('refuses unknown serializer names and Avro without a schema or registry', () => {
    expect(() => SerializingProducer.fromProperties({ 'bootstrap.servers': cluster.bootstrap, 'value.serializer': 'com.example.Nope' })).toThrow(ConfigError);
    expect(() => SerializingProducer.fromProperties({ 'bootstrap.servers': cluster.bootstrap, 'value.serializer': 'avro', 'schema.registry.url': reg.url })).toThrow(/value.schema/);
    expect(() => SerializingProducer.fromProperties({ 'bootstrap.servers': cluster.bootstrap, 'value.serializer': 'io.confluent.kafka.serializers.KafkaAvroDeserializer' })).toThrow(/is a deserializer/);
    expect(() => SerializingProducer.fromProperties({ 'bootstrap.servers': cluster.bootstrap, 'value.serializer': 'avro', 'value.schema': V1 })).toThrow(/schema.registry.url/);
  });

  it('console tools: the Avro console producer stops at a bad line naming it; the Avro console consumer prints JSON, keys and schema ids', async () => {
    const t = 'console-users';
    await createTopic(cluster.zk, t, { partitions: 1, replicationFactor: 1 });
    await client.topicMetadata(t);
    const common = ['--broker-list', cluster.bootstrap, '--topic', t, '--property', `schema.registry.url=${reg.url}`, '--property', `value.schema=${V2}`];
    const input = ['a\t{"name":"Ann","age":30,"phone":null}', 'b\t{"name":"Bob","age":31,"phone":{"string":"555"}}', 'c\t{"name":"Cy","age":"old","phone":null}', 'd\t{"name":"Di","age":33,"phone":null}', ''].join('\n');
    const r = tool('kafka-avro-console-producer', [...common, '--property', 'parse.key=true'], input);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 3: the value does not match the schema: .*"old".*nothing after it is sent/);
    const bad = tool('kafka-avro-console-producer', common, 'not json\n');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/line 1: the value is not JSON/);

    const c = tool('kafka-avro-console-consumer', ['--bootstrap-server', cluster.bootstrap, '--topic', t, '--from-beginning', '--max-messages', '2',
      '--property', `schema.registry.url=${reg.url}`, '--property', 'print.key=true', '--property', 'key.deserializer=org.apache.kafka.common.serialization.StringDeserializer', '--property', 'print.schema.ids=true']);
    const id = await new SchemaRegistry({ host: reg.url }).getLatestSchemaId(`${t}-value`);
    expect(c.out.split('\n').filter(Boolean)).toEqual([`a\t{"name":"Ann","age":30,"phone":null}\t${id}`, `b\t{"name":"Bob","age":31,"phone":{"string":"555"}}\t${id}`]);
    expect(c.err).toContain('Processed a total of 2 messages');

    // the consumer reports an undecodable record and goes on
    const raw = new Producer({ cluster: client });
    await raw.send({ topic: t, value: frame(424242, Buffer.from([0])) });
    await raw.send({ topic: t, value: await new SchemaRegistry({ host: reg.url }).encode(id, { name: 'Eve', age: 5, phone: null }) });
    await raw.close();
    const c2 = tool('kafka-avro-console-consumer', ['--bootstrap-server', cluster.bootstrap, '--topic', t, '--from-beginning', '--max-messages', '4', '--property', `schema.registry.url=${reg.url}`]);
    expect(c2.err).toMatch(/console-users-0 offset 2: schema id 424242 is unknown to the schema registry/);
    expect(c2.out.split('\n').filter(Boolean)).toEqual(['{"name":"Ann","age":30,"phone":null}', '{"name":"Bob","age":31,"phone":{"string":"555"}}', '{"name":"Eve","age":5,"phone":null}']);

    for (const name of ['kafka-avro-console-producer', 'kafka-avro-console-consumer']) {
      const h = tool(name, ['--help']);
      expect(h.code).toBe(0);
      expect(h.out).toContain('schema.registry.url');
    }
    const noUrl = tool('kafka-avro-console-producer', ['--broker-list', cluster.bootstrap, '--topic', t, '--property', `value.schema=${V2}`]);
    expect([noUrl.code, noUrl.err]).toEqual([1, 'kafka-avro-console-producer: missing --property schema.registry.url=<url of the schema registry>\n']);
    const badSchema = tool('kafka-avro-console-producer', ['--broker-list', cluster.bootstrap, '--topic', t, '--property', `schema.registry.url=${reg.url}`, '--property', 'value.schema={"type":"integer"}']);
    expect(badSchema.code).toBe(1);
    expect(badSchema.err).toMatch(/value.schema is not a valid Avro schema/);
  });

  it('subject name strategies, and the Avro perf tool', async () => {
    const base = { 'bootstrap.servers': cluster.bootstrap, 'schema.registry.url': reg.url, 'value.serializer': 'avro', 'value.schema': V1 };
    for (const [strategy, subject] of [['RecordNameStrategy', 'demo.User'], ['io.confluent.kafka.serializers.subject.TopicRecordNameStrategy', `${topic}-demo.User`]]) {
      const p = SerializingProducer.fromProperties({ ...base, 'value.subject.name.strategy': strategy });
      await p.send({ topic, value: { name: 's', age: 1 } });
      await p.close();
      const kjs = new SchemaRegistry({ host: reg.url });
      expect(await kjs.getLatestSchemaId(subject)).toBeGreaterThan(0);
    }
    await createTopic(cluster.zk, 'perf', { partitions: 1, replicationFactor: 1 });
    await client.topicMetadata('perf');
    const r = tool('kafka-avro-producer-perf-test', ['--topic', 'perf', '--num-records', '2000', '--schema-registry-url', reg.url, '--producer-props', `bootstrap.servers=${cluster.bootstrap}`]);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { records: number; raw_records_per_sec: number; avro_records_per_sec: number; ratio: number };
    expect(out.records).toBe(2000);
    expect(out.ratio).toBeGreaterThan(0);
  });
});
