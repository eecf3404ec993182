/**
 * The read side of a partition log: fetch by offset and lookup by timestamp, over a snapshot
 * of the segment list. Reads are positional file reads (pread) of whole batches as stored;
 * there is no in-process cache (the OS page cache serves them).
 *
 * readBatches(segments, offset, maxBytes, upTo): from the segment holding `offset`, the batch
 * CONTAINING `offset` and those after it, up to maxBytes, never a batch whose last offset is
 * >= upTo, and at least one whole batch when one is available even if it is larger than
 * maxBytes (Kafka 0.10.1+ semantics: a consumer never gets stuck on a big batch).
 *
 * Encrypted batches (encryption.ts) are returned decrypted: whole plaintext batches, maxBytes
 * counted on their plaintext sizes. A batch whose key is not held fails the read
 * (MissingKeyError), one that fails authentication too (CorruptDataError): never ciphertext.
 */
import { CorruptDataError } from '../common/errors.js';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_V2, decodeRecordBatch, readBatchHeader } from '../protocol/records/record-batch.js';
import { ENCRYPTION_OVERHEAD, decryptBatch, decryptBatchInto, isEncryptedAt } from './encryption.js';
import { floorIndex } from './recovery.js';
import type { LogSegment } from './segment.js';

export interface ReadResult {
  /** Whole batches, starting with the batch that contains the requested offset. */
  records: Buffer;
  /** The offset after the last batch returned (the requested offset when none). */
  nextOffset: number;
}

/** `alloc`: where the bytes are read into (a reader that reuses its buffers); a fresh buffer if not given. */
export async function readBatches(segments: readonly LogSegment[], offset: number, maxBytes: number, upTo: number, alloc?: (n: number) => Buffer): Promise<ReadResult> {
  const empty = { records: Buffer.alloc(0), nextOffset: offset };
  if (offset >= upTo) return empty;
  for (let i = floorIndex(segments, offset); i < segments.length; i++) {
    const seg = segments[i]!;
    const loc = await seg.findBatch(offset, seg.size);
    if (!loc) continue;
    if (loc.lastOffset >= upTo) return empty;
    // an encrypted batch is ENCRYPTION_OVERHEAD bytes larger on disk than in the answer:
    // read enough more to fill maxBytes with plaintext (estimated from the first batch's size)
    const slack = seg.keys ? ENCRYPTION_OVERHEAD * Math.ceil(maxBytes / Math.max(loc.size - ENCRYPTION_OVERHEAD, 1)) : 0;
    const want = Math.max(loc.size, Math.min(maxBytes + slack, seg.size - loc.position));
    let buf = await seg.readAt(loc.position, want, alloc);
    let end = 0;
    let plain = 0;
    let encrypted = false;
    let last = loc.lastOffset;
    for (;;) {
      let limited = false;
      while (end + LOG_OVERHEAD <= buf.length) {
        const size = buf.readInt32BE(end + 8) + LOG_OVERHEAD;
        if (size < BATCH_HEADER_SIZE) throw new CorruptDataError(`${seg.logPath}: record batch at ${loc.position + end}: batchLength ${size - LOG_OVERHEAD} is below the minimum`);
        if (end + size > buf.length) break;
        const header = readBatchHeader(buf, end);
        const enc = isEncryptedAt(buf, end);
        if (!enc && header.magic !== MAGIC_V2) throw new CorruptDataError(`${seg.logPath}: record batch at ${loc.position + end}: magic ${header.magic}, expected ${MAGIC_V2}`);
        const plainSize = enc ? size - ENCRYPTION_OVERHEAD : size;
        const lastOffset = header.baseOffset + header.lastOffsetDelta;
        if (lastOffset >= upTo || (end > 0 && plain + plainSize > maxBytes)) {
          limited = true;
          break;
        }
        encrypted ||= enc;
        end += size;
        plain += plainSize;
        last = lastOffset;
      }
      // the estimate fell short (later batches larger than the first): read the rest once more
      const remaining = seg.size - loc.position - buf.length;
      if (limited || !encrypted || plain >= maxBytes || remaining <= 0) break;
      const more = await seg.readAt(loc.position + buf.length, Math.min(maxBytes - plain + 8 * ENCRYPTION_OVERHEAD, remaining));
      if (more.length === 0) break;
      buf = Buffer.concat([buf, more]);
    }
    if (!encrypted) return { records: buf.subarray(0, end), nextOffset: last + 1 };
    return decryptSome(seg, buf, end, plain, last);
  }
  return empty;
}

/**
 * Decrypts the stored batches buf[0, end) into one buffer. A batch that fails (authentication,
 * missing key) ends the answer before it; failing on the first batch fails the read.
 */
function decryptSome(seg: LogSegment, buf: Buffer, end: number, plain: number, last: number): ReadResult {
  const out = Buffer.allocUnsafe(plain);
  let o = 0;
  let at = 0;
  let next = last + 1;
  while (at < end) {
    try {
      o += decryptBatchInto(seg.keys, buf, at, out, o, seg.logPath);
    } catch (e) {
      if (at === 0) throw e;
      next = buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
      break;
    }
    at += buf.readInt32BE(at + 8) + LOG_OVERHEAD;
  }
  return { records: o === plain ? out : out.subarray(0, o), nextOffset: next };
}

/** The first offset below `upTo` whose record timestamp is >= ts; undefined if none. */
export async function findOffsetForTimestamp(segments: readonly LogSegment[], ts: number, upTo: number): Promise<number | undefined> {
  return (await findRecordForTimestamp(segments, ts, upTo))?.offset;
}

/** The first record below `upTo` whose timestamp is >= ts, as its offset and timestamp; undefined if none. */
export async function findRecordForTimestamp(
  segments: readonly LogSegment[],
  ts: number,
  upTo: number,
): Promise<{ offset: number; timestamp: number } | undefined> {
  for (const seg of segments) {
    if (seg.baseOffset >= upTo) break;
    if (seg.maxTimestamp >= 0 && seg.maxTimestamp < ts) continue;
    const hint = seg.timeIndex.lookupBefore(ts);
    let loc = await seg.findBatch(hint ? hint.offset : seg.baseOffset, seg.size);
    while (loc && loc.lastOffset < upTo) {
      if (loc.maxTimestamp >= ts) {
        const batch = decryptBatch(seg.keys, await seg.readAt(loc.position, loc.size), 0, seg.logPath);
        const found = decodeRecordBatch(batch).records.find((r) => r.timestamp >= ts);
        if (found) return { offset: found.offset, timestamp: found.timestamp };
      }
      loc = await seg.findBatch(loc.lastOffset + 1, seg.size, loc.position + loc.size);
    }
  }
  return undefined;
}
