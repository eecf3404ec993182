/** The controller-to-broker APIs of the 0.8 design, v0: LeaderAndIsr, StopReplica, UpdateMetadata, ControlledShutdown. */
import { describe, expect, it } from 'vitest';
import { codecFor } from '../../../src/protocol/apis/index.js';
import type { LeaderAndIsrRequest } from '../../../src/protocol/apis/leader-and-isr.js';
import { decodeRequestHeader, encodeRequestHeader, frameRequest } from '../../../src/protocol/header.js';
import { Reader } from '../../../src/protocol/reader.js';
import { decode, encode, expectBoundsChecked, hex } from './helpers.js';

const PARTITION_STATE = hex(`
  0001 74                   # topic "t"
  00000000                  # partition 0
  00000002                  # controller_epoch 2
  00000001                  # leader 1
  00000003                  # leader_epoch 3
  00000001 00000001         # isr [1]
  00000007                  # zk_version 7
  00000002 00000001 00000002  # replicas [1, 2]
`);
const BROKERS = hex('00000001 00000001 0001 68 00002384'); // [1 "h" 9092]
const STATES_REQUEST = Buffer.concat([hex('00000001 00000002 00000001'), PARTITION_STATE, BROKERS]);

const REQ: LeaderAndIsrRequest = {
  controllerId: 1,
  controllerEpoch: 2,
  partitionStates: [{ topic: 't', partition: 0, controllerEpoch: 2, leader: 1, leaderEpoch: 3, isr: [1], zkVersion: 7, replicas: [1, 2] }],
  liveLeaders: [{ id: 1, host: 'h', port: 9092 }],
};

function roundTrip(apiKey: number, req: unknown, reqBytes: Buffer, res: unknown, resBytes: Buffer, countAt: number): void {
  const c = codecFor(apiKey)!;
  expect(encode((w) => c.encodeRequest(w, 0, req))).toEqual(reqBytes);
  expect(decode(reqBytes, (r) => c.decodeRequest(r, 0))).toEqual(req);
  expect(encode((w) => c.encodeResponse(w, 0, res))).toEqual(resBytes);
  expect(decode(resBytes, (r) => c.decodeResponse(r, 0))).toEqual(res);
  expectBoundsChecked(reqBytes, (r) => c.decodeRequest(r, 0), countAt);
  expect(() => encode((w) => c.encodeRequest(w, 1, req))).toThrow(/not supported/);
}

describe('controller-to-broker codecs (v0)', () => {
  const PARTITION_ERRORS = hex('0000 00000001 0001 74 00000000 0006'); // error 0, [t-0: 6]
  const partitionErrors = { errorCode: 0, partitions: [{ topic: 't', partition: 0, errorCode: 6 }] };

  it('LeaderAndIsr', () => {
    roundTrip(4, REQ, STATES_REQUEST, partitionErrors, PARTITION_ERRORS, 8);
  });

  it('UpdateMetadata: the same partition states, live brokers, a bare error code back', () => {
    const { liveLeaders, ...rest } = REQ;
    roundTrip(6, { ...rest, liveBrokers: liveLeaders }, STATES_REQUEST, { errorCode: 11 }, hex('000b'), 8);
  });

  it('StopReplica', () => {
    const req = { controllerId: 1, controllerEpoch: 2, deletePartitions: true, partitions: [{ topic: 't', partition: 0 }] };
    roundTrip(5, req, hex('00000001 00000002 01 00000001 0001 74 00000000'), partitionErrors, PARTITION_ERRORS, 9);
  });

  it('ControlledShutdown, whose v0 request header has no client_id', () => {
    const res = { errorCode: 0, partitionsRemaining: [{ topic: 't', partition: 3 }] };
    const c = codecFor(7)!;
    expect(encode((w) => c.encodeRequest(w, 0, { brokerId: 5 }))).toEqual(hex('00000005'));
    const resBytes = hex('0000 00000001 0001 74 00000003');
    expect(encode((w) => c.encodeResponse(w, 0, res))).toEqual(resBytes);
    expect(decode(resBytes, (r) => c.decodeResponse(r, 0))).toEqual(res);
    expectBoundsChecked(resBytes, (r) => c.decodeResponse(r, 0), 2);

    const header = { apiKey: 7, apiVersion: 0, correlationId: 9, clientId: 'ignored' };
    expect(encode((w) => encodeRequestHeader(w, header))).toEqual(hex('0007 0000 00000009'));
    const frame = frameRequest(header, (w) => c.encodeRequest(w, 0, { brokerId: 5 }));
    expect(frame).toEqual(hex('0000000c 0007 0000 00000009 00000005'));
    const h = decodeRequestHeader(frame, 4);
    expect(h).toEqual({ apiKey: 7, apiVersion: 0, correlationId: 9, clientId: null, bodyOffset: 12 });
    expect(c.decodeRequest(new Reader(frame, h.bodyOffset), 0)).toEqual({ brokerId: 5 });
  });
});
