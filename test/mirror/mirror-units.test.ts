/**
 * The mirror's parts without a cluster: the in-flight tracker that decides what may be
 * committed (only through records acknowledged with everything before them in their source
 * partition), the checks and defaults of its two configurations, and handler output.
 */
import { describe, expect, it } from 'vitest';
import { InFlightRecords } from '../../src/mirror/in-flight.js';
import { mirrorConsumerSettings, mirrorProducerOptions } from '../../src/mirror/config.js';
import { handlerOutput } from '../../src/mirror/message-handler.js';
import type { ConsumerRecord } from '../../src/client/connector/stream.js';
import { ConfigError } from '../../src/common/errors.js';

const rec = (topic: string, partition: number, offset: number): ConsumerRecord => ({ topic, partition, offset, timestamp: 5, key: null, value: Buffer.from(`v${offset}`), headers: [] });

describe('InFlightRecords', () => {
  // partition generations: any objects (the connector's PartitionTopicInfo in the mirror)
  const p0 = { name: 't/0' };
  const p1 = { name: 't/1' };
  const taken = (t: InFlightRecords<{ name: string }>, ended?: (p: { name: string }) => boolean) => t.takeProcessed(ended).map(([p, o]) => `${p.name}@${o}`);

  it('marks a record processed only once it and every earlier record of its partition are acknowledged', () => {
    const t = new InFlightRecords<{ name: string }>();
    const e0 = t.add(p0, 't/0', 0, 1);
    const e1 = t.add(p0, 't/0', 1, 2); // the handler made two target records of it
    const e2 = t.add(p0, 't/0', 2, 1);
    const f0 = t.add(p1, 't/1', 7, 1);
    expect(t.size).toBe(4);
    expect(e1.where).toBe('t/0@1');
    t.ack(e2); // acknowledged out of order: nothing yet
    t.ack(e1);
    expect(taken(t)).toEqual([]);
    t.ack(e0); // 0 done, 1 half done
    expect(taken(t)).toEqual(['t/0@0']);
    expect(taken(t)).toEqual([]); // taken once
    t.ack(e1); // 1 and 2 now
    t.ack(f0);
    expect(taken(t)).toEqual(['t/0@2', 't/1@7']);
    expect(t.size).toBe(0);
    t.ack(e0); // a late second answer changes nothing
    expect(taken(t)).toEqual([]);
  });

  it('a record mapped to nothing is processed as soon as those before it are; one never acknowledged holds its partition back for good', () => {
    const t = new InFlightRecords<{ name: string }>();
    t.add(p0, 't/0', 0, 0);
    expect(taken(t)).toEqual(['t/0@0']);
    t.add(p0, 't/0', 1, 1); // its send failed: never acknowledged
    const after = t.add(p0, 't/0', 2, 1);
    t.add(p0, 't/0', 3, 0);
    t.ack(after);
    expect(taken(t)).toEqual([]);
    expect(t.size).toBe(3);
  });

  it('a new generation of a partition has a queue of its own; a drained old one is forgotten once ended', async () => {
    const t = new InFlightRecords<{ name: string }>();
    const old = t.add(p0, 't/0', 5, 1);
    const again = { name: 't/0 (new generation)' };
    const fresh = t.add(again, 't/0', 5, 1); // re-read from the committed offset
    t.ack(fresh); // not held back by the old generation's record
    expect(taken(t)).toEqual(['t/0 (new generation)@5']);
    t.ack(old);
    expect(taken(t, (p) => p === p0)).toEqual(['t/0@5']);
    t.add(p0, 't/0', 6, 0); // a queue made afresh
    expect(taken(t)).toEqual(['t/0@6']);
    // room() waits until fewer records are in flight
    const e = [t.add(p1, 't/1', 0, 1), t.add(p1, 't/1', 1, 1)];
    let roomy = false;
    const waiting = t.room(1).then(() => (roomy = true));
    t.ack(e[0]!);
    await Promise.resolve();
    expect(roomy).toBe(false);
    t.ack(e[1]!);
    await waiting;
    expect(roomy).toBe(true);
  });

  it('a run of one partition is one entry: processed at its end once closed and all acknowledged, never while open', () => {
    const t = new InFlightRecords<{ name: string }>();
    const label = (p: { name: string }) => p.name;
    const r = t.addToRun(p0, 10, label, 3);
    expect(t.addToRun(p0, 11, label, 3)).toBe(r);
    expect(t.addToRun(p0, 13, label, 3)).toBe(r); // a gap (compacted source) stays in the run
    expect(r.where).toBe('t/0@10..13');
    const r2 = t.addToRun(p0, 14, label, 3); // the run is full: a new one
    expect(r2).not.toBe(r);
    expect(t.size).toBe(4);
    t.ack(r);
    t.ack(r);
    t.ack(r);
    expect(taken(t)).toEqual(['t/0@13']); // closed by the new run, all three acknowledged
    t.ack(r2);
    expect(taken(t)).toEqual([]); // acknowledged, but open: more may join
    const r3 = t.addToRun(p1, 0, label, 100); // another partition closes it
    expect(taken(t)).toEqual(['t/0@14']);
    t.addToRun(p1, 1, label, 100);
    t.ack(r3);
    t.closeRun();
    expect(taken(t)).toEqual([]); // one of two acknowledged
    t.ack(r3);
    expect(taken(t)).toEqual(['t/1@1']);
    expect(t.size).toBe(0);
    // add() closes an open run before its own entry
    const r4 = t.addToRun(p0, 15, label, 100);
    const single = t.add(p0, 't/0', 16, 1);
    t.ack(single);
    expect(taken(t)).toEqual([]);
    t.ack(r4);
    expect(taken(t)).toEqual(['t/0@16']);
  });

  it('a run with a record never acknowledged holds its partition back at the run start', () => {
    const t = new InFlightRecords<{ name: string }>();
    const label = (p: { name: string }) => p.name;
    const ok = t.addToRun(p0, 0, label, 2);
    t.addToRun(p0, 1, label, 2);
    const bad = t.addToRun(p0, 2, label, 2);
    t.addToRun(p0, 3, label, 2); // 2 acknowledged, 3 failed
    t.closeRun();
    t.ack(ok);
    t.ack(ok);
    t.ack(bad);
    expect(taken(t)).toEqual(['t/0@1']);
    expect(t.size).toBe(2);
  });

  it('keeps up with many records of interleaved partitions (the queues are compacted as they go)', () => {
    const t = new InFlightRecords<{ name: string }>();
    const entries = Array.from({ length: 5000 }, (_, i) => t.add(i % 2 ? p1 : p0, `t/${i % 2}`, i, 1));
    for (const e of entries.filter((_, i) => i % 2 === 1)) t.ack(e);
    expect(taken(t)).toEqual(['t/1@4999']);
    for (const e of entries.slice(0, 4000).filter((_, i) => i % 2 === 0)) t.ack(e);
    expect(taken(t)).toEqual(['t/0@3998']);
    expect(t.size).toBe(500);
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
    // chunks fetched ahead: 10 unless the config says otherwise
    expect(s.config.queuedMaxMessageChunks).toBe(10);
    expect(mirrorConsumerSettings({ 'zookeeper.connect': 'h:1', 'group.id': 'g', 'queued.max.message.chunks': '3' }).config.queuedMaxMessageChunks).toBe(3);
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
  it('is a record, a list or nothing; every record needs a topic', () => {
    const r = rec('t', 3, 9);
    expect(handlerOutput(null, r)).toEqual([]);
    expect(handlerOutput(undefined, r)).toEqual([]);
    expect(handlerOutput({ topic: 'x' }, r)).toEqual([{ topic: 'x' }]);
    expect(() => handlerOutput([{ topic: '' }], r)).toThrow('the message handler returned {"topic":""} for t/3@9: a record needs a topic');
  });
});
