/**
 * InitProducerId (api key 22), version 0: a producer asks for a producer id and epoch, which
 * it then writes into every RecordBatch it sends with per-partition sequence numbers, so that
 * a partition leader can refuse a gap (OUT_OF_ORDER_SEQUENCE_NUMBER) and recognise a resent
 * batch (idempotent producer, KIP-98). Transactions are not supported: a transactional id is
 * refused.
 *
 * InitProducerId Request (Version: 0) => transactional_id transaction_timeout_ms
 *   transactional_id => NULLABLE_STRING
 *   transaction_timeout_ms => INT32
 *
 * InitProducerId Response (Version: 0) => throttle_time_ms error_code producer_id producer_epoch
 *   throttle_time_ms => INT32
 *   error_code => INT16
 *   producer_id => INT64
 *   producer_epoch => INT16
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const INIT_PRODUCER_ID_MIN_VERSION = 0;
export const INIT_PRODUCER_ID_MAX_VERSION = 0;

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
}
export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  /** -1 with an error. */
  producerId: number;
  producerEpoch: number;
}

const check = (v: number): void => checkVersion(ApiKey.InitProducerId, v, INIT_PRODUCER_ID_MIN_VERSION, INIT_PRODUCER_ID_MAX_VERSION);

export function encodeInitProducerIdRequest(w: Writer, version: number, req: InitProducerIdRequest): Writer {
  check(version);
  return w.string(req.transactionalId).int32(req.transactionTimeoutMs);
}

export function decodeInitProducerIdRequest(r: Reader, version: number): InitProducerIdRequest {
  check(version);
  return { transactionalId: r.string(), transactionTimeoutMs: r.int32() };
}

export function encodeInitProducerIdResponse(w: Writer, version: number, res: InitProducerIdResponse): Writer {
  check(version);
  return w.int32(res.throttleTimeMs).int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch);
}

export function decodeInitProducerIdResponse(r: Reader, version: number): InitProducerIdResponse {
  check(version);
  return { throttleTimeMs: r.int32(), errorCode: r.int16(), producerId: r.int64(), producerEpoch: r.int16() };
}
