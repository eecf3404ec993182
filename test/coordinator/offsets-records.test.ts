/**
 * The __consumer_offsets record formats, checked against hex written by hand from the schemas of
 * Kafka's GroupMetadataManager (0.9-2.x), field by field; round trips; truncated, padded and
 * unknown-version input; the group's partition against values computed by Java; Kafka's text form.
 */
import { describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../src/common/errors.js';
import {
  decodeConsumerAssignment,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsRecord,
  encodeConsumerAssignment,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  formatOffsetsRecord,
  javaStringHashCode,
  offsetCommitValueVersion,
  partitionForGroup,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from '../../src/coordinator/offsets-records.js';

/** Hex with spaces, '|' and comments (after '#', to the end of the line) ignored. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/[\s|]/g, ''), 'hex');

const T = 1_700_000_000_000; // 0x0000018BCFE56800
const T_EXPIRE = 1_700_086_400_000; // T + 1 day, 0x0000018BD50BC400

const KEY_V1 = hex(`
  0001            # key version 1: offset commit
  0002 6731       # group "g1"
  0001 74         # topic "t"
  00000005        # partition 5
`);
const KEY_V0 = hex(`
  0000            # key version 0: offset commit, same fields
  0002 6731       # group "g1"
  0001 74         # topic "t"
  00000005        # partition 5
`);
const KEY_GROUP = hex(`
  0002            # key version 2: group metadata
  0002 6731       # group "g1"
`);

const OFFSET_V0 = hex(`
  0000                # value version 0
  0000000000000064    # offset 100
  0001 6D             # metadata "m"
  0000018BCFE56800    # timestamp T
`);
const OFFSET_V1 = hex(`
  0001                # value version 1
  0000000000000064    # offset 100
  0000                # metadata ""
  0000018BCFE56800    # commit_timestamp T
  0000018BD50BC400    # expire_timestamp T + 1 day
`);
const OFFSET_V2 = hex(`
  0002                # value version 2
  0000000000000064    # offset 100
  0000                # metadata ""
  0000018BCFE56800    # commit_timestamp T
`);
const OFFSET_V3 = hex(`
  0003                # value version 3
  0000000000000064    # offset 100
  00000007            # leader_epoch 7
  0001 6D             # metadata "m"
  0000018BCFE56800    # commit_timestamp T
`);

// one member: "m1", client "c", host "/h", rebalance 300000 ms, session 10000 ms,
// subscription 01 02, assignment AB
const GROUP_HEAD = `
  0008 636F6E73756D6572   # protocol_type "consumer"
  00000003                # generation 3
  0005 72616E6765         # protocol "range"
  0002 6D31               # leader "m1"
`;
const GROUP_V0 = hex(`
  0000                    # value version 0
  ${GROUP_HEAD}
  00000001                # 1 member
    0002 6D31             # member_id "m1"
    0001 63               # client_id "c"
    0002 2F68             # client_host "/h"
    00002710              # session_timeout 10000
    00000002 0102         # subscription
    00000001 AB           # assignment
`);
const GROUP_V1 = hex(`
  0001                    # value version 1
  ${GROUP_HEAD}
  00000001                # 1 member
    0002 6D31             # member_id "m1"
    0001 63               # client_id "c"
    0002 2F68             # client_host "/h"
    000493E0              # rebalance_timeout 300000 (before session_timeout)
    00002710              # session_timeout 10000
    00000002 0102         # subscription
    00000001 AB           # assignment
`);
const GROUP_V2 = hex(`
  0002                    # value version 2
  ${GROUP_HEAD}
  0000018BCFE56800        # current_state_timestamp T
  00000001                # 1 member
    0002 6D31             # member_id "m1"
    0001 63               # client_id "c"
    0002 2F68             # client_host "/h"
    000493E0              # rebalance_timeout 300000
    00002710              # session_timeout 10000
    00000002 0102         # subscription
    00000001 AB           # assignment
`);
const GROUP_V3 = hex(`
  0003                    # value version 3
  ${GROUP_HEAD}
  0000018BCFE56800        # current_state_timestamp T
  00000002                # 2 members
    0002 6D31             # member_id "m1"
    0002 7331             # group_instance_id "s1"
    0001 63               # client_id "c"
    0002 2F68             # client_host "/h"
    000493E0              # rebalance_timeout 300000
    00002710              # session_timeout 10000
    00000002 0102         # subscription
    00000001 AB           # assignment
    0002 6D32             # member_id "m2"
    FFFF                  # group_instance_id null
    0001 63               # client_id "c"
    0002 2F68             # client_host "/h"
    000493E0              # rebalance_timeout 300000
    00002710              # session_timeout 10000
    00000000              # subscription (empty)
    00000000              # assignment (empty)
`);
const GROUP_V3_EMPTY = hex(`
  0003                    # value version 3
  0008 636F6E73756D6572   # protocol_type "consumer"
  00000004                # generation 4
  FFFF                    # protocol null
  FFFF                    # leader null
  FFFFFFFFFFFFFFFF        # current_state_timestamp -1 (none)
  00000000                # no members
`);

const member = (over: Partial<GroupMetadataValue['members'][number]> = {}) => ({
  memberId: 'm1',
  groupInstanceId: null,
  clientId: 'c',
  clientHost: '/h',
  rebalanceTimeoutMs: 300_000,
  sessionTimeoutMs: 10_000,
  subscription: Buffer.from([1, 2]),
  assignment: Buffer.from([0xab]),
  ...over,
});
const group = (over: Partial<GroupMetadataValue> = {}): GroupMetadataValue => ({
  protocolType: 'consumer',
  generation: 3,
  protocol: 'range',
  leader: 'm1',
  currentStateTimestamp: T,
  members: [member()],
  ...over,
});

const expectCorrupt = (f: () => unknown, msg?: RegExp): void => {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CorruptDataError);
  if (msg) expect((caught as Error).message).toMatch(msg);
};

describe('__consumer_offsets keys', () => {
  it('encodes offset commit keys (v1 by default, v0 on request) and group keys byte for byte', () => {
    expect(encodeOffsetCommitKey({ group: 'g1', topic: 't', partition: 5 })).toEqual(KEY_V1);
    expect(encodeOffsetCommitKey({ group: 'g1', topic: 't', partition: 5 }, 0)).toEqual(KEY_V0);
    expect(encodeGroupMetadataKey('g1')).toEqual(KEY_GROUP);
    // UTF-8 lengths in bytes, not characters
    expect(encodeGroupMetadataKey('é')).toEqual(hex('0002 0002 C3A9'));
  });

  it('decodes both key kinds; tombstones have a null value', () => {
    expect(decodeOffsetsRecord(KEY_V1, null)).toEqual({ kind: 'offset', keyVersion: 1, group: 'g1', topic: 't', partition: 5, value: null });
    expect(decodeOffsetsRecord(KEY_V0, null)).toEqual({ kind: 'offset', keyVersion: 0, group: 'g1', topic: 't', partition: 5, value: null });
    expect(decodeOffsetsRecord(KEY_GROUP, null)).toEqual({ kind: 'group', group: 'g1', value: null });
    expect(decodeOffsetsRecord(KEY_V1, OFFSET_V3)).toMatchObject({ kind: 'offset', value: { version: 3, offset: 100 } });
    expect(decodeOffsetsRecord(KEY_GROUP, GROUP_V3)).toMatchObject({ kind: 'group', value: { version: 3, generation: 3 } });
  });

  it('refuses a missing key, unknown key versions, null strings, truncation and trailing bytes', () => {
    expectCorrupt(() => decodeOffsetsRecord(null, OFFSET_V3), /no key/);
    expectCorrupt(() => decodeOffsetsRecord(hex('0003 0002 6731'), null), /unknown key version 3/);
    expectCorrupt(() => decodeOffsetsRecord(hex('FFFF 0002 6731'), null), /unknown key version -1/);
    expectCorrupt(() => decodeOffsetsRecord(hex('0001 FFFF 0001 74 00000005'), null), /null string/);
    for (const k of [KEY_V1, KEY_V0, KEY_GROUP]) {
      for (let n = 0; n < k.length; n++) expectCorrupt(() => decodeOffsetsRecord(k.subarray(0, n), null), /^record key: /);
      expectCorrupt(() => decodeOffsetsRecord(Buffer.concat([k, Buffer.from([0])]), null), /1 bytes left over/);
    }
  });
});

describe('offset commit values', () => {
  const v: OffsetCommitValue = { offset: 100, leaderEpoch: 7, metadata: 'm', commitTimestamp: T, expireTimestamp: -1 };

  it('encodes every version byte for byte', () => {
    expect(encodeOffsetCommitValue(v, 0)).toEqual(OFFSET_V0);
    expect(encodeOffsetCommitValue({ ...v, metadata: '', expireTimestamp: T_EXPIRE }, 1)).toEqual(OFFSET_V1);
    expect(encodeOffsetCommitValue({ ...v, metadata: '' }, 2)).toEqual(OFFSET_V2);
    expect(encodeOffsetCommitValue(v, 3)).toEqual(OFFSET_V3);
    // v1 without an expire timestamp carries -1 (Kafka's DEFAULT_TIMESTAMP), as pre-2.1 brokers wrote it
    expect(encodeOffsetCommitValue({ ...v, metadata: '' }, 1).subarray(-8)).toEqual(hex('FFFFFFFFFFFFFFFF'));
  });

  it('writes what Kafka 2.1+ writes: v3, or v1 when the commit has an expire timestamp', () => {
    expect(offsetCommitValueVersion(v)).toBe(3);
    expect(encodeOffsetCommitValue(v)).toEqual(OFFSET_V3);
    const expiring = { ...v, metadata: '', expireTimestamp: T_EXPIRE };
    expect(offsetCommitValueVersion(expiring)).toBe(1);
    expect(encodeOffsetCommitValue(expiring)).toEqual(OFFSET_V1);
    // no leader epoch: -1 in v3
    expect(encodeOffsetCommitValue({ ...v, leaderEpoch: -1 }).subarray(10, 14)).toEqual(hex('FFFFFFFF'));
  });

  it('decodes every version, filling the fields a version lacks with -1', () => {
    expect(decodeOffsetCommitValue(OFFSET_V0)).toEqual({ version: 0, offset: 100, leaderEpoch: -1, metadata: 'm', commitTimestamp: T, expireTimestamp: -1 });
    expect(decodeOffsetCommitValue(OFFSET_V1)).toEqual({ version: 1, offset: 100, leaderEpoch: -1, metadata: '', commitTimestamp: T, expireTimestamp: T_EXPIRE });
    expect(decodeOffsetCommitValue(OFFSET_V2)).toEqual({ version: 2, offset: 100, leaderEpoch: -1, metadata: '', commitTimestamp: T, expireTimestamp: -1 });
    expect(decodeOffsetCommitValue(OFFSET_V3)).toEqual({ version: 3, offset: 100, leaderEpoch: 7, metadata: 'm', commitTimestamp: T, expireTimestamp: -1 });
  });

  it('round-trips every version', () => {
    for (const [version, bytes] of [[0, OFFSET_V0], [1, OFFSET_V1], [2, OFFSET_V2], [3, OFFSET_V3]] as const) {
      const d = decodeOffsetCommitValue(bytes);
      expect(d.version).toBe(version);
      expect(encodeOffsetCommitValue(d, version)).toEqual(bytes);
    }
    const big = { offset: 2 ** 53 - 1, leaderEpoch: 2 ** 31 - 1, metadata: 'ünïcødé 😀', commitTimestamp: 0, expireTimestamp: -1 };
    expect(decodeOffsetCommitValue(encodeOffsetCommitValue(big))).toEqual({ ...big, version: 3 });
  });

  it('refuses truncation, trailing bytes, unknown versions and a null metadata', () => {
    for (const bytes of [OFFSET_V0, OFFSET_V1, OFFSET_V2, OFFSET_V3]) {
      for (let n = 0; n < bytes.length; n++) expectCorrupt(() => decodeOffsetCommitValue(bytes.subarray(0, n)), /^offset commit value: /);
      expectCorrupt(() => decodeOffsetCommitValue(Buffer.concat([bytes, Buffer.from([0])])), /left over/);
      expectCorrupt(() => decodeOffsetsRecord(KEY_V1, bytes.subarray(0, bytes.length - 1)), /^offset commit value: /);
    }
    expectCorrupt(() => decodeOffsetCommitValue(hex('0004 0000000000000064 00000007 0000 0000018BCFE56800')), /unknown offset commit value version 4/);
    expectCorrupt(() => decodeOffsetCommitValue(hex('FFFF')), /unknown offset commit value version -1/);
    expectCorrupt(() => decodeOffsetsRecord(KEY_V1, hex('0004')), /version 4/);
    expectCorrupt(() => decodeOffsetCommitValue(hex('0002 0000000000000064 FFFF 0000018BCFE56800')), /null string/);
  });
});

describe('group metadata values', () => {
  it('encodes every version byte for byte (v3 by default)', () => {
    expect(encodeGroupMetadataValue(group(), 0)).toEqual(GROUP_V0);
    expect(encodeGroupMetadataValue(group(), 1)).toEqual(GROUP_V1);
    expect(encodeGroupMetadataValue(group(), 2)).toEqual(GROUP_V2);
    const v3 = group({ members: [member({ groupInstanceId: 's1' }), member({ memberId: 'm2', subscription: Buffer.alloc(0), assignment: Buffer.alloc(0) })] });
    expect(encodeGroupMetadataValue(v3, 3)).toEqual(GROUP_V3);
    expect(encodeGroupMetadataValue(v3)).toEqual(GROUP_V3);
    expect(encodeGroupMetadataValue({ protocolType: 'consumer', generation: 4, protocol: null, leader: null, currentStateTimestamp: -1, members: [] })).toEqual(GROUP_V3_EMPTY);
  });

  it('refuses, as Kafka, to write a group with members but no protocol', () => {
    expect(() => encodeGroupMetadataValue(group({ protocol: null }))).toThrow(/must have a protocol/);
  });

  it('decodes every version: v0 rebalance timeout = session timeout, no timestamp below v2, no instance id below v3', () => {
    const m = { memberId: 'm1', clientId: 'c', clientHost: '/h', sessionTimeoutMs: 10_000, subscription: Buffer.from([1, 2]), assignment: Buffer.from([0xab]) };
    const head = { protocolType: 'consumer', generation: 3, protocol: 'range', leader: 'm1' };
    expect(decodeGroupMetadataValue(GROUP_V0)).toEqual({ version: 0, ...head, currentStateTimestamp: -1, members: [{ ...m, groupInstanceId: null, rebalanceTimeoutMs: 10_000 }] });
    expect(decodeGroupMetadataValue(GROUP_V1)).toEqual({ version: 1, ...head, currentStateTimestamp: -1, members: [{ ...m, groupInstanceId: null, rebalanceTimeoutMs: 300_000 }] });
    expect(decodeGroupMetadataValue(GROUP_V2)).toEqual({ version: 2, ...head, currentStateTimestamp: T, members: [{ ...m, groupInstanceId: null, rebalanceTimeoutMs: 300_000 }] });
    expect(decodeGroupMetadataValue(GROUP_V3)).toEqual({
      version: 3,
      ...head,
      currentStateTimestamp: T,
      members: [
        { ...m, groupInstanceId: 's1', rebalanceTimeoutMs: 300_000 },
        { ...m, memberId: 'm2', groupInstanceId: null, rebalanceTimeoutMs: 300_000, subscription: Buffer.alloc(0), assignment: Buffer.alloc(0) },
      ],
    });
    expect(decodeGroupMetadataValue(GROUP_V3_EMPTY)).toEqual({ version: 3, protocolType: 'consumer', generation: 4, protocol: null, leader: null, currentStateTimestamp: -1, members: [] });
  });

  it('round-trips every version, and the decoded buffers do not share the input', () => {
    for (const [version, bytes] of [[0, GROUP_V0], [1, GROUP_V1], [2, GROUP_V2], [3, GROUP_V3], [3, GROUP_V3_EMPTY]] as const) {
      const d = decodeGroupMetadataValue(bytes);
      expect(d.version).toBe(version);
      expect(encodeGroupMetadataValue(d, version)).toEqual(bytes);
    }
    const input = Buffer.from(GROUP_V1);
    const d = decodeGroupMetadataValue(input);
    input.fill(0);
    expect(d.members[0]!.subscription).toEqual(Buffer.from([1, 2]));
  });

  it('refuses truncation, trailing bytes, unknown versions, null arrays and null bytes', () => {
    for (const bytes of [GROUP_V0, GROUP_V1, GROUP_V2, GROUP_V3, GROUP_V3_EMPTY]) {
      for (let n = 0; n < bytes.length; n++) expectCorrupt(() => decodeGroupMetadataValue(bytes.subarray(0, n)), /^group metadata value: /);
      expectCorrupt(() => decodeGroupMetadataValue(Buffer.concat([bytes, Buffer.from([0])])), /left over/);
    }
    expectCorrupt(() => decodeGroupMetadataValue(hex('0004')), /unknown group metadata value version 4/);
    expectCorrupt(() => decodeOffsetsRecord(KEY_GROUP, hex('0004 0000 00000000 FFFF FFFF FFFFFFFFFFFFFFFF 00000000')), /unknown group metadata value version 4/);
    // members: a null array (-1), a count larger than the bytes could hold
    expectCorrupt(() => decodeGroupMetadataValue(hex('0001 0000 00000001 FFFF FFFF FFFFFFFF')), /null array/);
    expectCorrupt(() => decodeGroupMetadataValue(hex('0001 0000 00000001 FFFF FFFF 7FFFFFFF')), /array count/);
    // a null subscription
    expectCorrupt(() => decodeGroupMetadataValue(hex('0000 0000 00000001 0001 72 FFFF 00000001 0000 0000 0000 00000000 FFFFFFFF 00000000')), /subscription: null bytes/);
    // protocol_type is a STRING, not NULLABLE_STRING
    expectCorrupt(() => decodeGroupMetadataValue(hex('0000 FFFF 00000001 FFFF FFFF 00000000')), /null string/);
  });
});

describe('partitionForGroup', () => {
  it("is Java's String.hashCode", () => {
    // values printed by Java ("...".hashCode())
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(javaStringHashCode('my-group')).toBe(-1906497762);
    expect(javaStringHashCode('héllo')).toBe(103094734);
    expect(javaStringHashCode('😀')).toBe(1772899); // two UTF-16 code units
  });

  it('is Utils.abs(hashCode) % partitions, with Integer.MIN_VALUE mapped to 0', () => {
    expect(partitionForGroup('', 50)).toBe(0);
    expect(partitionForGroup('a', 50)).toBe(47);
    expect(partitionForGroup('hello', 50)).toBe(22);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0);
    expect(partitionForGroup('polygenelubricants', 7)).toBe(0);
    // negative hash: Math.abs (1906497762 % 50 = 12), not n & 0x7fffffff (which would give 36)
    expect(partitionForGroup('my-group', 50)).toBe(12);
    expect(partitionForGroup('console-consumer-12345', 50)).toBe(6);
    expect(partitionForGroup('connect-cluster', 50)).toBe(13);
    expect(partitionForGroup('hello', 1)).toBe(0);
    expect(() => partitionForGroup('a', 0)).toThrow(RangeError);
  });
});

describe("Kafka's text form (kafka-dump-log --offsets-decoder)", () => {
  const key = (topic: string, partition: number) => encodeOffsetCommitKey({ group: 'g1', topic, partition });

  it('prints offset commits and their tombstones', () => {
    const v: OffsetCommitValue = { offset: 100, leaderEpoch: -1, metadata: '', commitTimestamp: T, expireTimestamp: -1 };
    expect(formatOffsetsRecord(key('t', 5), encodeOffsetCommitValue(v))).toEqual({ key: 'offset_commit::group=g1,partition=t-5', payload: 'offset=100' });
    expect(formatOffsetsRecord(key('t', 5), OFFSET_V0)).toEqual({ key: 'offset_commit::group=g1,partition=t-5', payload: 'offset=100,metadata=m' });
    expect(formatOffsetsRecord(key('t', 5), null)).toEqual({ key: 'offset_commit::group=g1,partition=t-5', payload: '<DELETE>' });
  });

  it('prints group metadata: consumer assignments as partition lists, others as hex, tombstones', () => {
    const a1 = encodeConsumerAssignment([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }, { topic: 'u', partition: 2 }]);
    const a2 = encodeConsumerAssignment([], Buffer.from([0x00, 0x0a, 0xff]));
    const value = encodeGroupMetadataValue(group({ members: [member({ assignment: a1 }), member({ memberId: 'm2', assignment: a2 })] }));
    expect(formatOffsetsRecord(KEY_GROUP, value)).toEqual({
      key: 'group_metadata::group=g1',
      payload: '{"protocolType":"consumer","protocol":"range","generationId":3,"assignment":"{m1=[t-0, t-1, u-2],m2=[]:AFF}"}',
    });
    // not the consumer protocol: the assignment bytes as Scala's "%X".format(BigInt(1, bytes))
    const connect = encodeGroupMetadataValue(group({ protocolType: 'connect', protocol: 'sessioned', members: [member({ assignment: Buffer.from([0x00, 0x01, 0xab]) }), member({ memberId: 'm2', assignment: Buffer.alloc(0) })] }));
    expect(formatOffsetsRecord(KEY_GROUP, connect).payload).toBe('{"protocolType":"connect","protocol":"sessioned","generationId":3,"assignment":"{m1=1AB,m2=}"}');
    expect(formatOffsetsRecord(KEY_GROUP, GROUP_V3_EMPTY).payload).toBe('{"protocolType":"consumer","protocol":null,"generationId":4,"assignment":"{}"}');
    expect(formatOffsetsRecord(KEY_GROUP, null)).toEqual({ key: 'group_metadata::group=g1', payload: '<DELETE>' });
    // JSON escapes as Jackson writes them
    const odd = encodeGroupMetadataValue(group({ protocolType: 'x"\\\n\u0001', members: [] }));
    expect(formatOffsetsRecord(KEY_GROUP, odd).payload).toBe('{"protocolType":"x\\"\\\\\\n\\u0001","protocol":"range","generationId":3,"assignment":"{}"}');
  });

  it('decodes the consumer protocol assignment (v0 bytes by hand; newer versions read as v1)', () => {
    const bytes = hex(`
      0000                          # version 0
      00000001                      # 1 topic
        0001 74                     # "t"
        00000002 00000000 00000001  # partitions 0, 1
      00000002 BEEF                 # user_data
    `);
    expect(encodeConsumerAssignment([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }], Buffer.from([0xbe, 0xef]))).toEqual(bytes);
    expect(decodeConsumerAssignment(bytes)).toEqual({ version: 0, partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }], userData: Buffer.from([0xbe, 0xef]) });
    const v5 = Buffer.from(bytes);
    v5.writeInt16BE(5, 0);
    expect(decodeConsumerAssignment(Buffer.concat([v5, Buffer.from([9, 9])])).version).toBe(5);
    expectCorrupt(() => decodeConsumerAssignment(hex('FFFF 00000000 FFFFFFFF')), /negative consumer protocol assignment version/);
    expectCorrupt(() => decodeConsumerAssignment(bytes.subarray(0, 10)), /consumer protocol assignment: /);
    // a consumer group whose assignment does not parse cannot be printed
    expectCorrupt(() => formatOffsetsRecord(KEY_GROUP, GROUP_V1), /consumer protocol assignment/);
  });
});
