/**
 * `<base offset>.timeindex`: the sparse time index of a segment. 12-byte big-endian entries:
 *
 *   int64 timestamp        (the largest batch maxTimestamp seen so far in the segment)
 *   int32 relativeOffset   (base offset of the batch that raised it - segment base offset)
 *
 * Written alongside offset index entries (every `log.index.interval.bytes`) when the maximum
 * grew, and once more when a segment is rolled or closed, so the last entry holds the segment's
 * largest timestamp (used by time-based retention). Timestamps and offsets strictly increase.
 * Appended, not preallocated (see index-file.ts).
 */
import { IndexFile, floorSearch } from './index-file.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends IndexFile {
  #ts: number[] = [];
  #rel: number[] = [];

  static async open(path: string, baseOffset: number, maxIndexSize: number): Promise<TimeIndex> {
    const { fh, data } = await IndexFile.readAll(path, TIME_INDEX_ENTRY_SIZE);
    const idx = new TimeIndex(path, fh, baseOffset, maxIndexSize, data.length / TIME_INDEX_ENTRY_SIZE);
    for (let at = 0; at < data.length; at += TIME_INDEX_ENTRY_SIZE) {
      idx.#ts.push(data.readInt32BE(at) * 4294967296 + data.readUInt32BE(at + 4));
      idx.#rel.push(data.readInt32BE(at + 8));
    }
    return idx;
  }

  entrySize(): number {
    return TIME_INDEX_ENTRY_SIZE;
  }
  get entries(): number {
    return this.#ts.length;
  }
  protected encode(i: number, buf: Buffer, at: number): void {
    buf.writeBigInt64BE(BigInt(this.#ts[i]!), at);
    buf.writeInt32BE(this.#rel[i]!, at + 8);
  }
  protected dropFrom(i: number): void {
    this.#ts.length = Math.min(this.#ts.length, i);
    this.#rel.length = Math.min(this.#rel.length, i);
  }

  entry(i: number): TimestampOffset {
    return { timestamp: this.#ts[i]!, offset: this.baseOffset + this.#rel[i]! };
  }
  lastEntry(): TimestampOffset | undefined {
    return this.entries === 0 ? undefined : this.entry(this.entries - 1);
  }

  /** Strictly increasing entries with offsets in [base, nextOffset). */
  sanityCheck(nextOffset: number): boolean {
    for (let i = 0; i < this.#ts.length; i++) {
      if (this.#rel[i]! < 0 || this.baseOffset + this.#rel[i]! >= nextOffset) return false;
      if (i > 0 && (this.#ts[i]! <= this.#ts[i - 1]! || this.#rel[i]! < this.#rel[i - 1]!)) return false;
    }
    return true;
  }

  /** Adds an entry if `timestamp` is above the last one (and the offset not below). */
  maybeAppend(timestamp: number, offset: number): void {
    const n = this.#ts.length;
    const rel = offset - this.baseOffset;
    if (n > 0 && (timestamp <= this.#ts[n - 1]! || rel < this.#rel[n - 1]!)) return;
    this.#ts.push(timestamp);
    this.#rel.push(rel);
  }

  /** The last entry with timestamp < `ts`: every record up to its batch is older than `ts`. */
  lookupBefore(ts: number): TimestampOffset | undefined {
    const i = floorSearch(this.#ts.length, (k) => this.#ts[k]!, ts, true);
    return i < 0 ? undefined : this.entry(i);
  }

  /** Drops every entry with offset >= `offset`. */
  async truncateTo(offset: number): Promise<void> {
    let i = this.#rel.length;
    while (i > 0 && this.baseOffset + this.#rel[i - 1]! >= offset) i--;
    await this.cut(i);
  }

  async reset(): Promise<void> {
    await this.cut(0);
  }
}
