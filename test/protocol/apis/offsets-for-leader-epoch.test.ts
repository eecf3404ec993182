import { describe, expect, it } from 'vitest';
import {
  decodeOffsetsForLeaderEpochRequest,
  decodeOffsetsForLeaderEpochResponse,
  encodeOffsetsForLeaderEpochRequest,
  encodeOffsetsForLeaderEpochResponse,
} from '../../../src/protocol/apis/offsets-for-leader-epoch.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { CorruptDataError, KafkaError } from '../../../src/common/errors.js';

describe('OffsetsForLeaderEpoch v0', () => {
  const req = { topics: [{ topic: 't', partitions: [{ partition: 2, leaderEpoch: 7 }] }] };
  const reqHex = '00000001' + '0001' + '74' + '00000001' + '00000002' + '00000007';
  const res = { topics: [{ topic: 't', partitions: [{ errorCode: 0, partition: 2, endOffset: 1234 }] }] };
  const resHex = '00000001' + '0001' + '74' + '00000001' + '0000' + '00000002' + '00000000000004d2';

  it('encodes and decodes the request byte for byte', () => {
    expect(encodeOffsetsForLeaderEpochRequest(new Writer(), 0, req).finish().toString('hex')).toBe(reqHex);
    expect(decodeOffsetsForLeaderEpochRequest(new Reader(Buffer.from(reqHex, 'hex')), 0)).toEqual(req);
  });

  it('encodes and decodes the response byte for byte', () => {
    expect(encodeOffsetsForLeaderEpochResponse(new Writer(), 0, res).finish().toString('hex')).toBe(resHex);
    expect(decodeOffsetsForLeaderEpochResponse(new Reader(Buffer.from(resHex, 'hex')), 0)).toEqual({ topics: [{ topic: 't', partitions: [{ ...res.topics[0]!.partitions[0]!, leaderEpoch: -1 }] }] });
  });

  it('v1 carries the leader epoch the end offset belongs to (KIP-279)', () => {
    const v1 = { topics: [{ topic: 't', partitions: [{ errorCode: 0, partition: 2, leaderEpoch: 5, endOffset: 1234 }] }] };
    const hex = '00000001' + '0001' + '74' + '00000001' + '0000' + '00000002' + '00000005' + '00000000000004d2';
    expect(encodeOffsetsForLeaderEpochResponse(new Writer(), 1, v1).finish().toString('hex')).toBe(hex);
    expect(decodeOffsetsForLeaderEpochResponse(new Reader(Buffer.from(hex, 'hex')), 1)).toEqual(v1);
    expect(decodeOffsetsForLeaderEpochResponse(new Reader(Buffer.from(resHex, 'hex')), 0).topics[0]!.partitions[0]!.leaderEpoch).toBe(-1);
  });

  it('refuses every truncation and an unsupported version', () => {
    const bytes = Buffer.from(reqHex, 'hex');
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeOffsetsForLeaderEpochRequest(new Reader(bytes.subarray(0, cut)), 0)).toThrow(CorruptDataError);
    }
    expect(() => encodeOffsetsForLeaderEpochRequest(new Writer(), 2, req)).toThrow(KafkaError);
  });
});
