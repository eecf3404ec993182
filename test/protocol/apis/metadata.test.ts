import { describe, expect, it } from 'vitest';
import {
  decodeMetadataRequest,
  decodeMetadataResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  type MetadataResponse,
} from '../../../src/protocol/apis/metadata.js';
import { decodeRequestHeader, frameResponse } from '../../../src/protocol/header.js';
import { Reader } from '../../../src/protocol/reader.js';
import { decode, encode, expectBoundsChecked, hex, kafkajsDecodeResponse, kafkajsRequestBody, require } from './helpers.js';

const REQUEST = hex('00000002 0001 61 0002 6262'); // ["a", "bb"]

const RESPONSE: MetadataResponse = {
  brokers: [{ nodeId: 1, host: 'h', port: 9092, rack: null }],
  controllerId: 1,
  topics: [
    {
      errorCode: 0,
      topic: 'a',
      isInternal: false,
      partitions: [{ errorCode: 0, partition: 0, leader: 1, replicas: [1, 2], isr: [1] }],
    },
  ],
};
const PARTITIONS = hex(`
  00000001                        # 1 partition
  0000 00000000 00000001          #   error 0, partition 0, leader 1
  00000002 00000001 00000002      #   replicas [1, 2]
  00000001 00000001               #   isr [1]
`);
const V0_RESPONSE = Buffer.concat([
  hex('00000001 00000001 0001 68 00002384'), // brokers: [1 "h" 9092]
  hex('00000001 0000 0001 61'), // 1 topic: error 0, "a"
  PARTITIONS,
]);
const V1_RESPONSE = Buffer.concat([
  hex('00000001 00000001 0001 68 00002384 ffff'), // + rack null
  hex('00000001'), // controller_id 1
  hex('00000001 0000 0001 61 00'), // + is_internal false
  PARTITIONS,
]);

describe('Metadata codec', () => {
  it('requests: null means all topics; v0 writes it as an empty array, v1 as -1', () => {
    for (const v of [0, 1]) {
      expect(encode((w) => encodeMetadataRequest(w, v, { topics: ['a', 'bb'] }))).toEqual(REQUEST);
      expect(decode(REQUEST, (r) => decodeMetadataRequest(r, v))).toEqual({ topics: ['a', 'bb'] });
    }
    expect(encode((w) => encodeMetadataRequest(w, 0, { topics: null })).toString('hex')).toBe('00000000');
    expect(encode((w) => encodeMetadataRequest(w, 1, { topics: null })).toString('hex')).toBe('ffffffff');
    expect(encode((w) => encodeMetadataRequest(w, 1, { topics: [] })).toString('hex')).toBe('00000000');
    expect(decode(hex('00000000'), (r) => decodeMetadataRequest(r, 0))).toEqual({ topics: null });
    expect(decode(hex('ffffffff'), (r) => decodeMetadataRequest(r, 0))).toEqual({ topics: null });
    expect(decode(hex('00000000'), (r) => decodeMetadataRequest(r, 1))).toEqual({ topics: [] });
    expect(decode(hex('ffffffff'), (r) => decodeMetadataRequest(r, 1))).toEqual({ topics: null });
  });

  it('responses: v1 adds rack, controller_id and is_internal', () => {
    expect(encode((w) => encodeMetadataResponse(w, 0, RESPONSE))).toEqual(V0_RESPONSE);
    expect(encode((w) => encodeMetadataResponse(w, 1, RESPONSE))).toEqual(V1_RESPONSE);
    expect(decode(V0_RESPONSE, (r) => decodeMetadataResponse(r, 0))).toEqual({ ...RESPONSE, controllerId: -1 });
    expect(decode(V1_RESPONSE, (r) => decodeMetadataResponse(r, 1))).toEqual(RESPONSE);
  });

  it('bounds', () => {
    expectBoundsChecked(REQUEST, (r) => decodeMetadataRequest(r, 1), 0);
    expectBoundsChecked(V0_RESPONSE, (r) => decodeMetadataResponse(r, 0), 0);
    expectBoundsChecked(V1_RESPONSE, (r) => decodeMetadataResponse(r, 1), 19);
  });

  it('kafkajs: its v0/v1 requests decode (empty v1 list = null = all), our responses parse', async () => {
    for (const v of [0, 1]) {
      const body = await kafkajsRequestBody('metadata', v, { topics: ['x', 'yy'] });
      expect(decode(body, (r) => decodeMetadataRequest(r, v))).toEqual({ topics: ['x', 'yy'] });
      const all = await kafkajsRequestBody('metadata', v, { topics: [] });
      expect(decode(all, (r) => decodeMetadataRequest(r, v))).toEqual({ topics: null });

      const res: MetadataResponse = {
        brokers: [
          { nodeId: 0, host: 'localhost', port: 9092, rack: 'r1' },
          { nodeId: 1, host: 'other', port: 9093, rack: null },
        ],
        controllerId: 1,
        topics: [{ errorCode: 0, topic: 'x', isInternal: false, partitions: [{ errorCode: 0, partition: 0, leader: 0, replicas: [0, 1], isr: [0, 1] }] }],
      };
      const got = await kafkajsDecodeResponse('metadata', v, encode((w) => encodeMetadataResponse(w, v, res)));
      expect(got.brokers[0]).toMatchObject({ nodeId: 0, host: 'localhost', port: 9092 });
      if (v === 1) {
        expect(got.brokers.map((b: { rack: string | null }) => b.rack)).toEqual(['r1', null]);
        expect(got.controllerId).toBe(1);
        expect(got.topicMetadata[0].isInternal).toBe(false);
      }
      expect(got.topicMetadata[0].partitionMetadata[0]).toEqual({
        partitionErrorCode: 0,
        partitionId: 0,
        leader: 0,
        replicas: [0, 1],
        isr: [0, 1],
      });
    }
  });

  it('kafka-node: its v0 request decodes, our v0 response parses', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeMetadataRequest('kafka-node-client', 9, ['t1']);
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 3, apiVersion: 0, correlationId: 9, clientId: 'kafka-node-client' });
    expect(decodeMetadataRequest(new Reader(frame, h.bodyOffset), 0)).toEqual({ topics: ['t1'] });
    const [brokers, out] = protocol.decodeMetadataResponse(frameResponse(9, (w) => encodeMetadataResponse(w, 0, RESPONSE)));
    expect(brokers).toEqual({ 1: { nodeId: 1, host: 'h', port: 9092 } });
    expect(out.metadata.a[0]).toMatchObject({ topic: 'a', partition: 0, leader: 1, replicas: [1, 2], isr: [1] });
  });
});
