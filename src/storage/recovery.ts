/**
 * Loading a partition directory, and recovery after an unclean stop (Log.scala loadSegments /
 * recoverLog; LogSegment.recover).
 *
 * Files in `<log.dir>/<topic>-<partition>/` on load:
 *   - a cleaner's swap cut short by a crash is completed: `<base>.log.swap` replaces the
 *     segments it covers and becomes `<base>.log` (completeSwaps);
 *   - leftovers of interrupted operations are deleted: `*.deleted`, `*.cleaned`, `*.tmp`, and
 *     index files without their `.log`;
 *   - every `<20-digit base offset>.log` is a segment.
 * After a clean shutdown (`.kafka_cleanshutdown` in the log dir) the segments are trusted: the
 * indexes get a sanity check (rebuilt if it fails) and the active segment's end is found by
 * scanning headers from its last index entry. After an unclean stop, every segment from the one
 * holding the recovery point (recovery-point-offset-checkpoint) onwards is scanned: each batch
 * must fit in the file, be magic 2 with a good CRC32C and start past the previous batch (a
 * compacted segment has gaps between batches, and may end before the next segment begins); the
 * segment is truncated at the first batch that does not, its indexes are rebuilt, and every
 * later segment is deleted. An encrypted batch (encryption.ts) must also pass its GCM
 * authentication (a failure counts as a bad CRC). A segment whose first batch is under a key
 * the ring does not hold stops the load with MissingKeyError (nothing is cut); a later batch
 * under an unknown key id is damage (a segment is written under one key) and is cut like a bad CRC. Recovered data is fsynced before the log opens.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CorruptDataError } from '../common/errors.js';
import { LOG_OVERHEAD, MIN_BATCH_LENGTH, validateBatch } from '../protocol/records/record-batch.js';
import type { LogConfig } from './config.js';
import { syncDir } from './checkpoint.js';
import { MissingKeyError, decryptBatch, isEncryptedAt, type KeyRing } from './encryption.js';
import { INDEX_SUFFIX, LOG_SUFFIX, LogSegment, TIME_INDEX_SUFFIX } from './segment.js';

export const SWAP_SUFFIX = '.swap';
const LEFTOVER_SUFFIXES = ['.deleted', '.cleaned', '.tmp', '.index.swap', '.timeindex.swap'];
const SEGMENT_NAME = /^(\d{20})\.(log|index|timeindex)$/;
const SWAP_NAME = /^(\d{20})\.log\.swap$/;
/** Recovery reads the log in chunks of this size (a batch larger than it is read whole). */
const RECOVERY_CHUNK = 8 * 1024 * 1024;

export interface LoadOptions {
  /** True when the log dir had a clean-shutdown marker. */
  cleanShutdown: boolean;
  /** Everything below this offset was fsynced (recovery-point-offset-checkpoint). */
  recoveryPoint: number;
  /** log.encryption.key.file's keys (encryption.ts); undefined: no encryption. */
  keys?: KeyRing;
}

export interface LoadResult {
  segments: LogSegment[];
  recoveredSegments: number;
  truncatedBytes: number;
  deletedLeftovers: string[];
}

export async function loadSegments(dir: string, config: LogConfig, now: number, opts: LoadOptions): Promise<LoadResult> {
  await fsp.mkdir(dir, { recursive: true });
  const deletedLeftovers: string[] = [];
  const swapped = await completeSwaps(dir, deletedLeftovers);
  const names = await fsp.readdir(dir);
  const bases = new Set<number>();
  for (const n of names) {
    if (LEFTOVER_SUFFIXES.some((s) => n.endsWith(s))) {
      await fsp.rm(path.join(dir, n), { force: true, recursive: true });
      deletedLeftovers.push(n);
      continue;
    }
    const m = SEGMENT_NAME.exec(n);
    if (m && m[2] === 'log') bases.add(Number(m[1]));
  }
  for (const n of names) {
    const m = SEGMENT_NAME.exec(n);
    if (m && m[2] !== 'log' && !bases.has(Number(m[1]))) {
      await fsp.rm(path.join(dir, n), { force: true });
      deletedLeftovers.push(n);
    }
  }
  const sorted = [...bases].sort((a, b) => a - b);
  const segments: LogSegment[] = [];
  for (const base of sorted) segments.push(await LogSegment.open(dir, base, config, now, opts.keys));
  if (segments.length === 0) segments.push(await LogSegment.open(dir, 0, config, now, opts.keys));
  // Encrypted segments need their key: refuse to open the log without it (never serve ciphertext,
  // never "recover" data by cutting it). A segment's batches share one key (the active segment
  // rolls when the current key changes, log.ts), so its first batch tells.
  for (const seg of segments) {
    const keyId = await seg.firstBatchKeyId();
    if (keyId && !opts.keys?.has(keyId)) {
      for (const s of segments) await s.close().catch(() => undefined);
      throw new MissingKeyError(keyId, `partition ${path.basename(dir)}, segment ${seg.logPath}`);
    }
  }

  let recoveredSegments = 0;
  let truncatedBytes = 0;
  const firstToRecover = opts.cleanShutdown ? segments.length : Math.max(0, floorIndex(segments, opts.recoveryPoint));
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const isLast = i === segments.length - 1;
    if (i < firstToRecover && !swapped.has(seg.baseOffset)) {
      const ok = await loadTrusted(seg, isLast ? undefined : segments[i + 1]!.baseOffset);
      if (ok) continue;
    }
    recoveredSegments++;
    const cut = await recoverSegment(seg);
    truncatedBytes += cut;
    const expectedEnd = isLast ? undefined : segments[i + 1]!.baseOffset;
    // a cleaned segment may end before the next one begins (its last records compacted away)
    if (expectedEnd !== undefined && cut === 0 && seg.nextOffset <= expectedEnd) seg.nextOffset = expectedEnd;
    if (cut > 0 || (expectedEnd !== undefined && seg.nextOffset !== expectedEnd)) {
      // Damage (or a gap): nothing after this point can be trusted.
      for (const later of segments.splice(i + 1)) {
        truncatedBytes += later.size;
        await later.markDeleted();
        await later.deleteFiles();
      }
    }
  }
  return { segments, recoveredSegments, truncatedBytes, deletedLeftovers };
}

/**
 * Finishes a cleaner's segment swap that a crash interrupted (Log.replaceSegments): a
 * `<base>.log.swap` was whole and fsynced before it got that name, so it replaces every segment
 * whose base offset lies in [base, the offset after its last batch); then it becomes
 * `<base>.log`. Returns the base offsets swapped in (their indexes are rebuilt).
 */
async function completeSwaps(dir: string, removed: string[]): Promise<Set<number>> {
  const out = new Set<number>();
  const names = await fsp.readdir(dir);
  for (const n of names) {
    const m = SWAP_NAME.exec(n);
    if (!m) continue;
    const base = Number(m[1]);
    const swapPath = path.join(dir, n);
    const end = await endOffsetOf(swapPath, base);
    for (const other of names) {
      const o = SEGMENT_NAME.exec(other);
      if (o && Number(o[1]) >= base && Number(o[1]) < Math.max(end, base + 1)) {
        await fsp.rm(path.join(dir, other), { force: true });
        removed.push(other);
      }
    }
    await fsp.rename(swapPath, path.join(dir, n.slice(0, -SWAP_SUFFIX.length)));
    out.add(base);
  }
  if (out.size > 0) await syncDir(dir);
  return out;
}

/** The offset after the last whole batch of a segment file (its base when empty). */
async function endOffsetOf(file: string, base: number): Promise<number> {
  const fh = await fsp.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(LOG_OVERHEAD + 15);
    let pos = 0;
    let end = base;
    while (pos + head.length <= size) {
      await fh.read(head, 0, head.length, pos);
      const len = head.readInt32BE(8);
      if (len < MIN_BATCH_LENGTH || pos + LOG_OVERHEAD + len > size) break;
      end = head.readInt32BE(0) * 4294967296 + head.readUInt32BE(4) + head.readInt32BE(23) + 1;
      pos += LOG_OVERHEAD + len;
    }
    return end;
  } finally {
    await fh.close();
  }
}

/** Largest i with segments[i].baseOffset <= offset (0 if none). */
export function floorIndex(segments: readonly { baseOffset: number }[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * A segment that needs no recovery: check its indexes, find its end. Returns false when the
 * indexes or the tail do not hold together (the caller then recovers it).
 */
async function loadTrusted(seg: LogSegment, nextBase: number | undefined): Promise<boolean> {
  if (!seg.offsetIndex.sanityCheck(seg.size)) return false;
  const last = seg.offsetIndex.lastEntry();
  if (last) {
    const head = await seg.readAt(last.position, 12);
    if (head.length < 12 || head.readInt32BE(0) * 4294967296 + head.readUInt32BE(4) !== last.offset) return false;
  }
  if (nextBase !== undefined) {
    seg.nextOffset = nextBase;
  } else {
    // Walk the headers from the last index entry to the end of the file.
    let end = last ? last.position : 0;
    let loc = await seg.findBatch(last ? last.offset : seg.baseOffset, seg.size, end);
    let next = last ? last.offset : seg.baseOffset;
    let tailMax = -1;
    while (loc) {
      tailMax = Math.max(tailMax, loc.maxTimestamp);
      if (loc.baseOffset < next) return false;
      end = loc.position + loc.size;
      next = loc.lastOffset + 1;
      loc = await seg.findBatch(next, seg.size, end);
    }
    if (end !== seg.size) return false;
    seg.nextOffset = next;
    seg.maxTimestamp = tailMax;
  }
  if (!seg.timeIndex.sanityCheck(seg.nextOffset)) return false;
  const lastTs = seg.timeIndex.lastEntry();
  seg.maxTimestamp = Math.max(seg.maxTimestamp, lastTs ? lastTs.timestamp : -1);
  return true;
}

/**
 * Scans a whole segment, validating every batch; truncates at the first bad or partial one and
 * rebuilds both indexes. Returns the number of bytes cut off.
 */
export async function recoverSegment(seg: LogSegment): Promise<number> {
  await seg.resetIndexes();
  const fileSize = (await seg.fileHandle.stat()).size;
  let pos = 0;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkAt = 0;
  let expected = seg.baseOffset;
  scan: while (pos + LOG_OVERHEAD <= fileSize) {
    if (pos + LOG_OVERHEAD > chunkAt + chunk.length) {
      chunkAt = pos;
      chunk = await seg.readAt(pos, Math.min(RECOVERY_CHUNK, fileSize - pos));
    }
    const batchLength = chunk.readInt32BE(pos - chunkAt + 8);
    const size = batchLength + LOG_OVERHEAD;
    if (batchLength < MIN_BATCH_LENGTH || pos + size > fileSize) break;
    if (pos + size > chunkAt + chunk.length) {
      chunkAt = pos;
      chunk = await seg.readAt(pos, Math.min(Math.max(RECOVERY_CHUNK, size), fileSize - pos));
    }
    try {
      const at = pos - chunkAt;
      // an encrypted batch must authenticate (GCM tag) and its plaintext pass the CRC check
      const h = isEncryptedAt(chunk, at) ? { ...validateBatch(decryptBatch(seg.keys, chunk, at, seg.logPath)), batchLength } : validateBatch(chunk, at);
      // offsets increase; a compacted segment has gaps between batches
      if (h.baseOffset < expected || h.baseOffset - seg.baseOffset + h.lastOffsetDelta >= 2 ** 31 - 1) break scan;
      seg.indexBatch(pos, h);
      expected = h.baseOffset + h.lastOffsetDelta + 1;
    } catch (e) {
      // A key id the ring lacks past the first batch (whose key was checked at load): a segment
      // is written under one key, so this is damage, not a key left out of the file.
      if (e instanceof CorruptDataError || e instanceof MissingKeyError) break;
      throw e;
    }
    pos += size;
  }
  const cut = fileSize - pos;
  if (cut > 0) await seg.truncateFile(pos);
  else seg.size = pos;
  await seg.fileHandle.datasync();
  await seg.offsetIndex.rewrite();
  await seg.timeIndex.rewrite();
  return cut;
}

export const SEGMENT_FILE_SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX];
