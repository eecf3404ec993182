/**
 * The bytes Kafka consumers put inside the group APIs when protocol_type is 'consumer': the
 * metadata of each protocol in JoinGroup (a subscription) and the assignments in SyncGroup.
 * The broker never looks inside them; the group leader (a client) reads the subscriptions and
 * writes the assignments. kafkajs, librdkafka, kafka-python and the Java client all use this
 * layout (Java: ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json).
 *
 * ConsumerProtocolSubscription (Version: 0) => version [topics] user_data
 *   version => INT16
 *   topics => STRING
 *   user_data => NULLABLE_BYTES
 * ConsumerProtocolSubscription (Version: 1) => version [topics] user_data [owned_partitions]
 *   owned_partitions => topic [partitions] (KIP-429, cooperative rebalancing)
 *     topic => STRING
 *     partitions => INT32
 *
 * ConsumerProtocolAssignment (Version: 0-1) => version [assigned_partitions] user_data
 *   assigned_partitions => topic [partitions]
 *     topic => STRING
 *     partitions => INT32
 *   user_data => NULLABLE_BYTES
 *
 * Newer versions only append fields (subscription v2 adds generation_id, v3 rack_id), so the
 * decoders read any version >= 0 as its known prefix (the v1 layout for v1+) and ignore the
 * bytes after it, as Kafka's ConsumerProtocol does; a negative version is corrupt. The encoders
 * write versions 0 and 1. Decoders copy user_data out of the input.
 */
import { CorruptDataError, ErrorCode, KafkaError } from '../common/errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** The protocol_type of Kafka consumer groups in JoinGroup. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';
/** The highest version the encoders write. */
export const CONSUMER_PROTOCOL_MAX_VERSION = 1;

export interface ConsumerProtocolTopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerProtocolSubscription {
  /** As read from the bytes (may be above 1 when decoded); the encoders write 0 or 1. */
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+; v0 decodes as []. Absent: []. */
  ownedPartitions?: ConsumerProtocolTopicPartitions[];
}

export interface ConsumerProtocolAssignment {
  /** As read from the bytes (may be above 1 when decoded); the encoders write 0 or 1. */
  version: number;
  topics: ConsumerProtocolTopicPartitions[];
  userData: Buffer | null;
}

function checkEncodeVersion(what: string, version: number): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_MAX_VERSION) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `${what} v${version} is not supported (v0-v${CONSUMER_PROTOCOL_MAX_VERSION})`);
  }
}

function readVersion(r: Reader, what: string): number {
  const version = r.int16();
  if (version < 0) throw new CorruptDataError(`${what}: negative version ${version}`, { at: r.offset - 2 });
  return version;
}

function writeTopicPartitions(w: Writer, list: readonly ConsumerProtocolTopicPartitions[]): void {
  w.array(list, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p));
  });
}

function readTopicPartitions(r: Reader): ConsumerProtocolTopicPartitions[] {
  return r.array((r) => ({ topic: r.requiredString(), partitions: r.array((r) => r.int32(), 4) }), 6);
}

function copy(b: Buffer | null): Buffer | null {
  return b === null ? null : Buffer.from(b);
}

export function writeConsumerProtocolSubscription(w: Writer, sub: ConsumerProtocolSubscription): Writer {
  checkEncodeVersion('ConsumerProtocolSubscription', sub.version);
  w.int16(sub.version);
  w.array(sub.topics, (w, t) => w.string(t));
  w.bytes(sub.userData);
  if (sub.version >= 1) writeTopicPartitions(w, sub.ownedPartitions ?? []);
  return w;
}

/** Reads a subscription's known prefix; the reader is left after it (newer versions have more). */
export function readConsumerProtocolSubscription(r: Reader): ConsumerProtocolSubscription {
  const version = readVersion(r, 'ConsumerProtocolSubscription');
  const topics = r.array((r) => r.requiredString(), 2);
  const userData = copy(r.bytes());
  const ownedPartitions = version >= 1 ? readTopicPartitions(r) : [];
  return { version, topics, userData, ownedPartitions };
}

export function writeConsumerProtocolAssignment(w: Writer, a: ConsumerProtocolAssignment): Writer {
  checkEncodeVersion('ConsumerProtocolAssignment', a.version);
  w.int16(a.version);
  writeTopicPartitions(w, a.topics);
  return w.bytes(a.userData);
}

/** Reads an assignment's known prefix; the reader is left after it. */
export function readConsumerProtocolAssignment(r: Reader): ConsumerProtocolAssignment {
  const version = readVersion(r, 'ConsumerProtocolAssignment');
  const topics = readTopicPartitions(r);
  return { version, topics, userData: copy(r.bytes()) };
}

/** The JoinGroup protocol metadata for a subscription. */
export function encodeConsumerProtocolSubscription(sub: ConsumerProtocolSubscription): Buffer {
  return Buffer.from(writeConsumerProtocolSubscription(new Writer(64), sub).finish());
}

/** A JoinGroup protocol metadata; bytes after the known prefix are ignored. */
export function decodeConsumerProtocolSubscription(buf: Buffer): ConsumerProtocolSubscription {
  return readConsumerProtocolSubscription(new Reader(buf));
}

/** The SyncGroup assignment bytes for one member. */
export function encodeConsumerProtocolAssignment(a: ConsumerProtocolAssignment): Buffer {
  return Buffer.from(writeConsumerProtocolAssignment(new Writer(64), a).finish());
}

/**
 * A member's SyncGroup assignment; bytes after the known prefix are ignored. Empty bytes (what
 * a coordinator answers a member the leader assigned nothing, and what SyncGroup carries with
 * an error) decode as version 0 with no partitions, as librdkafka and kafkajs read them.
 */
export function decodeConsumerProtocolAssignment(buf: Buffer): ConsumerProtocolAssignment {
  if (buf.length === 0) return { version: 0, topics: [], userData: null };
  return readConsumerProtocolAssignment(new Reader(buf));
}
