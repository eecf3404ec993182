/**
 * ApiVersions (api key 18), versions 0-2.
 *
 * ApiVersions Request (Version: 0-2) => (empty body)
 *
 * ApiVersions Response (Version: 0)   => error_code [api_versions]
 * ApiVersions Response (Version: 1-2) => error_code [api_versions] throttle_time_ms
 *   error_code => INT16
 *   api_versions => api_key min_version max_version
 *     api_key => INT16
 *     min_version => INT16
 *     max_version => INT16
 *   throttle_time_ms => INT32
 *
 * Version negotiation (KIP-35/KIP-511): a client sends its highest ApiVersions version first.
 * When the broker does not know that version (v3+ is flexible and uses request header v2) it
 * answers with error_code 35 (UNSUPPORTED_VERSION) in a *v0 body* listing what it supports, and
 * the client retries with a version from that list (librdkafka) or the next lower one (kafkajs).
 * `encodeApiVersionsResponse` writes that v0 body for any version outside 0-2, and
 * `decodeApiVersionsRequest` accepts every version (it never reads the body).
 */
import { ApiKey, SUPPORTED_API_VERSIONS, checkVersion, type ApiVersionRange } from '../api-keys.js';
import { ErrorCode } from '../../common/errors.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const API_VERSIONS_MIN_VERSION = 0;
export const API_VERSIONS_MAX_VERSION = 2;

export type ApiVersionsRequest = Record<string, never>;

export interface ApiVersionsResponse {
  errorCode: number;
  apiVersions: ApiVersionRange[];
  /** v1+. */
  throttleTimeMs: number;
}

function isKnownVersion(version: number): boolean {
  return Number.isInteger(version) && version >= API_VERSIONS_MIN_VERSION && version <= API_VERSIONS_MAX_VERSION;
}

/** The broker's answer: every supported range, with `errorCode` (0, or 35 for a bad version). */
export function apiVersionsResponse(errorCode: number = ErrorCode.NONE): ApiVersionsResponse {
  return { errorCode, apiVersions: SUPPORTED_API_VERSIONS.map((r) => ({ ...r })), throttleTimeMs: 0 };
}

/** The answer to an ApiVersions request whose version the broker does not speak. */
export function unsupportedApiVersionsResponse(): ApiVersionsResponse {
  return apiVersionsResponse(ErrorCode.UNSUPPORTED_VERSION);
}

export function encodeApiVersionsRequest(w: Writer, version: number, _req: ApiVersionsRequest = {}): Writer {
  checkVersion(ApiKey.ApiVersions, version, API_VERSIONS_MIN_VERSION, API_VERSIONS_MAX_VERSION);
  return w;
}

/** The body is empty in v0-v2 and ignored for later versions (we answer those with error 35). */
export function decodeApiVersionsRequest(_r: Reader, _version: number): ApiVersionsRequest {
  return {};
}

/**
 * Writes a v0-v2 body. For any other version, and for any UNSUPPORTED_VERSION answer, the v0
 * body (error_code, api_versions), which is what clients parse in that case.
 */
export function encodeApiVersionsResponse(w: Writer, version: number, res: ApiVersionsResponse): Writer {
  w.int16(res.errorCode);
  w.array(res.apiVersions, (w, v) => w.int16(v.apiKey).int16(v.minVersion).int16(v.maxVersion));
  if (!isV0Body(version, res.errorCode)) w.int32(res.throttleTimeMs);
  return w;
}

function isV0Body(version: number, errorCode: number): boolean {
  return errorCode === ErrorCode.UNSUPPORTED_VERSION || !isKnownVersion(version) || version === 0;
}

/**
 * Reads a response to an ApiVersions request of `version`. An UNSUPPORTED_VERSION answer is
 * read as a v0 body whatever the version asked.
 */
export function decodeApiVersionsResponse(r: Reader, version: number): ApiVersionsResponse {
  const errorCode = r.int16();
  const apiVersions = r.array((r) => ({ apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() }), 6);
  const throttleTimeMs = isV0Body(version, errorCode) ? 0 : r.int32();
  return { errorCode, apiVersions, throttleTimeMs };
}

