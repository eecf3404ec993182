/**
 * The broker-coordinated consumer group APIs: JoinGroup v0-2, SyncGroup v0-1, Heartbeat v0-1,
 * LeaveGroup v0-1, DescribeGroups v0-1, ListGroups v0-1. Hex fixtures for every version, the
 * bounds checks, and kafkajs (every version it has in our range) and kafka-node (v0) on the
 * other side of the wire.
 */
import { describe, expect, it } from 'vitest';
import { CorruptDataError, KafkaError } from '../../../src/common/errors.js';
import { ApiKey } from '../../../src/protocol/api-keys.js';
import {
  decodeDescribeGroupsRequest,
  decodeDescribeGroupsResponse,
  encodeDescribeGroupsRequest,
  encodeDescribeGroupsResponse,
  type DescribeGroupsResponse,
} from '../../../src/protocol/apis/describe-groups.js';
import {
  decodeHeartbeatRequest,
  decodeHeartbeatResponse,
  encodeHeartbeatRequest,
  encodeHeartbeatResponse,
} from '../../../src/protocol/apis/heartbeat.js';
import { codecFor } from '../../../src/protocol/apis/index.js';
import {
  decodeJoinGroupRequest,
  decodeJoinGroupResponse,
  encodeJoinGroupRequest,
  encodeJoinGroupResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
} from '../../../src/protocol/apis/join-group.js';
import {
  decodeLeaveGroupRequest,
  decodeLeaveGroupResponse,
  encodeLeaveGroupRequest,
  encodeLeaveGroupResponse,
} from '../../../src/protocol/apis/leave-group.js';
import {
  decodeListGroupsRequest,
  decodeListGroupsResponse,
  encodeListGroupsRequest,
  encodeListGroupsResponse,
  type ListGroupsResponse,
} from '../../../src/protocol/apis/list-groups.js';
import {
  decodeSyncGroupRequest,
  decodeSyncGroupResponse,
  encodeSyncGroupRequest,
  encodeSyncGroupResponse,
  type SyncGroupRequest,
} from '../../../src/protocol/apis/sync-group.js';
import { decodeConsumerProtocolAssignment, decodeConsumerProtocolSubscription } from '../../../src/protocol/consumer-protocol.js';
import { decodeRequestHeader, frameResponse } from '../../../src/protocol/header.js';
import { Reader } from '../../../src/protocol/reader.js';
import {
  decode,
  encode,
  expectBoundsChecked,
  expectEveryTruncationThrows,
  expectHostileInt32sAreSafe,
  hex,
  kafkajsDecodeResponse,
  kafkajsRequestBody,
  require,
} from './helpers.js';

const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol');

describe('the group api keys and codec table', () => {
  it('JoinGroup 11 .. ListGroups 16 have codecs with their version ranges', () => {
    const expected: [number, string, number][] = [
      [ApiKey.JoinGroup, 'JoinGroup', 2],
      [ApiKey.Heartbeat, 'Heartbeat', 1],
      [ApiKey.LeaveGroup, 'LeaveGroup', 1],
      [ApiKey.SyncGroup, 'SyncGroup', 1],
      [ApiKey.DescribeGroups, 'DescribeGroups', 1],
      [ApiKey.ListGroups, 'ListGroups', 1],
    ];
    expect(expected.map(([k]) => k)).toEqual([11, 12, 13, 14, 15, 16]);
    for (const [key, name, max] of expected) {
      const c = codecFor(key)!;
      expect([c.name, c.minVersion, c.maxVersion]).toEqual([name, 0, max]);
    }
  });

  it('every codec refuses a version past its range', () => {
    expect(() => encode((w) => encodeJoinGroupRequest(w, 3, joinV1))).toThrow(KafkaError);
    expect(() => decodeJoinGroupResponse(new Reader(JOIN_RESPONSE_V2), 3)).toThrow(/JoinGroup v3 is not supported \(v0-v2\)/);
    expect(() => encode((w) => encodeSyncGroupResponse(w, 2, { throttleTimeMs: 0, errorCode: 0, assignment: Buffer.alloc(0) }))).toThrow(/SyncGroup v2/);
    expect(() => decodeHeartbeatRequest(new Reader(HEARTBEAT_REQUEST), 2)).toThrow(/Heartbeat v2/);
    expect(() => decodeLeaveGroupRequest(new Reader(LEAVE_REQUEST), -1)).toThrow(/LeaveGroup v-1/);
    expect(() => encode((w) => encodeDescribeGroupsRequest(w, 2, { groups: [] }))).toThrow(/DescribeGroups v2/);
    expect(() => encode((w) => encodeListGroupsRequest(w, 2))).toThrow(/ListGroups v2/);
  });
});

// ---------------------------------------------------------------- JoinGroup

const JOIN_V0 = hex(`
  0001 67                   # group_id "g"
  00007530                  # session_timeout_ms 30000
  0000                      # member_id "" (first join)
  0008 636f6e73756d6572     # protocol_type "consumer"
  00000001                  # 1 protocol
  0005 72616e6765           #   name "range"
  00000003 0a0b0c           #   metadata (3 bytes)
`);
const JOIN_V1 = hex(`
  0001 67                   # group_id "g"
  00007530                  # session_timeout_ms 30000
  0000ea60                  # rebalance_timeout_ms 60000 (v1+)
  0000                      # member_id ""
  0008 636f6e73756d6572     # protocol_type "consumer"
  00000001 0005 72616e6765 00000003 0a0b0c
`);
const JOIN_RESPONSE_V0 = hex(`
  0000                      # error_code 0
  00000001                  # generation_id 1
  0005 72616e6765           # protocol_name "range"
  0002 6d31                 # leader "m1"
  0002 6d31                 # member_id "m1" (this member leads)
  00000002                  # 2 members
  0002 6d31 00000001 01     #   "m1", metadata 01
  0002 6d32 00000000        #   "m2", empty metadata
`);
const JOIN_RESPONSE_V2 = Buffer.concat([hex('00000064'), JOIN_RESPONSE_V0]); // throttle_time_ms 100 first
const JOIN_ERROR_V0 = hex(`
  0019                      # error_code 25 UNKNOWN_MEMBER_ID
  ffffffff                  # generation_id -1
  0000 0000 0000            # protocol_name, leader, member_id ""
  00000000                  # no members
`);

const joinV0: JoinGroupRequest = {
  groupId: 'g',
  sessionTimeoutMs: 30000,
  rebalanceTimeoutMs: 30000,
  memberId: '',
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from([10, 11, 12]) }],
};
const joinV1: JoinGroupRequest = { ...joinV0, rebalanceTimeoutMs: 60000 };
const joinRes: JoinGroupResponse = {
  throttleTimeMs: 0,
  errorCode: 0,
  generationId: 1,
  protocolName: 'range',
  leader: 'm1',
  memberId: 'm1',
  members: [
    { memberId: 'm1', metadata: Buffer.from([1]) },
    { memberId: 'm2', metadata: Buffer.alloc(0) },
  ],
};

describe('JoinGroup codec', () => {
  it('request v0; v1 and v2 add rebalance_timeout_ms (v0 decodes it as the session timeout, as Kafka does)', () => {
    expect(encode((w) => encodeJoinGroupRequest(w, 0, joinV1))).toEqual(JOIN_V0);
    expect(decode(JOIN_V0, (r) => decodeJoinGroupRequest(r, 0))).toEqual(joinV0);
    for (const v of [1, 2]) {
      expect(encode((w) => encodeJoinGroupRequest(w, v, joinV1))).toEqual(JOIN_V1);
      expect(decode(JOIN_V1, (r) => decodeJoinGroupRequest(r, v))).toEqual(joinV1);
    }
  });

  it('response v0-v1; v2 starts with throttle_time_ms; an error answer', () => {
    for (const v of [0, 1]) {
      expect(encode((w) => encodeJoinGroupResponse(w, v, { ...joinRes, throttleTimeMs: 100 }))).toEqual(JOIN_RESPONSE_V0);
      expect(decode(JOIN_RESPONSE_V0, (r) => decodeJoinGroupResponse(r, v))).toEqual(joinRes);
    }
    expect(encode((w) => encodeJoinGroupResponse(w, 2, { ...joinRes, throttleTimeMs: 100 }))).toEqual(JOIN_RESPONSE_V2);
    expect(decode(JOIN_RESPONSE_V2, (r) => decodeJoinGroupResponse(r, 2))).toEqual({ ...joinRes, throttleTimeMs: 100 });
    const err: JoinGroupResponse = { throttleTimeMs: 0, errorCode: 25, generationId: -1, protocolName: '', leader: '', memberId: '', members: [] };
    expect(encode((w) => encodeJoinGroupResponse(w, 0, err))).toEqual(JOIN_ERROR_V0);
    expect(decode(JOIN_ERROR_V0, (r) => decodeJoinGroupResponse(r, 0))).toEqual(err);
  });

  it('metadata is copied out of the input, and null metadata (-1) is corrupt', () => {
    const buf = Buffer.from(JOIN_RESPONSE_V0);
    const res = decodeJoinGroupResponse(new Reader(buf), 0);
    buf.fill(0xee);
    expect(res.members[0]!.metadata).toEqual(Buffer.from([1]));
    const nullMetadata = Buffer.from(JOIN_V0);
    nullMetadata.writeInt32BE(-1, JOIN_V0.length - 7);
    expect(() => decodeJoinGroupRequest(new Reader(nullMetadata), 0)).toThrow(CorruptDataError);
  });

  it('bounds', () => {
    expectBoundsChecked(JOIN_V0, (r) => decodeJoinGroupRequest(r, 0), 19);
    expectBoundsChecked(JOIN_V1, (r) => decodeJoinGroupRequest(r, 2), 23);
    expectBoundsChecked(JOIN_RESPONSE_V0, (r) => decodeJoinGroupResponse(r, 0), 21);
    expectBoundsChecked(JOIN_RESPONSE_V2, (r) => decodeJoinGroupResponse(r, 2), 25);
  });

  it('kafkajs v0-v2 requests decode and re-encode; kafkajs reads our responses', async () => {
    const metadata: Buffer = MemberMetadata.encode({ version: 0, topics: ['a', 'b'] });
    for (const v of [0, 1, 2]) {
      const body = await kafkajsRequestBody('joinGroup', v, {
        groupId: 'grp',
        sessionTimeout: 10000,
        rebalanceTimeout: 45000,
        memberId: '',
        protocolType: 'consumer',
        groupProtocols: [{ name: 'RoundRobinAssigner', metadata }],
      });
      const req = decode(body, (r) => decodeJoinGroupRequest(r, v));
      expect(req).toEqual({
        groupId: 'grp',
        sessionTimeoutMs: 10000,
        rebalanceTimeoutMs: v === 0 ? 10000 : 45000,
        memberId: '',
        protocolType: 'consumer',
        protocols: [{ name: 'RoundRobinAssigner', metadata }],
      });
      expect(decodeConsumerProtocolSubscription(req.protocols[0]!.metadata).topics).toEqual(['a', 'b']);
      expect(encode((w) => encodeJoinGroupRequest(w, v, req))).toEqual(body);

      const res = { ...joinRes, throttleTimeMs: 7, members: [{ memberId: 'm1', metadata }] };
      const got = await kafkajsDecodeResponse('joinGroup', v, encode((w) => encodeJoinGroupResponse(w, v, res)));
      expect(got).toEqual({
        ...(v >= 2 ? { throttleTime: 7 } : {}),
        errorCode: 0,
        generationId: 1,
        groupProtocol: 'range',
        leaderId: 'm1',
        memberId: 'm1',
        members: [{ memberId: 'm1', memberMetadata: metadata }],
      });
    }
  });

  it('kafka-node: its v0 join decodes (a subscription with null user_data), our response parses', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeJoinGroupRequest('kn', 5, 'grp', '', 30000, [{ name: 'roundrobin', subscription: ['t1', 't2'], version: 0 }]);
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 11, apiVersion: 0, correlationId: 5 });
    const req = decodeJoinGroupRequest(new Reader(frame, h.bodyOffset), 0);
    expect(req).toMatchObject({ groupId: 'grp', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId: '', protocolType: 'consumer' });
    expect(req.protocols.map((p) => p.name)).toEqual(['roundrobin']);
    expect(decodeConsumerProtocolSubscription(req.protocols[0]!.metadata)).toEqual({ version: 0, topics: ['t1', 't2'], userData: null, ownedPartitions: [] });

    const res = { ...joinRes, members: [{ memberId: 'm1', metadata: req.protocols[0]!.metadata }] };
    const out = protocol.decodeJoinGroupResponse(frameResponse(5, (w) => encodeJoinGroupResponse(w, 0, res)));
    expect(out).toMatchObject({ generationId: 1, groupProtocol: 'range', leaderId: 'm1', memberId: 'm1' });
    expect(out.members).toEqual([{ id: 'm1', subscription: ['t1', 't2'], version: 0, userData: undefined }]);
  });
});

// ---------------------------------------------------------------- SyncGroup

const SYNC_REQUEST = hex(`
  0001 67                   # group_id "g"
  00000001                  # generation_id 1
  0002 6d31                 # member_id "m1"
  00000002                  # 2 assignments (from the leader)
  0002 6d31 00000002 0102   #   "m1": 2 bytes
  0002 6d32 00000000        #   "m2": empty
`);
const SYNC_RESPONSE_V0 = hex('0000 00000002 0102'); // error_code 0, assignment 0102
const SYNC_RESPONSE_V1 = hex('00000000 0000 00000002 0102'); // throttle_time_ms first

describe('SyncGroup codec', () => {
  const req: SyncGroupRequest = {
    groupId: 'g',
    generationId: 1,
    memberId: 'm1',
    assignments: [
      { memberId: 'm1', assignment: Buffer.from([1, 2]) },
      { memberId: 'm2', assignment: Buffer.alloc(0) },
    ],
  };
  const res = { throttleTimeMs: 0, errorCode: 0, assignment: Buffer.from([1, 2]) };

  it('request v0-v1 (one layout); response v0, v1 with throttle_time_ms', () => {
    for (const v of [0, 1]) {
      expect(encode((w) => encodeSyncGroupRequest(w, v, req))).toEqual(SYNC_REQUEST);
      expect(decode(SYNC_REQUEST, (r) => decodeSyncGroupRequest(r, v))).toEqual(req);
    }
    expect(encode((w) => encodeSyncGroupResponse(w, 0, res))).toEqual(SYNC_RESPONSE_V0);
    expect(decode(SYNC_RESPONSE_V0, (r) => decodeSyncGroupResponse(r, 0))).toEqual(res);
    expect(encode((w) => encodeSyncGroupResponse(w, 1, res))).toEqual(SYNC_RESPONSE_V1);
    expect(decode(SYNC_RESPONSE_V1, (r) => decodeSyncGroupResponse(r, 1))).toEqual(res);
    // a follower sends no assignments; an error answer carries empty bytes
    const follower = { groupId: 'g', generationId: 1, memberId: 'm2', assignments: [] };
    expect(encode((w) => encodeSyncGroupRequest(w, 0, follower))).toEqual(hex('0001 67 00000001 0002 6d32 00000000'));
    const err = { throttleTimeMs: 0, errorCode: 27, assignment: Buffer.alloc(0) };
    expect(encode((w) => encodeSyncGroupResponse(w, 0, err))).toEqual(hex('001b 00000000'));
  });

  it('bounds', () => {
    expectBoundsChecked(SYNC_REQUEST, (r) => decodeSyncGroupRequest(r, 0), 11);
    expectEveryTruncationThrows(SYNC_RESPONSE_V1, (r) => decodeSyncGroupResponse(r, 1));
    expectHostileInt32sAreSafe(SYNC_RESPONSE_V1, (r) => decodeSyncGroupResponse(r, 1));
    expect(() => decodeSyncGroupResponse(new Reader(hex('0000 ffffffff')), 0)).toThrow(CorruptDataError);
  });

  it('kafkajs v0-v1 requests decode and re-encode; kafkajs reads our responses', async () => {
    const assignment: Buffer = MemberAssignment.encode({ version: 0, assignment: { a: [0, 2], b: [1] } });
    for (const v of [0, 1]) {
      const body = await kafkajsRequestBody('syncGroup', v, {
        groupId: 'grp',
        generationId: 4,
        memberId: 'leader',
        groupAssignment: [{ memberId: 'leader', memberAssignment: assignment }],
      });
      const decoded = decode(body, (r) => decodeSyncGroupRequest(r, v));
      expect(decoded).toEqual({ groupId: 'grp', generationId: 4, memberId: 'leader', assignments: [{ memberId: 'leader', assignment }] });
      expect(encode((w) => encodeSyncGroupRequest(w, v, decoded))).toEqual(body);

      const got = await kafkajsDecodeResponse('syncGroup', v, encode((w) => encodeSyncGroupResponse(w, v, { throttleTimeMs: 3, errorCode: 0, assignment })));
      expect(got).toEqual({ ...(v >= 1 ? { throttleTime: 3 } : {}), errorCode: 0, memberAssignment: assignment });
      expect(MemberAssignment.decode(got.memberAssignment)).toEqual({ version: 0, assignment: { a: [0, 2], b: [1] }, userData: Buffer.alloc(0) });
    }
  });

  it('kafka-node: its v0 sync decodes, our response parses', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeSyncGroupRequest('kn', 6, 'grp', 2, 'm1', [{ memberId: 'm1', version: 0, topicPartitions: { t: [0, 1] } }]);
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 14, apiVersion: 0 });
    const req = decodeSyncGroupRequest(new Reader(frame, h.bodyOffset), 0);
    expect(req.assignments.map((a) => a.memberId)).toEqual(['m1']);
    expect(decodeConsumerProtocolAssignment(req.assignments[0]!.assignment)).toEqual({ version: 0, topics: [{ topic: 't', partitions: [0, 1] }], userData: null });
    const out = protocol.decodeSyncGroupResponse(
      frameResponse(6, (w) => encodeSyncGroupResponse(w, 0, { throttleTimeMs: 0, errorCode: 0, assignment: req.assignments[0]!.assignment })),
    );
    expect(out).toEqual({ version: 0, partitions: { t: [0, 1] } });
  });
});

// ---------------------------------------------------------------- Heartbeat and LeaveGroup

const HEARTBEAT_REQUEST = hex('0001 67 00000001 0002 6d31'); // group "g", generation 1, member "m1"
const LEAVE_REQUEST = hex('0001 67 0002 6d31'); // group "g", member "m1"

describe('Heartbeat codec', () => {
  const req = { groupId: 'g', generationId: 1, memberId: 'm1' };

  it('request v0-v1; response v0 error_code, v1 throttle_time_ms error_code', () => {
    for (const v of [0, 1]) {
      expect(encode((w) => encodeHeartbeatRequest(w, v, req))).toEqual(HEARTBEAT_REQUEST);
      expect(decode(HEARTBEAT_REQUEST, (r) => decodeHeartbeatRequest(r, v))).toEqual(req);
    }
    const res = { throttleTimeMs: 0, errorCode: 27 }; // REBALANCE_IN_PROGRESS
    expect(encode((w) => encodeHeartbeatResponse(w, 0, res))).toEqual(hex('001b'));
    expect(decode(hex('001b'), (r) => decodeHeartbeatResponse(r, 0))).toEqual(res);
    expect(encode((w) => encodeHeartbeatResponse(w, 1, { throttleTimeMs: 5, errorCode: 27 }))).toEqual(hex('00000005 001b'));
    expect(decode(hex('00000005 001b'), (r) => decodeHeartbeatResponse(r, 1))).toEqual({ throttleTimeMs: 5, errorCode: 27 });
  });

  it('bounds', () => {
    expectEveryTruncationThrows(HEARTBEAT_REQUEST, (r) => decodeHeartbeatRequest(r, 0));
    expectHostileInt32sAreSafe(HEARTBEAT_REQUEST, (r) => decodeHeartbeatRequest(r, 0));
    expectEveryTruncationThrows(hex('00000005 001b'), (r) => decodeHeartbeatResponse(r, 1));
  });

  it('kafkajs v0-v1 and kafka-node v0 agree', async () => {
    for (const v of [0, 1]) {
      const body = await kafkajsRequestBody('heartbeat', v, { groupId: 'grp', groupGenerationId: 9, memberId: 'm-1' });
      expect(decode(body, (r) => decodeHeartbeatRequest(r, v))).toEqual({ groupId: 'grp', generationId: 9, memberId: 'm-1' });
      expect(encode((w) => encodeHeartbeatRequest(w, v, { groupId: 'grp', generationId: 9, memberId: 'm-1' }))).toEqual(body);
      const got = await kafkajsDecodeResponse('heartbeat', v, encode((w) => encodeHeartbeatResponse(w, v, { throttleTimeMs: 2, errorCode: 25 })));
      expect(got).toEqual({ ...(v >= 1 ? { throttleTime: 2 } : {}), errorCode: 25 });
    }
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeGroupHeartbeatRequest('kn', 7, 'grp', 9, 'm-1');
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 12, apiVersion: 0 });
    expect(decodeHeartbeatRequest(new Reader(frame, h.bodyOffset), 0)).toEqual({ groupId: 'grp', generationId: 9, memberId: 'm-1' });
    expect(protocol.decodeGroupHeartbeatResponse(frameResponse(7, (w) => encodeHeartbeatResponse(w, 0, { throttleTimeMs: 0, errorCode: 0 })))).toBeNull();
    const err = protocol.decodeGroupHeartbeatResponse(frameResponse(7, (w) => encodeHeartbeatResponse(w, 0, { throttleTimeMs: 0, errorCode: 27 })));
    expect(err.name).toBe('RebalanceInProgress');
  });
});

describe('LeaveGroup codec', () => {
  const req = { groupId: 'g', memberId: 'm1' };

  it('request v0-v1; response v0 error_code, v1 throttle_time_ms error_code', () => {
    for (const v of [0, 1]) {
      expect(encode((w) => encodeLeaveGroupRequest(w, v, req))).toEqual(LEAVE_REQUEST);
      expect(decode(LEAVE_REQUEST, (r) => decodeLeaveGroupRequest(r, v))).toEqual(req);
    }
    expect(encode((w) => encodeLeaveGroupResponse(w, 0, { throttleTimeMs: 9, errorCode: 0 }))).toEqual(hex('0000'));
    expect(decode(hex('0019'), (r) => decodeLeaveGroupResponse(r, 0))).toEqual({ throttleTimeMs: 0, errorCode: 25 });
    expect(encode((w) => encodeLeaveGroupResponse(w, 1, { throttleTimeMs: 9, errorCode: 0 }))).toEqual(hex('00000009 0000'));
    expect(decode(hex('00000009 0000'), (r) => decodeLeaveGroupResponse(r, 1))).toEqual({ throttleTimeMs: 9, errorCode: 0 });
  });

  it('bounds', () => {
    expectEveryTruncationThrows(LEAVE_REQUEST, (r) => decodeLeaveGroupRequest(r, 1));
    expectHostileInt32sAreSafe(LEAVE_REQUEST, (r) => decodeLeaveGroupRequest(r, 1));
    expectEveryTruncationThrows(hex('00000009 0000'), (r) => decodeLeaveGroupResponse(r, 1));
  });

  it('kafkajs v0-v1 and kafka-node v0 agree', async () => {
    for (const v of [0, 1]) {
      const body = await kafkajsRequestBody('leaveGroup', v, { groupId: 'grp', memberId: 'm-1' });
      expect(decode(body, (r) => decodeLeaveGroupRequest(r, v))).toEqual({ groupId: 'grp', memberId: 'm-1' });
      expect(encode((w) => encodeLeaveGroupRequest(w, v, { groupId: 'grp', memberId: 'm-1' }))).toEqual(body);
      const got = await kafkajsDecodeResponse('leaveGroup', v, encode((w) => encodeLeaveGroupResponse(w, v, { throttleTimeMs: 1, errorCode: 0 })));
      expect(got).toEqual({ ...(v >= 1 ? { throttleTime: 1 } : {}), errorCode: 0 });
    }
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeLeaveGroupRequest('kn', 8, 'grp', 'm-1');
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 13, apiVersion: 0 });
    expect(decodeLeaveGroupRequest(new Reader(frame, h.bodyOffset), 0)).toEqual({ groupId: 'grp', memberId: 'm-1' });
    expect(protocol.decodeLeaveGroupResponse(frameResponse(8, (w) => encodeLeaveGroupResponse(w, 0, { throttleTimeMs: 0, errorCode: 0 })))).toBeNull();
  });
});

// ---------------------------------------------------------------- DescribeGroups

const DESCRIBE_REQUEST = hex('00000002 0001 67 0001 68'); // groups "g", "h"
const DESCRIBE_RESPONSE_V0 = hex(`
  00000002                      # 2 groups
  0000 0001 67                  # error 0, "g"
  0006 537461626c65             #   state "Stable"
  0008 636f6e73756d6572         #   protocol_type "consumer"
  0005 72616e6765               #   protocol_data "range"
  00000001                      #   1 member
  0002 6d31                     #     member_id "m1"
  0001 63                       #     client_id "c"
  000a 2f3132372e302e302e31     #     client_host "/127.0.0.1"
  00000001 01                   #     member_metadata 01
  00000002 0102                 #     member_assignment 0102
  0000 0001 68                  # error 0, "h"
  0004 44656164                 #   state "Dead"
  0000 0000                     #   protocol_type "", protocol_data ""
  00000000                      #   no members
`);
const DESCRIBE_RESPONSE_V1 = Buffer.concat([hex('00000000'), DESCRIBE_RESPONSE_V0]); // throttle_time_ms 0 first

describe('DescribeGroups codec', () => {
  const res: DescribeGroupsResponse = {
    throttleTimeMs: 0,
    groups: [
      {
        errorCode: 0,
        groupId: 'g',
        groupState: 'Stable',
        protocolType: 'consumer',
        protocolData: 'range',
        members: [
          { memberId: 'm1', clientId: 'c', clientHost: '/127.0.0.1', memberMetadata: Buffer.from([1]), memberAssignment: Buffer.from([1, 2]) },
        ],
      },
      { errorCode: 0, groupId: 'h', groupState: 'Dead', protocolType: '', protocolData: '', members: [] },
    ],
  };

  it('request v0-v1; response v0, v1 with throttle_time_ms', () => {
    for (const v of [0, 1]) {
      expect(encode((w) => encodeDescribeGroupsRequest(w, v, { groups: ['g', 'h'] }))).toEqual(DESCRIBE_REQUEST);
      expect(decode(DESCRIBE_REQUEST, (r) => decodeDescribeGroupsRequest(r, v))).toEqual({ groups: ['g', 'h'] });
    }
    expect(encode((w) => encodeDescribeGroupsResponse(w, 0, res))).toEqual(DESCRIBE_RESPONSE_V0);
    expect(decode(DESCRIBE_RESPONSE_V0, (r) => decodeDescribeGroupsResponse(r, 0))).toEqual(res);
    expect(encode((w) => encodeDescribeGroupsResponse(w, 1, res))).toEqual(DESCRIBE_RESPONSE_V1);
    expect(decode(DESCRIBE_RESPONSE_V1, (r) => decodeDescribeGroupsResponse(r, 1))).toEqual(res);
  });

  it('bounds', () => {
    expectBoundsChecked(DESCRIBE_REQUEST, (r) => decodeDescribeGroupsRequest(r, 0), 0);
    expectBoundsChecked(DESCRIBE_RESPONSE_V0, (r) => decodeDescribeGroupsResponse(r, 0), 0);
    expectBoundsChecked(DESCRIBE_RESPONSE_V1, (r) => decodeDescribeGroupsResponse(r, 1), 4);
    expectBoundsChecked(DESCRIBE_RESPONSE_V0, (r) => decodeDescribeGroupsResponse(r, 0), 34); // the members count
  });

  it('kafkajs v0-v1 requests decode and re-encode; kafkajs reads our responses', async () => {
    for (const v of [0, 1]) {
      const body = await kafkajsRequestBody('describeGroups', v, { groupIds: ['grp-a', 'grp-b'] });
      expect(decode(body, (r) => decodeDescribeGroupsRequest(r, v))).toEqual({ groups: ['grp-a', 'grp-b'] });
      expect(encode((w) => encodeDescribeGroupsRequest(w, v, { groups: ['grp-a', 'grp-b'] }))).toEqual(body);
      const got = await kafkajsDecodeResponse('describeGroups', v, encode((w) => encodeDescribeGroupsResponse(w, v, res)));
      expect(got).toEqual({
        ...(v >= 1 ? { throttleTime: 0 } : {}),
        groups: [
          {
            errorCode: 0,
            groupId: 'g',
            state: 'Stable',
            protocolType: 'consumer',
            protocol: 'range',
            members: [{ memberId: 'm1', clientId: 'c', clientHost: '/127.0.0.1', memberMetadata: Buffer.from([1]), memberAssignment: Buffer.from([1, 2]) }],
          },
          { errorCode: 0, groupId: 'h', state: 'Dead', protocolType: '', protocol: '', members: [] },
        ],
      });
    }
  });

  it('kafka-node: its v0 request decodes, our response parses', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeDescribeGroups('kn', 9, ['grp']);
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 15, apiVersion: 0 });
    expect(decodeDescribeGroupsRequest(new Reader(frame, h.bodyOffset), 0)).toEqual({ groups: ['grp'] });
    const out = protocol.decodeDescribeGroups(
      frameResponse(9, (w) => encodeDescribeGroupsResponse(w, 0, { throttleTimeMs: 0, groups: [res.groups[1]!] })),
    );
    expect(out).toEqual({ h: { members: [], error: null, groupId: 'h', state: 'Dead', protocolType: '', protocol: '' } });
  });
});

// ---------------------------------------------------------------- ListGroups

const LIST_RESPONSE_V0 = hex(`
  0000                          # error_code 0
  00000002                      # 2 groups
  0001 67 0008 636f6e73756d6572 #   "g", "consumer"
  0001 68 0000                  #   "h", "" (only commits offsets)
`);
const LIST_RESPONSE_V1 = Buffer.concat([hex('0000000c'), LIST_RESPONSE_V0]); // throttle_time_ms 12 first

describe('ListGroups codec', () => {
  const res: ListGroupsResponse = {
    throttleTimeMs: 12,
    errorCode: 0,
    groups: [
      { groupId: 'g', protocolType: 'consumer' },
      { groupId: 'h', protocolType: '' },
    ],
  };

  it('an empty request; response v0, v1 with throttle_time_ms', () => {
    for (const v of [0, 1]) {
      expect(encode((w) => encodeListGroupsRequest(w, v)).length).toBe(0);
      expect(decode(Buffer.alloc(0), (r) => decodeListGroupsRequest(r, v))).toEqual({});
    }
    expect(encode((w) => encodeListGroupsResponse(w, 0, res))).toEqual(LIST_RESPONSE_V0);
    expect(decode(LIST_RESPONSE_V0, (r) => decodeListGroupsResponse(r, 0))).toEqual({ ...res, throttleTimeMs: 0 });
    expect(encode((w) => encodeListGroupsResponse(w, 1, res))).toEqual(LIST_RESPONSE_V1);
    expect(decode(LIST_RESPONSE_V1, (r) => decodeListGroupsResponse(r, 1))).toEqual(res);
  });

  it('bounds', () => {
    expectBoundsChecked(LIST_RESPONSE_V0, (r) => decodeListGroupsResponse(r, 0), 2);
    expectBoundsChecked(LIST_RESPONSE_V1, (r) => decodeListGroupsResponse(r, 1), 6);
  });

  it('kafkajs v0-v1 and kafka-node v0 agree', async () => {
    for (const v of [0, 1]) {
      expect((await kafkajsRequestBody('listGroups', v, undefined)).length).toBe(0);
      const got = await kafkajsDecodeResponse('listGroups', v, encode((w) => encodeListGroupsResponse(w, v, res)));
      expect(got).toEqual({ ...(v >= 1 ? { throttleTime: 12 } : {}), errorCode: 0, groups: res.groups });
    }
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeListGroups('kn', 10);
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 16, apiVersion: 0 });
    expect(decodeListGroupsRequest(new Reader(frame, h.bodyOffset), 0)).toEqual({});
    expect(protocol.decodeListGroups(frameResponse(10, (w) => encodeListGroupsResponse(w, 0, res)))).toEqual({ error: null, g: 'consumer', h: '' });
  });
});
