/**
 * The consumer protocol's assignors against Kafka's own answers (RangeAssignorTest and
 * RoundRobinAssignorTest of Kafka 2.0), and the group consumer's configuration.
 */
import { describe, expect, it } from 'vitest';
import { assignorsFromStrategy, rangeAssignor, roundRobinAssignor, type GroupAssignment } from '../../src/client/group/assignors.js';
import { groupConsumerConfig } from '../../src/client/group/config.js';
import { ConfigError } from '../../src/common/errors.js';

/** memberId -> ['t-0', ...] */
const flat = (a: GroupAssignment): Record<string, string[]> =>
  Object.fromEntries([...a].map(([m, tps]) => [m, tps.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`))]));

describe('range assignor (Kafka RangeAssignor)', () => {
  it('one consumer, no topic or a topic that does not exist: nothing', () => {
    expect(flat(rangeAssignor.assign([{ memberId: 'c', topics: [] }], new Map()))).toEqual({ c: [] });
    expect(flat(rangeAssignor.assign([{ memberId: 'c', topics: ['t'] }], new Map()))).toEqual({ c: [] });
  });
  it('two consumers, one topic of one partition: the first takes it', () => {
    expect(flat(rangeAssignor.assign([{ memberId: 'c1', topics: ['t'] }, { memberId: 'c2', topics: ['t'] }], new Map([['t', 1]])))).toEqual({ c1: ['t-0'], c2: [] });
  });
  it('two consumers, two topics of three partitions: the first member (by id) takes the extra one of each', () => {
    const members = [
      { memberId: 'consumer2', topics: ['t1', 't2'] },
      { memberId: 'consumer1', topics: ['t1', 't2'] },
    ];
    expect(flat(rangeAssignor.assign(members, new Map([['t1', 3], ['t2', 3]])))).toEqual({
      consumer1: ['t1-0', 't1-1', 't2-0', 't2-1'],
      consumer2: ['t1-2', 't2-2'],
    });
  });
  it('subscriptions that differ: each topic among its own subscribers', () => {
    const members = [
      { memberId: 'c1', topics: ['t1'] },
      { memberId: 'c2', topics: ['t1', 't2'] },
      { memberId: 'c3', topics: ['t1'] },
    ];
    expect(flat(rangeAssignor.assign(members, new Map([['t1', 3], ['t2', 2]])))).toEqual({ c1: ['t1-0'], c2: ['t1-1', 't2-0', 't2-1'], c3: ['t1-2'] });
  });
});

describe('roundrobin assignor (Kafka RoundRobinAssignor)', () => {
  it('two consumers, two topics of three partitions: dealt in turn over topics sorted by name', () => {
    const members = [
      { memberId: 'consumer2', topics: ['t2', 't1'] },
      { memberId: 'consumer1', topics: ['t1', 't2'] },
    ];
    expect(flat(roundRobinAssignor.assign(members, new Map([['t1', 3], ['t2', 3]])))).toEqual({
      consumer1: ['t1-0', 't1-2', 't2-1'],
      consumer2: ['t1-1', 't2-0', 't2-2'],
    });
  });
  it('subscriptions that differ: a member not subscribed to a topic is passed over', () => {
    const members = [
      { memberId: 'c1', topics: ['t1'] },
      { memberId: 'c2', topics: ['t1', 't2'] },
    ];
    // t1-0 c1, t1-1 c2, t2-0: c1 is not subscribed -> c2, t2-1 -> c1 skipped again -> c2
    expect(flat(roundRobinAssignor.assign(members, new Map([['t1', 2], ['t2', 2]])))).toEqual({ c1: ['t1-0'], c2: ['t1-1', 't2-0', 't2-1'] });
  });
});

describe('group consumer configuration', () => {
  it("has the Java consumer's defaults", () => {
    const c = groupConsumerConfig({ 'group.id': 'g', 'bootstrap.servers': 'h:1' });
    expect(c).toMatchObject({
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 3000,
      maxPollIntervalMs: 300_000,
      enableAutoCommit: true,
      autoCommitIntervalMs: 5000,
      autoOffsetReset: 'latest',
      maxPollRecords: 500,
      fetchMaxWaitMs: 500,
    });
    expect(c.assignors.map((a) => a.name)).toEqual(['range']);
  });
  it("reads 0.8's reset names, strategy lists and Java class names; refuses bad values naming the key", () => {
    expect(groupConsumerConfig({ 'group.id': 'g', 'auto.offset.reset': 'smallest' }).autoOffsetReset).toBe('earliest');
    expect(groupConsumerConfig({ 'group.id': 'g', 'auto.offset.reset': 'largest' }).autoOffsetReset).toBe('latest');
    expect(assignorsFromStrategy('roundrobin, org.apache.kafka.clients.consumer.RangeAssignor').map((a) => a.name)).toEqual(['roundrobin', 'range']);
    expect(() => assignorsFromStrategy('sticky')).toThrow(/unknown assignor "sticky"/);
    expect(() => groupConsumerConfig({})).toThrow(ConfigError);
    expect(() => groupConsumerConfig({ 'group.id': 'g', 'auto.offset.reset': 'anywhere' })).toThrow(/auto.offset.reset/);
    expect(() => groupConsumerConfig({ 'group.id': 'g', 'session.timeout.ms': '1000', 'heartbeat.interval.ms': '1000' })).toThrow(/heartbeat.interval.ms/);
    const warnings: string[] = [];
    groupConsumerConfig({ 'group.id': 'g', 'zookeeper.connect': 'z:1', 'group.protocol': 'broker' }, (m) => warnings.push(m));
    expect(warnings).toEqual(['unknown consumer property "zookeeper.connect" is ignored']);
  });
});
