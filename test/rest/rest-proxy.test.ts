/**
 * The REST proxy as a user runs it (bin/kafka-rest-start.sh's entry point, a real broker, the
 * shared ZooKeeper): Confluent's quickstart curl commands, run with the real curl, answer what
 * Confluent's documentation shows; metadata, produce with keys and partitions, offsets, every
 * documented error, and an idle consumer instance closed after consumer.instance.timeout.ms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { murmur2Partition } from '../../src/client/partitioner.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { consumerIdPath } from '../../src/zk/paths.js';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { http, sh, startRest, type RestProcess } from '../helpers/rest.js';
import { startRegistry, type RegistryProcess } from '../helpers/registry.js';

const V2 = 'application/vnd.kafka.v2+json';
const BIN = 'application/vnd.kafka.binary.v2+json';
const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const IDLE_MS = 3000;

let cluster: TestCluster;
let rest: RestProcess;
let registry: RegistryProcess;
let host: string;

/** A Confluent documentation command with its host (localhost:8082) replaced by this proxy's. */
const curl = (cmd: string): Promise<string> => sh(cmd.replace(/http:\/\/localhost:8082/g, rest.url));

beforeAll(async () => {
  cluster = await new TestCluster('rest').start(1);
  for (const t of ['binarytest', 'jsontest', 'avrotest', 'avrokeytest2', 'offsets-t', 'idle-t']) await createTopic(cluster.zk, t, { partitions: 1, replicationFactor: 1 });
  await createTopic(cluster.zk, 'multi', { partitions: 3, replicationFactor: 1, config: { 'retention.ms': '86400000' } });
  registry = await startRegistry(cluster.zkConnect);
  rest = await startRest([
    '--zookeeper', cluster.zkConnect,
    '--schema-registry-url', registry.url,
    '--bootstrap-server', cluster.bootstrap,
    '--listeners', 'http://127.0.0.1:0',
    '--override', `consumer.instance.timeout.ms=${IDLE_MS}`,
    '--override', 'request.max.bytes=65536',
  ]);
  host = rest.url.replace(/^http:\/\//, '');
});

afterAll(async () => {
  const code = await rest?.stop();
  if (process.env.DEBUG_REST) console.log(rest?.output());
  await registry?.stop();
  await cluster?.stop();
  expect(code).toBe(0);
});

/** GETs records (the quickstart command) until some arrive: the first calls may come before the rebalance. */
async function recordsOf(cmd: string): Promise<string> {
  return until('records', async () => {
    const out = await curl(cmd);
    return out.trim() === '[]' ? undefined : out;
  }, 30_000, 100);
}

describe('REST proxy', () => {
  it("produces and consumes binary data with Confluent's quickstart commands", async () => {
    expect(await curl(`curl -X POST -H "Content-Type: application/vnd.kafka.binary.v2+json" \\
      -H "Accept: application/vnd.kafka.v2+json" \\
      --data '{"records":[{"value":"S2Fma2E="}]}' "http://localhost:8082/topics/binarytest"`)).toBe(
      '{"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}],"key_schema_id":null,"value_schema_id":null}',
    );
    expect(await curl(`curl -X POST -H "Content-Type: application/vnd.kafka.v2+json" \\
      --data '{"name": "my_consumer_instance", "format": "binary", "auto.offset.reset": "earliest"}' \\
      http://localhost:8082/consumers/my_binary_consumer`)).toBe(
      `{"instance_id":"my_consumer_instance","base_uri":"http://${host}/consumers/my_binary_consumer/instances/my_consumer_instance"}`,
    );
    expect(await curl(`curl -X POST -H "Content-Type: application/vnd.kafka.v2+json" --data '{"topics":["binarytest"]}' \\
      http://localhost:8082/consumers/my_binary_consumer/instances/my_consumer_instance/subscription`)).toBe('');
    // a member of the 0.8 group, registered under the instance's name
    expect(await cluster.zk.exists(consumerIdPath('my_binary_consumer', 'my_binary_consumer_my_consumer_instance'))).toBeDefined();
    expect(await recordsOf(`curl -X GET -H "Accept: application/vnd.kafka.binary.v2+json" \\
      http://localhost:8082/consumers/my_binary_consumer/instances/my_consumer_instance/records`)).toBe(
      '[{"key":null,"value":"S2Fma2E=","partition":0,"offset":0,"topic":"binarytest"}]',
    );
    expect(await curl(`curl -X DELETE -H "Content-Type: application/vnd.kafka.v2+json" \\
      http://localhost:8082/consumers/my_binary_consumer/instances/my_consumer_instance`)).toBe('');
    expect(await cluster.zk.exists(consumerIdPath('my_binary_consumer', 'my_binary_consumer_my_consumer_instance'))).toBeUndefined();
    const gone = await http(`${rest.url}/consumers/my_binary_consumer/instances/my_consumer_instance/records`, 'GET', { accept: BIN });
    expect([gone.status, gone.json.error_code]).toEqual([404, 40403]);
  });

  it("produces and consumes JSON data with Confluent's quickstart commands", async () => {
    expect(await curl(`curl -X POST -H "Content-Type: application/vnd.kafka.json.v2+json" \\
      -H "Accept: application/vnd.kafka.v2+json" \\
      --data '{"records":[{"value":{"foo":"bar"}}]}' "http://localhost:8082/topics/jsontest"`)).toBe(
      '{"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}],"key_schema_id":null,"value_schema_id":null}',
    );
    expect(await curl(`curl -X POST -H "Content-Type: application/vnd.kafka.v2+json" \\
      --data '{"name": "my_consumer_instance", "format": "json", "auto.offset.reset": "earliest"}' \\
      http://localhost:8082/consumers/my_json_consumer`)).toBe(
      `{"instance_id":"my_consumer_instance","base_uri":"http://${host}/consumers/my_json_consumer/instances/my_consumer_instance"}`,
    );
    expect(await curl(`curl -X POST -H "Content-Type: application/vnd.kafka.v2+json" --data '{"topics":["jsontest"]}' \\
      http://localhost:8082/consumers/my_json_consumer/instances/my_consumer_instance/subscription`)).toBe('');
    expect(await recordsOf(`curl -X GET -H "Accept: application/vnd.kafka.json.v2+json" \\
      http://localhost:8082/consumers/my_json_consumer/instances/my_consumer_instance/records`)).toBe(
      '[{"key":null,"value":{"foo":"bar"},"partition":0,"offset":0,"topic":"jsontest"}]',
    );
    const sub = await http(`${rest.url}/consumers/my_json_consumer/instances/my_consumer_instance/subscription`, 'GET', { accept: V2 });
    expect([sub.status, sub.type, sub.text]).toEqual([200, V2, '{"topics":["jsontest"]}']);
    expect(await curl(`curl -X DELETE -H "Content-Type: application/vnd.kafka.v2+json" \\
      http://localhost:8082/consumers/my_json_consumer/instances/my_consumer_instance`)).toBe('');
  });

  it("produces and consumes Avro data with Confluent's quickstart commands (schema registry)", async () => {
    const produced = await curl(`curl -X POST -H "Content-Type: application/vnd.kafka.avro.v2+json" \\
      -H "Accept: application/vnd.kafka.v2+json" \\
      --data '{"value_schema": "{\\"type\\": \\"record\\", \\"name\\": \\"User\\", \\"fields\\": [{\\"name\\": \\"name\\", \\"type\\": \\"string\\"}]}", "records": [{"value": {"name": "testUser"}}]}' \\
      "http://localhost:8082/topics/avrotest"`);
    expect(produced).toMatch(/^\{"offsets":\[\{"partition":0,"offset":0,"error_code":null,"error":null\}\],"key_schema_id":null,"value_schema_id":\d+\}$/);
    const valueId = JSON.parse(produced).value_schema_id as number;
    const both = JSON.parse(await curl(`curl -X POST -H "Content-Type: application/vnd.kafka.avro.v2+json" \\
      -H "Accept: application/vnd.kafka.v2+json" \\
      --data '{"key_schema": "{\\"name\\":\\"user_id\\"  ,\\"type\\": \\"int\\"   }", "value_schema": "{\\"type\\": \\"record\\", \\"name\\": \\"User\\", \\"fields\\": [{\\"name\\": \\"name\\", \\"type\\": \\"string\\"}]}", "records": [{"key" : 1 , "value": {"name": "testUser"}}]}' \\
      "http://localhost:8082/topics/avrokeytest2"`));
    expect(both.offsets).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }]);
    expect(both.value_schema_id).toBe(valueId); // the same schema: the same id
    expect(typeof both.key_schema_id).toBe('number');
    expect(await curl(`curl -X POST  -H "Content-Type: application/vnd.kafka.v2+json" \\
      --data '{"name": "my_consumer_instance", "format": "avro", "auto.offset.reset": "earliest"}' \\
      http://localhost:8082/consumers/my_avro_consumer`)).toBe(
      `{"instance_id":"my_consumer_instance","base_uri":"http://${host}/consumers/my_avro_consumer/instances/my_consumer_instance"}`,
    );
    expect(await curl(`curl -X POST -H "Content-Type: application/vnd.kafka.v2+json" --data '{"topics":["avrotest"]}' \\
      http://localhost:8082/consumers/my_avro_consumer/instances/my_consumer_instance/subscription`)).toBe('');
    expect(await recordsOf(`curl -X GET -H "Accept: application/vnd.kafka.avro.v2+json" \\
      http://localhost:8082/consumers/my_avro_consumer/instances/my_consumer_instance/records`)).toBe(
      '[{"key":null,"value":{"name":"testUser"},"partition":0,"offset":0,"topic":"avrotest"}]',
    );
    expect(await curl(`curl -X DELETE -H "Content-Type: application/vnd.kafka.v2+json" \\
      http://localhost:8082/consumers/my_avro_consumer/instances/my_consumer_instance`)).toBe('');
    // a record that does not fit its schema, a schema that is not Avro, values without a schema
    const bad = async (body: unknown) => {
      const r = await http(`${rest.url}/topics/avrotest`, 'POST', { type: 'application/vnd.kafka.avro.v2+json', body });
      return [r.status, r.json.error_code];
    };
    expect(await bad({ value_schema_id: valueId, records: [{ value: { name: 7 } }] })).toEqual([422, 42203]);
    expect(await bad({ value_schema: '{"type":"integer"}', records: [{ value: 1 }] })).toEqual([422, 42205]);
    expect(await bad({ records: [{ value: { name: 'x' } }] })).toEqual([422, 42202]);
    expect(await bad({ value_schema_id: valueId, records: [{ key: 1, value: { name: 'x' } }] })).toEqual([422, 42201]);
  });

  it('answers metadata from ZooKeeper: topics, partitions with leader and ISR, brokers', async () => {
    const topics = await http(`${rest.url}/topics`, 'GET', { accept: V2 });
    expect(topics.type).toBe(V2);
    expect(topics.json).toEqual(expect.arrayContaining(['binarytest', 'jsontest', 'multi']));
    const replica = [{ broker: 1, leader: true, in_sync: true }];
    // the controller elects the leaders of a new topic a moment after its creation
    const t = await until('leaders of multi', async () => {
      const r = await http(`${rest.url}/topics/multi`, 'GET');
      return r.json.partitions.every((p: { leader: number }) => p.leader === 1) ? r : undefined;
    });
    expect(t.json).toEqual({
      name: 'multi',
      configs: { 'retention.ms': '86400000' },
      partitions: [0, 1, 2].map((p) => ({ partition: p, leader: 1, replicas: replica })),
    });
    expect((await http(`${rest.url}/topics/multi/partitions`, 'GET')).json).toEqual(t.json.partitions);
    expect((await http(`${rest.url}/topics/multi/partitions/2`, 'GET')).json).toEqual({ partition: 2, leader: 1, replicas: replica });
    expect((await http(`${rest.url}/brokers`, 'GET')).text).toBe('{"brokers":[1]}');
  });

  it('places records by partition, by key hash and round-robin, and answers each offset', async () => {
    const key = Buffer.from('key').toString('base64');
    const r = await http(`${rest.url}/topics/multi`, 'POST', {
      type: BIN,
      body: { records: [{ key, value: 'Y29uZmx1ZW50' }, { value: 'a2Fma2E=', partition: 1 }, { value: 'bG9ncw==' }, { value: 'bG9ncw==' }, { value: 'bG9ncw==' }] },
    });
    expect(r.status).toBe(200);
    const parts = r.json.offsets.map((o: { partition: number }) => o.partition);
    expect(parts[0]).toBe(murmur2Partition(Buffer.from('key'), 3));
    expect(parts[1]).toBe(1);
    expect(new Set(parts.slice(2)).size).toBe(3); // keyless: round-robin over the three partitions
    const one = await http(`${rest.url}/topics/multi/partitions/2`, 'POST', { type: JSON_V2, body: { records: [{ key: 'somekey', value: { foo: 'bar' } }, { value: 53.5 }] } });
    const before = r.json.offsets.filter((o: { partition: number }) => o.partition === 2).length;
    expect(one.json.offsets).toEqual([
      { partition: 2, offset: before, error_code: null, error: null },
      { partition: 2, offset: before + 1, error_code: null, error: null },
    ]);
  });

  it('subscribes by topic_pattern (a 0.8 whitelist) and reads every partition of the topics it matches', async () => {
    const base = `${rest.url}/consumers/pat-g/instances/pat`;
    expect((await http(`${rest.url}/consumers/pat-g`, 'POST', { type: V2, body: { name: 'pat', 'auto.offset.reset': 'earliest' } })).status).toBe(200);
    expect((await http(`${base}/subscription`, 'POST', { type: V2, body: { topic_pattern: 'mul.*' } })).status).toBe(204);
    expect((await http(`${base}/subscription`, 'GET')).json).toEqual({ topics: ['multi'] });
    const got: { partition: number; offset: number; topic: string }[] = [];
    await until('the 7 records of multi', async () => {
      got.push(...(await http(`${base}/records?timeout=200`, 'GET', { accept: BIN })).json);
      return got.length >= 7;
    });
    expect(got.length).toBe(7);
    expect(new Set(got.map((r) => `${r.topic}-${r.partition}-${r.offset}`)).size).toBe(7);
    expect((await http(base, 'DELETE')).status).toBe(204);
  });

  it('commits what was read, or the offsets given (+1, as Confluent), and reads them back', async () => {
    await http(`${rest.url}/topics/offsets-t`, 'POST', { type: BIN, body: { records: [{ value: 'YQ==' }, { value: 'Yg==' }, { value: 'Yw==' }] } });
    const base = `${rest.url}/consumers/off-g/instances/c1`;
    expect((await http(`${rest.url}/consumers/off-g`, 'POST', { type: V2, body: { name: 'c1', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' } })).status).toBe(200);
    expect((await http(`${base}/subscription`, 'POST', { type: V2, body: { topics: ['offsets-t'] } })).status).toBe(204);
    const got: unknown[] = [];
    await until('three records', async () => {
      const r = await http(`${base}/records?timeout=500`, 'GET', { accept: BIN });
      got.push(...r.json);
      return got.length >= 3;
    });
    const committed = async () => (await http(`${base}/offsets`, 'GET', { type: V2, body: { partitions: [{ topic: 'offsets-t', partition: 0 }] } })).json;
    expect(await committed()).toEqual({ offsets: [] });
    expect((await http(`${base}/offsets`, 'POST', { type: V2 })).status).toBe(204);
    expect(await committed()).toEqual({ offsets: [{ topic: 'offsets-t', partition: 0, offset: 3, metadata: '' }] });
    expect((await http(`${base}/offsets`, 'POST', { type: V2, body: { offsets: [{ topic: 'offsets-t', partition: 0, offset: 0 }] } })).status).toBe(204);
    expect(await committed()).toEqual({ offsets: [{ topic: 'offsets-t', partition: 0, offset: 1, metadata: '' }] });
    const bad = await http(`${base}/offsets`, 'GET', { type: V2, body: { partitions: [{ topic: 'offsets-t', partition: 9 }] } });
    expect([bad.status, bad.json.error_code]).toEqual([404, 40402]);
    expect((await http(base, 'DELETE')).status).toBe(204);
  });

  it("answers errors with Confluent's status and error codes", async () => {
    const err = async (path: string, method: string, opts: Parameters<typeof http>[2] = {}) => {
      const r = await http(`${rest.url}${path}`, method, opts);
      return [r.status, r.json?.error_code, r.type] as const;
    };
    const ok = { records: [{ value: 'S2Fma2E=' }] };
    expect(await err('/topics/no-such-topic', 'POST', { type: BIN, body: ok })).toEqual([404, 40401, V2]);
    expect(await err('/topics/no-such-topic', 'GET')).toEqual([404, 40401, V2]);
    expect(await err('/topics/multi/partitions/7', 'POST', { type: BIN, body: ok })).toEqual([404, 40402, V2]);
    expect(await err('/topics/binarytest', 'POST', { type: 'text/plain', body: ok })).toEqual([415, 415, V2]);
    expect(await err('/topics/binarytest', 'POST', { type: BIN, body: { records: [{ value: 'not base64!' }] } })).toEqual([422, 422, V2]);
    expect(await err('/topics/binarytest', 'POST', { type: BIN, body: '{"records":[{"value":' })).toEqual([400, 400, V2]);
    expect(await err('/topics/binarytest', 'POST', { type: BIN, body: { records: [] } })).toEqual([422, 422, V2]);
    expect(await err('/consumers/g/instances/nobody/records', 'GET', { accept: BIN })).toEqual([404, 40403, V2]);
    expect(await err('/consumers/g/instances/nobody', 'DELETE')).toEqual([404, 40403, V2]);
    expect(await err('/consumers/g', 'POST', { type: V2, body: { name: 'x', 'auto.offset.reset': 'sometimes' } })).toEqual([422, 42204, V2]);
    expect(await err('/consumers/g', 'POST', { type: V2, body: { name: 'dup' } })).toEqual([200, undefined, V2]);
    expect(await err('/consumers/g', 'POST', { type: V2, body: { name: 'dup' } })).toEqual([409, 40902, V2]);
    expect(await err('/consumers/g/instances/dup/subscription', 'POST', { type: V2, body: { topics: ['multi'], topic_pattern: 'm.*' } })).toEqual([409, 40903, V2]);
    expect(await err('/consumers/g/instances/dup/subscription', 'POST', { type: V2, body: { topic_pattern: 'mul.*' } })).toEqual([204, undefined, null]);
    expect(await err('/consumers/g/instances/dup/records', 'GET', { accept: JSON_V2 })).toEqual([406, 40601, V2]);
    expect(await err('/topics', 'GET', { accept: 'text/html' })).toEqual([406, 406, V2]);
    expect(await err('/nothing/here', 'GET')).toEqual([404, 404, V2]);
    expect((await http(`${rest.url}/consumers/g/instances/dup`, 'DELETE')).status).toBe(204);
  });

  it('refuses a body over request.max.bytes with 413 without reading it, and keeps serving', async () => {
    const big = JSON.stringify({ records: [{ value: Buffer.alloc(100_000, 1).toString('base64') }] });
    const r = await http(`${rest.url}/topics/binarytest`, 'POST', { type: BIN, body: big });
    expect([r.status, r.json.error_code]).toEqual([413, 413]);
    // curl sends a larger body in chunks (no Content-Length): refused once the limit is passed
    const code = await sh(
      `head -c 3000000 /dev/zero | tr '\\0' 'A' | curl -s -o /dev/null -w '%{http_code}' -X POST -H "Transfer-Encoding: chunked" -H "Content-Type: ${BIN}" --data-binary @- ${rest.url}/topics/binarytest || true`,
    );
    expect(code).toBe('413');
    expect((await http(`${rest.url}/brokers`, 'GET')).status).toBe(200);
  });

  it('keeps its memory while refusing a large streamed body', async () => {
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${rest.proc.pid}/status`, 'utf8'))![1]) * 1024;
    const before = rss();
    const started = Date.now();
    const out = await sh(
      `head -c 200000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -X POST -T - -H "Content-Type: ${BIN}" ${rest.url}/topics/binarytest || true`,
    );
    expect(out).toBe('413');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(rss() - before).toBeLessThan(32 * 1024 * 1024);
    expect((await http(`${rest.url}/brokers`, 'GET')).status).toBe(200);
  });

  it('closes a consumer instance idle for consumer.instance.timeout.ms: it leaves its group', async () => {
    const base = `${rest.url}/consumers/idle-g/instances/sleepy`;
    expect((await http(`${rest.url}/consumers/idle-g`, 'POST', { type: V2, body: { name: 'sleepy' } })).status).toBe(200);
    expect((await http(`${base}/subscription`, 'POST', { type: V2, body: { topics: ['idle-t'] } })).status).toBe(204);
    const idleSince = Date.now();
    const member = consumerIdPath('idle-g', 'idle-g_sleepy');
    expect(await cluster.zk.exists(member)).toBeDefined();
    await until('the idle instance to leave its group', async () => (await cluster.zk.exists(member)) === undefined, IDLE_MS + 10_000, 100);
    expect(Date.now() - idleSince).toBeGreaterThanOrEqual(IDLE_MS - 200);
    const r = await http(`${base}/subscription`, 'GET');
    expect([r.status, r.json.error_code]).toEqual([404, 40403]);
  });
});
