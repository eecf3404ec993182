/**
 * Reading a segment's `.log` file batch by batch for kafka-dump-log (read-only; the broker's
 * own reader lives in storage/segment.ts). The file is RecordBatch v2 batches back to back
 * (see protocol/records/record-batch.ts); each starts with baseOffset int64, batchLength int32.
 *
 * scanLog walks the length fields from position 0 and yields each whole batch (its header and,
 * on request, its bytes), reading the file in chunks. It stops at the first place that is not
 * a whole batch and says why in `ScanEnd`: a batch cut short by the end of the file (a
 * truncated file), a batchLength below the minimum (garbage), or a batch larger than
 * `maxBatchSize` (almost always a corrupted length field). It never checks CRCs: that is the
 * caller's business (validateBatch), so a corrupted batch is still yielded and the scan goes on.
 */
import type { FileHandle } from 'node:fs/promises';
import { LOG_OVERHEAD, MIN_BATCH_LENGTH, readBatchHeader, type RecordBatchHeader } from '../protocol/records/record-batch.js';

export interface ScannedBatch {
  position: number;
  header: RecordBatchHeader;
  /** Total bytes of the batch (batchLength + 12). */
  size: number;
  /** The whole batch, when asked for (a view: valid until the next step of the scan). */
  bytes?: Buffer;
}

export interface ScanEnd {
  /** Where the scan stopped: the file size when every byte belonged to a whole batch. */
  position: number;
  /** Why bytes remain after `position` (undefined when none remain). */
  reason?: string;
}

const CHUNK = 256 * 1024;

/** Reads [pos, pos + n) of a file through a window of at least CHUNK bytes. */
class Window {
  #at = 0;
  #buf: Buffer = Buffer.alloc(0);
  constructor(private readonly fh: FileHandle, private readonly size: number) {}

  async get(pos: number, n: number): Promise<Buffer> {
    if (pos < this.#at || pos + n > this.#at + this.#buf.length) {
      const len = Math.min(Math.max(n, CHUNK), this.size - pos);
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await this.fh.read(buf, got, len - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      this.#at = pos;
      this.#buf = buf.subarray(0, got);
      if (got < n) throw new Error(`the file shrank while it was read (position ${pos + got})`);
    }
    return this.#buf.subarray(pos - this.#at, pos - this.#at + n);
  }
}

/** Yields every whole batch of a `.log` file; returns where and why it stopped. */
export async function* scanLog(fh: FileHandle, opts: { maxBatchSize: number; withBytes: boolean }): AsyncGenerator<ScannedBatch, ScanEnd> {
  const size = (await fh.stat()).size;
  const win = new Window(fh, size);
  let pos = 0;
  while (pos < size) {
    const remain = size - pos;
    if (remain < LOG_OVERHEAD) return { position: pos, reason: `${remain} bytes at position ${pos} are too few for a batch header (a truncated file)` };
    const batchLength = (await win.get(pos, LOG_OVERHEAD)).readInt32BE(8);
    if (batchLength < MIN_BATCH_LENGTH) return { position: pos, reason: `the batch at position ${pos} has batchLength ${batchLength}, below the minimum ${MIN_BATCH_LENGTH} (corrupt data)` };
    const total = batchLength + LOG_OVERHEAD;
    if (total > opts.maxBatchSize) {
      return { position: pos, reason: `the batch at position ${pos} claims ${total} bytes, more than --max-message-size ${opts.maxBatchSize} (a corrupt length, or raise --max-message-size)` };
    }
    if (total > remain) return { position: pos, reason: `the batch at position ${pos} needs ${total} bytes, only ${remain} remain (a truncated file)` };
    const bytes = await win.get(pos, opts.withBytes ? total : Math.min(total, 61));
    yield { position: pos, header: readBatchHeader(bytes), size: total, bytes: opts.withBytes ? bytes : undefined };
    pos += total;
  }
  return { position: pos };
}

/** The base offset in a segment file's name (`00000000000000000042.log` -> 42), undefined if it has none. */
export function baseOffsetOfFile(name: string): number | undefined {
  const m = /^(\d+)\./.exec(name);
  return m ? Number(m[1]) : undefined;
}
