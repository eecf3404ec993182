/**
 * Request and response headers, and the size-prefixed frames around them.
 *
 *   Frame           => size INT32, then `size` bytes (a request or a response)
 *   Request header (v1, every non-flexible request version):
 *     api_key        => INT16
 *     api_version    => INT16
 *     correlation_id => INT32
 *     client_id      => NULLABLE_STRING
 *   Response header (v0):
 *     correlation_id => INT32
 *
 * One exception, as in Kafka: a ControlledShutdown v0 request (api key 7) uses request header v0,
 * which has no client_id at all; both directions here follow that.
 *
 * Flexible versions (ApiVersions v3+, ...) use request header v2, which appends tagged fields
 * after client_id. We never decode the body of such a request: its first four fields are the
 * same, so `decodeRequestHeader` still yields the api key, version and correlation id the broker
 * needs to answer UNSUPPORTED_VERSION (see `encodeApiVersionsResponse`). Responses to ApiVersions
 * always use header v0, whatever the version.
 */
import { ApiKey } from './api-keys.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface DecodedRequestHeader extends RequestHeader {
  /** Offset in the input buffer where the request body starts. */
  bodyOffset: number;
}

export interface ResponseHeader {
  correlationId: number;
}

/** True for the one request whose header has no client_id: ControlledShutdown v0. */
export function hasHeaderV0(apiKey: number, apiVersion: number): boolean {
  return apiKey === ApiKey.ControlledShutdown && apiVersion === 0;
}

/** Reads a request header v1 (v0 for ControlledShutdown v0) from `r`, leaving it at the body. */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = hasHeaderV0(apiKey, apiVersion) ? null : r.string();
  return { apiKey, apiVersion, correlationId, clientId };
}

/**
 * Decodes the header of one request (the bytes after the size prefix) starting at `at`.
 * Throws CorruptDataError when the header is cut short.
 */
export function decodeRequestHeader(buf: Buffer, at = 0): DecodedRequestHeader {
  const r = new Reader(buf, at);
  const h = readRequestHeader(r);
  return { ...h, bodyOffset: r.offset };
}

export function encodeRequestHeader(w: Writer, h: RequestHeader): Writer {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId);
  return hasHeaderV0(h.apiKey, h.apiVersion) ? w : w.string(h.clientId);
}

export function readResponseHeader(r: Reader): ResponseHeader {
  return { correlationId: r.int32() };
}

export function decodeResponseHeader(buf: Buffer, at = 0): ResponseHeader & { bodyOffset: number } {
  const r = new Reader(buf, at);
  return { ...readResponseHeader(r), bodyOffset: r.offset };
}

export function encodeResponseHeader(w: Writer, correlationId: number): Writer {
  return w.int32(correlationId);
}

/** A whole request frame: size, header, body (written by `writeBody`). */
export function frameRequest(h: RequestHeader, writeBody: (w: Writer) => void): Buffer {
  const w = new Writer();
  const sizeAt = w.reserveInt32();
  encodeRequestHeader(w, h);
  writeBody(w);
  w.setInt32(sizeAt, w.length - 4);
  return w.finish();
}

/** A whole response frame: size, correlation id, body (written by `writeBody`). */
export function frameResponse(correlationId: number, writeBody: (w: Writer) => void): Buffer {
  const w = new Writer();
  const sizeAt = w.reserveInt32();
  encodeResponseHeader(w, correlationId);
  writeBody(w);
  w.setInt32(sizeAt, w.length - 4);
  return w.finish();
}
