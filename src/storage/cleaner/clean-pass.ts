/**
 * One cleaning pass over one log (LogCleaner.Cleaner.clean), run inside a worker thread with
 * synchronous file I/O: it reads segment files by path and writes `<base>.log.cleaned` files;
 * it never touches the live segments. The main thread swaps the results in (log-cleaner.ts).
 *
 * 1. Map: over the dirty part, [firstDirtyOffset, end of the cleanable segments), every keyed
 *    record's key -> its offset (the last one wins). If the map fills, the pass ends at the
 *    first record that did not fit: `endOffset`.
 * 2. Clean: the segments from the log start below endOffset, in groups whose sizes sum to at
 *    most segment.bytes (and whose offsets span less than 2^31), each group into one
 *    `<first base>.log.cleaned`. A record is kept when its offset is >= endOffset, or >= its
 *    key's offset in the map (a key the map does not hold is only in the clean part: kept).
 *    Keyless records are dropped (a compacted log cannot use them). A tombstone (null value) is
 *    dropped once its segment was last modified more than delete.retention.ms ago. Batches
 *    keep their offsets, timestamps, producer ids, sequences and codec (batch-rewrite.ts); a
 *    batch with no record left is dropped; control batches are kept whole. Each cleaned file
 *    is fsynced and gets the mtime of the last segment it replaces. With encryption at rest
 *    (encryption.ts) the pass reads decrypted batches and writes every kept batch encrypted
 *    with the current key (a cleaned file is all under one key).
 */
import fs from 'node:fs';
import { ErrorCode, KafkaError } from '../../common/errors.js';
import { RecordScan, batchPayload, rebuildBatch } from '../../protocol/records/batch-rewrite.js';
import { CONTROL_MASK, LOG_OVERHEAD, MIN_BATCH_LENGTH, readBatchHeader, validateBatch, type RecordBatchHeader } from '../../protocol/records/record-batch.js';
import { KeyRing, decryptBatch, encryptBatches, isEncryptedAt, type KeyRingTransfer } from '../encryption.js';
import { OffsetMap } from './offset-map.js';

export const CLEANED_SUFFIX = '.cleaned';

export interface SegmentFile {
  baseOffset: number;
  /** The `.log` file. */
  path: string;
  size: number;
  /** The offset after the segment (the next segment's base). */
  nextOffset: number;
  lastModified: number;
  /** The largest record timestamp (-1 if none): min.compaction.lag.ms. */
  maxTimestamp: number;
}

export interface PassRequest {
  log: string;
  /** The cleanable segments, from the log start (never the active one). */
  segments: SegmentFile[];
  firstDirtyOffset: number;
  now: number;
  deleteRetentionMs: number;
  segmentBytes: number;
  mapBytes: number;
  loadFactor: number;
  ioBufferSize: number;
  maxIoBytesPerSecond: number;
  /** The log's encryption keys: encrypted batches are read decrypted, the cleaned files encrypted with the current key. */
  keys?: KeyRingTransfer;
}

export interface CleanedGroup {
  baseOffset: number;
  cleanedPath: string;
  /** Base offsets of the segments it replaces, in order. */
  replaces: number[];
  size: number;
}

export interface PassStats {
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  tombstonesDropped: number;
  mapKeys: number;
  elapsedMs: number;
}

export interface PassResult {
  endOffset: number;
  groups: CleanedGroup[];
  stats: PassStats;
}

interface Batch {
  buf: Buffer;
  at: number;
  header: RecordBatchHeader;
}

/**
 * Reads a segment file's batches in order, in chunks of `chunk` bytes (a bigger batch is read
 * whole); checks every CRC. Encrypted batches come decrypted (authenticated) in a buffer of their own.
 */
function* readBatches(path: string, size: number, chunk: number, io: Throttle, keys: KeyRing | undefined): Generator<Batch> {
  const fd = fs.openSync(path, 'r');
  try {
    let pos = 0;
    let buf: Buffer = Buffer.alloc(0);
    let bufAt = 0;
    while (pos + LOG_OVERHEAD <= size) {
      if (pos + LOG_OVERHEAD > bufAt + buf.length) ({ buf, bufAt } = readAt(fd, pos, Math.min(chunk, size - pos), io));
      const len = buf.readInt32BE(pos - bufAt + 8);
      if (len < MIN_BATCH_LENGTH) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${path}: bad batch length ${len} at position ${pos}`);
      const total = len + LOG_OVERHEAD;
      if (pos + total > size) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${path}: batch at position ${pos} runs past the end of the file`);
      if (pos + total > bufAt + buf.length) ({ buf, bufAt } = readAt(fd, pos, Math.min(Math.max(chunk, total), size - pos), io));
      const at = pos - bufAt;
      if (isEncryptedAt(buf, at)) {
        const plain = decryptBatch(keys, buf, at, path);
        yield { buf: plain, at: 0, header: validateBatch(plain, 0) };
      } else yield { buf, at, header: validateBatch(buf, at) };
      pos += total;
    }
    if (pos !== size) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${path}: ${size - pos} stray bytes at the end`);
  } finally {
    fs.closeSync(fd);
  }
}

function readAt(fd: number, pos: number, length: number, io: Throttle): { buf: Buffer; bufAt: number } {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  io.account(got);
  return { buf: buf.subarray(0, got), bufAt: pos };
}

/** Sleeps the worker thread so that reads and writes stay under `bytesPerSecond`. */
class Throttle {
  readonly #rate: number;
  readonly #start = Date.now();
  readonly #sleeper = new Int32Array(new SharedArrayBuffer(4));
  bytes = 0;
  constructor(bytesPerSecond: number) {
    this.#rate = bytesPerSecond;
  }
  account(n: number): void {
    this.bytes += n;
    if (this.#rate >= Number.MAX_SAFE_INTEGER) return;
    const ahead = (this.bytes / this.#rate) * 1000 - (Date.now() - this.#start);
    if (ahead > 10) Atomics.wait(this.#sleeper, 0, 0, ahead);
  }
}

/** Step 1: the key -> last offset map of the dirty part; returns where the pass ends. */
function buildMap(req: PassRequest, map: OffsetMap, io: Throttle, stats: PassStats, scan: RecordScan, keys: KeyRing | undefined): number {
  const last = req.segments[req.segments.length - 1]!;
  for (const seg of req.segments) {
    if (seg.nextOffset <= req.firstDirtyOffset) continue;
    for (const { buf, at, header } of readBatches(seg.path, seg.size, req.ioBufferSize, io, keys)) {
      if (header.baseOffset + header.lastOffsetDelta < req.firstDirtyOffset || (header.attributes & CONTROL_MASK) !== 0) continue;
      const payload = batchPayload(buf, at, header);
      scan.scan(payload, header.recordCount);
      for (let i = 0; i < scan.count; i++) {
        const offset = header.baseOffset + scan.offsetDelta[i]!;
        const keyLength = scan.keyLength[i]!;
        if (offset < req.firstDirtyOffset || keyLength < 0) continue;
        if (!map.put(payload, scan.keyStart[i]!, keyLength, offset)) return offset;
      }
    }
  }
  stats.mapKeys = map.size;
  return last.nextOffset;
}

/** Consecutive segments below endOffset, grouped up to segment.bytes and a 2^31 offset span. */
export function groupSegments(segments: readonly SegmentFile[], endOffset: number, segmentBytes: number): SegmentFile[][] {
  const groups: SegmentFile[][] = [];
  let cur: SegmentFile[] = [];
  let size = 0;
  for (const seg of segments) {
    if (seg.baseOffset >= endOffset) break;
    const fits = cur.length > 0 && size + seg.size <= segmentBytes && seg.nextOffset - cur[0]!.baseOffset <= 2 ** 31 - 1;
    if (cur.length > 0 && !fits) {
      groups.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(seg);
    size += seg.size;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

/** Step 2 for one group: writes `<base>.log.cleaned`; returns its size. */
function cleanGroup(req: PassRequest, group: SegmentFile[], endOffset: number, map: OffsetMap, io: Throttle, stats: PassStats, scan: RecordScan, keys: KeyRing | undefined): CleanedGroup {
  let keptStart = new Int32Array(1024);
  let keptEnd = new Int32Array(1024);
  const cleanedPath = group[0]!.path + CLEANED_SUFFIX;
  const fd = fs.openSync(cleanedPath, 'w');
  let size = 0;
  const out: Buffer[] = [];
  let pending = 0;
  const flushOut = (): void => {
    for (const b of out) {
      let w = 0;
      while (w < b.length) w += fs.writeSync(fd, b, w, b.length - w, size + w);
      size += b.length;
    }
    io.account(pending);
    out.length = 0;
    pending = 0;
  };
  try {
    const horizon = req.now - req.deleteRetentionMs;
    for (const seg of group) {
      const dropTombstones = seg.lastModified <= horizon;
      for (const { buf, at, header } of readBatches(seg.path, seg.size, req.ioBufferSize, io, keys)) {
        const whole = buf.subarray(at, at + LOG_OVERHEAD + header.batchLength);
        stats.recordsRead += header.recordCount;
        let keep: Buffer | undefined = whole;
        if ((header.attributes & CONTROL_MASK) === 0) {
          const payload = batchPayload(buf, at, header);
          scan.scan(payload, header.recordCount);
          if (keptStart.length < scan.count) {
            keptStart = new Int32Array(scan.count);
            keptEnd = new Int32Array(scan.count);
          }
          let kept = 0;
          for (let i = 0; i < scan.count; i++) {
            const offset = header.baseOffset + scan.offsetDelta[i]!;
            const keyLength = scan.keyLength[i]!;
            let retain: boolean;
            if (offset >= endOffset) retain = true;
            else if (keyLength < 0) retain = false;
            else {
              const latest = map.get(payload, scan.keyStart[i]!, keyLength);
              retain = latest < 0 || offset >= latest;
              if (retain && scan.valueLength[i]! < 0 && dropTombstones) {
                retain = false;
                stats.tombstonesDropped++;
              }
            }
            if (retain) {
              // compact the kept records' ranges to the front of the scan arrays
              keptStart[kept] = scan.start[i]!;
              keptEnd[kept] = scan.end[i]!;
              kept++;
            }
          }
          stats.recordsKept += kept;
          keep = kept === scan.count ? whole : kept === 0 ? undefined : rebuildBatch(buf, at, header, payload, keptStart, keptEnd, kept);
        } else stats.recordsKept += header.recordCount;
        if (keep && keys) keep = encryptBatches(keys, keep, [{ at: 0, header: readBatchHeader(keep) }]).buf;
        if (keep) {
          out.push(keep);
          pending += keep.length;
          if (pending >= req.ioBufferSize) flushOut();
        }
      }
    }
    flushOut();
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const mtime = group[group.length - 1]!.lastModified / 1000;
  fs.utimesSync(cleanedPath, mtime, mtime);
  stats.bytesWritten += size;
  return { baseOffset: group[0]!.baseOffset, cleanedPath, replaces: group.map((s) => s.baseOffset), size };
}

export function runPass(req: PassRequest): PassResult {
  const started = Date.now();
  const stats: PassStats = { bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsKept: 0, tombstonesDropped: 0, mapKeys: 0, elapsedMs: 0 };
  const io = new Throttle(req.maxIoBytesPerSecond);
  const map = new OffsetMap(req.mapBytes, req.loadFactor);
  const scan = new RecordScan();
  const keys = req.keys ? KeyRing.fromTransfer(req.keys) : undefined;
  const endOffset = buildMap(req, map, io, stats, scan, keys);
  stats.mapKeys = map.size;
  if (endOffset <= req.firstDirtyOffset) {
    throw new KafkaError(ErrorCode.UNKNOWN, `${req.log}: the dedupe buffer (log.cleaner.dedupe.buffer.size ${req.mapBytes}) holds no key of the dirty part`);
  }
  const groups: CleanedGroup[] = [];
  try {
    for (const g of groupSegments(req.segments, endOffset, req.segmentBytes)) groups.push(cleanGroup(req, g, endOffset, map, io, stats, scan, keys));
  } catch (err) {
    for (const g of groups) fs.rmSync(g.cleanedPath, { force: true });
    for (const s of req.segments) fs.rmSync(s.path + CLEANED_SUFFIX, { force: true });
    throw err;
  }
  stats.bytesRead = io.bytes - stats.bytesWritten;
  stats.elapsedMs = Date.now() - started;
  return { endOffset, groups, stats };
}
