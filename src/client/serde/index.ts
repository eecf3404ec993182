/**
 * Serdes for the clients: a producer that serializes keys and values by key.serializer /
 * value.serializer, and record decoding by key.deserializer / value.deserializer for both
 * consumers (the ZooKeeper connector's ConsumerRecord and the group consumer's records). The
 * clients themselves keep handling bytes; these wrap them, so the serde properties are split
 * off before the rest reaches the client's own config.
 */
import { Producer } from '../producer/producer.js';
import { producerOptionsFromProperties } from '../producer/config.js';
import type { ProducerOptions, RecordMetadata } from '../producer/types.js';
import { GroupConsumer } from '../group/group-consumer.js';
import { deserializersFromProperties, serializersFromProperties, splitSerdeProperties, type Deserializer, type Serdes, type Serializer } from './serdes.js';
import { SerializationError } from './wire.js';

export * from './serdes.js';
export { SerializationError, frame, unframe, MAGIC_BYTE } from './wire.js';
export { SchemaRegistryClient, SchemaRegistryError } from './registry-client.js';

export interface TypedRecord<K = unknown, V = unknown> {
  topic: string;
  partition?: number;
  key?: K;
  value?: V;
  headers?: Record<string, Buffer | string>;
  timestamp?: number;
}

export class SerializingProducer {
  readonly producer: Producer;
  readonly serializers: Serdes<Serializer>;

  /** Kafka's producer properties plus the serde ones (serdes.ts). */
  static fromProperties(props: Record<string, string>, extra: ProducerOptions = {}): SerializingProducer {
    const { serde, rest } = splitSerdeProperties(props);
    const serializers = serializersFromProperties(serde);
    return new SerializingProducer(new Producer({ ...producerOptionsFromProperties(rest), ...extra }), serializers);
  }

  constructor(producer: Producer, serializers: Serdes<Serializer>) {
    this.producer = producer;
    this.serializers = serializers;
  }

  /** Serializes (a SerializationError if the key or value does not fit) and sends. */
  async send(r: TypedRecord): Promise<RecordMetadata> {
    const [key, value] = await Promise.all([this.serializers.key.serialize(r.topic, r.key), this.serializers.value.serialize(r.topic, r.value)]);
    return this.producer.send({ topic: r.topic, partition: r.partition, key, value, headers: r.headers, timestamp: r.timestamp });
  }

  flush(): Promise<void> {
    return this.producer.flush();
  }
  close(): Promise<void> {
    return this.producer.close();
  }
}

/** A consumed record with its key and value decoded; `error` says why one could not be. */
export interface DecodedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: unknown;
  value: unknown;
  error?: SerializationError;
}

/** Decodes one record; a failure is returned in `error` (naming the offset), not thrown or dropped. */
export async function decodeRecord(d: Serdes<Deserializer>, r: { topic: string; partition: number; offset: number; timestamp: number; key: Buffer | null; value: Buffer | null }): Promise<DecodedRecord> {
  const out: DecodedRecord = { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value };
  try {
    out.key = await d.key.deserialize(r.topic, r.key);
    out.value = await d.value.deserialize(r.topic, r.value);
  } catch (err) {
    const e = err instanceof SerializationError ? err : new SerializationError((err as Error).message, { cause: err });
    out.error = new SerializationError(`${r.topic}-${r.partition} offset ${r.offset}: ${e.message}`, { cause: e, context: { ...e.context, topic: r.topic, partition: r.partition, offset: r.offset } });
  }
  return out;
}

/** The group consumer with key.deserializer / value.deserializer applied to what poll() returns. */
export class DeserializingGroupConsumer {
  readonly consumer: GroupConsumer;
  readonly deserializers: Serdes<Deserializer>;

  constructor(props: Record<string, string>) {
    const { serde, rest } = splitSerdeProperties(props);
    this.deserializers = deserializersFromProperties(serde);
    this.consumer = new GroupConsumer(rest);
  }

  subscribe(topics: readonly string[]): void {
    this.consumer.subscribe(topics);
  }

  async poll(timeoutMs = 0): Promise<DecodedRecord[]> {
    const records = await this.consumer.poll(timeoutMs);
    return Promise.all(records.map((r) => decodeRecord(this.deserializers, r)));
  }

  close(opts?: { commit?: boolean; leaveGroup?: boolean }): Promise<void> {
    return this.consumer.close(opts);
  }
}
