import { describe, expect, it } from 'vitest';
import {
  decodeListOffsetsRequest,
  decodeListOffsetsResponse,
  encodeListOffsetsRequest,
  encodeListOffsetsResponse,
  type ListOffsetsResponse,
} from '../../../src/protocol/apis/list-offsets.js';
import { decodeRequestHeader, frameResponse } from '../../../src/protocol/header.js';
import { Reader } from '../../../src/protocol/reader.js';
import { decode, encode, expectBoundsChecked, hex, kafkajsDecodeResponse, kafkajsRequestBody, require } from './helpers.js';

const V0_REQUEST = hex(`
  ffffffff                  # replica_id -1
  00000001 0001 74          # 1 topic "t"
  00000001 00000000         #   1 partition: 0
  fffffffffffffffe          #     timestamp -2 (earliest)
  00000001                  #     max_num_offsets 1
`);
const V1_REQUEST = V0_REQUEST.subarray(0, V0_REQUEST.length - 4);
const V2_REQUEST = Buffer.concat([hex('ffffffff 01'), V1_REQUEST.subarray(4)]); // + isolation_level read_committed
const V0_RESPONSE = hex(`
  00000001 0001 74          # 1 topic "t"
  00000001 00000000 0000    #   partition 0, error 0
  00000002 0000000000000009 0000000000000000   # offsets [9, 0]
`);
const V1_RESPONSE = hex(`
  00000001 0001 74
  00000001 00000000 0000
  ffffffffffffffff          # timestamp -1
  0000000000000009          # offset 9
`);
const V2_RESPONSE = Buffer.concat([hex('0000000b'), V1_RESPONSE]); // throttle_time_ms 11 first

describe('ListOffsets codec', () => {
  it('v0 request has max_num_offsets, v1 does not', () => {
    const v0 = { replicaId: -1, topics: [{ topic: 't', partitions: [{ partition: 0, timestamp: -2, maxNumOffsets: 1 }] }] };
    const decoded = { ...v0, isolationLevel: 0 };
    expect(encode((w) => encodeListOffsetsRequest(w, 0, v0))).toEqual(V0_REQUEST);
    expect(decode(V0_REQUEST, (r) => decodeListOffsetsRequest(r, 0))).toEqual(decoded);
    expect(encode((w) => encodeListOffsetsRequest(w, 1, v0))).toEqual(V1_REQUEST);
    expect(decode(V1_REQUEST, (r) => decodeListOffsetsRequest(r, 1))).toEqual(decoded);
  });

  it('v2 request adds isolation_level after replica_id (absent encodes as read_uncommitted)', () => {
    const v2 = { replicaId: -1, isolationLevel: 1, topics: [{ topic: 't', partitions: [{ partition: 0, timestamp: -2, maxNumOffsets: 1 }] }] };
    expect(encode((w) => encodeListOffsetsRequest(w, 2, v2))).toEqual(V2_REQUEST);
    expect(decode(V2_REQUEST, (r) => decodeListOffsetsRequest(r, 2))).toEqual(v2);
    const { isolationLevel: _, ...bare } = v2;
    expect(encode((w) => encodeListOffsetsRequest(w, 2, bare))[4]).toBe(0);
  });

  it('v0 response carries an offsets array, v1 a timestamp and one offset', () => {
    const v0: ListOffsetsResponse = { topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, offsets: [9, 0] }] }] };
    expect(encode((w) => encodeListOffsetsResponse(w, 0, v0))).toEqual(V0_RESPONSE);
    expect(decode(V0_RESPONSE, (r) => decodeListOffsetsResponse(r, 0))).toEqual({ ...v0, throttleTimeMs: 0 });
    const v1: ListOffsetsResponse = { topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, timestamp: -1, offset: 9 }] }] };
    expect(encode((w) => encodeListOffsetsResponse(w, 1, v1))).toEqual(V1_RESPONSE);
    expect(decode(V1_RESPONSE, (r) => decodeListOffsetsResponse(r, 1))).toEqual({ ...v1, throttleTimeMs: 0 });
    // each version falls back on the other's field
    expect(encode((w) => encodeListOffsetsResponse(w, 1, v0))).toEqual(V1_RESPONSE);
    const single = encode((w) => encodeListOffsetsResponse(w, 0, v1));
    expect(decodeListOffsetsResponse(new Reader(single), 0).topics[0]!.partitions[0]!.offsets).toEqual([9]);
  });

  it('v2 response puts throttle_time_ms first, then v1\'s layout', () => {
    const v2: ListOffsetsResponse = { throttleTimeMs: 11, topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, timestamp: -1, offset: 9 }] }] };
    expect(encode((w) => encodeListOffsetsResponse(w, 2, v2))).toEqual(V2_RESPONSE);
    expect(decode(V2_RESPONSE, (r) => decodeListOffsetsResponse(r, 2))).toEqual(v2);
    expect(encode((w) => encodeListOffsetsResponse(w, 2, { topics: v2.topics })).subarray(0, 4).toString('hex')).toBe('00000000');
  });

  it('bounds', () => {
    expectBoundsChecked(V0_REQUEST, (r) => decodeListOffsetsRequest(r, 0), 4);
    expectBoundsChecked(V1_REQUEST, (r) => decodeListOffsetsRequest(r, 1), 11);
    expectBoundsChecked(V0_RESPONSE, (r) => decodeListOffsetsResponse(r, 0), 17);
    expectBoundsChecked(V1_RESPONSE, (r) => decodeListOffsetsResponse(r, 1), 0);
    expectBoundsChecked(V2_REQUEST, (r) => decodeListOffsetsRequest(r, 2), 5);
    expectBoundsChecked(V2_RESPONSE, (r) => decodeListOffsetsResponse(r, 2), 4);
  });

  it('kafkajs: decodes its v0-v2 requests, reads our responses', async () => {
    const args = {
      replicaId: -1,
      topics: [
        { topic: 'a', partitions: [{ partition: 0, timestamp: -1 }, { partition: 1, timestamp: 1_600_000_000_000 }] },
        { topic: 'b', partitions: [{ partition: 4 }] },
      ],
    };
    for (const v of [0, 1, 2]) {
      const body = await kafkajsRequestBody('listOffsets', v, { ...args, isolationLevel: 1 });
      const req = decode(body, (r) => decodeListOffsetsRequest(r, v));
      expect(req.topics[0]!.partitions).toEqual([
        { partition: 0, timestamp: -1, maxNumOffsets: 1 },
        { partition: 1, timestamp: 1_600_000_000_000, maxNumOffsets: 1 },
      ]);
      expect(req.topics[1]!.partitions[0]!.timestamp).toBe(-1);
      expect(req.isolationLevel).toBe(v >= 2 ? 1 : 0);
      expect(encode((w) => encodeListOffsetsRequest(w, v, req))).toEqual(body);

      const res: ListOffsetsResponse = {
        throttleTimeMs: 5,
        topics: [{ topic: 'a', partitions: [{ partition: 0, errorCode: 0, offsets: [77, 0], timestamp: -1, offset: 77 }] }],
      };
      const got = await kafkajsDecodeResponse('listOffsets', v, encode((w) => encodeListOffsetsResponse(w, v, res)));
      const p = got.responses[0].partitions[0];
      expect(got.responses[0].topic).toBe('a');
      if (v === 0) expect(p.offsets).toEqual(['77', '0']);
      else expect([p.timestamp, p.offset]).toEqual(['-1', '77']);
      if (v >= 2) expect(got.throttleTime).toBe(5);
    }
  });

  it('kafka-node: decodes its v0 Offset request, reads our v0 response', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeOffsetRequest('kn', 5, [
      { topic: 'a', partition: 0, time: -1, maxNum: 1 },
      { topic: 'a', partition: 1, time: -2, maxNum: 1 },
    ]);
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 2, apiVersion: 0, correlationId: 5, clientId: 'kn' });
    const req = decodeListOffsetsRequest(new Reader(frame, h.bodyOffset), 0);
    expect(req.topics).toEqual([
      { topic: 'a', partitions: [{ partition: 0, timestamp: -1, maxNumOffsets: 1 }, { partition: 1, timestamp: -2, maxNumOffsets: 1 }] },
    ]);
    const res: ListOffsetsResponse = { topics: [{ topic: 'a', partitions: [{ partition: 0, errorCode: 0, offsets: [12] }, { partition: 1, errorCode: 0, offsets: [3] }] }] };
    const out = protocol.decodeOffsetResponse(frameResponse(5, (w) => encodeListOffsetsResponse(w, 0, res)));
    expect(out).toEqual({ a: { 0: [12], 1: [3] } });
  });
});
