/** OffsetCommit v0-1, OffsetFetch v0-1 and FindCoordinator v0: the group-offset APIs of 0.8.2. */
import { describe, expect, it } from 'vitest';
import {
  decodeFindCoordinatorRequest,
  decodeFindCoordinatorResponse,
  encodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
} from '../../../src/protocol/apis/find-coordinator.js';
import {
  decodeOffsetCommitRequest,
  decodeOffsetCommitResponse,
  encodeOffsetCommitRequest,
  encodeOffsetCommitResponse,
  type OffsetCommitRequest,
} from '../../../src/protocol/apis/offset-commit.js';
import {
  decodeOffsetFetchRequest,
  decodeOffsetFetchResponse,
  encodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
  type OffsetFetchResponse,
} from '../../../src/protocol/apis/offset-fetch.js';
import { decodeRequestHeader, frameResponse } from '../../../src/protocol/header.js';
import { Reader } from '../../../src/protocol/reader.js';
import {
  decode,
  encode,
  expectBoundsChecked,
  expectEveryTruncationThrows,
  expectHostileInt32sAreSafe,
  hex, kafkajsDecodeResponse, kafkajsRequestBody, require } from './helpers.js';

const COMMIT_V0 = hex(`
  0001 67                   # group "g"
  00000001 0001 74          # 1 topic "t"
  00000001 00000000         #   1 partition: 0
  000000000000002a          #     offset 42
  0002 6d64                 #     metadata "md"
`);
const COMMIT_V1 = hex(`
  0001 67                   # group "g"
  00000005                  # generation_id 5
  0001 6d                   # member_id "m"
  00000001 0001 74
  00000001 00000000
  000000000000002a          # offset 42
  00000174876e8000          # timestamp 1600000000000
  ffff                      # metadata null
`);
const COMMIT_RESPONSE = hex('00000001 0001 74 00000001 00000000 0000');
const FETCH_REQUEST = hex('0001 67 00000001 0001 74 00000002 00000000 00000001');
const FETCH_RESPONSE = hex(`
  00000001 0001 74 00000002
  00000000 000000000000002a 0002 6d64 0000   # partition 0: offset 42, "md", no error
  00000001 ffffffffffffffff ffff 0003        # partition 1: offset -1, null, error 3
`);

describe('OffsetCommit codec', () => {
  const v0: OffsetCommitRequest = {
    groupId: 'g',
    generationId: -1,
    memberId: '',
    topics: [{ topic: 't', partitions: [{ partition: 0, offset: 42, timestamp: -1, metadata: 'md' }] }],
  };
  const v1: OffsetCommitRequest = {
    groupId: 'g',
    generationId: 5,
    memberId: 'm',
    topics: [{ topic: 't', partitions: [{ partition: 0, offset: 42, timestamp: 1_600_000_000_000, metadata: null }] }],
  };

  it('v0 request: group, partition offset + metadata; v1 adds generation, member and timestamp', () => {
    expect(encode((w) => encodeOffsetCommitRequest(w, 0, v0))).toEqual(COMMIT_V0);
    expect(decode(COMMIT_V0, (r) => decodeOffsetCommitRequest(r, 0))).toEqual(v0);
    expect(encode((w) => encodeOffsetCommitRequest(w, 1, v1))).toEqual(COMMIT_V1);
    expect(decode(COMMIT_V1, (r) => decodeOffsetCommitRequest(r, 1))).toEqual(v1);
  });

  it('response v0/v1', () => {
    const res = { topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0 }] }] };
    for (const v of [0, 1]) {
      expect(encode((w) => encodeOffsetCommitResponse(w, v, res))).toEqual(COMMIT_RESPONSE);
      expect(decode(COMMIT_RESPONSE, (r) => decodeOffsetCommitResponse(r, v))).toEqual(res);
    }
  });

  it('bounds', () => {
    expectBoundsChecked(COMMIT_V0, (r) => decodeOffsetCommitRequest(r, 0), 3);
    expectBoundsChecked(COMMIT_V1, (r) => decodeOffsetCommitRequest(r, 1), 10);
    expectBoundsChecked(COMMIT_RESPONSE, (r) => decodeOffsetCommitResponse(r, 0), 7);
  });

  it('kafkajs v0/v1 requests decode and re-encode; kafkajs reads our response', async () => {
    const topics = [{ topic: 'a', partitions: [{ partition: 0, offset: '12', metadata: 'x' }, { partition: 2, offset: '-1' }] }];
    const b0 = await kafkajsRequestBody('offsetCommit', 0, { groupId: 'grp', topics });
    const r0 = decode(b0, (r) => decodeOffsetCommitRequest(r, 0));
    expect(r0.topics[0]!.partitions).toEqual([
      { partition: 0, offset: 12, timestamp: -1, metadata: 'x' },
      { partition: 2, offset: -1, timestamp: -1, metadata: null },
    ]);
    expect(encode((w) => encodeOffsetCommitRequest(w, 0, r0))).toEqual(b0);
    const t1 = [{ topic: 'a', partitions: [{ partition: 0, offset: '12', timestamp: 1234 }] }];
    const b1 = await kafkajsRequestBody('offsetCommit', 1, { groupId: 'grp', groupGenerationId: 3, memberId: 'member-1', topics: t1 });
    const r1 = decode(b1, (r) => decodeOffsetCommitRequest(r, 1));
    expect(r1).toEqual({
      groupId: 'grp',
      generationId: 3,
      memberId: 'member-1',
      topics: [{ topic: 'a', partitions: [{ partition: 0, offset: 12, timestamp: 1234, metadata: null }] }],
    });
    expect(encode((w) => encodeOffsetCommitRequest(w, 1, r1))).toEqual(b1);
    const res = { topics: [{ topic: 'a', partitions: [{ partition: 0, errorCode: 0 }, { partition: 2, errorCode: 22 }] }] };
    for (const v of [0, 1]) {
      const got = await kafkajsDecodeResponse('offsetCommit', v, encode((w) => encodeOffsetCommitResponse(w, v, res)));
      expect(got.responses[0].partitions).toEqual([
        { partition: 0, errorCode: 0 },
        { partition: 2, errorCode: 22 },
      ]);
    }
  });

  it('kafka-node: its v0 commit decodes, our response parses', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeOffsetCommitRequest('grp')('kn', 3, [{ topic: 't', partition: 1, offset: 99, metadata: 'm' }]);
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 8, apiVersion: 0, correlationId: 3 });
    expect(decodeOffsetCommitRequest(new Reader(frame, h.bodyOffset), 0).topics).toEqual([
      { topic: 't', partitions: [{ partition: 1, offset: 99, timestamp: -1, metadata: 'm' }] },
    ]);
    const out = protocol.decodeOffsetCommitResponse(
      frameResponse(3, (w) => encodeOffsetCommitResponse(w, 0, { topics: [{ topic: 't', partitions: [{ partition: 1, errorCode: 0 }] }] })),
    );
    expect(out).toEqual({ t: { partition: 1, errorCode: 0 } });
  });
});

describe('OffsetFetch codec', () => {
  const res: OffsetFetchResponse = {
    topics: [
      {
        topic: 't',
        partitions: [
          { partition: 0, offset: 42, metadata: 'md', errorCode: 0 },
          { partition: 1, offset: -1, metadata: null, errorCode: 3 },
        ],
      },
    ],
  };

  it('v0 and v1 share one wire format', () => {
    const req = { groupId: 'g', topics: [{ topic: 't', partitions: [0, 1] }] };
    for (const v of [0, 1]) {
      expect(encode((w) => encodeOffsetFetchRequest(w, v, req))).toEqual(FETCH_REQUEST);
      expect(decode(FETCH_REQUEST, (r) => decodeOffsetFetchRequest(r, v))).toEqual(req);
      expect(encode((w) => encodeOffsetFetchResponse(w, v, res))).toEqual(FETCH_RESPONSE);
      expect(decode(FETCH_RESPONSE, (r) => decodeOffsetFetchResponse(r, v))).toEqual(res);
    }
  });

  it('bounds', () => {
    expectBoundsChecked(FETCH_REQUEST, (r) => decodeOffsetFetchRequest(r, 0), 3);
    expectBoundsChecked(FETCH_RESPONSE, (r) => decodeOffsetFetchResponse(r, 1), 7);
  });

  it('kafkajs v1 (same bytes as v0) request decodes; kafkajs reads our response', async () => {
    const body = await kafkajsRequestBody('offsetFetch', 1, { groupId: 'grp', topics: [{ topic: 'a', partitions: [{ partition: 0 }, { partition: 5 }] }] });
    for (const v of [0, 1]) {
      expect(decode(body, (r) => decodeOffsetFetchRequest(r, v))).toEqual({ groupId: 'grp', topics: [{ topic: 'a', partitions: [0, 5] }] });
    }
    const got = await kafkajsDecodeResponse('offsetFetch', 1, encode((w) => encodeOffsetFetchResponse(w, 1, res)));
    expect(got.responses[0].partitions).toEqual([
      { partition: 0, offset: '42', metadata: 'md', errorCode: 0 },
      { partition: 1, offset: '-1', metadata: null, errorCode: 3 },
    ]);
  });

  it('kafka-node: its v0 and v1 requests decode, our v0 response parses', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const f0: Buffer = protocol.encodeOffsetFetchRequest('grp')('kn', 4, [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    const h0 = decodeRequestHeader(f0, 4);
    expect(h0).toMatchObject({ apiKey: 9, apiVersion: 0 });
    expect(decodeOffsetFetchRequest(new Reader(f0, h0.bodyOffset), 0)).toEqual({ groupId: 'grp', topics: [{ topic: 't', partitions: [0, 1] }] });
    const f1: Buffer = protocol.encodeOffsetFetchV1Request('kn', 4, 'grp', { t: [0, 1] });
    const h1 = decodeRequestHeader(f1, 4);
    expect(h1).toMatchObject({ apiKey: 9, apiVersion: 1 });
    expect(decodeOffsetFetchRequest(new Reader(f1, h1.bodyOffset), 1)).toEqual({ groupId: 'grp', topics: [{ topic: 't', partitions: [0, 1] }] });
    const out = protocol.decodeOffsetFetchResponse(frameResponse(4, (w) => encodeOffsetFetchResponse(w, 0, res)));
    expect(out).toEqual({ t: { 0: 42, 1: -1 } });
  });
});

describe('FindCoordinator codec', () => {
  const REQUEST = hex('0003 677270'); // "grp"
  const RESPONSE = hex('0000 00000002 0004 686f7374 00002384'); // error 0, node 2, "host", 9092

  it('v0 bytes', () => {
    expect(encode((w) => encodeFindCoordinatorRequest(w, 0, { groupId: 'grp' }))).toEqual(REQUEST);
    expect(decode(REQUEST, (r) => decodeFindCoordinatorRequest(r, 0))).toEqual({ groupId: 'grp' });
    const res = { errorCode: 0, nodeId: 2, host: 'host', port: 9092 };
    expect(encode((w) => encodeFindCoordinatorResponse(w, 0, res))).toEqual(RESPONSE);
    expect(decode(RESPONSE, (r) => decodeFindCoordinatorResponse(r, 0))).toEqual(res);
    expect(() => encode((w) => encodeFindCoordinatorRequest(w, 1, { groupId: 'g' }))).toThrow(/not supported/);
  });

  it('bounds', () => {
    // no arrays here: truncations and hostile lengths only
    expectEveryTruncationThrows(RESPONSE, (r) => decodeFindCoordinatorResponse(r, 0));
    expectHostileInt32sAreSafe(RESPONSE, (r) => decodeFindCoordinatorResponse(r, 0));
    expectEveryTruncationThrows(REQUEST, (r) => decodeFindCoordinatorRequest(r, 0));
    expectEveryTruncationThrows(hex('7fff 61'), (r) => decodeFindCoordinatorRequest(r, 0));
  });

  it('kafkajs and kafka-node agree', async () => {
    const body = await kafkajsRequestBody('findCoordinator', 0, { groupId: 'my-group' });
    expect(decode(body, (r) => decodeFindCoordinatorRequest(r, 0))).toEqual({ groupId: 'my-group' });
    const res = { errorCode: 0, nodeId: 3, host: 'broker-3', port: 9094 };
    const got = await kafkajsDecodeResponse('findCoordinator', 0, encode((w) => encodeFindCoordinatorResponse(w, 0, res)));
    expect(got).toEqual({ errorCode: 0, coordinator: { nodeId: 3, host: 'broker-3', port: 9094 } });

    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeGroupCoordinatorRequest('kn', 1, 'my-group');
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 10, apiVersion: 0 });
    expect(decodeFindCoordinatorRequest(new Reader(frame, h.bodyOffset), 0)).toEqual({ groupId: 'my-group' });
    expect(protocol.decodeGroupCoordinatorResponse(frameResponse(1, (w) => encodeFindCoordinatorResponse(w, 0, res)))).toEqual({
      coordinatorHost: 'broker-3',
      coordinatorPort: 9094,
      coordinatorId: 3,
    });
  });
});
