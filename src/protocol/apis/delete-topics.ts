/**
 * DeleteTopics (api key 20), version 0.
 *
 * DeleteTopics Request (Version: 0) => [topics] timeout
 *   topics => STRING
 *   timeout => INT32
 *
 * DeleteTopics Response (Version: 0) => [topic_error_codes]
 *   topic_error_codes => topic error_code
 *     topic => STRING
 *     error_code => INT16
 */
import { ApiKey, checkVersion } from '../api-keys.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const DELETE_TOPICS_MIN_VERSION = 0;
export const DELETE_TOPICS_MAX_VERSION = 0;

export interface DeleteTopicsRequest {
  topics: string[];
  timeoutMs: number;
}
export interface DeleteTopicsTopicResult {
  topic: string;
  errorCode: number;
}
export interface DeleteTopicsResponse {
  topics: DeleteTopicsTopicResult[];
}

const check = (v: number): void =>
  checkVersion(ApiKey.DeleteTopics, v, DELETE_TOPICS_MIN_VERSION, DELETE_TOPICS_MAX_VERSION);

export function encodeDeleteTopicsRequest(w: Writer, version: number, req: DeleteTopicsRequest): Writer {
  check(version);
  w.array(req.topics, (w, t) => w.string(t));
  return w.int32(req.timeoutMs);
}

export function decodeDeleteTopicsRequest(r: Reader, version: number): DeleteTopicsRequest {
  check(version);
  const topics = r.array((r) => r.requiredString(), 2);
  const timeoutMs = r.int32();
  return { topics, timeoutMs };
}

export function encodeDeleteTopicsResponse(w: Writer, version: number, res: DeleteTopicsResponse): Writer {
  check(version);
  return w.array(res.topics, (w, t) => w.string(t.topic).int16(t.errorCode));
}

export function decodeDeleteTopicsResponse(r: Reader, version: number): DeleteTopicsResponse {
  check(version);
  return { topics: r.array((r) => ({ topic: r.requiredString(), errorCode: r.int16() }), 4) };
}
