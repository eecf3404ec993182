/**
 * The REST proxy's content types, Accept negotiation, partitioning and configuration, without
 * a cluster; and the tool's exit codes.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { checkV2ContentType, negotiateV2, produceFormat, recordsFormat } from '../../src/rest/http-util.js';
import { restPartitioner } from '../../src/rest/produce.js';
import { restConfig } from '../../src/rest/config.js';
import { RestError } from '../../src/rest/errors.js';
import { murmur2Partition } from '../../src/client/partitioner.js';
import { ROOT } from '../helpers/zk-ensemble.js';

const code = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as RestError).errorCode;
  }
};

describe('REST proxy HTTP rules', () => {
  it('takes the embedded format from the Content-Type, binary for the generic types, 415 otherwise', () => {
    expect(produceFormat('application/vnd.kafka.binary.v2+json')).toBe('binary');
    expect(produceFormat('application/vnd.kafka.json.v2+json; charset=utf-8')).toBe('json');
    expect(produceFormat('application/vnd.kafka.avro.v2+json')).toBe('avro');
    for (const t of ['application/vnd.kafka.v2+json', 'application/vnd.kafka+json', 'application/json', 'application/octet-stream']) expect(produceFormat(t)).toBe('binary');
    for (const t of [undefined, 'text/plain', 'application/vnd.kafka.binary.v1+json', 'application/vnd.kafka.protobuf.v2+json']) expect(code(() => produceFormat(t))).toBe(415);
    expect(code(() => checkV2ContentType(undefined, 0))).toBeUndefined();
    expect(code(() => checkV2ContentType(undefined, 5))).toBe(415);
    expect(code(() => checkV2ContentType('text/plain', 5))).toBe(415);
  });

  it('negotiates Accept with q-values, and maps GET records to a format', () => {
    expect(negotiateV2(undefined)).toBe('application/vnd.kafka.v2+json');
    expect(negotiateV2('*/*')).toBe('application/vnd.kafka.v2+json');
    expect(negotiateV2('application/json; q=0.5, application/vnd.kafka.v2+json; q=0.9')).toBe('application/vnd.kafka.v2+json');
    expect(negotiateV2('application/vnd.kafka.v2+json; q=0, application/json')).toBe('application/json');
    expect(code(() => negotiateV2('text/html'))).toBe(406);
    expect(recordsFormat('application/vnd.kafka.json.v2+json')).toBe('json');
    expect(recordsFormat('application/vnd.kafka.avro.v2+json')).toBe('avro');
    expect(recordsFormat(undefined)).toBe('binary');
    expect(recordsFormat('application/json')).toBe('binary');
    expect(code(() => recordsFormat('text/html'))).toBe(406);
  });

  it("partitions as Confluent says: the key's murmur2 hash, else round-robin over partitions with a leader", () => {
    const p = restPartitioner();
    const args = (key: Buffer | null) => ({ topic: 't', key, value: null, partitionCount: 4, availablePartitions: [0, 1, 3] });
    expect(p(args(Buffer.from('user-1')))).toBe(murmur2Partition(Buffer.from('user-1'), 4));
    expect([0, 1, 2, 3].map(() => p(args(null)))).toEqual([0, 1, 3, 0]);
  });

  it("reads Confluent's property names and refuses unknown or bad ones", () => {
    const c = restConfig(new Map([['zookeeper.connect', 'h:2181/kafka'], ['producer.acks', 'all'], ['consumer.fetch.wait.max.ms', '50']]));
    expect([c.host, c.port, c.consumerInstanceTimeoutMs, c.consumerRequestTimeoutMs, c.requestMaxBytes]).toEqual(['127.0.0.1', 8082, 300_000, 1000, 16_777_216]);
    expect(c.producerProps).toEqual({ acks: 'all' });
    expect(c.consumerProps).toEqual({ 'fetch.wait.max.ms': '50' });
    expect(() => restConfig(new Map())).toThrow(/zookeeper.connect/);
    expect(() => restConfig(new Map([['zookeeper.connect', 'h:1'], ['bogus', '1']]))).toThrow(/unknown property bogus/);
    expect(() => restConfig(new Map([['zookeeper.connect', 'h:1'], ['listeners', 'https://h:1']]))).toThrow(/http:\/\/host:port/);
    expect(() => restConfig(new Map([['zookeeper.connect', 'h:1'], ['consumer.instance.timeout.ms', 'soon']]))).toThrow(/consumer.instance.timeout.ms/);
  });

  it('bin entry point: --help exits 0, a bad configuration exits 1 with the reason', () => {
    const main = path.join(ROOT, 'dist/src/bin/kafka-rest-start.js');
    const help = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--zookeeper/);
    const none = spawnSync(process.execPath, [main], { encoding: 'utf8' });
    expect([none.status, none.stderr]).toEqual([1, expect.stringMatching(/^kafka-rest-start: zookeeper.connect .* is required/)]);
    const bad = spawnSync(process.execPath, [main, '--zookeeper', '127.0.0.1:2181', '--override', 'consumer.instance.timeout.ms=x'], { encoding: 'utf8' });
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/consumer.instance.timeout.ms must be an integer/)]);
  });
});
