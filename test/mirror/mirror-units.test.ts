/**
 * The mirror's parts without a cluster: the in-flight tracker that decides what may be
 * committed (only through records acknowledged with everything before them in their source
 * partition), the checks and defaults of its two configurations, and handler output.
 */
import { describe, expect, it } from 'vitest';
import { InFlightRecords } from '../../src/mirror/in-flight.js';
import { mirrorConsumerSettings, mirrorProducerOptions } from '../../src/mirror/config.js';
import { handlerOutput, identityHandler } from '../../src/mirror/message-handler.js';
import type { ConsumerRecord } from '../../src/client/connector/stream.js';
import { ConfigError } from '../../src/common/errors.js';

const rec = (topic: string, partition: number, offset: number): ConsumerRecord => ({ topic, partition, offset, timestamp: 5, key: null, value: Buffer.from(`v${offset}`), headers: [] });

describe('InFlightRecords', () => {
  it('marks a record processed only once it and every earlier record of its partition are acknowledged', () => {
    const marked: string[] = [];
    const t = new InFlightRecords((r) => marked.push(`${r.topic}/${r.partition}@${r.offset}`));
    const e0 = t.add(rec('t', 0, 0), 1);
    const e1 = t.add(rec('t', 0, 1), 2); // the handler made two target records of it
    const e2 = t.add(rec('t', 0, 2), 1);
    const f0 = t.add(rec('t', 1, 7), 1);
    expect(t.size).toBe(4);
    t.ack(e2); // acknowledged out of order: nothing yet
    t.ack(e1);
    expect(marked).toEqual([]);
    t.ack(e0); // 0 done, 1 half done
    expect(marked).toEqual(['t/0@0']);
    t.ack(e1); // 1 and 2 now
    expect(marked).toEqual(['t/0@0', 't/0@2']);
    t.ack(f0);
    expect(marked).toEqual(['t/0@0', 't/0@2', 't/1@7']);
    expect(t.size).toBe(0);
    t.ack(e0); // a late second answer changes nothing
    expect(marked).toHaveLength(3);
  });

  it('a record mapped to nothing is processed as soon as those before it are; one never acknowledged holds its partition back for good', () => {
    const marked: number[] = [];
    const t = new InFlightRecords((r) => marked.push(r.offset));
    t.add(rec('t', 0, 0), 0);
    expect(marked).toEqual([0]);
    const failed = t.add(rec('t', 0, 1), 1); // its send failed: never acknowledged
    const after = t.add(rec('t', 0, 2), 1);
    t.add(rec('t', 0, 3), 0);
    t.ack(after);
    expect(marked).toEqual([0]);
    expect(t.size).toBe(3);
    void failed;
  });

  it('keeps up with many records (the queue is compacted as it goes)', () => {
    let last = -1;
    const t = new InFlightRecords((r) => (last = r.offset));
    const entries = Array.from({ length: 5000 }, (_, i) => t.add(rec('t', 0, i), 1));
    for (const e of entries) t.ack(e);
    expect(last).toBe(4999);
    expect(t.size).toBe(0);
  });
});

describe('mirror configurations', () => {
  it('the consumer: zookeeper.connect and group.id required, auto-commit forced off, smallest by default', () => {
    expect(() => mirrorConsumerSettings({}, 'F')).toThrow(ConfigError);
    expect(() => mirrorConsumerSettings({}, 'F')).toThrow('F has no zookeeper.connect and no group.id');
    expect(() => mirrorConsumerSettings({ 'group.id': 'g' }, 'F')).toThrow('F has no zookeeper.connect:');
    const s = mirrorConsumerSettings({ 'zookeeper.connect': 'h:1/c', 'group.id': 'g', 'auto.commit.enable': 'true', 'bogus.key': 'x' }, 'F');
    expect(s.config.autoCommitEnable).toBe(false);
    expect(s.config.autoOffsetReset).toBe('smallest');
    expect(s.config.zookeeperChroot).toBe('/c');
    expect(s.notes.join('\n')).toMatch(/auto\.commit\.enable is turned off/);
    expect(s.notes.join('\n')).toMatch(/F: unknown consumer property "bogus\.key"/);
    expect(mirrorConsumerSettings({ 'zookeeper.connect': 'h:1', 'group.id': 'g', 'auto.offset.reset': 'largest' }).config.autoOffsetReset).toBe('largest');
    expect(() => mirrorConsumerSettings({ 'zookeeper.connect': 'nope', 'group.id': 'g' })).toThrow(/zookeeper\.connect "nope" is not host:port/);
  });

  it('the producer: bootstrap.servers required; acks=all, unbounded retries and blocking, idempotent', () => {
    expect(() => mirrorProducerOptions({}, 'P')).toThrow('P has no bootstrap.servers (or metadata.broker.list)');
    const o = mirrorProducerOptions({ 'metadata.broker.list': 'h:1' });
    expect(o).toMatchObject({ brokers: 'h:1', acks: -1, retries: 2147483647, deliveryTimeoutMs: 2147483647, maxBlockMs: 2147483647, idempotence: true });
    expect(o.maxInFlight).toBeUndefined();
    // without idempotence, one request in flight keeps the order (0.9's way)
    expect(mirrorProducerOptions({ 'bootstrap.servers': 'h:1', 'enable.idempotence': 'false' })).toMatchObject({ idempotence: false, maxInFlight: 1 });
    expect(mirrorProducerOptions({ 'bootstrap.servers': 'h:1', acks: '1', 'compression.type': 'lz4' })).toMatchObject({ acks: 1, compression: 'lz4' });
    expect(() => mirrorProducerOptions({ 'bootstrap.servers': 'h:1', nope: '1' }, 'P')).toThrow('P: unknown producer property "nope"');
  });
});

describe('message handler output', () => {
  it('identity copies topic, key, value, headers and timestamp; results are checked', () => {
    const r = { ...rec('t', 3, 9), key: Buffer.from('k'), headers: [{ key: 'h', value: Buffer.from('x') }] };
    expect(identityHandler(r)).toEqual([{ topic: 't', key: r.key, value: r.value, headers: r.headers, timestamp: 5 }]);
    expect(handlerOutput(null, r)).toEqual([]);
    expect(handlerOutput(undefined, r)).toEqual([]);
    expect(handlerOutput({ topic: 'x' }, r)).toEqual([{ topic: 'x' }]);
    expect(() => handlerOutput([{ topic: '' }], r)).toThrow('the message handler returned {"topic":""} for t/3@9: a record needs a topic');
  });
});
