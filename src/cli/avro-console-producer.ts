/**
 * kafka-avro-console-producer.sh --broker-list B --topic T --property value.schema='<json>'
 * --property schema.registry.url=U [--property key.schema='<json>'] [--property parse.key=true]:
 * one record per line of stdin, in Avro's JSON encoding (unions as {"type": value}, as
 * Confluent's tool reads them). The schemas are registered under the topic's subjects
 * (TopicNameStrategy; value.subject.name.strategy / key.subject.name.strategy to change it).
 * A line that is not JSON or does not match the schema is an error naming the line; nothing
 * after it is sent (exit 1) unless `--property ignore.errors=true`, which reports it and goes on
 * (still exit 1 at the end). Without key.schema a key is a string.
 */
import readline from 'node:readline';
import type { AvroType } from '../common/avro.js';
import { parseAvroSchema } from '../common/avro.js';
import { Cluster } from '../client/cluster.js';
import { Producer } from '../client/producer/producer.js';
import { AvroSerializer, SchemaRegistryClient, subjectStrategy, frame } from '../client/serde/index.js';
import { collect, describeError, fail, newProgram, parseKeyValues, positiveInt } from './common.js';

const TOOL = 'kafka-avro-console-producer';

function schemaOf(props: Record<string, string>, key: string): AvroType | undefined {
  const text = props[key];
  if (text === undefined) return undefined;
  try {
    return parseAvroSchema(text);
  } catch (err) {
    fail(TOOL, `--property ${key} is not a valid Avro schema: ${describeError(err)}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-avro-console-producer.sh', 'Read JSON records (Avro JSON encoding) from standard input and publish them as Avro (Confluent wire format)')
    .requiredOption('--broker-list <list>', 'REQUIRED: the brokers to bootstrap from, host1:port1,host2:port2')
    .requiredOption('--topic <topic>', 'REQUIRED: the topic to produce to')
    .option('--property <name=value>', 'value.schema=<json> (required), schema.registry.url=<url> (required), key.schema=<json>, parse.key=true, key.separator=<sep>, ignore.errors=true, auto.register.schemas=false (repeatable)', collect, [])
    .option('--request-required-acks <acks>', 'acks the broker waits for: 0, 1 or -1 (all)', '1')
    .option('--timeout <ms>', 'how long a partly filled batch waits for more lines (linger.ms)', positiveInt(TOOL, '--timeout'), 100)
    .parse(argv)
    .opts<{ brokerList: string; topic: string; property: string[]; requestRequiredAcks: string; timeout: number }>();

  const props = parseKeyValues(TOOL, o.property, '--property');
  const url = props['schema.registry.url'];
  if (!url) fail(TOOL, 'missing --property schema.registry.url=<url of the schema registry>');
  const valueType = schemaOf(props, 'value.schema');
  if (!valueType) fail(TOOL, "missing --property value.schema='<Avro schema as JSON>'");
  const keyType = schemaOf(props, 'key.schema');
  const parseKey = props['parse.key'] === 'true';
  const sep = props['key.separator'] ?? '\t';
  const ignoreErrors = props['ignore.errors'] === 'true';
  const autoRegister = (props['auto.register.schemas'] ?? 'true') !== 'false';
  const acks = Number(o.requestRequiredAcks);
  if (![0, 1, -1].includes(acks)) fail(TOOL, `--request-required-acks must be 0, 1 or -1, got "${o.requestRequiredAcks}"`);

  let registry: SchemaRegistryClient;
  let valueSer: AvroSerializer;
  let keySer: AvroSerializer | undefined;
  let valueId: number;
  let keyId = 0;
  try {
    registry = new SchemaRegistryClient(url);
    valueSer = new AvroSerializer(registry, valueType, false, subjectStrategy(props['value.subject.name.strategy']), autoRegister);
    keySer = keyType ? new AvroSerializer(registry, keyType, true, subjectStrategy(props['key.subject.name.strategy']), autoRegister) : undefined;
    valueId = await valueSer.idFor(o.topic);
    if (keySer) keyId = await keySer.idFor(o.topic);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  let cluster: Cluster;
  try {
    cluster = new Cluster({ brokers: o.brokerList, clientId: 'avro-console-producer' });
    await cluster.topicMetadata(o.topic);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  const producer = new Producer({ cluster, acks: acks as 0 | 1 | -1, lingerMs: o.timeout });

  let failed: unknown;
  let badLines = 0;
  const onAck = (err: Error | null): void => {
    if (err) failed ??= err;
  };
  const encode = (t: AvroType, id: number, text: string, what: string): Buffer => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`${what} is not JSON: ${(err as Error).message}`);
    }
    try {
      return frame(id, t.toBuffer(t.fromString(JSON.stringify(json))));
    } catch (err) {
      throw new Error(`${what} does not match the schema: ${(err as Error).message}`);
    }
  };
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  let stopped = false;
  rl.on('line', (line) => {
    lineNo++;
    if (stopped || line.trim() === '') return;
    let key: Buffer | string | undefined;
    let value: Buffer;
    try {
      let valueText = line;
      if (parseKey) {
        const i = line.indexOf(sep);
        if (i < 0) throw new Error(`no key separator ${JSON.stringify(sep)}`);
        const keyText = line.slice(0, i);
        valueText = line.slice(i + sep.length);
        key = keySer ? encode(keySer.type, keyId, keyText, 'the key') : keyText;
      }
      value = encode(valueSer.type, valueId, valueText, 'the value');
    } catch (err) {
      badLines++;
      process.stderr.write(`${TOOL}: line ${lineNo}: ${(err as Error).message}${ignoreErrors ? '; skipped' : '; nothing after it is sent'}\n`);
      if (!ignoreErrors) {
        stopped = true;
        rl.close();
      }
      return;
    }
    if (!producer.produce({ topic: o.topic, key, value }, onAck)) {
      rl.pause();
      void producer.ready().then(() => rl.resume());
    }
  });
  await new Promise<void>((resolve) => rl.on('close', resolve));
  await producer.close();
  cluster.close();
  if (failed) fail(TOOL, `send failed: ${describeError(failed)}`);
  process.exit(badLines > 0 ? 1 : 0);
}
