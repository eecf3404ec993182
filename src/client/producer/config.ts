/**
 * Kafka's producer config names (bootstrap.servers, acks, batch.size, linger.ms, ...) mapped to
 * ProducerOptions, for the tools (`--producer-props k=v`) and for users with a properties
 * file. Unknown keys are refused by name; keys Kafka has but this producer ignores are listed
 * in IGNORED_PRODUCER_PROPERTIES. resolveProducerOptions checks ProducerOptions and fills in the
 * defaults (those of Kafka's Java producer).
 */
import { clientSecurityFromProperties, type ClientSecurity } from '../../network/client-security.js';
import { ProjectError } from '../../common/errors.js';
import { CompressionCodec } from '../../protocol/records/compression.js';
import { BATCH_HEADER_SIZE } from './producer-batch.js';
import type { SenderConfig } from './sender.js';
import type { CompressionType, ProducerOptions } from './types.js';

/** Accepted and ignored (they have no meaning here). */
export const IGNORED_PRODUCER_PROPERTIES = new Set(['key.serializer', 'value.serializer', 'send.buffer.bytes', 'receive.buffer.bytes', 'metadata.max.age.ms']);

function int(key: string, v: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new ProjectError(`producer property ${key} must be an integer, got "${v}"`);
  return Number(v);
}

export function producerOptionsFromProperties(props: Record<string, string>): ProducerOptions {
  const o: ProducerOptions = {};
  const security = securityProperties(props);
  if (security) o.security = security;
  for (const [key, raw] of Object.entries(props)) {
    const v = raw.trim();
    if (isSecurityProperty(key)) continue;
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
      case 'metrics.port':
        o.metricsPort = int(key, v);
        if (o.metricsPort < 0 || o.metricsPort > 65535) throw new ProjectError(`producer property metrics.port must be a port (0 for a free one), got "${v}"`);
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

/** ProducerOptions checked, with the defaults of Kafka's Java producer filled in. */
export interface ResolvedProducerOptions {
  acks: 0 | 1 | -1;
  batchSize: number;
  lingerMs: number;
  maxBlockMs: number;
  maxRequestSize: number;
  retryBackoffMs: number;
  bufferMemory: number;
  codec: CompressionCodec;
  sender: SenderConfig;
}

/** Checks every option at once (a bad one is a clear error before anything connects). */
export function resolveProducerOptions(o: ProducerOptions): ResolvedProducerOptions {
  const acks = o.acks === 'all' ? -1 : (o.acks ?? 1);
  if (acks !== 0 && acks !== 1 && acks !== -1) throw new ProjectError(`acks must be 0, 1, -1 or "all", got ${String(o.acks)}`);
  const lingerMs = positive('lingerMs', o.lingerMs, 0, true);
  const maxRequestSize = positive('maxRequestSize', o.maxRequestSize, 1_048_576);
  const retryBackoffMs = positive('retryBackoffMs', o.retryBackoffMs, 100, true);
  return {
    acks,
    batchSize: Math.max(BATCH_HEADER_SIZE + 16, positive('batchSize', o.batchSize, 16384)),
    lingerMs,
    maxBlockMs: positive('maxBlockMs', o.maxBlockMs, 60_000, true),
    maxRequestSize,
    retryBackoffMs,
    bufferMemory: positive('bufferMemory', o.bufferMemory, 33_554_432),
    codec: compressionCodecOf(o.compression),
    sender: {
      acks,
      idempotence: o.idempotence ?? true,
      lingerMs,
      maxInFlight: Math.max(1, Math.floor(positive('maxInFlight', o.maxInFlight, 5))),
      maxRequestSize,
      retries: positive('retries', o.retries, 2_147_483_647, true),
      retryBackoffMs,
      requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs, 30_000),
      deliveryTimeoutMs: positive('deliveryTimeoutMs', o.deliveryTimeoutMs, 120_000),
    },
  };
}

export function compressionCodecOf(c: CompressionType | undefined): CompressionCodec {
  if (c === undefined) return CompressionCodec.None;
  if (typeof c === 'number') {
    if (c === CompressionCodec.None || c === CompressionCodec.Gzip || c === CompressionCodec.Snappy || c === CompressionCodec.Lz4) return c;
  } else {
    const codec = ({ none: CompressionCodec.None, gzip: CompressionCodec.Gzip, snappy: CompressionCodec.Snappy, lz4: CompressionCodec.Lz4 } as Record<string, CompressionCodec>)[c];
    if (codec !== undefined) return codec;
  }
  throw new ProjectError(`unsupported compression "${String(c)}": none, gzip, snappy or lz4 (zstd needs Produce v7, beyond this broker)`);
}

function positive(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new ProjectError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}`);
  return v;
}

/** security.protocol, ssl.*, sasl.*: how a client connects (client-security.ts). */
export function isSecurityProperty(key: string): boolean {
  return key === 'security.protocol' || key.startsWith('ssl.') || key.startsWith('sasl.') || key === 'enable.ssl.certificate.verification';
}

/** The client security of a property map (undefined without security.protocol); a bad setting is an error naming it. */
export function securityProperties(props: Record<string, string>): ClientSecurity | undefined {
  try {
    return clientSecurityFromProperties(Object.fromEntries(Object.entries(props).filter(([k]) => isSecurityProperty(k))));
  } catch (err) {
    throw new ProjectError((err as Error).message, { cause: err });
  }
}
