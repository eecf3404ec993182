/**
 * Kafka's producer config names (bootstrap.servers, acks, batch.size, linger.ms, ...) mapped to
 * ProducerOptions, for the tools (`--producer-props k=v`) and for users with a properties
 * file. Unknown keys are refused by name; keys Kafka has but this producer ignores are listed
 * in IGNORED_PRODUCER_PROPERTIES.
 */
import { ProjectError } from '../../common/errors.js';
import type { ProducerOptions } from './types.js';

/** Accepted and ignored (they have no meaning here). */
export const IGNORED_PRODUCER_PROPERTIES = new Set(['key.serializer', 'value.serializer', 'send.buffer.bytes', 'receive.buffer.bytes', 'metadata.max.age.ms']);

function int(key: string, v: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new ProjectError(`producer property ${key} must be an integer, got "${v}"`);
  return Number(v);
}

export function producerOptionsFromProperties(props: Record<string, string>): ProducerOptions {
  const o: ProducerOptions = {};
  for (const [key, raw] of Object.entries(props)) {
    const v = raw.trim();
    switch (key) {
      case 'bootstrap.servers':
      case 'metadata.broker.list':
        o.brokers = v;
        break;
      case 'zookeeper.connect':
        o.zookeeper = v;
        break;
      case 'client.id':
        o.clientId = v;
        break;
      case 'acks':
      case 'request.required.acks': {
        const a = v === 'all' ? -1 : int(key, v);
        if (a !== 0 && a !== 1 && a !== -1) throw new ProjectError(`producer property ${key} must be 0, 1, -1 or all, got "${v}"`);
        o.acks = a;
        break;
      }
      case 'compression.type':
      case 'compression.codec':
        if (!['none', 'gzip', 'snappy', 'lz4'].includes(v)) throw new ProjectError(`producer property ${key}: unsupported compression "${v}" (none, gzip, snappy or lz4; zstd needs Produce v7, beyond this broker)`);
        o.compression = v as 'none' | 'gzip' | 'snappy' | 'lz4';
        break;
      case 'batch.size':
        o.batchSize = int(key, v);
        break;
      case 'linger.ms':
        o.lingerMs = int(key, v);
        break;
      case 'buffer.memory':
        o.bufferMemory = int(key, v);
        break;
      case 'max.block.ms':
        o.maxBlockMs = int(key, v);
        break;
      case 'max.request.size':
        o.maxRequestSize = int(key, v);
        break;
      case 'max.in.flight.requests.per.connection':
        o.maxInFlight = int(key, v);
        break;
      case 'enable.idempotence':
        if (v !== 'true' && v !== 'false') throw new ProjectError(`producer property ${key} must be true or false, got "${v}"`);
        o.idempotence = v === 'true';
        break;
      case 'retries':
      case 'message.send.max.retries':
        o.retries = int(key, v);
        break;
      case 'retry.backoff.ms':
        o.retryBackoffMs = int(key, v);
        break;
      case 'request.timeout.ms':
        o.requestTimeoutMs = int(key, v);
        break;
      case 'delivery.timeout.ms':
        o.deliveryTimeoutMs = int(key, v);
        break;
      case 'partitioner':
      case 'partitioner.class':
        if (!['default', 'round-robin', 'random'].includes(v)) throw new ProjectError(`producer property ${key} must be default, round-robin or random, got "${v}"`);
        o.partitioner = v as 'default' | 'round-robin' | 'random';
        break;
      default:
        if (!IGNORED_PRODUCER_PROPERTIES.has(key)) throw new ProjectError(`unknown producer property "${key}"`);
    }
  }
  return o;
}
