/**
 * SaslHandshake (api key 17) and SaslAuthenticate (api key 36), versions 0-1 of both (Kafka's
 * SaslHandshakeRequest.json / SaslAuthenticateRequest.json; v2 is the flexible version, not spoken).
 *
 * SaslHandshake Request (v0-1) => mechanism STRING
 * SaslHandshake Response (v0-1) => error_code INT16 [mechanisms STRING]
 *   v1 has the v0 layout; it only means "the tokens that follow travel in SaslAuthenticate".
 * SaslAuthenticate Request (v0-1) => auth_bytes BYTES
 * SaslAuthenticate Response => error_code INT16 error_message NULLABLE_STRING auth_bytes BYTES
 *   v1 adds session_lifetime_ms INT64 (0: no re-authentication).
 *
 * These are advertised (ApiVersions) only on SASL listeners, and are kept out of API_CODECS:
 * the broker's authenticator, not the request dispatcher, answers them (the dispatcher only
 * refuses them with ILLEGAL_SASL_STATE after authentication or on a listener without SASL).
 */
import { ApiKey, checkVersion, type ApiVersionRange } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const SASL_AUTHENTICATE_API_KEY = 36;
export const SASL_MAX_VERSION = 1;

/** What a SASL listener adds to its ApiVersions answer. */
export const SASL_API_VERSIONS: readonly ApiVersionRange[] = [
  { apiKey: ApiKey.SaslHandshake, minVersion: 0, maxVersion: SASL_MAX_VERSION },
  { apiKey: SASL_AUTHENTICATE_API_KEY, minVersion: 0, maxVersion: SASL_MAX_VERSION },
];

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  /** v1+. */
  sessionLifetimeMs: number;
}

const checkH = (v: number): void => checkVersion(ApiKey.SaslHandshake, v, 0, SASL_MAX_VERSION);
const checkA = (v: number): void => checkVersion(SASL_AUTHENTICATE_API_KEY, v, 0, SASL_MAX_VERSION);

export function encodeSaslHandshakeRequest(w: Writer, version: number, mechanism: string): Writer {
  checkH(version);
  return w.string(mechanism);
}

export function decodeSaslHandshakeRequest(r: Reader, version: number): string {
  checkH(version);
  return r.requiredString();
}

export function encodeSaslHandshakeResponse(w: Writer, version: number, res: SaslHandshakeResponse): Writer {
  checkH(version);
  return w.int16(res.errorCode).array(res.mechanisms, (w, m) => w.string(m));
}

export function decodeSaslHandshakeResponse(r: Reader, version: number): SaslHandshakeResponse {
  checkH(version);
  const errorCode = r.int16();
  return { errorCode, mechanisms: r.array((r) => r.requiredString(), 2) };
}

export function encodeSaslAuthenticateRequest(w: Writer, version: number, authBytes: Buffer): Writer {
  checkA(version);
  return w.bytes(authBytes);
}

export function decodeSaslAuthenticateRequest(r: Reader, version: number): Buffer {
  checkA(version);
  return r.requiredBytes();
}

export function encodeSaslAuthenticateResponse(w: Writer, version: number, res: SaslAuthenticateResponse): Writer {
  checkA(version);
  w.int16(res.errorCode).string(res.errorMessage).bytes(res.authBytes);
  if (version >= 1) w.int64(res.sessionLifetimeMs);
  return w;
}

export function decodeSaslAuthenticateResponse(r: Reader, version: number): SaslAuthenticateResponse {
  checkA(version);
  const errorCode = r.int16();
  const errorMessage = r.string();
  const authBytes = r.bytes() ?? Buffer.alloc(0);
  const sessionLifetimeMs = version >= 1 ? r.int64() : 0;
  return { errorCode, errorMessage, authBytes, sessionLifetimeMs };
}
