import { describe, expect, it } from 'vitest';
import {
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeFetchResponse,
  fetchRecordMagic,
  type FetchRequest,
  type FetchResponse,
} from '../../../src/protocol/apis/fetch.js';
import { frameResponse } from '../../../src/protocol/header.js';
import { recordBatchesToMessageSet } from '../../../src/protocol/records/message-set.js';
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.js';
import { decode, encode, expectBoundsChecked, hex, kafkajsDecodeResponse, kafkajsRequestBody, require } from './helpers.js';

const TOPICS = hex(`
  00000001 0001 74          # 1 topic "t"
  00000001                  # 1 partition
  00000002                  #   partition 2
  000000000000000a          #   fetch_offset 10
  00100000                  #   max_bytes 1 MiB
`);
const V0_REQUEST = Buffer.concat([hex('ffffffff 000001f4 00000001'), TOPICS]); // replica -1, wait 500, min 1
const V3_REQUEST = Buffer.concat([hex('ffffffff 000001f4 00000001 03200000'), TOPICS]); // + max_bytes 50 MiB
const V4_REQUEST = Buffer.concat([hex('ffffffff 000001f4 00000001 03200000 01'), TOPICS]); // + read_committed
const V5_REQUEST = Buffer.concat([
  hex('ffffffff 000001f4 00000001 03200000 01'),
  hex(`
    00000001 0001 74          # 1 topic "t"
    00000001                  # 1 partition
    00000002                  #   partition 2
    000000000000000a          #   fetch_offset 10
    0000000000000004          #   log_start_offset 4
    00100000                  #   max_bytes 1 MiB
  `),
]);

const REQUEST: FetchRequest = {
  replicaId: -1,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 0x7fffffff,
  isolationLevel: 0,
  topics: [{ topic: 't', partitions: [{ partition: 2, fetchOffset: 10, logStartOffset: -1, maxBytes: 1 << 20 }] }],
};

const RESPONSE: FetchResponse = {
  throttleTimeMs: 0,
  topics: [
    {
      topic: 't',
      partitions: [
        { partition: 2, errorCode: 0, highWatermark: 12, lastStableOffset: 12, logStartOffset: 3, abortedTransactions: null, records: Buffer.from('xyz') },
      ],
    },
  ],
};
const PARTITION_HEAD = hex('00000001 0001 74 00000001 00000002 0000 000000000000000c');
const V0_RESPONSE = Buffer.concat([PARTITION_HEAD, hex('00000003 78797a')]);
const V1_RESPONSE = Buffer.concat([hex('00000000'), V0_RESPONSE]); // throttle_time_ms first
const V4_RESPONSE = Buffer.concat([
  hex('00000000'),
  PARTITION_HEAD,
  hex('000000000000000c ffffffff'), // last_stable_offset 12, aborted_transactions null
  hex('00000003 78797a'),
]);
const V5_RESPONSE = Buffer.concat([
  hex('00000000'),
  PARTITION_HEAD,
  hex('000000000000000c 0000000000000003 ffffffff'), // last_stable_offset 12, log_start_offset 3, aborted_transactions null
  hex('00000003 78797a'),
]);

describe('Fetch codec: fixed bytes', () => {
  it('requests: v3 adds max_bytes, v4 isolation_level', () => {
    for (const v of [0, 1, 2]) {
      expect(encode((w) => encodeFetchRequest(w, v, REQUEST))).toEqual(V0_REQUEST);
      expect(decode(V0_REQUEST, (r) => decodeFetchRequest(r, v))).toEqual(REQUEST);
    }
    const v3 = { ...REQUEST, maxBytes: 50 << 20 };
    expect(encode((w) => encodeFetchRequest(w, 3, v3))).toEqual(V3_REQUEST);
    expect(decode(V3_REQUEST, (r) => decodeFetchRequest(r, 3))).toEqual(v3);
    const v4 = { ...v3, isolationLevel: 1 };
    expect(encode((w) => encodeFetchRequest(w, 4, v4))).toEqual(V4_REQUEST);
    expect(decode(V4_REQUEST, (r) => decodeFetchRequest(r, 4))).toEqual(v4);
  });

  it('requests: v5-v6 add log_start_offset per partition (absent encodes as -1)', () => {
    const v5: FetchRequest = {
      ...REQUEST,
      maxBytes: 50 << 20,
      isolationLevel: 1,
      topics: [{ topic: 't', partitions: [{ partition: 2, fetchOffset: 10, logStartOffset: 4, maxBytes: 1 << 20 }] }],
    };
    for (const v of [5, 6]) {
      expect(encode((w) => encodeFetchRequest(w, v, v5))).toEqual(V5_REQUEST);
      expect(decode(V5_REQUEST, (r) => decodeFetchRequest(r, v))).toEqual(v5);
    }
    const bare = { ...v5, topics: [{ topic: 't', partitions: [{ partition: 2, fetchOffset: 10, maxBytes: 1 << 20 }] }] };
    expect(encode((w) => encodeFetchRequest(w, 6, bare)).subarray(-12, -4).toString('hex')).toBe('ffffffffffffffff');
  });

  it('responses: v1+ throttle first, v4 last_stable_offset and nullable aborted_transactions', () => {
    expect(encode((w) => encodeFetchResponse(w, 0, RESPONSE))).toEqual(V0_RESPONSE);
    for (const v of [1, 2, 3]) expect(encode((w) => encodeFetchResponse(w, v, RESPONSE))).toEqual(V1_RESPONSE);
    expect(encode((w) => encodeFetchResponse(w, 4, RESPONSE))).toEqual(V4_RESPONSE);
    const older = { ...RESPONSE.topics[0]!.partitions[0]!, lastStableOffset: -1, logStartOffset: -1 };
    expect(decode(V0_RESPONSE, (r) => decodeFetchResponse(r, 0)).topics[0]!.partitions[0]).toEqual(older);
    expect(decode(V1_RESPONSE, (r) => decodeFetchResponse(r, 3)).topics[0]!.partitions[0]).toEqual(older);
    expect(decode(V4_RESPONSE, (r) => decodeFetchResponse(r, 4)).topics[0]!.partitions[0]).toEqual({ ...RESPONSE.topics[0]!.partitions[0]!, logStartOffset: -1 });

    const aborted: FetchResponse = {
      throttleTimeMs: 3,
      topics: [{ topic: 't', partitions: [{ ...RESPONSE.topics[0]!.partitions[0]!, abortedTransactions: [{ producerId: 7, firstOffset: 4 }] }] }],
    };
    const bytes = encode((w) => encodeFetchResponse(w, 4, aborted));
    // after throttle(4) topics(4) "t"(3) partitions(4) partition(4) error(2) hw(8) lso(8): offset 37
    expect(bytes.subarray(37, 57).toString('hex')).toBe('00000001' + '0000000000000007' + '0000000000000004');
    expect(decode(bytes, (r) => decodeFetchResponse(r, 4))).toEqual({ ...aborted, topics: [{ topic: 't', partitions: [{ ...aborted.topics[0]!.partitions[0]!, logStartOffset: -1 }] }] });
  });

  it('responses: v5-v6 put log_start_offset between last_stable_offset and aborted_transactions', () => {
    for (const v of [5, 6]) {
      expect(encode((w) => encodeFetchResponse(w, v, RESPONSE))).toEqual(V5_RESPONSE);
      expect(decode(V5_RESPONSE, (r) => decodeFetchResponse(r, v))).toEqual(RESPONSE);
    }
    const { logStartOffset: _, ...bare } = RESPONSE.topics[0]!.partitions[0]!;
    const bytes = encode((w) => encodeFetchResponse(w, 5, { throttleTimeMs: 0, topics: [{ topic: 't', partitions: [bare] }] }));
    expect(bytes.subarray(37, 45).toString('hex')).toBe('ffffffffffffffff'); // absent encodes as -1
  });

  it('names the record format of each version', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(fetchRecordMagic)).toEqual([0, 0, 1, 1, 2, 2, 2]);
  });
});

describe('Fetch codec: bounds', () => {
  it('requests', () => {
    expectBoundsChecked(V0_REQUEST, (r) => decodeFetchRequest(r, 0), 12);
    expectBoundsChecked(V4_REQUEST, (r) => decodeFetchRequest(r, 4), 17);
    expectBoundsChecked(V5_REQUEST, (r) => decodeFetchRequest(r, 6), 17);
  });
  it('responses', () => {
    expectBoundsChecked(V0_RESPONSE, (r) => decodeFetchResponse(r, 0), 0);
    expectBoundsChecked(V4_RESPONSE, (r) => decodeFetchResponse(r, 4), 4);
    expectBoundsChecked(V5_RESPONSE, (r) => decodeFetchResponse(r, 5), 4);
  });
});

describe('Fetch codec: kafkajs cross-checks', () => {
  const args = {
    replicaId: -1,
    maxWaitTime: 100,
    minBytes: 1,
    maxBytes: 10485760,
    isolationLevel: 1,
    topics: [
      { topic: 'a', partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1048576 }, { partition: 1, fetchOffset: '9007199254740991', maxBytes: 5 }] },
      { topic: 'bb', partitions: [{ partition: 7, fetchOffset: '42', logStartOffset: '17', maxBytes: 100 }] },
    ],
  };

  it('decodes kafkajs v0-v6 requests and re-encodes them byte for byte', async () => {
    for (const v of [0, 1, 2, 3, 4, 5, 6]) {
      const body = await kafkajsRequestBody('fetch', v, args);
      const req = decode(body, (r) => decodeFetchRequest(r, v));
      expect(req.maxWaitMs).toBe(100);
      expect(req.maxBytes).toBe(v >= 3 ? 10485760 : 0x7fffffff);
      expect(req.isolationLevel).toBe(v >= 4 ? 1 : 0);
      expect(req.topics[0]!.partitions[1]).toEqual({ partition: 1, fetchOffset: 9007199254740991, logStartOffset: -1, maxBytes: 5 });
      if (v >= 5) expect(req.topics[1]!.partitions[0]!.logStartOffset).toBe(17);
      expect(req.topics[1]!.topic).toBe('bb');
      expect(encode((w) => encodeFetchRequest(w, v, req))).toEqual(body);
    }
  });

  it('kafkajs reads our v0-v6 responses, with the record format each version carries', async () => {
    const MessageSet = require('kafkajs/src/protocol/messageSet');
    const entries = [
      { key: 'k0', value: 'v0', timestamp: 1_600_000_000_000 },
      { key: null, value: 'v1', timestamp: 1_600_000_000_005 },
    ];
    for (const v of [0, 1, 2, 3, 4, 5, 6]) {
      const magic = fetchRecordMagic(v);
      const records =
        magic === 2
          ? encodeRecordBatch({ baseOffset: 100, records: entries })
          : (MessageSet({ messageVersion: magic, compression: 0, entries }).buffer as Buffer);
      const res: FetchResponse = {
        throttleTimeMs: 9,
        topics: [
          {
            topic: 'a',
            partitions: [
              { partition: 0, errorCode: 0, highWatermark: 102, lastStableOffset: 102, logStartOffset: 90, abortedTransactions: null, records },
              { partition: 1, errorCode: 1, highWatermark: -1, lastStableOffset: -1, abortedTransactions: [], records: Buffer.alloc(0) },
            ],
          },
        ],
      };
      const got = await kafkajsDecodeResponse('fetch', v, encode((w) => encodeFetchResponse(w, v, res)));
      if (v >= 1) expect(got.throttleTime).toBe(9);
      const [p0, p1] = got.responses[0].partitions;
      expect(got.responses[0].topicName).toBe('a');
      expect(p0.highWatermark).toBe('102');
      if (v >= 4) expect(p0.lastStableOffset).toBe('102');
      if (v >= 5) expect(p0.lastStartOffset).toBe('90'); // kafkajs' name for log_start_offset
      expect(p0.messages.map((m: { key: Buffer | null; value: Buffer }) => [m.key?.toString() ?? null, m.value.toString()])).toEqual([
        ['k0', 'v0'],
        [null, 'v1'],
      ]);
      if (magic === 2) expect(p0.messages.map((m: { offset: string }) => m.offset)).toEqual(['100', '101']);
      if (magic >= 1) expect(p0.messages[1].timestamp).toBe('1600000000005');
      expect(p1.errorCode).toBe(1);
      expect(p1.messages).toEqual([]);
    }
  });

  it('kafka-node reads our v0 response carrying stored batches down-converted to magic 0 (with a partial tail)', () => {
    const protocol = require('kafka-node/lib/protocol/protocol');
    const batches = Buffer.concat([
      encodeRecordBatch({ baseOffset: 5, records: [{ key: 'a', value: 'x' }, { key: null, value: 'y' }] }),
      encodeRecordBatch({ baseOffset: 7, records: [{ key: 'c', value: 'z' }] }),
    ]);
    const set = recordBatchesToMessageSet(batches, 0);
    const records = Buffer.concat([set, set.subarray(0, 20)]); // a fetch cut inside the next message
    const res: FetchResponse = {
      throttleTimeMs: 0,
      topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, highWatermark: 8, lastStableOffset: -1, abortedTransactions: null, records }] }],
    };
    const seen: { offset: number; key: Buffer | null; value: Buffer }[] = [];
    let done: unknown;
    protocol.decodeFetchResponse((err: unknown, type: string, msg: any) => {
      expect(err).toBeNull();
      if (type === 'message') seen.push(msg);
      else done = msg;
    })(frameResponse(1, (w) => encodeFetchResponse(w, 0, res)));
    expect(seen.map((m) => [m.offset, m.key?.toString() ?? null, m.value.toString()])).toEqual([
      [5, 'a', 'x'],
      [6, null, 'y'],
      [7, 'c', 'z'],
    ]);
    expect(done).toEqual({ t: { 0: 7, highWaterOffset: 8 } });
  });
});
