/**
 * Serializers and deserializers selected by key.serializer / value.serializer and
 * key.deserializer / value.deserializer, with Kafka's and Confluent's class names (or the
 * short names string, bytes, json, avro). Avro goes through avsc with Confluent's wire format
 * (wire.ts); the writer's schema is looked up by id (cached) and reading always goes through a
 * resolver from it to the reader's schema (`value.reader.schema`, else the writer's own).
 *
 * Properties besides the four class names: schema.registry.url, auto.register.schemas (true),
 * key.schema / value.schema (the Avro schema a serializer writes with; JSON text),
 * key.reader.schema / value.reader.schema, key.subject.name.strategy /
 * value.subject.name.strategy (TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy,
 * short or with Confluent's io.confluent.kafka.serializers.subject. prefix).
 */
import { parseAvroSchema, storedSchemaText, type AvroType } from '../../common/avro.js';
import { ConfigError } from '../../common/errors.js';
import { SchemaRegistryClient, SchemaRegistryError } from './registry-client.js';
import { SerializationError, unframe } from './wire.js';

export interface Serializer {
  serialize(topic: string, data: unknown): Promise<Buffer | null>;
}
export interface Deserializer {
  deserialize(topic: string, data: Buffer | null): Promise<unknown>;
}
export type SerdeKind = 'string' | 'bytes' | 'json' | 'avro';

const KINDS: Record<string, SerdeKind> = {};
for (const [kind, names] of Object.entries({
  string: ['org.apache.kafka.common.serialization.StringSerializer', 'org.apache.kafka.common.serialization.StringDeserializer', 'kafka.serializer.StringEncoder', 'kafka.serializer.StringDecoder'],
  bytes: ['org.apache.kafka.common.serialization.ByteArraySerializer', 'org.apache.kafka.common.serialization.ByteArrayDeserializer', 'org.apache.kafka.common.serialization.BytesSerializer', 'org.apache.kafka.common.serialization.BytesDeserializer', 'org.apache.kafka.common.serialization.ByteBufferSerializer', 'org.apache.kafka.common.serialization.ByteBufferDeserializer', 'kafka.serializer.DefaultEncoder', 'kafka.serializer.DefaultDecoder'],
  json: ['org.apache.kafka.connect.json.JsonSerializer', 'org.apache.kafka.connect.json.JsonDeserializer', 'io.confluent.kafka.serializers.KafkaJsonSerializer', 'io.confluent.kafka.serializers.KafkaJsonDeserializer'],
  avro: ['io.confluent.kafka.serializers.KafkaAvroSerializer', 'io.confluent.kafka.serializers.KafkaAvroDeserializer'],
})) {
  KINDS[kind] = kind as SerdeKind;
  for (const n of names) KINDS[n] = kind as SerdeKind;
}

/** The properties this module reads (a producer's or consumer's own config must not see them). */
export const SERDE_PROPERTIES = new Set([
  'key.serializer', 'value.serializer', 'key.deserializer', 'value.deserializer', 'schema.registry.url', 'auto.register.schemas',
  'key.schema', 'value.schema', 'key.reader.schema', 'value.reader.schema', 'key.subject.name.strategy', 'value.subject.name.strategy',
]);

export function splitSerdeProperties(props: Record<string, string>): { serde: Record<string, string>; rest: Record<string, string> } {
  const serde: Record<string, string> = {};
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) (SERDE_PROPERTIES.has(k) ? serde : rest)[k] = v;
  return { serde, rest };
}

export function serdeKind(name: string | undefined, dflt: SerdeKind, prop: string): SerdeKind {
  if (name === undefined) return dflt;
  const kind = KINDS[name.trim()];
  if (!kind) throw new ConfigError(`${prop}: unknown class "${name}" (string, bytes, json or avro, or Kafka's and Confluent's class names such as org.apache.kafka.common.serialization.StringSerializer or io.confluent.kafka.serializers.KafkaAvroSerializer)`);
  if ((prop.endsWith('.serializer') && /Deserializer|Decoder$/.test(name)) || (prop.endsWith('.deserializer') && /[^e]Serializer$|Encoder$/.test(name))) {
    throw new ConfigError(`${prop}: "${name}" is a ${prop.endsWith('.serializer') ? 'deserializer' : 'serializer'}`);
  }
  return kind;
}

export type SubjectStrategy = (topic: string, isKey: boolean, type: AvroType | undefined) => string;

export function subjectStrategy(name: string | undefined): SubjectStrategy {
  const short = (name ?? 'TopicNameStrategy').replace(/^io\.confluent\.kafka\.serializers\.subject\./, '');
  const recordName = (t: AvroType | undefined) => {
    if (!t?.name) throw new SerializationError(`${short} needs a named (record) schema`);
    return t.name;
  };
  switch (short) {
    case 'TopicNameStrategy':
      return (topic, isKey) => `${topic}-${isKey ? 'key' : 'value'}`;
    case 'RecordNameStrategy':
      return (_topic, _isKey, t) => recordName(t);
    case 'TopicRecordNameStrategy':
      return (topic, _isKey, t) => `${topic}-${recordName(t)}`;
    default:
      throw new ConfigError(`subject.name.strategy: unknown strategy "${name}" (TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy)`);
  }
}

function registryOf(props: Record<string, string>, clients: Map<string, SchemaRegistryClient>): SchemaRegistryClient {
  const url = props['schema.registry.url'];
  if (!url) throw new ConfigError('the Avro serde needs schema.registry.url');
  let c = clients.get(url);
  if (!c) clients.set(url, (c = new SchemaRegistryClient(url)));
  return c;
}

function schemaProp(props: Record<string, string>, key: string): AvroType | undefined {
  const text = props[key];
  if (text === undefined) return undefined;
  try {
    return parseAvroSchema(text);
  } catch (err) {
    throw new ConfigError(`${key} is not a valid Avro schema: ${(err as Error).message}`);
  }
}

const SLAB_BYTES = 64 * 1024;

export class AvroSerializer implements Serializer {
  readonly type: AvroType;
  readonly #text: string;
  readonly #registry: SchemaRegistryClient;
  readonly #subject: SubjectStrategy;
  readonly #isKey: boolean;
  readonly #autoRegister: boolean;
  readonly #ids = new Map<string, number>();

  constructor(registry: SchemaRegistryClient, type: AvroType, isKey: boolean, strategy: SubjectStrategy, autoRegister: boolean) {
    this.#registry = registry;
    this.type = type;
    this.#text = storedSchemaText(type);
    this.#isKey = isKey;
    this.#subject = strategy;
    this.#autoRegister = autoRegister;
  }

  /** The schema id used for `topic` (registering it on first use when auto.register.schemas). */
  async idFor(topic: string): Promise<number> {
    const known = this.#ids.get(topic);
    if (known !== undefined) return known;
    const subject = this.#subject(topic, this.#isKey, this.type);
    try {
      const id = this.#autoRegister ? await this.#registry.register(subject, this.#text) : await this.#registry.lookup(subject, this.#text);
      this.#ids.set(topic, id);
      return id;
    } catch (err) {
      throw new SerializationError(`cannot ${this.#autoRegister ? 'register' : 'find'} the schema under subject "${subject}": ${(err as Error).message}`, { cause: err });
    }
  }

  /** Encoded records are slices of a slab, never overwritten (a full slab is left to the GC). */
  #slab = Buffer.allocUnsafe(SLAB_BYTES);
  #slabPos = 0;

  /** Encodes with an id already known; throws SerializationError naming the offending field. */
  encode(id: number, data: unknown): Buffer {
    if (!this.type.isValid(data)) {
      const bad: string[] = [];
      this.type.isValid(data, { errorHook: (path, v) => bad.push(`${path.join('.') || '(value)'}=${JSON.stringify(v)}`) });
      throw new SerializationError(`value does not match the ${this.type.name ?? String(this.type.typeName)} schema: ${bad.join(', ')}`);
    }
    for (let size = SLAB_BYTES; ; ) {
      const start = this.#slabPos;
      const end = this.type.encode(data, this.#slab, start + 5);
      if (end >= 0) {
        this.#slab[start] = 0;
        this.#slab.writeInt32BE(id, start + 1);
        this.#slabPos = end;
        return this.#slab.subarray(start, end);
      }
      // not enough room: a fresh slab (larger if one record needs it)
      if (start === 0) size = Math.max(size * 2, this.#slab.length - end + 5);
      this.#slab = Buffer.allocUnsafe(size);
      this.#slabPos = 0;
    }
  }

  async serialize(topic: string, data: unknown): Promise<Buffer | null> {
    if (data === null || data === undefined) return null;
    const known = this.#ids.get(topic);
    return this.encode(known ?? (await this.idFor(topic)), data);
  }
}

export class AvroDeserializer implements Deserializer {
  readonly #registry: SchemaRegistryClient;
  readonly #reader: AvroType | undefined;
  readonly #resolvers = new Map<number, { writer: AvroType; resolver: unknown }>();

  constructor(registry: SchemaRegistryClient, reader: AvroType | undefined) {
    this.#registry = registry;
    this.#reader = reader;
  }

  /** The writer's schema for `id` (cached), or a SerializationError naming the id. */
  async writerSchema(id: number, topic: string): Promise<AvroType> {
    try {
      return await this.#registry.schemaById(id);
    } catch (err) {
      const unknown = err instanceof SchemaRegistryError && err.errorCode === 40403;
      throw new SerializationError(
        unknown ? `schema id ${id} is unknown to the schema registry at ${this.#registry.url} (a record of topic ${topic})` : `cannot fetch schema id ${id} (topic ${topic}): ${(err as Error).message}`,
        { cause: err, context: { schemaId: id } },
      );
    }
  }

  /** Decodes a framed record: { id, value, writer }. */
  async decode(topic: string, data: Buffer): Promise<{ id: number; value: unknown; type: AvroType }> {
    const { id, payload } = unframe(data);
    let r = this.#resolvers.get(id);
    if (!r) {
      const writer = await this.writerSchema(id, topic);
      const reader = this.#reader ?? writer;
      let resolver: unknown;
      try {
        resolver = reader.createResolver(writer);
      } catch (err) {
        throw new SerializationError(`the reader schema cannot read schema id ${id}: ${(err as Error).message}`, { context: { schemaId: id } });
      }
      r = { writer, resolver };
      this.#resolvers.set(id, r);
    }
    const reader = this.#reader ?? r.writer;
    try {
      return { id, value: reader.fromBuffer(payload, r.resolver as never), type: reader };
    } catch (err) {
      throw new SerializationError(`cannot decode a record written with schema id ${id}: ${(err as Error).message}`, { context: { schemaId: id } });
    }
  }

  async deserialize(topic: string, data: Buffer | null): Promise<unknown> {
    if (data === null) return null;
    return (await this.decode(topic, data)).value;
  }
}

const stringSerde: Serializer & Deserializer = {
  async serialize(_t, d) {
    if (d === null || d === undefined) return null;
    if (typeof d !== 'string') throw new SerializationError(`the string serializer takes strings, got ${typeof d}`);
    return Buffer.from(d, 'utf8');
  },
  async deserialize(_t, d) {
    return d === null ? null : d.toString('utf8');
  },
};
const bytesSerde: Serializer & Deserializer = {
  async serialize(_t, d) {
    if (d === null || d === undefined) return null;
    if (!(d instanceof Uint8Array)) throw new SerializationError(`the bytes serializer takes a Buffer, got ${typeof d}`);
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  },
  async deserialize(_t, d) {
    return d;
  },
};
const jsonSerde: Serializer & Deserializer = {
  async serialize(_t, d) {
    return d === null || d === undefined ? null : Buffer.from(JSON.stringify(d), 'utf8');
  },
  async deserialize(_t, d) {
    if (d === null) return null;
    try {
      return JSON.parse(d.toString('utf8'));
    } catch (err) {
      throw new SerializationError(`not JSON: ${(err as Error).message}`);
    }
  },
};

export interface Serdes<T> {
  key: T;
  value: T;
}

/** key.serializer / value.serializer (default bytes: the producer's own behaviour). */
export function serializersFromProperties(props: Record<string, string>, clients = new Map<string, SchemaRegistryClient>()): Serdes<Serializer> {
  const make = (isKey: boolean): Serializer => {
    const p = isKey ? 'key' : 'value';
    const kind = serdeKind(props[`${p}.serializer`], 'bytes', `${p}.serializer`);
    if (kind !== 'avro') return kind === 'string' ? stringSerde : kind === 'json' ? jsonSerde : bytesSerde;
    const type = schemaProp(props, `${p}.schema`);
    if (!type) throw new ConfigError(`${p}.serializer is Avro: ${p}.schema (the Avro schema to write with, as JSON) is required`);
    const auto = (props['auto.register.schemas'] ?? 'true').trim();
    if (auto !== 'true' && auto !== 'false') throw new ConfigError(`auto.register.schemas must be true or false, got "${auto}"`);
    return new AvroSerializer(registryOf(props, clients), type, isKey, subjectStrategy(props[`${p}.subject.name.strategy`]), auto === 'true');
  };
  return { key: make(true), value: make(false) };
}

/** key.deserializer / value.deserializer (default bytes). */
export function deserializersFromProperties(props: Record<string, string>, clients = new Map<string, SchemaRegistryClient>()): Serdes<Deserializer> {
  const make = (isKey: boolean): Deserializer => {
    const p = isKey ? 'key' : 'value';
    const kind = serdeKind(props[`${p}.deserializer`], 'bytes', `${p}.deserializer`);
    if (kind !== 'avro') return kind === 'string' ? stringSerde : kind === 'json' ? jsonSerde : bytesSerde;
    return new AvroDeserializer(registryOf(props, clients), schemaProp(props, `${p}.reader.schema`));
  };
  return { key: make(true), value: make(false) };
}
