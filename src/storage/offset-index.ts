/**
 * `<base offset>.index`: the sparse offset index of a segment. 8-byte big-endian entries:
 *
 *   int32 relativeOffset   (batch base offset - segment base offset)
 *   int32 position         (byte position of that batch in the .log)
 *
 * One entry per `log.index.interval.bytes` of log (the first batch after that many bytes),
 * strictly increasing in both fields. A lookup returns the last entry at or below an offset;
 * the reader scans batch headers from there. Appended, not preallocated (see index-file.ts).
 * Sanity check on load (OffsetIndex.sanityCheck): whole entries, increasing, positions inside
 * the log; a failing index is rebuilt from the log.
 */
import { IndexFile, floorSearch } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends IndexFile {
  #rel: number[] = [];
  #pos: number[] = [];

  static async open(path: string, baseOffset: number, maxIndexSize: number): Promise<OffsetIndex> {
    const { fh, data } = await IndexFile.readAll(path, OFFSET_INDEX_ENTRY_SIZE);
    const idx = new OffsetIndex(path, fh, baseOffset, maxIndexSize, data.length / OFFSET_INDEX_ENTRY_SIZE);
    for (let at = 0; at < data.length; at += OFFSET_INDEX_ENTRY_SIZE) {
      idx.#rel.push(data.readInt32BE(at));
      idx.#pos.push(data.readInt32BE(at + 4));
    }
    return idx;
  }

  entrySize(): number {
    return OFFSET_INDEX_ENTRY_SIZE;
  }
  get entries(): number {
    return this.#rel.length;
  }
  protected encode(i: number, buf: Buffer, at: number): void {
    buf.writeInt32BE(this.#rel[i]!, at);
    buf.writeInt32BE(this.#pos[i]!, at + 4);
  }
  protected dropFrom(i: number): void {
    this.#rel.length = Math.min(this.#rel.length, i);
    this.#pos.length = Math.min(this.#pos.length, i);
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.#rel[i]!, position: this.#pos[i]! };
  }
  lastEntry(): OffsetPosition | undefined {
    return this.entries === 0 ? undefined : this.entry(this.entries - 1);
  }

  /** Whole, strictly increasing entries whose positions lie inside a log of `logSize` bytes. */
  sanityCheck(logSize: number): boolean {
    for (let i = 0; i < this.#rel.length; i++) {
      if (this.#rel[i]! < 0 || this.#pos[i]! < 0 || this.#pos[i]! >= logSize) return false;
      if (i > 0 && (this.#rel[i]! <= this.#rel[i - 1]! || this.#pos[i]! <= this.#pos[i - 1]!)) return false;
    }
    return true;
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    const n = this.#rel.length;
    if (n > 0 && (rel <= this.#rel[n - 1]! || position <= this.#pos[n - 1]!)) return;
    this.#rel.push(rel);
    this.#pos.push(position);
  }

  /** The last entry with offset <= `offset`, or the segment start. */
  lookup(offset: number): OffsetPosition {
    const i = floorSearch(this.#rel.length, (k) => this.#rel[k]!, offset - this.baseOffset);
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i);
  }

  /** Drops every entry with offset >= `offset`. */
  async truncateTo(offset: number): Promise<void> {
    const i = floorSearch(this.#rel.length, (k) => this.#rel[k]!, offset - this.baseOffset, true);
    await this.cut(i + 1);
  }

  async reset(): Promise<void> {
    await this.cut(0);
  }
}
