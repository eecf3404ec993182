/**
 * OffsetCommit v0-3, OffsetFetch v0-3 and FindCoordinator v0-1: the group-offset APIs of 0.8.2
 * (v0-1) and the versions the broker-coordinated groups of 0.10-0.11 clients use.
 */
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../../src/common/errors.js';
import { ApiKey } from '../../../src/protocol/api-keys.js';
import { codecFor } from '../../../src/protocol/apis/index.js';
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
    retentionTimeMs: -1,
    topics: [{ topic: 't', partitions: [{ partition: 0, offset: 42, timestamp: -1, metadata: 'md' }] }],
  };
  const v1: OffsetCommitRequest = {
    groupId: 'g',
    generationId: 5,
    memberId: 'm',
    retentionTimeMs: -1,
    topics: [{ topic: 't', partitions: [{ partition: 0, offset: 42, timestamp: 1_600_000_000_000, metadata: null }] }],
  };

  it('v0 request: group, partition offset + metadata; v1 adds generation, member and timestamp', () => {
    expect(encode((w) => encodeOffsetCommitRequest(w, 0, v0))).toEqual(COMMIT_V0);
    expect(decode(COMMIT_V0, (r) => decodeOffsetCommitRequest(r, 0))).toEqual(v0);
    expect(encode((w) => encodeOffsetCommitRequest(w, 1, v1))).toEqual(COMMIT_V1);
    expect(decode(COMMIT_V1, (r) => decodeOffsetCommitRequest(r, 1))).toEqual(v1);
  });

  it('response v0-v2 (v3 adds throttle_time_ms, below)', () => {
    const res = { throttleTimeMs: 0, topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0 }] }] };
    for (const v of [0, 1, 2]) {
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
      retentionTimeMs: -1,
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
    throttleTimeMs: 0,
    errorCode: 0,
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
    const req = { groupId: 'g', topics: [{ topic: 't', partitions: [0, 1] }], allTopics: false };
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
      expect(decode(body, (r) => decodeOffsetFetchRequest(r, v))).toEqual({ groupId: 'grp', topics: [{ topic: 'a', partitions: [0, 5] }], allTopics: false });
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
    expect(decodeOffsetFetchRequest(new Reader(f0, h0.bodyOffset), 0)).toEqual({ groupId: 'grp', topics: [{ topic: 't', partitions: [0, 1] }], allTopics: false });
    const f1: Buffer = protocol.encodeOffsetFetchV1Request('kn', 4, 'grp', { t: [0, 1] });
    const h1 = decodeRequestHeader(f1, 4);
    expect(h1).toMatchObject({ apiKey: 9, apiVersion: 1 });
    expect(decodeOffsetFetchRequest(new Reader(f1, h1.bodyOffset), 1)).toEqual({ groupId: 'grp', topics: [{ topic: 't', partitions: [0, 1] }], allTopics: false });
    const out = protocol.decodeOffsetFetchResponse(frameResponse(4, (w) => encodeOffsetFetchResponse(w, 0, res)));
    expect(out).toEqual({ t: { 0: 42, 1: -1 } });
  });
});

describe('FindCoordinator codec', () => {
  const REQUEST = hex('0003 677270'); // "grp"
  const RESPONSE = hex('0000 00000002 0004 686f7374 00002384'); // error 0, node 2, "host", 9092

  it('v0 bytes', () => {
    expect(encode((w) => encodeFindCoordinatorRequest(w, 0, { groupId: 'grp' }))).toEqual(REQUEST);
    expect(decode(REQUEST, (r) => decodeFindCoordinatorRequest(r, 0))).toEqual({ groupId: 'grp', keyType: 0 });
    const res = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 2, host: 'host', port: 9092 };
    expect(encode((w) => encodeFindCoordinatorResponse(w, 0, res))).toEqual(RESPONSE);
    expect(decode(RESPONSE, (r) => decodeFindCoordinatorResponse(r, 0))).toEqual(res);
    expect(() => encode((w) => encodeFindCoordinatorRequest(w, 2, { groupId: 'g' }))).toThrow(/not supported/);
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
    expect(decode(body, (r) => decodeFindCoordinatorRequest(r, 0))).toEqual({ groupId: 'my-group', keyType: 0 });
    const res = { errorCode: 0, nodeId: 3, host: 'broker-3', port: 9094 };
    const got = await kafkajsDecodeResponse('findCoordinator', 0, encode((w) => encodeFindCoordinatorResponse(w, 0, res)));
    expect(got).toEqual({ errorCode: 0, coordinator: { nodeId: 3, host: 'broker-3', port: 9094 } });

    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeGroupCoordinatorRequest('kn', 1, 'my-group');
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 10, apiVersion: 0 });
    expect(decodeFindCoordinatorRequest(new Reader(frame, h.bodyOffset), 0)).toEqual({ groupId: 'my-group', keyType: 0 });
    expect(protocol.decodeGroupCoordinatorResponse(frameResponse(1, (w) => encodeFindCoordinatorResponse(w, 0, res)))).toEqual({
      coordinatorHost: 'broker-3',
      coordinatorPort: 9094,
      coordinatorId: 3,
    });
  });
});

describe('OffsetCommit v2-v3 and OffsetFetch v2-v3, FindCoordinator v1', () => {
  const COMMIT_V2 = hex(`
    0001 67                   # group "g"
    00000005                  # generation_id 5
    0001 6d                   # member_id "m"
    0000000005265c00          # retention_time_ms 86400000 (v2+)
    00000001 0001 74
    00000001 00000000
    000000000000002a          #     offset 42 (no timestamp in v2+)
    0002 6d64                 #     metadata "md"
  `);
  const COMMIT_RESPONSE_V3 = Buffer.concat([hex('0000000a'), COMMIT_RESPONSE]); // throttle_time_ms 10 first
  const commitV2: OffsetCommitRequest = {
    groupId: 'g',
    generationId: 5,
    memberId: 'm',
    retentionTimeMs: 86_400_000,
    topics: [{ topic: 't', partitions: [{ partition: 0, offset: 42, timestamp: -1, metadata: 'md' }] }],
  };

  it('the codec table has the new ranges', () => {
    expect([codecFor(ApiKey.OffsetCommit)!.maxVersion, codecFor(ApiKey.OffsetFetch)!.maxVersion, codecFor(ApiKey.FindCoordinator)!.maxVersion]).toEqual([3, 3, 1]);
  });

  it('OffsetCommit v2-v3: retention_time_ms after member_id, no per-partition timestamp; v3 response starts with throttle_time_ms', () => {
    for (const v of [2, 3]) {
      expect(encode((w) => encodeOffsetCommitRequest(w, v, commitV2))).toEqual(COMMIT_V2);
      expect(decode(COMMIT_V2, (r) => decodeOffsetCommitRequest(r, v))).toEqual(commitV2);
    }
    // a timestamp given to v2+ is not written; an absent retention is written as -1
    const withTimestamp = { ...commitV2, retentionTimeMs: undefined, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 42, timestamp: 99, metadata: 'md' }] }] };
    const b = encode((w) => encodeOffsetCommitRequest(w, 2, withTimestamp));
    expect(decode(b, (r) => decodeOffsetCommitRequest(r, 2))).toEqual({ ...commitV2, retentionTimeMs: -1 });
    const res = { throttleTimeMs: 10, topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0 }] }] };
    expect(encode((w) => encodeOffsetCommitResponse(w, 3, res))).toEqual(COMMIT_RESPONSE_V3);
    expect(decode(COMMIT_RESPONSE_V3, (r) => decodeOffsetCommitResponse(r, 3))).toEqual(res);
    expect(encode((w) => encodeOffsetCommitResponse(w, 2, res))).toEqual(COMMIT_RESPONSE);
    expect(encode((w) => encodeOffsetCommitResponse(w, 3, { topics: [] }))).toEqual(hex('00000000 00000000'));
    expect(() => encode((w) => encodeOffsetCommitRequest(w, 4, commitV2))).toThrow(/OffsetCommit v4 is not supported \(v0-v3\)/);
  });

  it('OffsetCommit v2-v3 bounds', () => {
    expectBoundsChecked(COMMIT_V2, (r) => decodeOffsetCommitRequest(r, 2), 18);
    expectBoundsChecked(COMMIT_V2, (r) => decodeOffsetCommitRequest(r, 3), 25); // the partition count
    expectBoundsChecked(COMMIT_RESPONSE_V3, (r) => decodeOffsetCommitResponse(r, 3), 4);
  });

  it('OffsetCommit: kafkajs v2-v3 requests decode and re-encode; kafkajs reads our v2-v3 responses', async () => {
    for (const v of [2, 3]) {
      const body = await kafkajsRequestBody('offsetCommit', v, {
        groupId: 'grp',
        groupGenerationId: 2,
        memberId: 'member-1',
        retentionTime: -1,
        topics: [{ topic: 'a', partitions: [{ partition: 0, offset: '12', metadata: 'x' }, { partition: 1, offset: '7' }] }],
      });
      const req = decode(body, (r) => decodeOffsetCommitRequest(r, v));
      expect(req).toEqual({
        groupId: 'grp',
        generationId: 2,
        memberId: 'member-1',
        retentionTimeMs: -1,
        topics: [{ topic: 'a', partitions: [{ partition: 0, offset: 12, timestamp: -1, metadata: 'x' }, { partition: 1, offset: 7, timestamp: -1, metadata: null }] }],
      });
      expect(encode((w) => encodeOffsetCommitRequest(w, v, req))).toEqual(body);
      const res = { throttleTimeMs: 4, topics: [{ topic: 'a', partitions: [{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: 27 }] }] };
      const got = await kafkajsDecodeResponse('offsetCommit', v, encode((w) => encodeOffsetCommitResponse(w, v, res)));
      expect(got).toEqual({
        ...(v >= 3 ? { throttleTime: 4 } : {}),
        responses: [{ topic: 'a', partitions: [{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: 27 }] }],
      });
    }
  });

  const FETCH_ALL = hex('0001 67 ffffffff'); // group "g", topics null: every topic (v2+)
  const FETCH_RESPONSE_V2 = Buffer.concat([FETCH_RESPONSE, hex('0000')]); // top-level error_code after the topics
  const FETCH_RESPONSE_V3 = Buffer.concat([hex('00000000'), FETCH_RESPONSE, hex('0000')]); // throttle_time_ms first
  const FETCH_ERROR_V3 = hex('00000000 00000000 0010'); // no topics, error 16 NOT_COORDINATOR
  const fetchRes: OffsetFetchResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
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

  it('OffsetFetch v2-v3: null topics ask for all; the response gains error_code (v2+) and throttle_time_ms (v3)', () => {
    const req = { groupId: 'g', topics: [{ topic: 't', partitions: [0, 1] }], allTopics: false };
    const all = { groupId: 'g', topics: [], allTopics: true };
    for (const v of [2, 3]) {
      expect(encode((w) => encodeOffsetFetchRequest(w, v, req))).toEqual(FETCH_REQUEST);
      expect(decode(FETCH_REQUEST, (r) => decodeOffsetFetchRequest(r, v))).toEqual(req);
      expect(encode((w) => encodeOffsetFetchRequest(w, v, all))).toEqual(FETCH_ALL);
      expect(decode(FETCH_ALL, (r) => decodeOffsetFetchRequest(r, v))).toEqual(all);
    }
    // v0-1 cannot ask for all topics; a null array there reads as empty, as before
    expect(() => encode((w) => encodeOffsetFetchRequest(w, 1, all))).toThrow(KafkaError);
    expect(decode(FETCH_ALL, (r) => decodeOffsetFetchRequest(r, 1))).toEqual({ groupId: 'g', topics: [], allTopics: false });

    expect(encode((w) => encodeOffsetFetchResponse(w, 2, fetchRes))).toEqual(FETCH_RESPONSE_V2);
    expect(decode(FETCH_RESPONSE_V2, (r) => decodeOffsetFetchResponse(r, 2))).toEqual(fetchRes);
    expect(encode((w) => encodeOffsetFetchResponse(w, 3, fetchRes))).toEqual(FETCH_RESPONSE_V3);
    expect(decode(FETCH_RESPONSE_V3, (r) => decodeOffsetFetchResponse(r, 3))).toEqual(fetchRes);
    const err = { throttleTimeMs: 0, topics: [], errorCode: 16 };
    expect(encode((w) => encodeOffsetFetchResponse(w, 3, err))).toEqual(FETCH_ERROR_V3);
    expect(decode(FETCH_ERROR_V3, (r) => decodeOffsetFetchResponse(r, 3))).toEqual(err);
    // the old handlers' answers (no errorCode, no throttle) encode with 0s
    expect(encode((w) => encodeOffsetFetchResponse(w, 3, { topics: [] }))).toEqual(hex('00000000 00000000 0000'));
  });

  it('OffsetFetch v2-v3 bounds', () => {
    expectEveryTruncationThrows(FETCH_ALL, (r) => decodeOffsetFetchRequest(r, 2));
    expectHostileInt32sAreSafe(FETCH_ALL, (r) => decodeOffsetFetchRequest(r, 2));
    expectBoundsChecked(FETCH_REQUEST, (r) => decodeOffsetFetchRequest(r, 3), 3);
    expectBoundsChecked(FETCH_RESPONSE_V2, (r) => decodeOffsetFetchResponse(r, 2), 0);
    expectBoundsChecked(FETCH_RESPONSE_V3, (r) => decodeOffsetFetchResponse(r, 3), 4);
  });

  it('OffsetFetch: kafkajs v2-v3 requests decode (v3 writes an empty list as null); kafkajs reads our v2-v3 responses', async () => {
    const topics = [{ topic: 'a', partitions: [{ partition: 0 }, { partition: 5 }] }];
    for (const v of [2, 3]) {
      const body = await kafkajsRequestBody('offsetFetch', v, { groupId: 'grp', topics });
      const req = decode(body, (r) => decodeOffsetFetchRequest(r, v));
      expect(req).toEqual({ groupId: 'grp', topics: [{ topic: 'a', partitions: [0, 5] }], allTopics: false });
      expect(encode((w) => encodeOffsetFetchRequest(w, v, req))).toEqual(body);
      const got = await kafkajsDecodeResponse('offsetFetch', v, encode((w) => encodeOffsetFetchResponse(w, v, { ...fetchRes, throttleTimeMs: 6, errorCode: 15 })));
      expect(got).toEqual({
        ...(v >= 3 ? { throttleTime: 6 } : {}),
        responses: [
          {
            topic: 't',
            partitions: [
              { partition: 0, offset: '42', metadata: 'md', errorCode: 0 },
              { partition: 1, offset: '-1', metadata: null, errorCode: 3 },
            ],
          },
        ],
        errorCode: 15,
      });
    }
    const all = await kafkajsRequestBody('offsetFetch', 3, { groupId: 'grp', topics: [] });
    expect(decode(all, (r) => decodeOffsetFetchRequest(r, 3))).toEqual({ groupId: 'grp', topics: [], allTopics: true });
    expect(encode((w) => encodeOffsetFetchRequest(w, 3, { groupId: 'grp', topics: [], allTopics: true }))).toEqual(all);
  });

  const COORD_REQUEST_V1 = hex('0003 677270 00'); // key "grp", key_type 0 (group)
  const COORD_RESPONSE_V1 = hex(`
    00000000                  # throttle_time_ms 0
    0000                      # error_code 0
    ffff                      # error_message null
    00000002 0004 686f7374 00002384   # node 2, "host", 9092
  `);
  const COORD_ERROR_V1 = hex(`
    00000000 000f             # error_code 15 COORDINATOR_NOT_AVAILABLE
    0004 6e6f6e65             # error_message "none"
    ffffffff 0000 ffffffff    # node -1, host "", port -1
  `);

  it('FindCoordinator v1: key + key_type; the response gains throttle_time_ms and error_message', () => {
    expect(encode((w) => encodeFindCoordinatorRequest(w, 1, { groupId: 'grp' }))).toEqual(COORD_REQUEST_V1);
    expect(decode(COORD_REQUEST_V1, (r) => decodeFindCoordinatorRequest(r, 1))).toEqual({ groupId: 'grp', keyType: 0 });
    const txn = hex('0003 677270 01');
    expect(encode((w) => encodeFindCoordinatorRequest(w, 1, { groupId: 'grp', keyType: 1 }))).toEqual(txn);
    expect(decode(txn, (r) => decodeFindCoordinatorRequest(r, 1))).toEqual({ groupId: 'grp', keyType: 1 });
    expect(() => encode((w) => encodeFindCoordinatorRequest(w, 0, { groupId: 'grp', keyType: 1 }))).toThrow(KafkaError);

    const res = { errorCode: 0, nodeId: 2, host: 'host', port: 9092 }; // what the v0 handler answers
    expect(encode((w) => encodeFindCoordinatorResponse(w, 1, res))).toEqual(COORD_RESPONSE_V1);
    expect(decode(COORD_RESPONSE_V1, (r) => decodeFindCoordinatorResponse(r, 1))).toEqual({ ...res, throttleTimeMs: 0, errorMessage: null });
    const err = { throttleTimeMs: 0, errorCode: 15, errorMessage: 'none', nodeId: -1, host: '', port: -1 };
    expect(encode((w) => encodeFindCoordinatorResponse(w, 1, err))).toEqual(COORD_ERROR_V1);
    expect(decode(COORD_ERROR_V1, (r) => decodeFindCoordinatorResponse(r, 1))).toEqual(err);
  });

  it('FindCoordinator v1 bounds', () => {
    expectEveryTruncationThrows(COORD_REQUEST_V1, (r) => decodeFindCoordinatorRequest(r, 1));
    expectEveryTruncationThrows(COORD_RESPONSE_V1, (r) => decodeFindCoordinatorResponse(r, 1));
    expectHostileInt32sAreSafe(COORD_RESPONSE_V1, (r) => decodeFindCoordinatorResponse(r, 1));
    expectHostileInt32sAreSafe(COORD_ERROR_V1, (r) => decodeFindCoordinatorResponse(r, 1));
  });

  it('FindCoordinator: kafkajs v1 request decodes and re-encodes; kafkajs reads our v1 response', async () => {
    const body = await kafkajsRequestBody('findCoordinator', 1, { coordinatorKey: 'my-group', coordinatorType: 0 });
    const req = decode(body, (r) => decodeFindCoordinatorRequest(r, 1));
    expect(req).toEqual({ groupId: 'my-group', keyType: 0 });
    expect(encode((w) => encodeFindCoordinatorRequest(w, 1, req))).toEqual(body);
    const res = { throttleTimeMs: 3, errorCode: 0, errorMessage: null, nodeId: 3, host: 'broker-3', port: 9094 };
    const got = await kafkajsDecodeResponse('findCoordinator', 1, encode((w) => encodeFindCoordinatorResponse(w, 1, res)));
    expect(got).toEqual({ throttleTime: 3, errorCode: 0, errorMessage: null, coordinator: { nodeId: 3, host: 'broker-3', port: 9094 } });
  });
});
