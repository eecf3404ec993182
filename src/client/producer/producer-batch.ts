/**
 * ProducerBatch: one RecordBatch v2 (magic 2) being filled for one partition, written in place
 * into a preallocated buffer. The 61-byte batch header is left blank while records are
 * appended and written once by `seal()`; records are encoded straight into the buffer:
 *
 *   record: length varint, attributes int8 (0), timestampDelta varlong, offsetDelta varint,
 *           key varint-bytes (-1 null), value varint-bytes (-1 null),
 *           headers: varint count of (key varint-string, value varint-bytes)
 *
 * (see src/protocol/records/record-batch.ts for the header layout). No object is allocated
 * per record: sizes are computed, varints written directly, the value copied once. With a
 * compression codec the records region is compressed as a whole at seal time. The CRC32C
 * (native) is computed once per batch over attributes .. end.
 */
import { compress, CompressionCodec, COMPRESSION_CODEC_MASK } from '../../protocol/records/compression.js';
import { crc32c } from '../../protocol/records/crc.js';
import { decodeRecordBatch, type Bytes } from '../../protocol/records/record-batch.js';
import type { RecordMetadata, SendCallback } from './types.js';
import { recordClock } from './record-clock.js';

export const BATCH_HEADER_SIZE = 61;

/** A header ready to be written: key bytes and value bytes (null allowed). */
export type EncodedHeader = [Buffer, Buffer | null];

/** Zig-zag 32-bit. */
function zz32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

function uvarintSize(z: number): number {
  return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5;
}

/** Size of a zig-zag varlong for any safe integer. */
function varlongSize(v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return uvarintSize(zz32(v));
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

function writeUvarint(buf: Buffer, p: number, z: number): number {
  while (z > 0x7f) {
    buf[p++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[p++] = z;
  return p;
}

function writeVarlong(buf: Buffer, p: number, v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return writeUvarint(buf, p, zz32(v));
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 128) {
    buf[p++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[p++] = z;
  return p;
}

function writeInt64(buf: Buffer, at: number, v: number): void {
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    buf.writeUInt32BE(Math.floor(v / 4294967296), at);
    buf.writeUInt32BE(v >>> 0, at + 4);
  } else if (v === -1) {
    buf.writeInt32BE(-1, at);
    buf.writeInt32BE(-1, at + 4);
  } else {
    buf.writeBigInt64BE(BigInt(v), at);
  }
}

function writeBytes(buf: Buffer, p: number, v: Bytes, len: number): number {
  p = writeUvarint(buf, p, zz32(len));
  if (len > 0) {
    if (typeof v === 'string') buf.write(v, p, len, 'utf8');
    else buf.set(v as Uint8Array, p);
    p += len;
  }
  return p;
}

/** Bytes a record takes in a batch (length prefix included). */
export function recordSize(tsDelta: number, offsetDelta: number, keyLen: number, valueLen: number, headersSize: number): number {
  const body =
    1 +
    varlongSize(tsDelta) +
    uvarintSize(zz32(offsetDelta)) +
    uvarintSize(zz32(keyLen)) +
    (keyLen > 0 ? keyLen : 0) +
    uvarintSize(zz32(valueLen)) +
    (valueLen > 0 ? valueLen : 0) +
    headersSize;
  return uvarintSize(zz32(body)) + body;
}

/** Encodes headers once (object or list form) and returns them with their encoded size. */
export function encodeHeaders(h: { key: string; value: Bytes }[] | Record<string, Bytes> | undefined): { list: EncodedHeader[]; size: number } | undefined {
  if (!h) return undefined;
  const entries: [string, Bytes][] = Array.isArray(h) ? h.map((x) => [x.key, x.value]) : Object.entries(h);
  if (entries.length === 0) return undefined;
  const list: EncodedHeader[] = [];
  let size = uvarintSize(zz32(entries.length));
  for (const [k, v] of entries) {
    const kb = Buffer.from(k, 'utf8');
    const vb = v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    size += uvarintSize(zz32(kb.length)) + kb.length + uvarintSize(zz32(vb ? vb.length : -1)) + (vb ? vb.length : 0);
    list.push([kb, vb]);
  }
  return { list, size };
}

export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  /** Per-partition creation order: retries are put back in this order. */
  readonly seq: number;
  /** The seq range this batch covers (halved when a batch is split). */
  seqSpan = 1;
  /** flush() generation the batch's records belong to. */
  readonly epoch: number;
  readonly createdMs: number;
  /** Bytes reserved from the buffer pool for `buf` (0 when the batch holds no pool memory). */
  reserved: number;
  buf: Buffer;
  pos = BATCH_HEADER_SIZE;
  count = 0;
  /**
   * The batch's first and largest record times, as distances from `timeBase` (milliseconds since
   * 1970; see recordClock): small integers while records carry no timestamp of their own.
   */
  timeBase = 0;
  firstTime = 0;
  maxTime = 0;
  /**
   * The records' callbacks. A record's callback is `cbCommon` (the first record's, at first)
   * unless listed in `cbAt`/`cbOther` (indexes in order, and their callbacks): most producers give most
   * records one callback (the console producer, the perf test outside its samples, the mirror),
   * and storing it per record would touch a per-batch array at every append (with 512 partitions,
   * a cache and TLB miss each: a third of the append's time, measured). Once many records differ
   * (a send() promise each) they go into `callbacks`, one per record.
   */
  cbCommon: SendCallback | undefined;
  cbAt: number[] | undefined;
  cbOther: (SendCallback | undefined)[] | undefined;
  callbacks: (SendCallback | undefined)[] | undefined;
  /** An empty array for `callbacks` if it is needed (recycled from completed batches). */
  spareCallbacks: (SendCallback | undefined)[] | undefined;
  /** The sealed bytes (header written, compressed; the CRC is set by stamp()). */
  sealed: Buffer | undefined;
  /** Why its last attempt failed (retried since): named if it expires waiting for the next. */
  lastError: Error | undefined;
  /** Idempotence: the producer id, epoch and first sequence the batch was (or is to be) sent with; -1 when none. */
  producerId = -1;
  producerEpoch = -1;
  baseSequence = -1;
  /** stamp() wrote the current producerId/epoch/baseSequence and the CRC into `sealed`. */
  stamped = false;
  attempts = 0;
  retryAtMs = 0;
  /** A request carrying the batch failed without an answer: the socket may still read its bytes, so its buffer goes back to the pool unrecycled. */
  noReuse = false;
  done = false;

  constructor(topic: string, partition: number, seq: number, epoch: number, buf: Buffer, reserved: number, nowMs: number) {
    this.topic = topic;
    this.partition = partition;
    this.seq = seq;
    this.epoch = epoch;
    this.buf = buf;
    this.reserved = reserved;
    this.createdMs = nowMs;
  }

  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Appends one record if it fits; returns false (writing nothing) when it does not.
   * `keyLen`/`valueLen` are the byte lengths (-1 for null), computed by the caller once;
   * `timestamp` undefined: now.
   */
  tryAppend(timestamp: number | undefined, key: Bytes, keyLen: number, value: Bytes, valueLen: number, headers: { list: EncodedHeader[]; size: number } | undefined, cb: SendCallback | undefined): boolean {
    const n = this.count;
    let ts: number;
    if (timestamp === undefined) {
      ts = recordClock.sinceBase();
      if (n === 0) this.timeBase = recordClock.base;
      else if (recordClock.base !== this.timeBase) ts += recordClock.base - this.timeBase; // the clock moved its base
    } else {
      if (n === 0) this.timeBase = recordClock.base || 0;
      ts = timestamp - this.timeBase;
    }
    if (n === 0) {
      this.firstTime = ts;
      this.maxTime = ts;
    } else if (ts > this.maxTime) {
      this.maxTime = ts;
    }
    const tsDelta = ts - this.firstTime;
    // the sizes of the record's parts; the common small cases without a call
    const tsSize = tsDelta >= 0 && tsDelta < 64 ? 1 : varlongSize(tsDelta);
    const nSize = n < 64 ? 1 : uvarintSize(n << 1);
    const keySize = keyLen < 0 ? 1 : uvarintSize(keyLen << 1) + keyLen;
    const valueSize = valueLen < 0 ? 1 : uvarintSize(valueLen << 1) + valueLen;
    const body = 1 + tsSize + nSize + keySize + valueSize + (headers === undefined ? 1 : headers.size);
    const bodyZ = body << 1;
    const buf = this.buf;
    let p = this.pos;
    if (p + uvarintSize(bodyZ) + body > buf.length) {
      if (n === 0) this.firstTime = this.maxTime = 0;
      return false;
    }
    p = writeUvarint(buf, p, bodyZ);
    buf[p++] = 0; // attributes
    if (tsSize === 1 && tsDelta >= 0) buf[p++] = tsDelta << 1; // zigzag of a small non-negative delta
    else p = writeVarlong(buf, p, tsDelta);
    if (nSize === 1) buf[p++] = n << 1;
    else p = writeUvarint(buf, p, n << 1);
    if (keyLen < 0) buf[p++] = 1;
    else p = writeBytes(buf, p, key, keyLen);
    if (valueLen < 0) buf[p++] = 1;
    else p = writeBytes(buf, p, value, valueLen);
    if (headers === undefined) {
      buf[p++] = 0;
    } else {
      p = writeUvarint(buf, p, zz32(headers.list.length));
      for (const [hk, hv] of headers.list) {
        p = writeBytes(buf, p, hk, hk.length);
        p = writeBytes(buf, p, hv, hv ? hv.length : -1);
      }
    }
    this.pos = p;
    const all = this.callbacks;
    if (all !== undefined) all[n] = cb;
    else if (n === 0) this.cbCommon = cb;
    else if (cb !== this.cbCommon) this.#otherCallback(n, cb);
    this.count = n + 1;
    return true;
  }

  /** Record n's callback is not `cbCommon`: listed, or (once many differ) every record's kept. */
  #otherCallback(n: number, cb: SendCallback | undefined): void {
    const at = (this.cbAt ??= []);
    const other = (this.cbOther ??= []);
    at.push(n);
    other.push(cb);
    if (at.length < 16 || at.length * 4 < n) return;
    // many differ from cbCommon: every record's callback, then either the most recent one as the
    // common callback (the first record was the odd one) or, if that lists too many too, one
    // entry per record
    const all = this.spareCallbacks ?? [];
    for (let i = 0, k = 0; i <= n; i++) {
      if (k < at.length && at[k] === i) all[i] = other[k++];
      else all[i] = this.cbCommon;
    }
    const common = cb;
    const reAt: number[] = [];
    const reOther: (SendCallback | undefined)[] = [];
    for (let i = 0; i <= n && reAt.length * 4 <= n; i++) {
      if (all[i] !== common) {
        reAt.push(i);
        reOther.push(all[i]);
      }
    }
    if (reAt.length * 4 <= n) {
      all.fill(undefined, 0, n + 1);
      this.cbCommon = common;
      this.cbAt = reAt;
      this.cbOther = reOther;
      return;
    }
    this.spareCallbacks = undefined;
    this.callbacks = all;
    this.cbAt = this.cbOther = undefined;
  }

  /** Record i's callback. */
  callbackAt(i: number): SendCallback | undefined {
    if (this.callbacks !== undefined) return this.callbacks[i];
    const at = this.cbAt;
    if (at !== undefined) {
      const k = at.indexOf(i);
      if (k >= 0) return this.cbOther![k];
    }
    return i < this.count ? this.cbCommon : undefined;
  }

  /**
   * Once the batch is completed: the array that held its callbacks, cleared, for another batch
   * (or undefined), and the batch lets go of its callbacks.
   */
  takeCallbackArray(): (SendCallback | undefined)[] | undefined {
    const all = this.callbacks;
    this.callbacks = this.cbAt = this.cbOther = this.cbCommon = undefined;
    if (all !== undefined) {
      all.fill(undefined, 0, this.count);
      return all;
    }
    const spare = this.spareCallbacks;
    this.spareCallbacks = undefined;
    return spare;
  }

  /** After seal(): the sealed bytes now live in `buf` (exactly them), `reserved` bytes of the pool. */
  replaceSealed(buf: Buffer, reserved: number): void {
    this.buf = buf;
    this.sealed = buf;
    this.reserved = reserved;
  }

  /** Bytes the batch takes on the wire once sealed (uncompressed). */
  get sizeInBytes(): number {
    return this.sealed ? this.sealed.length : this.pos;
  }

  /**
   * Writes the header, compresses and checksums. Returns the bytes to send; `release` is
   * called with the pool buffer when it is no longer referenced (compressed batches free it
   * at once; uncompressed ones keep it until the batch completes).
   */
  seal(codec: CompressionCodec, release: (buf: Buffer, reserved: number) => void): Buffer {
    if (this.sealed) return this.sealed;
    let out: Buffer;
    if (codec === CompressionCodec.None) {
      out = this.buf.subarray(0, this.pos);
    } else {
      const c = compress(codec, this.buf.subarray(BATCH_HEADER_SIZE, this.pos));
      out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + c.length);
      out.set(c, BATCH_HEADER_SIZE);
      release(this.buf, this.reserved);
      this.reserved = 0;
      this.buf = out;
    }
    out.writeUInt32BE(0, 0); // baseOffset: the broker assigns it
    out.writeUInt32BE(0, 4);
    out.writeInt32BE(out.length - 12, 8);
    out.writeInt32BE(-1, 12); // partitionLeaderEpoch
    out[16] = 2; // magic
    out.writeInt16BE(codec & COMPRESSION_CODEC_MASK, 21);
    out.writeInt32BE(Math.max(0, this.count - 1), 23);
    writeInt64(out, 27, this.timeBase + this.firstTime);
    writeInt64(out, 35, this.timeBase + this.maxTime);
    out.writeInt32BE(this.count, 57);
    this.sealed = out;
    return out;
  }

  /**
   * Writes the producer id, epoch and base sequence into the sealed header and computes the
   * CRC32C (attributes .. end), once per (re)send with new values: a batch goes out only
   * stamped. -1s for a producer that is not idempotent.
   */
  stamp(producerId: number, producerEpoch: number, baseSequence: number): void {
    const out = this.sealed!;
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    writeInt64(out, 43, producerId);
    out.writeInt16BE(producerEpoch, 51);
    out.writeInt32BE(baseSequence, 53);
    out.writeUInt32BE(crc32c(out.subarray(21)), 17);
    this.stamped = true;
  }

  /** Completes every record: offsets from `baseOffset` on, or the error. Callback errors are swallowed. */
  complete(err: Error | null, baseOffset: number, logAppendTime: number): void {
    if (this.done) return;
    this.done = true;
    const all = this.callbacks;
    const at = this.cbAt;
    const common = this.cbCommon;
    if (all === undefined && at === undefined && common === undefined) return;
    const n = this.count;
    for (let i = 0, k = 0; i < n; i++) {
      let cb: SendCallback | undefined;
      if (all !== undefined) cb = all[i];
      else if (at !== undefined && k < at.length && at[k] === i) cb = this.cbOther![k++];
      else cb = common;
      if (cb === undefined) continue;
      try {
        if (err) cb(err, undefined);
        else if (cb.length < 2) cb(null, undefined); // it takes no metadata (produceFields)
        else {
          const md: RecordMetadata = {
            topic: this.topic,
            partition: this.partition,
            offset: baseOffset < 0 ? -1 : baseOffset + i,
            logAppendTime,
          };
          cb(null, md);
        }
      } catch {
        // a throwing callback must not break the producer
      }
    }
  }
}

/**
 * Splits a sealed batch the broker refused as too large into two batches of half its records
 * each, in order. The halves keep their records' sequence numbers (the first starts where `b`
 * did), its producer id, attempts, creation time and callbacks, and sit at `b`'s place in the
 * partition's queue (`seq` and `seq + seqSpan/2`).
 */
export function splitBatch(b: ProducerBatch, codec: CompressionCodec): ProducerBatch[] {
  const { records } = decodeRecordBatch(b.sealed!, 0);
  const mid = records.length >> 1;
  let from = 0;
  return [records.slice(0, mid), records.slice(mid)].map((recs, h) => {
    const headerList = recs.map((r) => encodeHeaders(r.headers));
    const size = BATCH_HEADER_SIZE + recs.reduce((s, r, i) => s + recordSize(r.timestamp - recs[0]!.timestamp, i, r.key ? r.key.length : -1, r.value ? r.value.length : -1, headerList[i]?.size ?? 1), 0);
    const half = new ProducerBatch(b.topic, b.partition, b.seq + (h * b.seqSpan) / 2, b.epoch, Buffer.allocUnsafe(size + 16), 0, b.createdMs);
    half.seqSpan = b.seqSpan / 2;
    half.attempts = b.attempts;
    half.producerId = b.producerId;
    half.producerEpoch = b.producerEpoch;
    half.baseSequence = b.baseSequence < 0 ? -1 : (b.baseSequence + from) % 0x80000000;
    recs.forEach((r, i) => {
      half.tryAppend(r.timestamp, r.key, r.key ? r.key.length : -1, r.value, r.value ? r.value.length : -1, headerList[i], b.callbackAt(from + i));
    });
    from += recs.length;
    half.seal(codec, () => undefined);
    return half;
  });
}
