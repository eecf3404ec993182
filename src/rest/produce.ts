/**
 * POST /topics/{t} and POST /topics/{t}/partitions/{p}: Confluent's produce request
 *
 *   {"records":[{"key":K,"value":V,"partition":P}], "key_schema":..., "value_schema_id":...}
 *
 * with keys and values in the embedded format of the Content-Type: binary (base64 strings),
 * json (any JSON, stored as its UTF-8 text) or avro (JSON checked against a schema, avro.ts).
 * A record without a partition goes where the hash of its key says (murmur2, as Kafka's
 * producers), a keyless one round-robin over the partitions with a leader. The answer lists, in
 * request order, each record's partition and offset once acknowledged, or its error:
 *
 *   {"offsets":[{"partition":0,"offset":7,"error_code":null,"error":null}],"key_schema_id":null,"value_schema_id":null}
 *
 * (error_code 1: a non-retriable Kafka error, 2: retriable). The whole request is refused before
 * anything is sent when the topic or a partition does not exist (40401, 40402), a value is not
 * valid base64 (422) or does not fit its schema (42203).
 */
import { KafkaError } from '../common/errors.js';
import { murmur2Partition } from '../client/partitioner.js';
import type { Producer, PartitionerArgs, RecordMetadata } from '../client/producer/index.js';
import type { AvroCodec, ResolvedSchema } from './avro.js';
import { Errors } from './errors.js';
import { asObject, type EmbeddedFormat } from './http-util.js';
import type { TopicCache } from './metadata.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface ProduceResult {
  offsets: { partition: number | null; offset: number | null; error_code: number | null; error: string | null }[];
  key_schema_id: number | null;
  value_schema_id: number | null;
}

/** Confluent's partitioning: the key's murmur2 hash, else round-robin (per topic). */
export function restPartitioner(): (a: PartitionerArgs) => number {
  const next = new Map<string, number>();
  return (a) => {
    if (a.key !== null && a.key !== undefined) return murmur2Partition(typeof a.key === 'string' ? Buffer.from(a.key) : a.key, a.partitionCount);
    const n = next.get(a.topic) ?? 0;
    next.set(a.topic, (n + 1) % 1_000_000_007);
    return a.availablePartitions.length > 0 ? a.availablePartitions[n % a.availablePartitions.length]! : n % a.partitionCount;
  };
}

function binary(v: unknown, what: string): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw Errors.unprocessable(`${what} must be a base64 string (binary embedded format), got ${JSON.stringify(v)}`);
  if (!BASE64.test(v)) throw Errors.unprocessable(`${what} is not valid base64: ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`);
  return Buffer.from(v, 'base64');
}

function json(v: unknown): Buffer | null {
  return v === null || v === undefined ? null : Buffer.from(JSON.stringify(v), 'utf8');
}

interface Encoded {
  key: Buffer | null;
  value: Buffer | null;
  partition: number | undefined;
}

export class ProduceHandler {
  readonly #producer: Producer;
  readonly #topics: TopicCache;
  readonly #avro: AvroCodec | undefined;

  constructor(producer: Producer, topics: TopicCache, avro: AvroCodec | undefined) {
    this.#producer = producer;
    this.#topics = topics;
    this.#avro = avro;
  }

  async produce(topic: string, pathPartition: number | undefined, format: EmbeddedFormat, body: unknown): Promise<ProduceResult> {
    const req = asObject(body, 'the request body');
    const records = req.records;
    if (!Array.isArray(records) || records.length === 0) throw Errors.unprocessable('records may not be empty: the body needs "records", a non-empty array');
    const count = await this.#topics.partitionCount(topic);
    if (pathPartition !== undefined && pathPartition >= count) throw Errors.partitionNotFound(topic, pathPartition);
    let keySchema: ResolvedSchema | undefined;
    let valueSchema: ResolvedSchema | undefined;
    if (format === 'avro') {
      if (!this.#avro) throw Errors.unsupportedMediaType('application/vnd.kafka.avro.v2+json (schema.registry.url is not configured)', ['application/vnd.kafka.binary.v2+json', 'application/vnd.kafka.json.v2+json']);
      const hasKeys = records.some((r) => r && typeof r === 'object' && (r as Record<string, unknown>).key != null);
      const hasValues = records.some((r) => r && typeof r === 'object' && (r as Record<string, unknown>).value != null);
      if (hasKeys) {
        if (req.key_schema == null && req.key_schema_id == null) throw Errors.keySchemaMissing();
        keySchema = await this.#avro.resolve(topic, true, req.key_schema, req.key_schema_id);
      }
      if (hasValues) {
        if (req.value_schema == null && req.value_schema_id == null) throw Errors.valueSchemaMissing();
        valueSchema = await this.#avro.resolve(topic, false, req.value_schema, req.value_schema_id);
      }
    }
    const encoded: Encoded[] = records.map((raw, i) => {
      const r = asObject(raw, `records[${i}]`);
      let partition = pathPartition;
      if (partition === undefined && r.partition !== undefined && r.partition !== null) {
        if (typeof r.partition !== 'number' || !Number.isInteger(r.partition) || r.partition < 0) throw Errors.unprocessable(`records[${i}].partition must be a non-negative integer, got ${JSON.stringify(r.partition)}`);
        if (r.partition >= count) throw Errors.partitionNotFound(topic, r.partition);
        partition = r.partition;
      }
      if (format === 'binary') return { key: binary(r.key, `records[${i}].key`), value: binary(r.value, `records[${i}].value`), partition };
      if (format === 'json') return { key: json(r.key), value: json(r.value), partition };
      return { key: keySchema ? this.#avro!.encode(keySchema, r.key) : null, value: valueSchema ? this.#avro!.encode(valueSchema, r.value) : null, partition };
    });
    const results = await Promise.all(encoded.map((e) => this.#send(topic, e)));
    return { offsets: results, key_schema_id: keySchema?.id ?? null, value_schema_id: valueSchema?.id ?? null };
  }

  #send(topic: string, e: Encoded): Promise<ProduceResult['offsets'][number]> {
    return new Promise((resolve) => {
      this.#producer.produce({ topic, partition: e.partition, key: e.key, value: e.value }, (err: Error | null, md: RecordMetadata | undefined) => {
        if (err || !md) {
          const retriable = err instanceof KafkaError && err.retriable;
          resolve({ partition: null, offset: null, error_code: retriable ? 2 : 1, error: err?.message ?? 'no acknowledgement' });
        } else {
          resolve({ partition: md.partition, offset: md.offset, error_code: null, error: null });
        }
      });
    });
  }
}
