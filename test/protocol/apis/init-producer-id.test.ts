/**
 * InitProducerId v0 (api 22): exact bytes, and agreement with kafkajs' own codec.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeInitProducerIdRequest,
  decodeInitProducerIdResponse,
  encodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
} from '../../../src/protocol/apis/init-producer-id.js';
import { decode, encode, expectEveryTruncationThrows, hex, kafkajsDecodeResponse, kafkajsRequestBody } from './helpers.js';

const REQUEST = hex(`
  ffff                # transactional_id null
  0000ea60            # transaction_timeout_ms 60000
`);
const RESPONSE = hex(`
  00000000            # throttle_time_ms 0
  0000                # error_code 0
  00000001 00000002   # producer_id 2^32 + 2
  0003                # producer_epoch 3
`);

describe('InitProducerId v0', () => {
  it('encodes and decodes the exact bytes', () => {
    expect(encode((w) => encodeInitProducerIdRequest(w, 0, { transactionalId: null, transactionTimeoutMs: 60_000 }))).toEqual(REQUEST);
    expect(decode(REQUEST, (r) => decodeInitProducerIdRequest(r, 0))).toEqual({ transactionalId: null, transactionTimeoutMs: 60_000 });
    const res = { throttleTimeMs: 0, errorCode: 0, producerId: 2 ** 32 + 2, producerEpoch: 3 };
    expect(encode((w) => encodeInitProducerIdResponse(w, 0, res))).toEqual(RESPONSE);
    expect(decode(RESPONSE, (r) => decodeInitProducerIdResponse(r, 0))).toEqual(res);
    expectEveryTruncationThrows(RESPONSE, (r) => decodeInitProducerIdResponse(r, 0));
  });

  it('agrees with kafkajs', async () => {
    const body = await kafkajsRequestBody('initProducerId', 0, { transactionalId: 'tx-1', transactionTimeout: 5000 });
    expect(decode(body, (r) => decodeInitProducerIdRequest(r, 0))).toEqual({ transactionalId: 'tx-1', transactionTimeoutMs: 5000 });
    const got = await kafkajsDecodeResponse('initProducerId', 0, encode((w) => encodeInitProducerIdResponse(w, 0, { throttleTimeMs: 0, errorCode: 0, producerId: 4001, producerEpoch: 0 })));
    expect(got).toMatchObject({ errorCode: 0, producerId: '4001', producerEpoch: 0 });
  });

  it('refuses other versions', () => {
    expect(() => encode((w) => encodeInitProducerIdRequest(w, 1, { transactionalId: null, transactionTimeoutMs: 1 }))).toThrow(/InitProducerId v1 is not supported/);
  });
});
