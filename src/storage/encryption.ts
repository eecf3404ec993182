/**
 * Encryption at rest of segment files (beyond Kafka; optional per broker). With
 * `log.encryption.key.file` set, every batch is encrypted with AES-256-GCM (node:crypto) as it
 * is written to a segment, after the log has assigned its offsets and log-append time.
 *
 * Key file: one key a line, `<keyId>:<64 hex chars>` (keyId an integer 1 .. 2^31-1, the key
 * 32 bytes), `#` comments and blank lines ignored. The LAST key listed is the current one
 * (new data); the others stay for reading older segments (key rotation: append a new key,
 * restart). A file readable by group or others gets a warning. Key bytes are never logged.
 *
 * On-disk frame of an encrypted batch (the 61-byte RecordBatch v2 header stays in the clear, so
 * the offset/time indexes, header scans, recovery's walk and the producer-state rebuild work
 * without the key):
 *
 *   0  baseOffset            int64    as in the plaintext batch
 *   8  batchLength           int32    on-disk bytes after this field = plaintext batchLength + 32
 *   12 partitionLeaderEpoch  int32    as in the plaintext batch
 *   16 magic                 int8     0x7e (ENCRYPTED_MAGIC): never valid for a plaintext batch
 *                                     (validateBatch accepts only 2), so a key-unaware reader
 *                                     rejects it instead of taking ciphertext for records
 *   17 crc .. 57 recordCount          as in the plaintext batch (the CRC32C of the plaintext)
 *   61 keyId                 int32    the key that encrypted it
 *   65 nonce                 12 bytes random
 *   77 ciphertext            the plaintext batch's bytes 61 .. end (its records), one GCM call
 *   .. tag                   16 bytes GCM authentication tag
 *
 * GCM's additional authenticated data is the on-disk header with the key id (bytes 0 .. 65):
 * a batch moved to another offset, or with any header field changed, fails authentication.
 * Decrypting restores magic 2 and the plaintext batchLength: the batch is byte-identical to the
 * one appended (its stored CRC checks out).
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, CorruptDataError, ErrorCode, KafkaError } from '../common/errors.js';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_V2, MIN_BATCH_LENGTH, type BatchPosition } from '../protocol/records/record-batch.js';

export const ENCRYPTION_KEY_FILE_PROPERTY = 'log.encryption.key.file';
export const ENCRYPTED_MAGIC = 0x7e;
export const MAGIC_OFFSET = 16;
const KEY_ID_OFFSET = BATCH_HEADER_SIZE; // 61
const NONCE_OFFSET = KEY_ID_OFFSET + 4; // 65
const CIPHERTEXT_OFFSET = NONCE_OFFSET + 12; // 77
const TAG_LENGTH = 16;
/** Bytes an encrypted batch has on disk beyond its plaintext: key id, nonce, tag. */
export const ENCRYPTION_OVERHEAD = 4 + 12 + TAG_LENGTH;
const ALGORITHM = 'aes-256-gcm';
const MAX_KEY_ID = 2 ** 31 - 1;

/** The keys of a broker: the current one encrypts, all of them decrypt. */
export class KeyRing {
  readonly currentId: number;
  readonly #keys: Map<number, Buffer>;
  /** The key file's permission bits when group or others may read it (a warning), else undefined. */
  readonly looseMode: number | undefined;
  #nonces = Buffer.alloc(0);
  #nonceAt = 0;

  constructor(keys: Iterable<[number, Uint8Array]>, currentId: number, looseMode?: number) {
    this.#keys = new Map([...keys].map(([id, k]) => [id, Buffer.from(k)]));
    if (!this.#keys.has(currentId)) throw new Error(`key ring: no key ${currentId}`);
    this.currentId = currentId;
    this.looseMode = looseMode;
  }

  /** Parses a key file's text; errors name `source` and the line. */
  static parse(text: string, source: string): KeyRing {
    const keys = new Map<number, Buffer>();
    let last: number | undefined;
    const bad = (n: number, why: string): never => {
      throw new ConfigError(`${ENCRYPTION_KEY_FILE_PROPERTY} ${source}, line ${n}: ${why} (expected <keyId>:<64 hex chars>, keyId 1..${MAX_KEY_ID})`, {
        context: { key: ENCRYPTION_KEY_FILE_PROPERTY, line: n },
      });
    };
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const m = /^(\d+)\s*:\s*([^\s]*)$/.exec(line);
      if (!m) bad(i + 1, 'not a key line');
      const id = Number(m![1]);
      if (!Number.isSafeInteger(id) || id < 1 || id > MAX_KEY_ID) bad(i + 1, `key id ${m![1]} is out of range`);
      const hex = m![2]!;
      if (!/^[0-9a-fA-F]*$/.test(hex)) bad(i + 1, `key ${id} is not hexadecimal`);
      if (hex.length !== 64) bad(i + 1, `key ${id} has ${hex.length} hex chars, AES-256 needs 64 (32 bytes)`);
      if (keys.has(id)) bad(i + 1, `key id ${id} is listed twice`);
      keys.set(id, Buffer.from(hex, 'hex'));
      last = id;
    });
    if (last === undefined) {
      throw new ConfigError(`${ENCRYPTION_KEY_FILE_PROPERTY} ${source}: no key in the file`, { context: { key: ENCRYPTION_KEY_FILE_PROPERTY } });
    }
    return new KeyRing(keys, last);
  }

  /** Reads a key file (synchronously: broker start-up). */
  static load(file: string): KeyRing {
    let text: string;
    let mode: number;
    try {
      mode = statSync(file).mode;
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${ENCRYPTION_KEY_FILE_PROPERTY} ${file}: cannot read it: ${(err as Error).message}`, { context: { key: ENCRYPTION_KEY_FILE_PROPERTY } });
    }
    const ring = KeyRing.parse(text, file);
    return (mode & 0o077) !== 0 ? new KeyRing(ring.#keys, ring.currentId, mode & 0o777) : ring;
  }

  has(id: number): boolean {
    return this.#keys.has(id);
  }
  get ids(): number[] {
    return [...this.#keys.keys()];
  }
  key(id: number): Buffer | undefined {
    return this.#keys.get(id);
  }

  /** What a worker thread needs to rebuild the ring (structured-clonable). */
  toTransfer(): KeyRingTransfer {
    return { currentId: this.currentId, keys: [...this.#keys].map(([id, k]) => [id, new Uint8Array(k)]) };
  }
  static fromTransfer(t: KeyRingTransfer): KeyRing {
    return new KeyRing(t.keys, t.currentId);
  }

  /** 12 random bytes, from a pool refilled 4 KiB at a time. */
  nonce(): Buffer {
    if (this.#nonceAt + 12 > this.#nonces.length) {
      this.#nonces = randomFillSync(Buffer.allocUnsafe(12 * 341));
      this.#nonceAt = 0;
    }
    const n = this.#nonces.subarray(this.#nonceAt, this.#nonceAt + 12);
    this.#nonceAt += 12;
    return n;
  }

  /** Never the key bytes. */
  toString(): string {
    return `KeyRing(current ${this.currentId}, ids ${this.ids.join(',')})`;
  }
  toJSON(): string {
    return this.toString();
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

export interface KeyRingTransfer {
  currentId: number;
  keys: [number, Uint8Array][];
}

/** A batch on disk whose key this broker does not have. Not a corruption: nothing is truncated for it. */
export class MissingKeyError extends KafkaError {
  readonly keyId: number;
  constructor(keyId: number, where: string) {
    super(ErrorCode.UNKNOWN, `${where}: the batch is encrypted with key id ${keyId}, which ${ENCRYPTION_KEY_FILE_PROPERTY} does not hold (is the key file set and complete?)`, {
      context: { keyId },
    });
    this.keyId = keyId;
  }
}

export function isEncryptedAt(buf: Buffer, at: number): boolean {
  return buf[at + MAGIC_OFFSET] === ENCRYPTED_MAGIC;
}

/** The key id of the encrypted batch at `at` (its header and 4 more bytes must be in `buf`). */
export function keyIdAt(buf: Buffer, at: number): number {
  return buf.readInt32BE(at + KEY_ID_OFFSET);
}

/** Bytes the batch at `at` (as stored) has once decrypted. */
export function plainSizeAt(buf: Buffer, at: number): number {
  const size = buf.readInt32BE(at + 8) + LOG_OVERHEAD;
  return isEncryptedAt(buf, at) ? size - ENCRYPTION_OVERHEAD : size;
}

/**
 * Encrypts a buffer of validated plaintext batches (offsets and times final) with the current
 * key: a new buffer of frames, and where each batch starts in it. One GCM call per batch.
 */
export function encryptBatches(keys: KeyRing, buf: Buffer, batches: readonly BatchPosition[]): { buf: Buffer; positions: number[] } {
  const out = Buffer.allocUnsafe(buf.length + batches.length * ENCRYPTION_OVERHEAD);
  const key = keys.key(keys.currentId)!;
  const positions: number[] = [];
  let o = 0;
  for (const { at, header } of batches) {
    const plainSize = header.batchLength + LOG_OVERHEAD;
    positions.push(o);
    buf.copy(out, o, at, at + BATCH_HEADER_SIZE);
    out.writeInt32BE(header.batchLength + ENCRYPTION_OVERHEAD, o + 8);
    out[o + MAGIC_OFFSET] = ENCRYPTED_MAGIC;
    out.writeInt32BE(keys.currentId, o + KEY_ID_OFFSET);
    const nonce = keys.nonce();
    nonce.copy(out, o + NONCE_OFFSET);
    const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(out.subarray(o, o + NONCE_OFFSET));
    let w = o + CIPHERTEXT_OFFSET;
    w += cipher.update(buf.subarray(at + BATCH_HEADER_SIZE, at + plainSize)).copy(out, w);
    w += cipher.final().copy(out, w);
    cipher.getAuthTag().copy(out, w);
    o += plainSize + ENCRYPTION_OVERHEAD;
  }
  if (o !== out.length) throw new Error(`encryptBatches: the batches cover ${o - batches.length * ENCRYPTION_OVERHEAD} of ${buf.length} bytes`);
  return { buf: out, positions };
}

/**
 * Decrypts the stored batch at `src[at]` into `dst[dstAt]` (plainSizeAt bytes); returns the
 * plaintext size. A plaintext batch is copied as is. MissingKeyError when the key is not held
 * (`where` names the file or partition), CorruptDataError when authentication fails.
 */
export function decryptBatchInto(keys: KeyRing | undefined, src: Buffer, at: number, dst: Buffer, dstAt: number, where: string): number {
  const size = src.readInt32BE(at + 8) + LOG_OVERHEAD;
  if (!isEncryptedAt(src, at)) return src.copy(dst, dstAt, at, at + size);
  const recordsLength = size - CIPHERTEXT_OFFSET - TAG_LENGTH;
  if (recordsLength < 0 || size - ENCRYPTION_OVERHEAD - LOG_OVERHEAD < MIN_BATCH_LENGTH) {
    throw new CorruptDataError(`${where}: encrypted batch at ${at} has batchLength ${size - LOG_OVERHEAD}, too short`, { at });
  }
  const keyId = src.readInt32BE(at + KEY_ID_OFFSET);
  const key = keys?.key(keyId);
  if (!key) throw new MissingKeyError(keyId, where);
  const baseOffset = src.readInt32BE(at) * 4294967296 + src.readUInt32BE(at + 4);
  const decipher = createDecipheriv(ALGORITHM, key, src.subarray(at + NONCE_OFFSET, at + CIPHERTEXT_OFFSET), { authTagLength: TAG_LENGTH });
  decipher.setAAD(src.subarray(at, at + NONCE_OFFSET));
  decipher.setAuthTag(src.subarray(at + size - TAG_LENGTH, at + size));
  const plain = decipher.update(src.subarray(at + CIPHERTEXT_OFFSET, at + size - TAG_LENGTH));
  try {
    decipher.final();
  } catch {
    throw new CorruptDataError(`${where}: encrypted batch at ${at} (base offset ${baseOffset}, key id ${keyId}) fails authentication: corrupt data or a wrong key`, {
      at,
      baseOffset,
      keyId,
    });
  }
  src.copy(dst, dstAt, at, at + BATCH_HEADER_SIZE);
  dst.writeInt32BE(size - ENCRYPTION_OVERHEAD - LOG_OVERHEAD, dstAt + 8);
  dst[dstAt + MAGIC_OFFSET] = MAGIC_V2;
  plain.copy(dst, dstAt + BATCH_HEADER_SIZE);
  return size - ENCRYPTION_OVERHEAD;
}

/** The stored batch at `at` as a plaintext batch (a view of `src` when it is not encrypted). */
export function decryptBatch(keys: KeyRing | undefined, src: Buffer, at: number, where: string): Buffer {
  if (!isEncryptedAt(src, at)) return src.subarray(at, at + src.readInt32BE(at + 8) + LOG_OVERHEAD);
  const out = Buffer.allocUnsafe(plainSizeAt(src, at));
  decryptBatchInto(keys, src, at, out, 0, where);
  return out;
}

/** Decrypts the whole stored batches in src[from, to) into one buffer of `plainBytes`. */
export function decryptRange(keys: KeyRing | undefined, src: Buffer, from: number, to: number, plainBytes: number, where: string): Buffer {
  const out = Buffer.allocUnsafe(plainBytes);
  let o = 0;
  for (let at = from; at < to; ) {
    const size = src.readInt32BE(at + 8) + LOG_OVERHEAD;
    o += decryptBatchInto(keys, src, at, out, o, where);
    at += size;
  }
  if (o !== plainBytes) throw new Error(`decryptRange: ${o} plaintext bytes, expected ${plainBytes}`);
  return out;
}
