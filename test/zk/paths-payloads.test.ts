/** Pins every Kafka 0.8 znode path and payload byte string (docs/reference.md section 2). */
import { describe, expect, it } from 'vitest';
import * as P from '../../src/zk/paths.js';
import * as C from '../../src/zk/payloads.js';
import { ZkPayloadError } from '../../src/zk/errors.js';

const s = (b: Buffer) => b.toString('utf8');

describe('znode paths', () => {
  it('fixed paths', () => {
    expect(P.brokerIdsPath).toBe('/brokers/ids');
    expect(P.brokerTopicsPath).toBe('/brokers/topics');
    expect(P.controllerPath).toBe('/controller');
    expect(P.controllerEpochPath).toBe('/controller_epoch');
    expect(P.consumersPath).toBe('/consumers');
    expect(P.adminPath).toBe('/admin');
    expect(P.deleteTopicsPath).toBe('/admin/delete_topics');
    expect(P.reassignPartitionsPath).toBe('/admin/reassign_partitions');
    expect(P.preferredReplicaElectionPath).toBe('/admin/preferred_replica_election');
    expect(P.configTopicsPath).toBe('/config/topics');
    expect(P.configChangesPath).toBe('/config/changes');
    expect(P.configChangeSeqPrefix).toBe('config_change_');
    expect(P.configChangePrefixPath).toBe('/config/changes/config_change_');
  });

  it('builders', () => {
    expect(P.brokerIdPath(3)).toBe('/brokers/ids/3');
    expect(P.topicPath('t')).toBe('/brokers/topics/t');
    expect(P.topicPartitionsPath('t')).toBe('/brokers/topics/t/partitions');
    expect(P.partitionStatePath('t', 2)).toBe('/brokers/topics/t/partitions/2/state');
    expect(P.consumerGroupPath('g')).toBe('/consumers/g');
    expect(P.consumerIdsPath('g')).toBe('/consumers/g/ids');
    expect(P.consumerIdPath('g', 'g_h-1-abcd')).toBe('/consumers/g/ids/g_h-1-abcd');
    expect(P.consumerOwnersPath('g', 't')).toBe('/consumers/g/owners/t');
    expect(P.ownerPath('g', 't', 0)).toBe('/consumers/g/owners/t/0');
    expect(P.consumerOffsetsPath('g', 't')).toBe('/consumers/g/offsets/t');
    expect(P.offsetPath('g', 't', 7)).toBe('/consumers/g/offsets/t/7');
    expect(P.deleteTopicPath('t')).toBe('/admin/delete_topics/t');
    expect(P.topicConfigPath('t')).toBe('/config/topics/t');
  });

  it('refuses names that would change the path', () => {
    expect(() => P.topicPath('a/b')).toThrow(RangeError);
    expect(() => P.topicPath('')).toThrow(RangeError);
    expect(() => P.topicPath('..')).toThrow(RangeError);
    expect(() => P.brokerIdPath(-1)).toThrow(RangeError);
    expect(() => P.offsetPath('g', 't', 1.5)).toThrow(RangeError);
  });

  it('path utilities', () => {
    expect(P.parentPath('/a/b/c')).toBe('/a/b');
    expect(P.parentPath('/a')).toBe('/');
    expect(P.baseName('/a/b/c')).toBe('c');
    expect(P.childPath('/', 'a')).toBe('/a');
    expect(P.sequenceOf('/config/changes/config_change_0000000012')).toBe(12);
    expect(P.sequenceOf('other')).toBeUndefined();
  });
});

describe('payload encoders write exactly the 0.8 bytes', () => {
  it('broker registration', () => {
    expect(s(C.encodeBrokerRegistration({ host: 'h', port: 9092, timestamp: 1700000000000 }))).toBe(
      '{"version":1,"host":"h","port":9092,"jmx_port":-1,"timestamp":"1700000000000"}',
    );
    expect(s(C.encodeBrokerRegistration({ host: 'h', port: 1, jmxPort: 9999, timestamp: 5 }))).toBe(
      '{"version":1,"host":"h","port":1,"jmx_port":9999,"timestamp":"5"}',
    );
  });

  it('topic assignment (partitions in ascending order)', () => {
    const a = new Map([[10, [3]], [1, [2, 3]], [0, [1, 2]]]);
    expect(s(C.encodeTopicAssignment(a))).toBe('{"version":1,"partitions":{"0":[1,2],"1":[2,3],"10":[3]}}');
    expect(s(C.encodeTopicAssignment({ 0: [1, 2] }))).toBe('{"version":1,"partitions":{"0":[1,2]}}');
  });

  it('partition state', () => {
    expect(s(C.encodePartitionState({ leader: 1, leaderEpoch: 0, controllerEpoch: 1, isr: [1, 2] }))).toBe(
      '{"version":1,"leader":1,"leader_epoch":0,"controller_epoch":1,"isr":[1,2]}',
    );
  });

  it('controller and controller epoch', () => {
    expect(s(C.encodeController({ brokerId: 1, timestamp: 42 }))).toBe('{"version":1,"brokerid":1,"timestamp":"42"}');
    expect(s(C.encodeControllerEpoch(1))).toBe('1');
  });

  it('consumer registration, owner, offset', () => {
    expect(s(C.encodeConsumerRegistration({ subscription: { t: 1 }, timestamp: 7 }))).toBe(
      '{"version":1,"subscription":{"t":1},"pattern":"static","timestamp":"7"}',
    );
    expect(s(C.encodeOwner('g_h-1-abcd1234-0'))).toBe('g_h-1-abcd1234-0');
    expect(s(C.encodeOffset(1234))).toBe('1234');
    expect(s(C.encodeOffset(2n ** 62n))).toBe('4611686018427387904');
  });

  it('admin and config', () => {
    expect(s(C.encodeReassignment([{ topic: 't', partition: 0, replicas: [0, 1] }]))).toBe(
      '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[0,1]}]}',
    );
    expect(s(C.encodePreferredReplicaElection([{ topic: 't', partition: 0 }]))).toBe('{"version":1,"partitions":[{"topic":"t","partition":0}]}');
    expect(s(C.encodeTopicConfig({ 'retention.ms': 1000, 'cleanup.policy': 'compact' }))).toBe(
      '{"version":1,"config":{"retention.ms":"1000","cleanup.policy":"compact"}}',
    );
    expect(s(C.encodeConfigChange('my-topic'))).toBe('"my-topic"');
  });
});

describe('payload decoders are lenient', () => {
  it('round trips', () => {
    const reg = { host: 'h', port: 9092, jmxPort: -1, timestamp: 5 };
    expect(C.decodeBrokerRegistration(C.encodeBrokerRegistration(reg))).toEqual(reg);
    const st = { leader: 2, leaderEpoch: 3, controllerEpoch: 4, isr: [2, 1] };
    expect(C.decodePartitionState(C.encodePartitionState(st))).toEqual(st);
    expect(C.decodeTopicAssignment(C.encodeTopicAssignment(new Map([[0, [1]]])))).toEqual(new Map([[0, [1]]]));
    expect(C.decodeOffset(C.encodeOffset(99))).toBe(99n);
    expect(C.decodeControllerEpoch(C.encodeControllerEpoch(12))).toBe(12);
    expect(C.decodeConfigChange(C.encodeConfigChange('t'))).toBe('t');
  });

  it('any key order, numbers as strings, no version', () => {
    expect(C.decodeBrokerRegistration('{"port":"9093","timestamp":12,"host":"x"}')).toEqual({ host: 'x', port: 9093, jmxPort: -1, timestamp: 12 });
    expect(C.decodePartitionState('{"isr":["1"],"controller_epoch":"2","leader_epoch":0,"leader":"1"}')).toEqual({
      leader: 1,
      leaderEpoch: 0,
      controllerEpoch: 2,
      isr: [1],
    });
    expect(C.decodeTopicAssignment('{"partitions":{"1":[2],"0":[1]}}')).toEqual(new Map([[0, [1]], [1, [2]]]));
    expect([...C.decodeTopicAssignment('{"partitions":{"1":[2],"0":[1]}}').keys()]).toEqual([0, 1]);
    expect(C.decodeController('{"brokerid":"3","version":1}')).toEqual({ brokerId: 3, timestamp: 0 });
    expect(C.decodeController('3')).toEqual({ brokerId: 3, timestamp: 0 });
    expect(C.decodeControllerEpoch(' 7\n')).toBe(7);
    expect(C.decodeTopicConfig('{"config":{"retention.ms":1000}}')).toEqual({ 'retention.ms': '1000' });
    expect(C.decodeConfigChange('t')).toBe('t');
  });

  it("kafka-node's white_list registration and 0.9 endpoints", () => {
    expect(C.decodeConsumerRegistration('{"version":1,"subscription":{"t1":1,"t2":1},"pattern":"white_list","timestamp":"1"}')).toEqual({
      subscription: { t1: 1, t2: 1 },
      pattern: 'white_list',
      timestamp: 1,
    });
    expect(C.decodeBrokerRegistration('{"version":2,"host":null,"port":-1,"endpoints":["PLAINTEXT://b1:9092"],"jmx_port":-1}')).toMatchObject({
      host: 'b1',
      port: 9092,
    });
  });

  it('garbage throws ZkPayloadError naming the path and field', () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err as ZkPayloadError;
      }
      throw new Error('no error');
    };
    const e1 = bad(() => C.decodePartitionState('{"leader":"x","leader_epoch":0,"controller_epoch":1,"isr":[]}', '/brokers/topics/t/partitions/0/state'));
    expect(e1).toBeInstanceOf(ZkPayloadError);
    expect(e1.path).toBe('/brokers/topics/t/partitions/0/state');
    expect(e1.field).toBe('leader');
    expect(bad(() => C.decodeBrokerRegistration('not json', '/brokers/ids/1'))).toBeInstanceOf(ZkPayloadError);
    expect(bad(() => C.decodeBrokerRegistration('{"port":1}')).field).toBe('host');
    expect(bad(() => C.decodeTopicAssignment('{"partitions":{"0":[1,"a"]}}')).field).toBe('partitions.0[1]');
    expect(bad(() => C.decodeOffset('12a')).field).toBe('offset');
    expect(bad(() => C.decodeConsumerRegistration('{"subscription":{"t":1},"pattern":"weird"}')).field).toBe('pattern');
    expect(bad(() => C.decodeReassignment('{"partitions":[{"topic":"t","partition":0}]}')).field).toBe('partitions[0].replicas');
  });
});

describe('config change notifications (/config/changes/config_change_<seq>)', () => {
  const topic = (name: string) => ({ entityType: 'topics', entityName: name });

  it('writes a topic change as 0.8.1 does and a broker change as 0.10.1 does', () => {
    expect(s(C.encodeEntityConfigChange({ entityType: 'topics', entityName: 'my-topic' }))).toBe('"my-topic"');
    expect(s(C.encodeEntityConfigChange({ entityType: 'brokers', entityName: '<default>' }))).toBe('{"version":2,"entity_path":"brokers/<default>"}');
    expect(s(C.encodeEntityConfigChange({ entityType: 'brokers', entityName: '3' }))).toBe('{"version":2,"entity_path":"brokers/3"}');
  });

  it("reads 0.8's JSON string and a bare name", () => {
    expect(C.decodeEntityConfigChange('"my-topic"')).toEqual(topic('my-topic'));
    expect(C.decodeEntityConfigChange(Buffer.from('"my.topic_1"'))).toEqual(topic('my.topic_1'));
    expect(C.decodeEntityConfigChange('my-topic')).toEqual(topic('my-topic'));
    expect(C.decodeEntityConfigChange(' my-topic\n')).toEqual(topic('my-topic'));
  });

  it("reads 0.9's version 1 and 0.10.1's version 2", () => {
    expect(C.decodeEntityConfigChange('{"version":1,"entity_type":"topics","entity_name":"T"}')).toEqual(topic('T'));
    expect(C.decodeEntityConfigChange('{"entity_name":"T","entity_type":"topics","version":1}')).toEqual(topic('T'));
    expect(C.decodeEntityConfigChange('{"version":1,"entity_type":"brokers","entity_name":"<default>"}')).toEqual({ entityType: 'brokers', entityName: '<default>' });
    expect(C.decodeEntityConfigChange('{"version":2,"entity_path":"topics/T"}')).toEqual(topic('T'));
    expect(C.decodeEntityConfigChange('{"version":2,"entity_path":"brokers/<default>"}')).toEqual({ entityType: 'brokers', entityName: '<default>' });
    expect(C.decodeEntityConfigChange('{"version":2,"entity_path":"brokers/2"}')).toEqual({ entityType: 'brokers', entityName: '2' });
    // what the encoder writes reads back
    for (const c of [topic('t-1'), { entityType: 'brokers', entityName: '<default>' }, { entityType: 'brokers', entityName: '7' }] as const) {
      expect(C.decodeEntityConfigChange(C.encodeEntityConfigChange(c))).toEqual(c);
    }
  });

  it('refuses garbage with a ZkPayloadError naming the path and the field', () => {
    const refuse = (payload: string, field: string, message: RegExp) => {
      let err: unknown;
      try {
        C.decodeEntityConfigChange(payload, '/config/changes/config_change_0000000004');
      } catch (e) {
        err = e;
      }
      expect(err, payload).toBeInstanceOf(ZkPayloadError);
      expect((err as ZkPayloadError).path, payload).toBe('/config/changes/config_change_0000000004');
      expect((err as ZkPayloadError).field, payload).toBe(field);
      expect((err as Error).message, payload).toMatch(message);
    };
    refuse('', 'topic', /bad topic name/);
    refuse('""', 'topic', /bad topic name/);
    refuse('"a/b"', 'topic', /bad topic name/);
    refuse('a/b', 'topic', /bad topic name/);
    refuse('"unterminated', 'topic', /bad topic name/);
    refuse('[1,2]', 'topic', /bad topic name/);
    refuse('"has space"', 'topic', /bad topic name/);
    refuse('{"version":1,"entity_type":"topics"', undefined as unknown as string, /not JSON/);
    refuse('{"version":3,"entity_path":"topics/T"}', 'version', /unsupported version 3/);
    refuse('{"entity_type":"topics","entity_name":"T"}', 'version', /unsupported version/);
    refuse('{"version":1,"entity_type":"clients","entity_name":"c"}', 'entity_type', /unsupported entity type "clients"/);
    refuse('{"version":1,"entity_type":"topics"}', 'entity_name', /bad entity name/);
    refuse('{"version":1,"entity_type":"topics","entity_name":7}', 'entity_name', /bad entity name 7/);
    refuse('{"version":2}', 'entity_path', /expected a string/);
    refuse('{"version":2,"entity_path":"topics"}', 'entity_path', /bad entity path "topics"/);
    refuse('{"version":2,"entity_path":"/T"}', 'entity_path', /bad entity path/);
    refuse('{"version":2,"entity_path":"topics/"}', 'entity_name', /bad entity name ""/);
    refuse('{"version":2,"entity_path":"topics/a/b"}', 'entity_name', /bad entity name "a\/b"/);
    refuse('{"version":2,"entity_path":"users/alice"}', 'entity_type', /unsupported entity type "users"/);
    refuse('{"version":2,"entity_path":"brokers/one"}', 'entity_name', /bad entity name "one"/);
  });
});
