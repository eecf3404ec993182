/**
 * The records of Kafka's internal `__consumer_offsets` topic, byte for byte as Kafka's
 * GroupMetadataManager writes them (0.9 through 2.x), and the partition a group's records go to.
 * Pure codecs: no I/O.
 *
 * Every key and every value starts with an INT16 schema version, then the fields of that version
 * (big-endian; STRING = INT16 length + UTF-8, -1 not allowed; NULLABLE_STRING allows -1;
 * BYTES = INT32 length + bytes, -1 not allowed; ARRAY = INT32 count, -1 not allowed).
 *
 * Keys
 *   v0, v1  offset commit key    group STRING, topic STRING, partition INT32   (Kafka writes v1)
 *   v2      group metadata key   group STRING
 *
 * Offset commit values
 *   v0  offset INT64, metadata STRING, timestamp INT64
 *   v1  offset INT64, metadata STRING, commit_timestamp INT64, expire_timestamp INT64
 *   v2  offset INT64, metadata STRING, commit_timestamp INT64
 *   v3  offset INT64, leader_epoch INT32, metadata STRING, commit_timestamp INT64
 * Kafka 2.1+ (inter.broker.protocol.version >= 2.1-IV1) writes v3, except v1 when the commit
 * carries an explicit expire timestamp (a retention time in OffsetCommit v2-v4); older brokers
 * write v1 with expire_timestamp -1 when there is none. leader_epoch -1 means none.
 *
 * Group metadata values
 *   v0  protocol_type STRING, generation INT32, protocol NULLABLE_STRING, leader NULLABLE_STRING,
 *       members [member_id STRING, client_id STRING, client_host STRING, session_timeout INT32,
 *                subscription BYTES, assignment BYTES]
 *   v1  as v0, each member with rebalance_timeout INT32 between client_host and session_timeout
 *   v2  as v1, with current_state_timestamp INT64 between leader and members (-1: none)
 *   v3  as v2, each member with group_instance_id NULLABLE_STRING right after member_id
 * Kafka writes v0 before 0.10.1, v1 before 2.1, v2 before 2.3, v3 from 2.3.
 *
 * A record with a null value (a tombstone) deletes the offset or the group.
 *
 * Stricter than Kafka, whose schema reader ignores bytes left over after the last field: a key or
 * value with trailing bytes is reported as corrupt here.
 */
import { CorruptDataError } from '../common/errors.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';

/** The key versions Kafka writes (CURRENT_OFFSET_KEY_SCHEMA_VERSION, CURRENT_GROUP_KEY_SCHEMA_VERSION). */
export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
/** The value versions Kafka 2.3+ writes by default. */
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_VALUE_VERSION = 3;
/** The group value's protocol_type of groups run by Java consumers (ConsumerProtocol.PROTOCOL_TYPE). */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

export interface OffsetCommitValue {
  offset: number;
  /** v3 only; -1 (none) when decoded from v0-v2. */
  leaderEpoch: number;
  metadata: string;
  /** v0 calls it timestamp. */
  commitTimestamp: number;
  /** v1 only; -1 (none: the broker's retention applies) when decoded from v0, v2, v3. */
  expireTimestamp: number;
}

export interface GroupMemberMetadata {
  memberId: string;
  /** v3 only; null when decoded from v0-v2. */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** v1+; decoded from v0 as the session timeout (as Kafka does). */
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's protocol (for consumers: ConsumerProtocol subscription). */
  subscription: Buffer;
  /** For consumers: a ConsumerProtocol assignment (see decodeConsumerAssignment). */
  assignment: Buffer;
}

export interface GroupMetadataValue {
  /** '' when the group has none. */
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** v2+; -1 (none) when decoded from v0-v1. */
  currentStateTimestamp: number;
  members: GroupMemberMetadata[];
}

export type DecodedOffsetCommitValue = OffsetCommitValue & { version: number };
export type DecodedGroupMetadataValue = GroupMetadataValue & { version: number };

export type OffsetsRecord =
  | { kind: 'offset'; keyVersion: number; group: string; topic: string; partition: number; value: DecodedOffsetCommitValue | null }
  | { kind: 'group'; group: string; value: DecodedGroupMetadataValue | null };

function done(r: Reader, what: string): void {
  if (r.remaining !== 0) throw new CorruptDataError(`${what}: ${r.remaining} bytes left over after the last field`, { at: r.offset });
}

/** Rethrows a CorruptDataError with what was being decoded in front of its message; anything else as it is. */
function corrupt(what: string, err: unknown): never {
  if (err instanceof CorruptDataError) throw new CorruptDataError(`${what}: ${err.message}`, err.context);
  throw err;
}

function requiredBytes(r: Reader, field: string): Buffer {
  const b = r.bytes();
  if (b === null) throw new CorruptDataError(`${field}: null bytes where the schema does not allow null`, { at: r.offset });
  return b;
}

function requiredArray<T>(r: Reader, field: string, each: (r: Reader) => T, minElementSize: number): T[] {
  const items = r.nullableArray(each, minElementSize);
  if (items === null) throw new CorruptDataError(`${field}: null array where the schema does not allow null`, { at: r.offset });
  return items;
}

// ---------------------------------------------------------------------------------------------
// Keys

/** An offset commit key; Kafka writes version 1 (version 0 has the same fields). */
export function encodeOffsetCommitKey(key: OffsetCommitKey, version: 0 | 1 = OFFSET_COMMIT_KEY_VERSION): Buffer {
  return Buffer.from(new Writer(64).int16(version).string(key.group).string(key.topic).int32(key.partition).finish());
}

/** A group metadata key (version 2). */
export function encodeGroupMetadataKey(group: string): Buffer {
  return Buffer.from(new Writer(32).int16(GROUP_METADATA_KEY_VERSION).string(group).finish());
}

// ---------------------------------------------------------------------------------------------
// Offset commit values

/** The version Kafka 2.1+ writes for this value: 1 when it has an expire timestamp, else 3. */
export function offsetCommitValueVersion(v: OffsetCommitValue): 1 | 3 {
  return v.expireTimestamp >= 0 ? 1 : 3;
}

/**
 * An offset commit value in the given version (by default the one Kafka 2.1+ writes, see
 * offsetCommitValueVersion). Fields the version lacks are left out: leaderEpoch below v3,
 * expireTimestamp outside v1 (v1 writes -1 when there is none, as Kafka does).
 */
export function encodeOffsetCommitValue(v: OffsetCommitValue, version: 0 | 1 | 2 | 3 = offsetCommitValueVersion(v)): Buffer {
  const w = new Writer(64).int16(version).int64(v.offset);
  if (version === 3) w.int32(v.leaderEpoch);
  w.string(v.metadata).int64(v.commitTimestamp);
  if (version === 1) w.int64(v.expireTimestamp);
  return Buffer.from(w.finish());
}

export function decodeOffsetCommitValue(buf: Buffer): DecodedOffsetCommitValue {
  const r = new Reader(buf);
  try {
    const version = r.int16();
    if (version < 0 || version > 3) throw new CorruptDataError(`unknown offset commit value version ${version}`);
    const offset = r.int64();
    const leaderEpoch = version === 3 ? r.int32() : -1;
    const metadata = r.requiredString();
    const commitTimestamp = r.int64();
    const expireTimestamp = version === 1 ? r.int64() : -1;
    done(r, `offset commit value v${version}`);
    return { version, offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
  } catch (err) {
    corrupt('offset commit value', err);
  }
}

// ---------------------------------------------------------------------------------------------
// Group metadata values

/**
 * A group metadata value in the given version (by default 3, what Kafka 2.3+ writes). Fields the
 * version lacks are left out: current_state_timestamp below v2, rebalance_timeout in v0,
 * group_instance_id below v3. As Kafka, refuses a group with members but no protocol.
 */
export function encodeGroupMetadataValue(v: GroupMetadataValue, version: 0 | 1 | 2 | 3 = GROUP_METADATA_VALUE_VERSION): Buffer {
  if (v.members.length > 0 && v.protocol === null) throw new Error('a group with members must have a protocol (Kafka refuses to write it too)');
  const w = new Writer(256).int16(version).string(v.protocolType).int32(v.generation).string(v.protocol).string(v.leader);
  if (version >= 2) w.int64(v.currentStateTimestamp);
  w.array(v.members, (w, m) => {
    w.string(m.memberId);
    if (version >= 3) w.string(m.groupInstanceId);
    w.string(m.clientId).string(m.clientHost);
    if (version >= 1) w.int32(m.rebalanceTimeoutMs);
    w.int32(m.sessionTimeoutMs).bytes(m.subscription).bytes(m.assignment);
  });
  return Buffer.from(w.finish());
}

export function decodeGroupMetadataValue(buf: Buffer): DecodedGroupMetadataValue {
  const r = new Reader(buf);
  try {
    const version = r.int16();
    if (version < 0 || version > 3) throw new CorruptDataError(`unknown group metadata value version ${version}`);
    const protocolType = r.requiredString();
    const generation = r.int32();
    const protocol = r.string();
    const leader = r.string();
    const currentStateTimestamp = version >= 2 ? r.int64() : -1;
    // smallest member: three empty strings, the timeouts, two empty byte arrays
    const minMember = 2 + 2 + 2 + 4 + 4 + 4 + (version >= 1 ? 4 : 0) + (version >= 3 ? 2 : 0);
    const members = requiredArray(
      r,
      'members',
      (r): GroupMemberMetadata => {
        const memberId = r.requiredString();
        const groupInstanceId = version >= 3 ? r.string() : null;
        const clientId = r.requiredString();
        const clientHost = r.requiredString();
        const rebalanceTimeout = version >= 1 ? r.int32() : undefined;
        const sessionTimeoutMs = r.int32();
        const subscription = Buffer.from(requiredBytes(r, 'subscription'));
        const assignment = Buffer.from(requiredBytes(r, 'assignment'));
        return { memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: rebalanceTimeout ?? sessionTimeoutMs, sessionTimeoutMs, subscription, assignment };
      },
      minMember,
    );
    done(r, `group metadata value v${version}`);
    return { version, protocolType, generation, protocol, leader, currentStateTimestamp, members };
  } catch (err) {
    corrupt('group metadata value', err);
  }
}

// ---------------------------------------------------------------------------------------------
// Whole records

/**
 * Decodes a record of __consumer_offsets: an offset commit (key v0/v1) or a group's metadata
 * (key v2), with its value or null for a tombstone. Throws CorruptDataError on a missing key,
 * bytes that do not parse, an unknown key or value version, or bytes left over.
 */
export function decodeOffsetsRecord(key: Buffer | null, value: Buffer | null): OffsetsRecord {
  const k = decodeKey(key);
  if (k.kind === 'offset') return { ...k, value: value === null ? null : decodeOffsetCommitValue(value) };
  return { ...k, value: value === null ? null : decodeGroupMetadataValue(value) };
}

function decodeKey(key: Buffer | null): { kind: 'offset'; keyVersion: number; group: string; topic: string; partition: number } | { kind: 'group'; group: string } {
  if (key === null) throw new CorruptDataError('the record has no key (every __consumer_offsets record has one)');
  const r = new Reader(key);
  try {
    const version = r.int16();
    if (version === 0 || version === 1) {
      const group = r.requiredString();
      const topic = r.requiredString();
      const partition = r.int32();
      done(r, `offset commit key v${version}`);
      return { kind: 'offset', keyVersion: version, group, topic, partition };
    }
    if (version === 2) {
      const group = r.requiredString();
      done(r, 'group metadata key v2');
      return { kind: 'group', group };
    }
    throw new CorruptDataError(`unknown key version ${version} (0 and 1: offset commit, 2: group metadata)`);
  } catch (err) {
    corrupt('record key', err);
  }
}

// ---------------------------------------------------------------------------------------------
// The group's partition

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit int arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The __consumer_offsets partition that holds a group's records: Kafka's
 * `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions`, where Utils.abs is Math.abs except
 * that Integer.MIN_VALUE maps to 0 (not `n & 0x7fffffff`, which is Utils.toPositive, the
 * producer partitioner's: the two differ for every other negative hash).
 */
export function partitionForGroup(groupId: string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) throw new RangeError(`numPartitions must be a positive integer, not ${numPartitions}`);
  const h = javaStringHashCode(groupId);
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % numPartitions;
}

// ---------------------------------------------------------------------------------------------
// The consumer protocol's assignment (the bytes of a member's assignment in a 'consumer' group)

export interface ConsumerAssignment {
  version: number;
  /** In the order of the bytes: topic by topic, each topic's partitions in their order. */
  partitions: { topic: string; partition: number }[];
  userData: Buffer | null;
}

/**
 * ConsumerProtocol's Assignment: version INT16, assigned_partitions [topic STRING,
 * partitions [INT32]], user_data NULLABLE BYTES. As Kafka, a version above 1 is read with the
 * version 1 layout (same as 0); a negative version is refused. Trailing bytes are ignored, as
 * Kafka does (newer versions may append fields).
 */
export function decodeConsumerAssignment(buf: Buffer): ConsumerAssignment {
  const r = new Reader(buf);
  try {
    const version = r.int16();
    if (version < 0) throw new CorruptDataError(`negative consumer protocol assignment version ${version}`);
    const partitions: { topic: string; partition: number }[] = [];
    const topics = requiredArray(r, 'assigned_partitions', (r) => ({ topic: r.requiredString(), partitions: requiredArray(r, 'partitions', (r) => r.int32(), 4) }), 6);
    for (const t of topics) for (const p of t.partitions) partitions.push({ topic: t.topic, partition: p });
    const userData = r.bytes();
    return { version, partitions, userData: userData === null ? null : Buffer.from(userData) };
  } catch (err) {
    corrupt('consumer protocol assignment', err);
  }
}

/** ConsumerProtocol's Assignment, version 0. */
export function encodeConsumerAssignment(partitions: { topic: string; partition: number }[], userData: Buffer | null = null): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) {
    const list = byTopic.get(p.topic) ?? [];
    list.push(p.partition);
    byTopic.set(p.topic, list);
  }
  const w = new Writer(64).int16(0);
  w.array([...byTopic], (w, [topic, ps]) => w.string(topic).array(ps, (w, p) => w.int32(p)));
  return Buffer.from(w.bytes(userData).finish());
}

// ---------------------------------------------------------------------------------------------
// Kafka's text form (GroupMetadataManager.formatRecordKeyAndValue, 2.5+, as DumpLogSegments
// --offsets-decoder prints it)

/** Scala's "%X".format(BigInt(1, bytes)): upper-case hex without leading zeros, '' for no bytes. */
function kafkaHex(b: Buffer): string {
  if (b.length === 0) return '';
  return BigInt(`0x${b.toString('hex')}`).toString(16).toUpperCase();
}

/** A JSON string as Jackson writes it: \" \\ \b \f \n \r \t, other controls as upper-case \u00XX. */
function jsonString(s: string): string {
  const short: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return `"${s.replace(/["\\\u0000-\u001f]/g, (c) => short[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)}"`;
}

function formatGroupValue(v: GroupMetadataValue): string {
  const assignment = v.members.map((m) => {
    if (v.protocolType !== CONSUMER_PROTOCOL_TYPE) return `${m.memberId}=${kafkaHex(m.assignment)}`;
    const a = decodeConsumerAssignment(m.assignment);
    const parts = `[${a.partitions.map((p) => `${p.topic}-${p.partition}`).join(', ')}]`;
    const userData = a.userData === null ? '' : kafkaHex(a.userData);
    return userData === '' ? `${m.memberId}=${parts}` : `${m.memberId}=${parts}:${userData}`;
  });
  return (
    `{"protocolType":${jsonString(v.protocolType)},"protocol":${v.protocol === null ? 'null' : jsonString(v.protocol)},` +
    `"generationId":${v.generation},"assignment":${jsonString(`{${assignment.join(',')}}`)}}`
  );
}

/**
 * A __consumer_offsets record as Kafka 2.5+'s `kafka-dump-log.sh --offsets-decoder` prints it:
 *   key: offset_commit::group=G,partition=T-P   payload: offset=O[,metadata=M] | <DELETE>
 *   key: group_metadata::group=G                payload: {"protocolType":..,"protocol":..,
 *                                                "generationId":N,"assignment":"{m=[t-0, t-1]}"} | <DELETE>
 * (assignment: for 'consumer' groups each member's partitions, then :USERDATAHEX if any; for
 * other protocol types the assignment bytes in hex.) Members are listed in the record's order;
 * Kafka lists them in its hash map's order. Throws CorruptDataError as decodeOffsetsRecord does.
 */
export function formatOffsetsRecord(key: Buffer | null, value: Buffer | null): { key: string; payload: string } {
  const rec = decodeOffsetsRecord(key, value);
  if (rec.kind === 'offset') {
    const v = rec.value;
    const payload = v === null ? '<DELETE>' : v.metadata === '' ? `offset=${v.offset}` : `offset=${v.offset},metadata=${v.metadata}`;
    return { key: `offset_commit::group=${rec.group},partition=${rec.topic}-${rec.partition}`, payload };
  }
  return { key: `group_metadata::group=${rec.group}`, payload: rec.value === null ? '<DELETE>' : formatGroupValue(rec.value) };
}
