/**
 * kafka-avro-console-consumer.sh: kafka-console-consumer.sh (every option of it) printing
 * Avro values as JSON (Avro's JSON encoding, as Confluent's tool does). Properties:
 * schema.registry.url (required), print.key=true (keys decoded by key.deserializer, Avro by
 * default; StringDeserializer etc. accepted), print.schema.ids=true (the schema id after the
 * value, separated by schema.id.separator, default tab), value.reader.schema (read every record
 * as this schema), print.offset, print.partition, key.separator. A record that cannot be decoded
 * (an unknown schema id, not the wire format) is reported on stderr with its partition and
 * offset, and consumption goes on.
 */
import { AvroDeserializer, deserializersFromProperties, SerializationError, type Deserializer } from '../client/serde/index.js';
import { describeError, fail } from './common.js';
import { main as consoleConsumer, type Formatter } from './console-consumer.js';

const TOOL = 'kafka-avro-console-consumer';

async function render(d: Deserializer, topic: string, data: Buffer | null): Promise<{ text: string; id?: number }> {
  if (data === null) return { text: 'null' };
  if (d instanceof AvroDeserializer) {
    const { id, value, type } = await d.decode(topic, data);
    return { text: type.toString(value), id };
  }
  const v = await d.deserialize(topic, data);
  return { text: Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : JSON.stringify(v) };
}

function avroFormatter(props: Record<string, string>, topic: string): Formatter {
  if (!props['schema.registry.url']) fail(TOOL, 'missing --property schema.registry.url=<url of the schema registry>');
  let serdes;
  try {
    serdes = deserializersFromProperties({
      'schema.registry.url': props['schema.registry.url'],
      'key.deserializer': props['key.deserializer'] ?? 'avro',
      'value.deserializer': props['value.deserializer'] ?? 'avro',
      ...(props['value.reader.schema'] ? { 'value.reader.schema': props['value.reader.schema'] } : {}),
      ...(props['key.reader.schema'] ? { 'key.reader.schema': props['key.reader.schema'] } : {}),
    });
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  const printKey = props['print.key'] === 'true';
  const printIds = props['print.schema.ids'] === 'true';
  const printOffset = props['print.offset'] === 'true';
  const printPartition = props['print.partition'] === 'true';
  const sep = props['key.separator'] ?? '\t';
  const idSep = props['schema.id.separator'] ?? '\t';
  return {
    async format(r) {
      try {
        let line = '';
        if (printPartition) line += `${r.partition}${sep}`;
        if (printOffset) line += `${r.offset}${sep}`;
        if (printKey) {
          const k = await render(serdes.key, topic, r.key);
          line += `${k.text}${printIds && k.id !== undefined ? `${idSep}${k.id}` : ''}${sep}`;
        }
        const v = await render(serdes.value, topic, r.value);
        return `${line}${v.text}${printIds && v.id !== undefined ? `${idSep}${v.id}` : ''}`;
      } catch (err) {
        const why = err instanceof SerializationError ? err.message : describeError(err);
        process.stderr.write(`${TOOL}: ${topic}-${r.partition} offset ${r.offset}: ${why}\n`);
        return null;
      }
    },
  };
}

export function main(argv: string[]): Promise<void> {
  return consoleConsumer(argv, {
    name: 'kafka-avro-console-consumer.sh',
    description: 'Read Avro records (Confluent wire format) from a topic and print them as JSON; needs --property schema.registry.url=<url>',
    formatter: avroFormatter,
  });
}
