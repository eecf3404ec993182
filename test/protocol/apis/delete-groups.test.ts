/**
 * DeleteGroups (42) v0-v1: hex fixtures, the bounds checks, and kafkajs (v0 and v1, what its
 * admin.deleteGroups sends) on the other side of the wire.
 */
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../../src/common/errors.js';
import { ApiKey, supportedRange } from '../../../src/protocol/api-keys.js';
import {
  decodeDeleteGroupsRequest,
  decodeDeleteGroupsResponse,
  encodeDeleteGroupsRequest,
  encodeDeleteGroupsResponse,
  type DeleteGroupsResponse,
} from '../../../src/protocol/apis/delete-groups.js';
import { codecFor } from '../../../src/protocol/apis/index.js';
import { Reader } from '../../../src/protocol/reader.js';
import { decode, encode, expectBoundsChecked, hex, kafkajsDecodeResponse, kafkajsRequestBody } from './helpers.js';

const REQUEST = hex(`
  00000002                  # 2 groups
  0002 6731                 #   "g1"
  0003 677232               #   "gr2"
`);
const RESPONSE = hex(`
  00000064                  # throttle_time_ms 100
  00000003                  # 3 results
  0002 6731 0000            #   "g1" NONE
  0003 677232 0044          #   "gr2" NON_EMPTY_GROUP (68)
  0001 78 0010              #   "x" NOT_COORDINATOR (16)
`);
const res: DeleteGroupsResponse = {
  throttleTimeMs: 100,
  results: [
    { groupId: 'g1', errorCode: 0 },
    { groupId: 'gr2', errorCode: 68 },
    { groupId: 'x', errorCode: 16 },
  ],
};

describe('DeleteGroups codec', () => {
  it('is api key 42, versions 0-1, advertised', () => {
    expect(ApiKey.DeleteGroups).toBe(42);
    const c = codecFor(42)!;
    expect([c.name, c.minVersion, c.maxVersion]).toEqual(['DeleteGroups', 0, 1]);
    expect(supportedRange(42)).toEqual({ apiKey: 42, minVersion: 0, maxVersion: 1 });
  });

  it('request and response, the same bytes in v0 and v1', () => {
    for (const v of [0, 1]) {
      expect(encode((w) => encodeDeleteGroupsRequest(w, v, { groups: ['g1', 'gr2'] }))).toEqual(REQUEST);
      expect(decode(REQUEST, (r) => decodeDeleteGroupsRequest(r, v))).toEqual({ groups: ['g1', 'gr2'] });
      expect(encode((w) => encodeDeleteGroupsResponse(w, v, res))).toEqual(RESPONSE);
      expect(decode(RESPONSE, (r) => decodeDeleteGroupsResponse(r, v))).toEqual(res);
    }
    expect(encode((w) => encodeDeleteGroupsRequest(w, 0, { groups: [] }))).toEqual(hex('00000000'));
    expect(encode((w) => encodeDeleteGroupsResponse(w, 1, { throttleTimeMs: 0, results: [] }))).toEqual(hex('00000000 00000000'));
  });

  it('refuses versions out of range, a null group name, and checks bounds', () => {
    expect(() => encode((w) => encodeDeleteGroupsRequest(w, 2, { groups: [] }))).toThrow(KafkaError);
    expect(() => decodeDeleteGroupsResponse(new Reader(RESPONSE), 2)).toThrow(/DeleteGroups v2 is not supported \(v0-v1\)/);
    expect(() => decodeDeleteGroupsRequest(new Reader(hex('00000001 ffff')), 0)).toThrow();
    expectBoundsChecked(REQUEST, (r) => decodeDeleteGroupsRequest(r, 0), 0);
    expectBoundsChecked(RESPONSE, (r) => decodeDeleteGroupsResponse(r, 1), 4);
  });

  it('kafkajs v0 and v1 requests are our bytes; kafkajs reads our responses', async () => {
    for (const v of [0, 1]) {
      const body = await kafkajsRequestBody('deleteGroups', v, ['g1', 'gr2']);
      expect(body).toEqual(REQUEST);
      const got = await kafkajsDecodeResponse('deleteGroups', v, encode((w) => encodeDeleteGroupsResponse(w, v, res)));
      expect(got.throttleTimeMs).toBe(100);
      expect(got.results.map((r: any) => [r.groupId, r.errorCode, r.error?.type])).toEqual([
        ['g1', 0, undefined],
        ['gr2', 68, 'NON_EMPTY_GROUP'],
        ['x', 16, 'NOT_COORDINATOR_FOR_GROUP'],
      ]);
    }
  });
});
