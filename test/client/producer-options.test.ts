/**
 * Producer options: Kafka's defaults, and a bad value refused by name when the producer is
 * constructed (before anything connects), whichever way it bootstraps.
 */
import { describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/producer/index.js';
import { resolveProducerOptions } from '../../src/client/producer/config.js';
import { CompressionCodec } from '../../src/protocol/records/compression.js';

describe('producer options', () => {
  it("fills in the Java producer's defaults", () => {
    const r = resolveProducerOptions({});
    expect(r).toMatchObject({ acks: 1, batchSize: 16384, lingerMs: 0, maxBlockMs: 60_000, maxRequestSize: 1_048_576, retryBackoffMs: 100, bufferMemory: 33_554_432, codec: CompressionCodec.None });
    expect(r.sender).toMatchObject({ acks: 1, idempotence: true, maxInFlight: 5, retries: 2_147_483_647, requestTimeoutMs: 30_000, deliveryTimeoutMs: 120_000 });
    expect(resolveProducerOptions({ acks: 'all', compression: 'lz4' })).toMatchObject({ acks: -1, codec: CompressionCodec.Lz4 });
  });

  it.each([
    [{ acks: 2 as 1 }, /acks must be 0, 1, -1 or "all", got 2/],
    [{ batchSize: 0 }, /batchSize must be a positive number, got 0/],
    [{ lingerMs: -1 }, /lingerMs must be a non-negative number, got -1/],
    [{ maxInFlight: -1 }, /maxInFlight must be a positive number, got -1/],
    [{ requestTimeoutMs: Number.NaN }, /requestTimeoutMs must be a positive number, got NaN/],
    [{ compression: 'zstd' as 'lz4' }, /unsupported compression "zstd".*Produce v7/],
  ])('refuses %o by name', (opts, message) => {
    expect(() => resolveProducerOptions(opts)).toThrow(message);
    // also a producer that would bootstrap from ZooKeeper, which connects only later
    expect(() => new Producer({ zookeeper: '127.0.0.1:1', ...opts })).toThrow(message);
  });
});
