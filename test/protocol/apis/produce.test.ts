import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../../src/common/errors.js';
import {
  decodeProduceRequest,
  decodeProduceResponse,
  encodeProduceRequest,
  encodeProduceResponse,
  type ProduceRequest,
  type ProduceResponse,
} from '../../../src/protocol/apis/produce.js';
import { Reader } from '../../../src/protocol/reader.js';
import { decodeRequestHeader } from '../../../src/protocol/header.js';
import { messageSetToRecordBatch } from '../../../src/protocol/records/message-set.js';
import { decodeRecordBatch } from '../../../src/protocol/records/record-batch.js';
import {
  decode,
  encode,
  expectBoundsChecked,
  hex,
  kafkajsDecodeResponse,
  kafkajsParseResponse,
  kafkajsRequestBody,
  require,
} from './helpers.js';

const V0_REQUEST = hex(`
  0001                # acks 1
  000003e8            # timeout 1000
  00000001            # 1 topic
  0001 74             #   "t"
  00000001            #   1 partition
  00000000            #     partition 0
  00000003 616263     #     record_set "abc" (opaque here)
`);
const V3_REQUEST = Buffer.concat([hex('0002 7478'), V0_REQUEST]); // transactional_id "tx"

const REQUEST: ProduceRequest = {
  transactionalId: null,
  acks: 1,
  timeoutMs: 1000,
  topics: [{ topic: 't', partitions: [{ partition: 0, records: Buffer.from('abc') }] }],
};

const RESPONSE: ProduceResponse = {
  topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, baseOffset: 5, logAppendTime: -1 }] }],
  throttleTimeMs: 100,
};
const V0_RESPONSE = hex(`
  00000001 0001 74    # 1 topic "t"
  00000001            # 1 partition
  00000000 0000       #   partition 0, error 0
  0000000000000005    #   base_offset 5
`);
const V1_RESPONSE = Buffer.concat([V0_RESPONSE, hex('00000064')]); // throttle_time_ms 100 at the end
const V2_RESPONSE = Buffer.concat([V0_RESPONSE, hex('ffffffffffffffff 00000064')]); // + log_append_time -1
const V5_RESPONSE = Buffer.concat([V0_RESPONSE, hex('ffffffffffffffff 0000000000000003 00000064')]); // + log_start_offset 3

describe('Produce codec: fixed bytes', () => {
  it('encodes and decodes the v0-v2 request (no transactional_id)', () => {
    for (const v of [0, 1, 2]) {
      expect(encode((w) => encodeProduceRequest(w, v, REQUEST))).toEqual(V0_REQUEST);
      expect(decode(V0_REQUEST, (r) => decodeProduceRequest(r, v))).toEqual(REQUEST);
    }
  });

  it('v3-v5 put the nullable transactional_id first (v4 and v5 requests are v3 on the wire)', () => {
    const req = { ...REQUEST, transactionalId: 'tx' };
    const nullTx = Buffer.concat([hex('ffff'), V0_REQUEST]);
    for (const v of [3, 4, 5]) {
      expect(encode((w) => encodeProduceRequest(w, v, req))).toEqual(V3_REQUEST);
      expect(decode(V3_REQUEST, (r) => decodeProduceRequest(r, v))).toEqual(req);
      expect(encode((w) => encodeProduceRequest(w, v, REQUEST))).toEqual(nullTx);
      expect(decode(nullTx, (r) => decodeProduceRequest(r, v)).transactionalId).toBeNull();
    }
  });

  it('keeps a null record set null and the record set a view into the input', () => {
    const req: ProduceRequest = { ...REQUEST, topics: [{ topic: 't', partitions: [{ partition: 2, records: null }] }] };
    const bytes = encode((w) => encodeProduceRequest(w, 0, req));
    expect(bytes.subarray(-8).toString('hex')).toBe('00000002ffffffff');
    expect(decode(bytes, (r) => decodeProduceRequest(r, 0))).toEqual(req);
    const decoded = decodeProduceRequest(new Reader(V0_REQUEST), 0);
    expect(decoded.topics[0]!.partitions[0]!.records!.buffer).toBe(V0_REQUEST.buffer);
  });

  it('responses: v1 appends throttle_time_ms, v2-v4 add log_append_time per partition, v5 log_start_offset', () => {
    const res: ProduceResponse = { ...RESPONSE, topics: [{ topic: 't', partitions: [{ ...RESPONSE.topics[0]!.partitions[0]!, logStartOffset: 3 }] }] };
    const expected = [V0_RESPONSE, V1_RESPONSE, V2_RESPONSE, V2_RESPONSE, V2_RESPONSE, V5_RESPONSE];
    for (const v of [0, 1, 2, 3, 4, 5]) {
      expect(encode((w) => encodeProduceResponse(w, v, res)), `v${v}`).toEqual(expected[v]);
      const back = decode(expected[v]!, (r) => decodeProduceResponse(r, v));
      const p = back.topics[0]!.partitions[0]!;
      expect(back.throttleTimeMs).toBe(v === 0 ? 0 : 100);
      expect(p).toEqual({ partition: 0, errorCode: 0, baseOffset: 5, logAppendTime: -1, logStartOffset: v >= 5 ? 3 : -1 });
    }
    // log_start_offset is optional to the encoder: absent is -1
    expect(encode((w) => encodeProduceResponse(w, 5, RESPONSE))).toEqual(
      Buffer.concat([V0_RESPONSE, hex('ffffffffffffffff ffffffffffffffff 00000064')]),
    );
  });

  it('rejects versions outside 0-5 with UNSUPPORTED_VERSION', () => {
    expect(() => encode((w) => encodeProduceRequest(w, 6, REQUEST))).toThrow(KafkaError);
    expect(() => encode((w) => encodeProduceResponse(w, 6, RESPONSE))).toThrow(KafkaError);
    expect(() => decode(V0_REQUEST, (r) => decodeProduceRequest(r, 7))).toThrow(expect.objectContaining({ code: 35 }));
  });
});

describe('Produce codec: bounds', () => {
  it('every truncation and hostile count of a request throws CorruptDataError', () => {
    expectBoundsChecked(V0_REQUEST, (r) => decodeProduceRequest(r, 0), 6);
    expectBoundsChecked(V3_REQUEST, (r) => decodeProduceRequest(r, 3), 10);
    expectBoundsChecked(V3_REQUEST, (r) => decodeProduceRequest(r, 5), 10);
  });
  it('every truncation of a response throws CorruptDataError', () => {
    expectBoundsChecked(V2_RESPONSE, (r) => decodeProduceResponse(r, 2), 0);
    expectBoundsChecked(V1_RESPONSE, (r) => decodeProduceResponse(r, 1), 7);
    expectBoundsChecked(V5_RESPONSE, (r) => decodeProduceResponse(r, 5), 7);
  });
});

describe('Produce codec: kafkajs cross-checks', () => {
  const topicData = [
    {
      topic: 'topic-a',
      partitions: [
        { partition: 0, messages: [{ key: 'k1', value: 'v1', timestamp: 1_600_000_000_000 }, { key: null, value: 'v2', timestamp: 1_600_000_000_001 }] },
        { partition: 3, messages: [{ key: 'k3', value: 'v3', timestamp: 1_600_000_000_002 }] },
      ],
    },
    { topic: 'topic-b', partitions: [{ partition: 1, messages: [{ key: 'x', value: 'y', timestamp: 1_600_000_000_003 }] }] },
  ];

  it('decodes kafkajs v0-v2 requests; the record set is kafkajs\' MessageSet, byte for byte', async () => {
    const MessageSet = require('kafkajs/src/protocol/messageSet');
    for (const v of [0, 1, 2]) {
      const body = await kafkajsRequestBody('produce', v, { acks: -1, timeout: 30000, topicData });
      const req = decode(body, (r) => decodeProduceRequest(r, v));
      expect(req.acks).toBe(-1);
      expect(req.timeoutMs).toBe(30000);
      expect(req.topics.map((t) => [t.topic, t.partitions.map((p) => p.partition)])).toEqual([
        ['topic-a', [0, 3]],
        ['topic-b', [1]],
      ]);
      const expectedSet = MessageSet({
        messageVersion: v === 2 ? 1 : 0,
        compression: v === 2 ? 0 : undefined,
        entries: topicData[0]!.partitions[0]!.messages,
      }).buffer;
      expect(req.topics[0]!.partitions[0]!.records).toEqual(expectedSet);
      // and our encoder writes the same bytes back
      expect(encode((w) => encodeProduceRequest(w, v, req))).toEqual(body);
    }
  });

  it.each([3, 4, 5])('decodes a kafkajs v%i request: transactional_id, then RecordBatch v2 record sets', async (v) => {
    const body = await kafkajsRequestBody('produce', v, { acks: 1, timeout: 100, transactionalId: 'my-tx', topicData });
    const req = decode(body, (r) => decodeProduceRequest(r, v));
    expect(req.transactionalId).toBe('my-tx');
    const { records } = decodeRecordBatch(req.topics[0]!.partitions[0]!.records!);
    expect(records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString(), r.timestamp])).toEqual([
      [0, 'k1', 'v1', 1_600_000_000_000],
      [1, null, 'v2', 1_600_000_000_001],
    ]);
    expect(encode((w) => encodeProduceRequest(w, v, req))).toEqual(body);
  });

  it('kafkajs decodes our v0-v5 responses', async () => {
    const res: ProduceResponse = {
      topics: [
        { topic: 'topic-a', partitions: [{ partition: 0, errorCode: 0, baseOffset: 2 ** 40, logAppendTime: 1_600_000_000_000, logStartOffset: 2 ** 39 }] },
        { topic: 'topic-b', partitions: [{ partition: 1, errorCode: 6, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 }] },
      ],
      throttleTimeMs: 7,
    };
    for (const v of [0, 1, 2, 3, 4, 5]) {
      const got = await kafkajsDecodeResponse('produce', v, encode((w) => encodeProduceResponse(w, v, res)));
      const p0 = got.topics[0].partitions[0];
      expect(got.topics.map((t: { topicName: string }) => t.topicName)).toEqual(['topic-a', 'topic-b']);
      expect(p0.partition).toBe(0);
      expect(p0.errorCode).toBe(0);
      expect(p0.offset ?? p0.baseOffset).toBe(String(2 ** 40));
      if (v >= 2) expect(p0.timestamp ?? p0.logAppendTime).toBe('1600000000000');
      if (v >= 5) expect(p0.logStartOffset).toBe(String(2 ** 39));
      if (v >= 1) expect(got.throttleTime).toBe(7);
      expect(got.topics[1].partitions[0].errorCode).toBe(6);
      await expect(kafkajsParseResponse('produce', v, encode((w) => encodeProduceResponse(w, v, res)))).rejects.toThrow(
        /leader/i,
      );
    }
  });

  it('kafka-node: its v0 and v2 requests decode, and their message sets convert to one batch', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const payloads = [
      { topic: 't', partition: 1, messages: [{ attributes: 0, key: 'k', value: 'v', timestamp: 1_600_000_000_000 }, { attributes: 0, key: null, value: 'w', timestamp: 1_600_000_000_001 }] },
    ];
    for (const [version, frame] of [
      [0, protocol.encodeProduceRequest(1, 100)('kn', 2, payloads)],
      [2, protocol.encodeProduceV2Request(1, 100)('kn', 2, payloads)],
    ] as [number, Buffer][]) {
      const h = decodeRequestHeader(frame, 4);
      expect(h).toMatchObject({ apiKey: 0, apiVersion: version, correlationId: 2, clientId: 'kn' });
      const req = decodeProduceRequest(new Reader(frame, h.bodyOffset), version);
      expect([req.acks, req.timeoutMs, req.topics[0]!.topic, req.topics[0]!.partitions[0]!.partition]).toEqual([1, 100, 't', 1]);
      const batch = messageSetToRecordBatch(req.topics[0]!.partitions[0]!.records!, { now: 5 });
      expect(decodeRecordBatch(batch).records.map((r) => [r.key?.toString() ?? null, r.value?.toString(), r.timestamp])).toEqual([
        ['k', 'v', version === 2 ? 1_600_000_000_000 : 5],
        [null, 'w', version === 2 ? 1_600_000_000_001 : 5],
      ]);
    }
  });
});
