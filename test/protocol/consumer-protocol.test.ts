/**
 * The 'consumer' protocol's embedded bytes: ConsumerProtocolSubscription (JoinGroup metadata)
 * and ConsumerProtocolAssignment (SyncGroup assignments), v0-v1, with newer versions read as
 * their known prefix. Checked against kafkajs' assignerProtocol.js.
 */
import { describe, expect, it } from 'vitest';
import { CorruptDataError, KafkaError } from '../../src/common/errors.js';
import {
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  readConsumerProtocolAssignment,
  readConsumerProtocolSubscription,
  writeConsumerProtocolSubscription,
  type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription,
} from '../../src/protocol/consumer-protocol.js';
import { Reader } from '../../src/protocol/reader.js';
import { decode, encode, expectBoundsChecked, hex, require } from './apis/helpers.js';

const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol');

const SUB_V0 = hex(`
  0000                          # version 0
  00000002 0001 61 0001 62      # topics "a", "b"
  ffffffff                      # user_data null
`);
const SUB_V1 = hex(`
  0001                          # version 1
  00000001 0001 61              # topics "a"
  00000003 010203               # user_data (3 bytes)
  00000001                      # owned_partitions: 1 topic
  0001 61 00000002 00000000 00000001   # "a": [0, 1]
`);
// what the Java client (2.4+) sends with no user data and nothing owned yet
const SUB_V1_JAVA = hex('0001 00000001 0001 61 ffffffff 00000000');
// a v3 subscription (Kafka 3.x clients): v1's fields, then generation_id and rack_id
const SUB_V3 = Buffer.concat([hex('0003'), SUB_V1.subarray(2), hex('00000005 0004 72616b31')]);

const ASSIGN_V0 = hex(`
  0000                          # version 0
  00000001                      # 1 topic
  0001 61 00000002 00000000 00000002   # "a": [0, 2]
  ffffffff                      # user_data null
`);
const ASSIGN_V1 = hex(`
  0001                          # version 1 (same layout)
  00000002
  0001 61 00000001 00000000     # "a": [0]
  0001 62 00000000              # "b": []
  00000000                      # user_data empty (not null)
`);

describe('ConsumerProtocolSubscription', () => {
  const v0: ConsumerProtocolSubscription = { version: 0, topics: ['a', 'b'], userData: null, ownedPartitions: [] };
  const v1: ConsumerProtocolSubscription = {
    version: 1,
    topics: ['a'],
    userData: Buffer.from([1, 2, 3]),
    ownedPartitions: [{ topic: 'a', partitions: [0, 1] }],
  };

  it('v0: version, topics, user_data; v1 adds owned_partitions', () => {
    expect(encodeConsumerProtocolSubscription(v0)).toEqual(SUB_V0);
    expect(encodeConsumerProtocolSubscription({ version: 0, topics: ['a', 'b'], userData: null })).toEqual(SUB_V0);
    expect(decodeConsumerProtocolSubscription(SUB_V0)).toEqual(v0);
    expect(encodeConsumerProtocolSubscription(v1)).toEqual(SUB_V1);
    expect(decodeConsumerProtocolSubscription(SUB_V1)).toEqual(v1);
    expect(decode(SUB_V1_JAVA, readConsumerProtocolSubscription)).toEqual({ version: 1, topics: ['a'], userData: null, ownedPartitions: [] });
    expect(encodeConsumerProtocolSubscription({ version: 1, topics: ['a'], userData: null })).toEqual(SUB_V1_JAVA);
    // v0 never writes owned partitions
    expect(encodeConsumerProtocolSubscription({ ...v1, version: 0 })).toEqual(hex('0000 00000001 0001 61 00000003 010203'));
  });

  it('a newer version is read as its v1 prefix, the rest ignored; a negative one is corrupt', () => {
    expect(decodeConsumerProtocolSubscription(SUB_V3)).toEqual({ ...v1, version: 3 });
    const r = new Reader(SUB_V3);
    readConsumerProtocolSubscription(r);
    expect(r.remaining).toBe(10); // generation_id and rack_id, left for whoever knows v3
    expect(decodeConsumerProtocolSubscription(Buffer.concat([SUB_V0, hex('ff')])).topics).toEqual(['a', 'b']);
    expect(() => decodeConsumerProtocolSubscription(hex('ffff 00000000 ffffffff'))).toThrow(CorruptDataError);
    expect(() => encodeConsumerProtocolSubscription({ ...v1, version: 2 })).toThrow(KafkaError);
    expect(() => encode((w) => writeConsumerProtocolSubscription(w, { ...v1, version: -1 }))).toThrow(/not supported/);
  });

  it('user_data is copied out of the input', () => {
    const buf = Buffer.from(SUB_V1);
    const sub = decodeConsumerProtocolSubscription(buf);
    buf.fill(0);
    expect(sub.userData).toEqual(Buffer.from([1, 2, 3]));
  });

  it('bounds', () => {
    expectBoundsChecked(SUB_V0, readConsumerProtocolSubscription, 2);
    expectBoundsChecked(SUB_V1, readConsumerProtocolSubscription, 2);
    expectBoundsChecked(SUB_V1, readConsumerProtocolSubscription, 16); // owned_partitions count
    expect(() => decodeConsumerProtocolSubscription(Buffer.alloc(0))).toThrow(CorruptDataError);
  });

  it('kafkajs MemberMetadata and our codec read each other', () => {
    const theirs: Buffer = MemberMetadata.encode({ version: 0, topics: ['topic-a', 'topic-b'], userData: Buffer.from('ud') });
    expect(decodeConsumerProtocolSubscription(theirs)).toEqual({
      version: 0,
      topics: ['topic-a', 'topic-b'],
      userData: Buffer.from('ud'),
      ownedPartitions: [],
    });
    // kafkajs' default user_data is empty bytes, not null
    expect(decodeConsumerProtocolSubscription(MemberMetadata.encode({ version: 0, topics: ['t'] })).userData).toEqual(Buffer.alloc(0));
    const ours = encodeConsumerProtocolSubscription({ version: 0, topics: ['t1'], userData: Buffer.from([9]) });
    expect(ours).toEqual(MemberMetadata.encode({ version: 0, topics: ['t1'], userData: Buffer.from([9]) }));
    expect(MemberMetadata.decode(ours)).toEqual({ version: 0, topics: ['t1'], userData: Buffer.from([9]) });
    // kafkajs reads a v1 subscription's v0 prefix
    expect(MemberMetadata.decode(SUB_V1)).toEqual({ version: 1, topics: ['a'], userData: Buffer.from([1, 2, 3]) });
  });
});

describe('ConsumerProtocolAssignment', () => {
  const v0: ConsumerProtocolAssignment = { version: 0, topics: [{ topic: 'a', partitions: [0, 2] }], userData: null };
  const v1: ConsumerProtocolAssignment = {
    version: 1,
    topics: [
      { topic: 'a', partitions: [0] },
      { topic: 'b', partitions: [] },
    ],
    userData: Buffer.alloc(0),
  };

  it('v0 and v1: version, [topic [partitions]], user_data', () => {
    expect(encodeConsumerProtocolAssignment(v0)).toEqual(ASSIGN_V0);
    expect(decodeConsumerProtocolAssignment(ASSIGN_V0)).toEqual(v0);
    expect(encodeConsumerProtocolAssignment(v1)).toEqual(ASSIGN_V1);
    expect(decodeConsumerProtocolAssignment(ASSIGN_V1)).toEqual(v1);
  });

  it('empty bytes (no assignment) decode as nothing assigned; newer versions as their prefix', () => {
    expect(decodeConsumerProtocolAssignment(Buffer.alloc(0))).toEqual({ version: 0, topics: [], userData: null });
    const v3 = Buffer.concat([hex('0003'), ASSIGN_V0.subarray(2), hex('abcdef')]);
    expect(decodeConsumerProtocolAssignment(v3)).toEqual({ ...v0, version: 3 });
    expect(() => decodeConsumerProtocolAssignment(hex('8000 00000000 ffffffff'))).toThrow(CorruptDataError);
    expect(() => encodeConsumerProtocolAssignment({ ...v0, version: 3 })).toThrow(KafkaError);
  });

  it('bounds', () => {
    expectBoundsChecked(ASSIGN_V0, readConsumerProtocolAssignment, 2);
    expectBoundsChecked(ASSIGN_V1, readConsumerProtocolAssignment, 2);
    expectBoundsChecked(ASSIGN_V1, readConsumerProtocolAssignment, 9); // "a"'s partition count
  });

  it('kafkajs MemberAssignment and our codec read each other', () => {
    const theirs: Buffer = MemberAssignment.encode({ version: 0, assignment: { 'topic-a': [0, 2, 4], 'topic-b': [1] } });
    expect(decodeConsumerProtocolAssignment(theirs)).toEqual({
      version: 0,
      topics: [
        { topic: 'topic-a', partitions: [0, 2, 4] },
        { topic: 'topic-b', partitions: [1] },
      ],
      userData: Buffer.alloc(0),
    });
    const ours = encodeConsumerProtocolAssignment({ version: 0, topics: [{ topic: 'x', partitions: [3] }], userData: Buffer.alloc(0) });
    expect(ours).toEqual(MemberAssignment.encode({ version: 0, assignment: { x: [3] } }));
    expect(MemberAssignment.decode(ours)).toEqual({ version: 0, assignment: { x: [3] }, userData: Buffer.alloc(0) });
    expect(MemberAssignment.decode(ASSIGN_V0)).toEqual({ version: 0, assignment: { a: [0, 2] }, userData: null });
    // both read empty bytes as "nothing assigned"
    expect(MemberAssignment.decode(Buffer.alloc(0))).toBeNull();
  });
});
