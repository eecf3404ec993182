/**
 * The avro embedded format (application/vnd.kafka.avro.v2+json), with the schema registry at
 * schema.registry.url. Produce: a request carries `value_schema` (the schema as a JSON string,
 * registered under the subject `<topic>-value`) or `value_schema_id` (a registered id), likewise
 * `key_schema` / `key_schema_id` under `<topic>-key`; each record's JSON is checked against the
 * schema and written in Confluent's wire format (magic byte 0, the id as a big-endian int32, the
 * Avro binary). Consume: the writer's schema is fetched by the record's id and the value is
 * answered as JSON. Values are plain JSON as avsc reads them: a union value is given bare
 * (`"x"`), not wrapped as Avro's JSON encoding does (`{"string":"x"}`).
 */
import { parseAvroSchema, storedSchemaText, type AvroType } from '../common/avro.js';
import { AvroDeserializer, SchemaRegistryClient, SchemaRegistryError, frame } from '../client/serde/index.js';
import { Errors } from './errors.js';

export interface ResolvedSchema {
  id: number;
  type: AvroType;
}

export class AvroCodec {
  readonly registry: SchemaRegistryClient;
  readonly #deserializer: AvroDeserializer;

  constructor(url: string) {
    this.registry = new SchemaRegistryClient(url);
    this.#deserializer = new AvroDeserializer(this.registry, undefined);
  }

  /** The schema of a produce request's keys or values: registered from its text, or found by id. */
  async resolve(topic: string, isKey: boolean, text: unknown, id: unknown): Promise<ResolvedSchema> {
    if (id !== undefined && id !== null) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw Errors.invalidSchema(`${isKey ? 'key' : 'value'}_schema_id must be an integer, got ${JSON.stringify(id)}`);
      try {
        return { id, type: await this.registry.schemaById(id) };
      } catch (err) {
        throw this.#registryError(err, `schema id ${id}`);
      }
    }
    if (typeof text !== 'string') throw Errors.invalidSchema(`${isKey ? 'key' : 'value'}_schema must be the schema as a JSON string`);
    let type: AvroType;
    try {
      type = parseAvroSchema(text);
    } catch (err) {
      throw Errors.invalidSchema((err as Error).message);
    }
    const subject = `${topic}-${isKey ? 'key' : 'value'}`;
    try {
      return { id: await this.registry.register(subject, storedSchemaText(type)), type };
    } catch (err) {
      throw this.#registryError(err, `subject ${subject}`);
    }
  }

  #registryError(err: unknown, what: string): Error {
    if (err instanceof SchemaRegistryError && err.status > 0 && err.status < 500) return Errors.invalidSchema(`${what}: ${err.message}`);
    return Errors.unavailable(`the schema registry at ${this.registry.url} failed for ${what}: ${(err as Error).message}`);
  }

  /** One record's key or value in the wire format (42203 when the JSON does not fit the schema). */
  encode(schema: ResolvedSchema, data: unknown): Buffer | null {
    if (data === null || data === undefined) return null;
    if (!schema.type.isValid(data)) {
      const bad: string[] = [];
      schema.type.isValid(data, { errorHook: (path: string[], v: unknown) => bad.push(`${path.join('.') || '(value)'}=${JSON.stringify(v)}`) });
      throw Errors.jsonConversion(`${JSON.stringify(data)} does not match schema ${schema.id}: ${bad.join(', ')}`);
    }
    return frame(schema.id, schema.type.toBuffer(data));
  }

  /** A consumed key or value as JSON (throws SerializationError when it is not the wire format). */
  async decode(topic: string, data: Buffer | null): Promise<unknown> {
    if (data === null) return null;
    const { value, type } = await this.#deserializer.decode(topic, data);
    return JSON.parse(type.toString(value));
  }
}
