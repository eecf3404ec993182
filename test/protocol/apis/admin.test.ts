/** ApiVersions v0-2 (with the UNSUPPORTED_VERSION fallback), CreateTopics v0, DeleteTopics v0. */
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../../src/common/errors.js';
import { ApiKey, SUPPORTED_API_VERSIONS, isSupportedVersion, supportedRange } from '../../../src/protocol/api-keys.js';
import {
  apiVersionsResponse,
  decodeApiVersionsRequest,
  decodeApiVersionsResponse,
  encodeApiVersionsRequest,
  encodeApiVersionsResponse,
  unsupportedApiVersionsResponse,
} from '../../../src/protocol/apis/api-versions.js';
import {
  decodeCreateTopicsRequest,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
  type CreateTopicsRequest,
} from '../../../src/protocol/apis/create-topics.js';
import {
  decodeDeleteTopicsRequest,
  decodeDeleteTopicsResponse,
  encodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
} from '../../../src/protocol/apis/delete-topics.js';
import { API_CODECS, codecFor } from '../../../src/protocol/apis/index.js';
import { decodeRequestHeader, frameResponse } from '../../../src/protocol/header.js';
import { Reader } from '../../../src/protocol/reader.js';
import {
  decode,
  encode,
  expectBoundsChecked,
  hex,
  kafkajsDecodeResponse,
  kafkajsParseResponse,
  kafkajsRequestBody,
} from './helpers.js';

describe('api keys and the advertised versions', () => {
  it('lists the ranges the brief and the clients need', () => {
    const table = Object.fromEntries(SUPPORTED_API_VERSIONS.map((r) => [r.apiKey, [r.minVersion, r.maxVersion]]));
    expect(table).toEqual({
      0: [0, 5],
      1: [0, 6],
      2: [0, 2],
      3: [0, 5],
      4: [0, 0],
      5: [0, 0],
      6: [0, 0],
      7: [0, 0],
      8: [0, 3],
      9: [0, 3],
      10: [0, 1],
      11: [0, 2],
      12: [0, 1],
      13: [0, 1],
      14: [0, 1],
      15: [0, 1],
      16: [0, 1],
      18: [0, 2],
      19: [0, 0],
      20: [0, 0],
      22: [0, 0],
      23: [0, 1],
      42: [0, 1],
    });
    expect(isSupportedVersion(ApiKey.Fetch, 6)).toBe(true);
    expect(isSupportedVersion(ApiKey.Fetch, 7)).toBe(false);
    expect(isSupportedVersion(ApiKey.SaslHandshake, 0)).toBe(false);
    expect(supportedRange(99)).toBeUndefined();
  });

  it('every advertised range has a codec covering it, and every codec is advertised', () => {
    for (const range of SUPPORTED_API_VERSIONS) {
      const c = codecFor(range.apiKey);
      expect(c, `codec for ${range.apiKey}`).toBeDefined();
      // codecs may run ahead of the broker (OffsetCommit/OffsetFetch v0-3, FindCoordinator v0-1)
      expect(c!.minVersion, `min of ${range.apiKey}`).toBeLessThanOrEqual(range.minVersion);
      expect(c!.maxVersion, `max of ${range.apiKey}`).toBeGreaterThanOrEqual(range.maxVersion);
    }
    const unadvertised = Object.keys(API_CODECS).map(Number).filter((k) => supportedRange(k) === undefined);
    expect(unadvertised).toEqual([]);
    expect(codecFor(ApiKey.SaslHandshake)).toBeUndefined();
    expect(codecFor(ApiKey.Produce)!.name).toBe('Produce');
  });
});

describe('ApiVersions codec', () => {
  const RES = { errorCode: 0, apiVersions: [{ apiKey: 0, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 };
  const V0 = hex('0000 00000001 0000 0000 0003');
  const V1 = hex('0000 00000001 0000 0000 0003 00000000');

  it('v0 body: error + ranges; v1-v2 add throttle_time_ms at the end; requests are empty', () => {
    expect(encode((w) => encodeApiVersionsResponse(w, 0, RES))).toEqual(V0);
    expect(encode((w) => encodeApiVersionsResponse(w, 1, RES))).toEqual(V1);
    expect(encode((w) => encodeApiVersionsResponse(w, 2, RES))).toEqual(V1);
    expect(decode(V0, (r) => decodeApiVersionsResponse(r, 0))).toEqual(RES);
    expect(decode(V1, (r) => decodeApiVersionsResponse(r, 2))).toEqual(RES);
    for (const v of [0, 1, 2]) expect(encode((w) => encodeApiVersionsRequest(w, v, {})).length).toBe(0);
    expect(() => encode((w) => encodeApiVersionsRequest(w, 3, {}))).toThrow(KafkaError);
  });

  it('answers an unknown version (v3, flexible header) with error 35 in a v0 body', () => {
    // ApiVersions v3 request, header v2: key 18, version 3, correlation 7, client "c", tagged fields,
    // then a compact body (client_software_name "k", version "1", tagged fields) we never read
    const frame = hex('0012 0003 00000007 0001 63 00 026b 0231 00');
    const h = decodeRequestHeader(frame);
    expect(h).toMatchObject({ apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'c', bodyOffset: 11 });
    expect(decodeApiVersionsRequest(new Reader(frame, h.bodyOffset), 3)).toEqual({});
    const body = encode((w) => encodeApiVersionsResponse(w, 3, unsupportedApiVersionsResponse()));
    expect(body.subarray(0, 6).toString('hex')).toBe('0023' + SUPPORTED_API_VERSIONS.length.toString(16).padStart(8, '0'));
    expect(body.length).toBe(6 + 6 * SUPPORTED_API_VERSIONS.length); // no throttle_time_ms
    expect(encode((w) => encodeApiVersionsResponse(w, 2, unsupportedApiVersionsResponse()))).toEqual(body);
    const back = decode(body, (r) => decodeApiVersionsResponse(r, 3));
    expect(back.errorCode).toBe(35);
    expect(back.apiVersions).toContainEqual({ apiKey: 18, minVersion: 0, maxVersion: 2 });
  });

  it('bounds', () => {
    expectBoundsChecked(V1, (r) => decodeApiVersionsResponse(r, 1), 2);
  });

  it('kafkajs reads our v0-v2 answer and fails over on our error-35 answer, as its negotiation expects', async () => {
    for (const v of [0, 1, 2]) {
      expect((await kafkajsRequestBody('apiVersions', v, {})).length).toBe(0);
      const got = await kafkajsParseResponse('apiVersions', v, encode((w) => encodeApiVersionsResponse(w, v, apiVersionsResponse())));
      expect(got.errorCode).toBe(0);
      expect(got.apiVersions).toEqual(SUPPORTED_API_VERSIONS.map((r) => ({ ...r })));
    }
    const unsupported = encode((w) => encodeApiVersionsResponse(w, 2, unsupportedApiVersionsResponse()));
    await expect(kafkajsDecodeResponse('apiVersions', 2, unsupported)).rejects.toMatchObject({ type: 'UNSUPPORTED_VERSION' });
  });
});

describe('CreateTopics codec', () => {
  const REQ: CreateTopicsRequest = {
    topics: [
      { topic: 't', numPartitions: 2, replicationFactor: 1, replicaAssignment: [], configs: [{ name: 'k', value: 'v' }] },
      { topic: 'u', numPartitions: -1, replicationFactor: -1, replicaAssignment: [{ partition: 0, replicas: [1, 2] }], configs: [] },
    ],
    timeoutMs: 5000,
  };
  const REQ_BYTES = hex(`
    00000002
    0001 74 00000002 0001 00000000 00000001 0001 6b 0001 76     # "t", 2 partitions, rf 1, no assignment, k=v
    0001 75 ffffffff ffff                                       # "u", -1, -1
      00000001 00000000 00000002 00000001 00000002              #   assignment: partition 0 -> [1, 2]
      00000000                                                  #   no configs
    00001388                                                    # timeout 5000
  `);
  const RES_BYTES = hex('00000002 0001 74 0000 0001 75 0024');

  it('v0 bytes', () => {
    expect(encode((w) => encodeCreateTopicsRequest(w, 0, REQ))).toEqual(REQ_BYTES);
    expect(decode(REQ_BYTES, (r) => decodeCreateTopicsRequest(r, 0))).toEqual(REQ);
    const res = { topics: [{ topic: 't', errorCode: 0 }, { topic: 'u', errorCode: 36 }] };
    expect(encode((w) => encodeCreateTopicsResponse(w, 0, res))).toEqual(RES_BYTES);
    expect(decode(RES_BYTES, (r) => decodeCreateTopicsResponse(r, 0))).toEqual(res);
  });

  it('bounds', () => {
    expectBoundsChecked(REQ_BYTES, (r) => decodeCreateTopicsRequest(r, 0), 0);
    expectBoundsChecked(REQ_BYTES, (r) => decodeCreateTopicsRequest(r, 0), 13);
    expectBoundsChecked(RES_BYTES, (r) => decodeCreateTopicsResponse(r, 0), 0);
  });

  it('kafkajs: its request decodes and re-encodes; it reads our response', async () => {
    const body = await kafkajsRequestBody('createTopics', 0, {
      topics: [
        { topic: 'a', numPartitions: 3, replicationFactor: 2, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] },
        { topic: 'b', replicaAssignment: [{ partition: 0, replicas: [0] }, { partition: 1, replicas: [1] }] },
      ],
      timeout: 1000,
    });
    const req = decode(body, (r) => decodeCreateTopicsRequest(r, 0));
    expect(req).toEqual({
      topics: [
        { topic: 'a', numPartitions: 3, replicationFactor: 2, replicaAssignment: [], configs: [{ name: 'cleanup.policy', value: 'delete' }] },
        {
          topic: 'b',
          numPartitions: -1,
          replicationFactor: -1,
          replicaAssignment: [{ partition: 0, replicas: [0] }, { partition: 1, replicas: [1] }],
          configs: [],
        },
      ],
      timeoutMs: 1000,
    });
    expect(encode((w) => encodeCreateTopicsRequest(w, 0, req))).toEqual(body);
    const got = await kafkajsDecodeResponse('createTopics', 0, encode((w) => encodeCreateTopicsResponse(w, 0, { topics: [{ topic: 'b', errorCode: 36 }, { topic: 'a', errorCode: 0 }] })));
    expect(got.topicErrors).toEqual([
      { topic: 'a', errorCode: 0 },
      { topic: 'b', errorCode: 36 },
    ]);
  });
});

describe('DeleteTopics codec', () => {
  const REQ_BYTES = hex('00000002 0001 61 0001 62 00001388');
  const RES_BYTES = hex('00000001 0001 61 0003');

  it('v0 bytes, bounds and kafkajs', async () => {
    const req = { topics: ['a', 'b'], timeoutMs: 5000 };
    expect(encode((w) => encodeDeleteTopicsRequest(w, 0, req))).toEqual(REQ_BYTES);
    expect(decode(REQ_BYTES, (r) => decodeDeleteTopicsRequest(r, 0))).toEqual(req);
    const res = { topics: [{ topic: 'a', errorCode: 3 }] };
    expect(encode((w) => encodeDeleteTopicsResponse(w, 0, res))).toEqual(RES_BYTES);
    expect(decode(RES_BYTES, (r) => decodeDeleteTopicsResponse(r, 0))).toEqual(res);
    expectBoundsChecked(REQ_BYTES, (r) => decodeDeleteTopicsRequest(r, 0), 0);
    expectBoundsChecked(RES_BYTES, (r) => decodeDeleteTopicsResponse(r, 0), 0);

    const body = await kafkajsRequestBody('deleteTopics', 0, { topics: ['x', 'y'], timeout: 100 });
    expect(decode(body, (r) => decodeDeleteTopicsRequest(r, 0))).toEqual({ topics: ['x', 'y'], timeoutMs: 100 });
    const got = await kafkajsDecodeResponse('deleteTopics', 0, encode((w) => encodeDeleteTopicsResponse(w, 0, res)));
    expect(got.topicErrors).toEqual([{ topic: 'a', errorCode: 3 }]);
  });
});

describe('headers and frames', () => {
  it('request header v1 and response header bytes', async () => {
    const { encodeRequestHeader, frameRequest } = await import('../../../src/protocol/header.js');
    const bytes = encode((w) => encodeRequestHeader(w, { apiKey: 3, apiVersion: 1, correlationId: 258, clientId: 'cli' }));
    expect(bytes).toEqual(hex('0003 0001 00000102 0003 636c69'));
    expect(decodeRequestHeader(bytes)).toEqual({ apiKey: 3, apiVersion: 1, correlationId: 258, clientId: 'cli', bodyOffset: 13 });
    const nullClient = hex('0012 0000 00000001 ffff');
    expect(decodeRequestHeader(nullClient).clientId).toBeNull();
    for (let len = 0; len < bytes.length; len++) {
      expect(() => decodeRequestHeader(bytes.subarray(0, len))).toThrow(expect.objectContaining({ code: 2 }));
    }
    const frame = frameRequest({ apiKey: 20, apiVersion: 0, correlationId: 1, clientId: null }, (w) =>
      encodeDeleteTopicsRequest(w, 0, { topics: [], timeoutMs: 0 }),
    );
    expect(frame).toEqual(hex('00000012 0014 0000 00000001 ffff 00000000 00000000'));
    expect(frameResponse(7, (w) => w.int16(0))).toEqual(hex('00000006 00000007 0000'));
  });

  it('matches the frames kafkajs writes', async () => {
    const { createRequire } = await import('node:module');
    const req = createRequire(import.meta.url);
    const encodeRequest = req('kafkajs/src/protocol/request');
    const metadata = req('kafkajs/src/protocol/requests/metadata/v1/request');
    const frame: Buffer = (await encodeRequest({ correlationId: 42, clientId: 'kafkajs', request: metadata({ topics: ['t'] }) })).buffer;
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const h = decodeRequestHeader(frame, 4);
    expect(h).toEqual({ apiKey: 3, apiVersion: 1, correlationId: 42, clientId: 'kafkajs', bodyOffset: 4 + 17 });
    expect(codecFor(h.apiKey)!.decodeRequest(new Reader(frame, h.bodyOffset), h.apiVersion)).toEqual({ topics: ['t'], allowAutoTopicCreation: true });
  });
});
