/**
 * The read side of a partition log: fetch by offset and lookup by timestamp, over a snapshot
 * of the segment list. Reads are positional file reads (pread) of whole batches as stored;
 * there is no in-process cache (the OS page cache serves them).
 *
 * readBatches(segments, offset, maxBytes, upTo): from the segment holding `offset`, the batch
 * CONTAINING `offset` and those after it, up to maxBytes, never a batch whose last offset is
 * >= upTo, and at least one whole batch when one is available even if it is larger than
 * maxBytes (Kafka 0.10.1+ semantics: a consumer never gets stuck on a big batch).
 */
import { LOG_OVERHEAD, decodeRecordBatch, splitBatches } from '../protocol/records/record-batch.js';
import { floorIndex } from './recovery.js';
import type { LogSegment } from './segment.js';

export interface ReadResult {
  /** Whole batches, starting with the batch that contains the requested offset. */
  records: Buffer;
  /** The offset after the last batch returned (the requested offset when none). */
  nextOffset: number;
}

export async function readBatches(segments: readonly LogSegment[], offset: number, maxBytes: number, upTo: number): Promise<ReadResult> {
  const empty = { records: Buffer.alloc(0), nextOffset: offset };
  if (offset >= upTo) return empty;
  for (let i = floorIndex(segments, offset); i < segments.length; i++) {
    const seg = segments[i]!;
    const loc = await seg.findBatch(offset, seg.size);
    if (!loc) continue;
    if (loc.lastOffset >= upTo) return empty;
    const want = Math.max(loc.size, Math.min(maxBytes, seg.size - loc.position));
    const buf = await seg.readAt(loc.position, want);
    let end = 0;
    let last = loc.lastOffset;
    for (const { at, header } of splitBatches(buf)) {
      const lastOffset = header.baseOffset + header.lastOffsetDelta;
      if (lastOffset >= upTo || (at > 0 && at + header.batchLength + LOG_OVERHEAD > maxBytes)) break;
      end = at + header.batchLength + LOG_OVERHEAD;
      last = lastOffset;
    }
    return { records: buf.subarray(0, end), nextOffset: last + 1 };
  }
  return empty;
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
        const batch = await seg.readAt(loc.position, loc.size);
        const found = decodeRecordBatch(batch).records.find((r) => r.timestamp >= ts);
        if (found) return { offset: found.offset, timestamp: found.timestamp };
      }
      loc = await seg.findBatch(loc.lastOffset + 1, seg.size, loc.position + loc.size);
    }
  }
  return undefined;
}
