/**
 * Kafka API keys and the version ranges this broker speaks.
 *
 * `SUPPORTED_API_VERSIONS` is exactly what the broker advertises in its ApiVersions response
 * (api_key, min_version, max_version). Clients pick the highest version both sides know, so a
 * range here must only list versions whose codecs exist under `apis/` (a test holds that).
 *
 * We speak only non-flexible versions (no tagged fields, no compact strings): ApiVersions v3+,
 * Metadata v9+, ... use request header v2 and are answered with UNSUPPORTED_VERSION.
 */
import { ErrorCode, KafkaError } from '../common/errors.js';

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  LeaderAndIsr: 4,
  StopReplica: 5,
  UpdateMetadata: 6,
  ControlledShutdown: 7,
  OffsetCommit: 8,
  OffsetFetch: 9,
  /** Called ConsumerMetadata in 0.8.2 and GroupCoordinator in 0.9. */
  FindCoordinator: 10,
  /** 11-16: the broker-coordinated consumer group APIs (0.9 group coordinator). */
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  OffsetsForLeaderEpoch: 23,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  /** Kafka 1.1+: removes empty broker-coordinated groups and their offsets. */
  DeleteGroups: 42,
} as const;
export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];

const NAMES = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key, name]));

/** The API's name (`Produce`, `Fetch`, ...) or `ApiKey(<n>)` for a key we do not know. */
export function apiName(apiKey: number): string {
  return NAMES.get(apiKey) ?? `ApiKey(${apiKey})`;
}

/** Whether `apiKey` is one this project names (apiName gives `ApiKey(n)` for the others). */
export function isKnownApi(apiKey: number): boolean {
  return NAMES.has(apiKey);
}

export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** Client-facing APIs, with the version ranges whose codecs live in `apis/`. */
export const CLIENT_API_VERSIONS: readonly ApiVersionRange[] = [
  { apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.Fetch, minVersion: 0, maxVersion: 6 },
  { apiKey: ApiKey.ListOffsets, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.OffsetCommit, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.OffsetFetch, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.FindCoordinator, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.JoinGroup, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.Heartbeat, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.LeaveGroup, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.SyncGroup, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.DescribeGroups, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.ListGroups, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.CreateTopics, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.DeleteTopics, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.InitProducerId, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.DeleteGroups, minVersion: 0, maxVersion: 1 },
];

/** Controller-to-broker APIs (0.8 design), version 0 only. */
export const INTERNAL_API_VERSIONS: readonly ApiVersionRange[] = [
  { apiKey: ApiKey.LeaderAndIsr, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.StopReplica, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.UpdateMetadata, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.ControlledShutdown, minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.OffsetsForLeaderEpoch, minVersion: 0, maxVersion: 1 },
];

/** Everything the broker advertises in ApiVersions, sorted by api key. */
export const SUPPORTED_API_VERSIONS: readonly ApiVersionRange[] = [...CLIENT_API_VERSIONS, ...INTERNAL_API_VERSIONS].sort(
  (a, b) => a.apiKey - b.apiKey,
);

const RANGES = new Map<number, ApiVersionRange>(SUPPORTED_API_VERSIONS.map((r) => [r.apiKey, r]));

/** The advertised range for an api key, or undefined when the broker does not speak it. */
export function supportedRange(apiKey: number): ApiVersionRange | undefined {
  return RANGES.get(apiKey);
}

export function isSupportedVersion(apiKey: number, version: number): boolean {
  const range = RANGES.get(apiKey);
  return range !== undefined && version >= range.minVersion && version <= range.maxVersion;
}

/**
 * Throws KafkaError(UNSUPPORTED_VERSION) unless `min <= version <= max`. Codecs call it with their
 * own bounds so a caller cannot silently encode a version whose layout we do not know.
 */
export function checkVersion(apiKey: number, version: number, min: number, max: number): void {
  if (!Number.isInteger(version) || version < min || version > max) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `${apiName(apiKey)} v${version} is not supported (v${min}-v${max})`, {
      context: { apiKey, apiVersion: version },
    });
  }
}
