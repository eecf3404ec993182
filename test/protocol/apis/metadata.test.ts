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
const V4_REQUEST = Buffer.concat([REQUEST, hex('00')]); // + allow_auto_topic_creation false

const RESPONSE: MetadataResponse = {
  throttleTimeMs: 7,
  brokers: [{ nodeId: 1, host: 'h', port: 9092, rack: null }],
  clusterId: 'cid',
  controllerId: 1,
  topics: [
    {
      errorCode: 0,
      topic: 'a',
      isInternal: false,
      partitions: [{ errorCode: 0, partition: 0, leader: 1, replicas: [1, 2], isr: [1], offlineReplicas: [2] }],
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
const V2_RESPONSE = Buffer.concat([
  hex('00000001 00000001 0001 68 00002384 ffff'),
  hex('0003 636964'), // cluster_id "cid", before controller_id
  hex('00000001'),
  hex('00000001 0000 0001 61 00'),
  PARTITIONS,
]);
const V3_RESPONSE = Buffer.concat([hex('00000007'), V2_RESPONSE]); // throttle_time_ms 7 first
const V5_RESPONSE = Buffer.concat([V3_RESPONSE, hex('00000001 00000002')]); // + offline_replicas [2]

/** What decoding a version that lacks a field gives for it. */
function asDecoded(v: number): MetadataResponse {
  return {
    ...RESPONSE,
    throttleTimeMs: v >= 3 ? 7 : 0,
    clusterId: v >= 2 ? 'cid' : null,
    controllerId: v >= 1 ? 1 : -1,
    topics: RESPONSE.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, offlineReplicas: v >= 5 ? p.offlineReplicas : [] })) })),
  };
}

describe('Metadata codec', () => {
  it('requests: null means all topics; v0 writes it as an empty array, v1+ as -1', () => {
    for (const v of [0, 1, 2, 3]) {
      expect(encode((w) => encodeMetadataRequest(w, v, { topics: ['a', 'bb'] }))).toEqual(REQUEST);
      expect(decode(REQUEST, (r) => decodeMetadataRequest(r, v))).toEqual({ topics: ['a', 'bb'], allowAutoTopicCreation: true });
    }
    expect(encode((w) => encodeMetadataRequest(w, 0, { topics: null })).toString('hex')).toBe('00000000');
    expect(encode((w) => encodeMetadataRequest(w, 1, { topics: null })).toString('hex')).toBe('ffffffff');
    expect(encode((w) => encodeMetadataRequest(w, 1, { topics: [] })).toString('hex')).toBe('00000000');
    expect(decode(hex('00000000'), (r) => decodeMetadataRequest(r, 0)).topics).toBeNull();
    expect(decode(hex('ffffffff'), (r) => decodeMetadataRequest(r, 0)).topics).toBeNull();
    expect(decode(hex('00000000'), (r) => decodeMetadataRequest(r, 1)).topics).toEqual([]);
    expect(decode(hex('ffffffff'), (r) => decodeMetadataRequest(r, 3)).topics).toBeNull();
  });

  it('requests: v4-v5 add allow_auto_topic_creation (absent encodes as true)', () => {
    for (const v of [4, 5]) {
      expect(encode((w) => encodeMetadataRequest(w, v, { topics: ['a', 'bb'], allowAutoTopicCreation: false }))).toEqual(V4_REQUEST);
      expect(decode(V4_REQUEST, (r) => decodeMetadataRequest(r, v))).toEqual({ topics: ['a', 'bb'], allowAutoTopicCreation: false });
      expect(encode((w) => encodeMetadataRequest(w, v, { topics: null })).toString('hex')).toBe('ffffffff01');
      expect(decode(hex('ffffffff 01'), (r) => decodeMetadataRequest(r, v))).toEqual({ topics: null, allowAutoTopicCreation: true });
    }
  });

  it('responses: v1 adds rack, controller_id and is_internal; v2 cluster_id; v3-v4 throttle_time_ms; v5 offline_replicas', () => {
    const bytes = [V0_RESPONSE, V1_RESPONSE, V2_RESPONSE, V3_RESPONSE, V3_RESPONSE, V5_RESPONSE];
    for (const v of [0, 1, 2, 3, 4, 5]) {
      expect(encode((w) => encodeMetadataResponse(w, v, RESPONSE)), `v${v}`).toEqual(bytes[v]);
      expect(decode(bytes[v]!, (r) => decodeMetadataResponse(r, v)), `v${v}`).toEqual(asDecoded(v));
    }
    expect(decode(V5_RESPONSE, (r) => decodeMetadataResponse(r, 5))).toEqual(RESPONSE);
  });

  it('responses: the fields added after v1 are optional to the encoder (throttle 0, cluster id null, no offline replicas)', () => {
    const bare = {
      brokers: RESPONSE.brokers,
      controllerId: 1,
      topics: [{ ...RESPONSE.topics[0]!, partitions: [{ errorCode: 0, partition: 0, leader: 1, replicas: [1, 2], isr: [1] }] }],
    };
    const expected = Buffer.concat([
      hex('00000000 00000001 00000001 0001 68 00002384 ffff'),
      hex('ffff 00000001'), // cluster_id null, controller_id 1
      hex('00000001 0000 0001 61 00'),
      PARTITIONS,
      hex('00000000'), // offline_replicas []
    ]);
    expect(encode((w) => encodeMetadataResponse(w, 5, bare))).toEqual(expected);
  });

  it('bounds', () => {
    expectBoundsChecked(REQUEST, (r) => decodeMetadataRequest(r, 1), 0);
    expectBoundsChecked(V4_REQUEST, (r) => decodeMetadataRequest(r, 4), 0);
    expectBoundsChecked(V0_RESPONSE, (r) => decodeMetadataResponse(r, 0), 0);
    expectBoundsChecked(V1_RESPONSE, (r) => decodeMetadataResponse(r, 1), 21); // the topic count
    expectBoundsChecked(V2_RESPONSE, (r) => decodeMetadataResponse(r, 2), 26); // the topic count
    expectBoundsChecked(V3_RESPONSE, (r) => decodeMetadataResponse(r, 3), 4); // the broker count
    expectBoundsChecked(V5_RESPONSE, (r) => decodeMetadataResponse(r, 5), V5_RESPONSE.length - 8); // offline_replicas count
  });

  it('kafkajs: its v0-v5 requests decode (empty v1+ list = null = all), our responses parse', async () => {
    for (const v of [0, 1, 2, 3, 4, 5]) {
      const body = await kafkajsRequestBody('metadata', v, { topics: ['x', 'yy'], allowAutoTopicCreation: false });
      expect(decode(body, (r) => decodeMetadataRequest(r, v))).toEqual({ topics: ['x', 'yy'], allowAutoTopicCreation: v < 4 });
      expect(encode((w) => encodeMetadataRequest(w, v, { topics: ['x', 'yy'], allowAutoTopicCreation: false }))).toEqual(body);
      const all = await kafkajsRequestBody('metadata', v, { topics: [] });
      expect(decode(all, (r) => decodeMetadataRequest(r, v))).toEqual({ topics: null, allowAutoTopicCreation: true });

      const res: MetadataResponse = {
        throttleTimeMs: 3,
        brokers: [
          { nodeId: 0, host: 'localhost', port: 9092, rack: 'r1' },
          { nodeId: 1, host: 'other', port: 9093, rack: null },
        ],
        clusterId: 'AbCdEfGhIjKlMnOpQrStUv',
        controllerId: 1,
        topics: [
          {
            errorCode: 0,
            topic: '__consumer_offsets',
            isInternal: true,
            partitions: [{ errorCode: 0, partition: 0, leader: 0, replicas: [0, 1, 2], isr: [0, 1], offlineReplicas: [2] }],
          },
        ],
      };
      const got = await kafkajsDecodeResponse('metadata', v, encode((w) => encodeMetadataResponse(w, v, res)));
      expect(got.brokers[0]).toMatchObject({ nodeId: 0, host: 'localhost', port: 9092 });
      if (v >= 1) {
        expect(got.brokers.map((b: { rack: string | null }) => b.rack)).toEqual(['r1', null]);
        expect(got.controllerId).toBe(1);
        expect(got.topicMetadata[0].isInternal).toBe(true);
      }
      if (v >= 2) expect(got.clusterId).toBe('AbCdEfGhIjKlMnOpQrStUv');
      if (v >= 3) expect(got.throttleTime).toBe(3);
      expect(got.topicMetadata[0].partitionMetadata[0]).toEqual({
        partitionErrorCode: 0,
        partitionId: 0,
        leader: 0,
        replicas: [0, 1, 2],
        isr: [0, 1],
        ...(v >= 5 ? { offlineReplicas: [2] } : {}),
      });
    }
  });

  it('kafka-node: its v0 request decodes, our v0 response parses', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const frame: Buffer = protocol.encodeMetadataRequest('kafka-node-client', 9, ['t1']);
    const h = decodeRequestHeader(frame, 4);
    expect(h).toMatchObject({ apiKey: 3, apiVersion: 0, correlationId: 9, clientId: 'kafka-node-client' });
    expect(decodeMetadataRequest(new Reader(frame, h.bodyOffset), 0)).toEqual({ topics: ['t1'], allowAutoTopicCreation: true });
    const [brokers, out] = protocol.decodeMetadataResponse(frameResponse(9, (w) => encodeMetadataResponse(w, 0, RESPONSE)));
    expect(brokers).toEqual({ 1: { nodeId: 1, host: 'h', port: 9092 } });
    expect(out.metadata.a[0]).toMatchObject({ topic: 'a', partition: 0, leader: 1, replicas: [1, 2], isr: [1] });
  });
});
