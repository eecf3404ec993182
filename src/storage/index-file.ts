/**
 * The shared mechanics of the two sparse index files of a segment (`.index`, `.timeindex`):
 * fixed-size big-endian entries, kept in memory (as Kafka keeps them mmapped) and appended to
 * the file. Choice: the files are SIMPLY APPENDED, never preallocated: new entries are buffered
 * and written with `persist()` (on roll and on close, not on flushes: segment.ts), and fsynced
 * only on roll and close. A lost tail is harmless (the index is sparse; a lookup scans further) and
 * recovery after an unclean stop rebuilds the indexes of every recovered segment.
 * `maxIndexSize` (log.index.size.max.bytes) still caps the entry count: a full index rolls the
 * segment.
 */
import { constants, promises as fsp } from 'node:fs';
import { writeAllAt } from './inline-io.js';

/** Read-write, created if missing, never O_APPEND (positional writes must land where asked). */
export const RW_CREATE = constants.O_RDWR | constants.O_CREAT;

export abstract class IndexFile {
  readonly path: string;
  readonly baseOffset: number;
  readonly maxEntries: number;
  /** Opened on the first write: an index with nothing to write (most idle partitions) holds no file descriptor. */
  #fh: Promise<fsp.FileHandle> | undefined;
  /** Entries already written to the file. */
  #written: number;

  protected constructor(path: string, fh: fsp.FileHandle | undefined, baseOffset: number, maxIndexSize: number, written: number) {
    this.path = path;
    this.#fh = fh ? Promise.resolve(fh) : undefined;
    this.baseOffset = baseOffset;
    this.maxEntries = Math.max(1, Math.floor(maxIndexSize / this.entrySize()));
    this.#written = written;
  }

  abstract entrySize(): number;
  abstract get entries(): number;
  protected abstract encode(i: number, buf: Buffer, at: number): void;
  protected abstract dropFrom(i: number): void;

  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  /** Reads a whole index file: its bytes, cut to whole entries (a torn tail is dropped). */
  protected static async readAll(path: string, entrySize: number): Promise<{ fh: fsp.FileHandle | undefined; data: Buffer }> {
    const fh = await fsp.open(path, RW_CREATE, 0o644);
    try {
      const size = (await fh.stat()).size;
      const data = Buffer.alloc(size - (size % entrySize));
      if (data.length !== size) await fh.truncate(data.length);
      if (data.length > 0) await fh.read(data, 0, data.length, 0);
      return { fh: undefined, data };
    } finally {
      await fh.close();
    }
  }

  /** The file, opened once however many writes ask for it at the same time. */
  #handle(): Promise<fsp.FileHandle> {
    if (!this.#fh) {
      const opening = fsp.open(this.path, RW_CREATE, 0o644);
      this.#fh = opening;
      opening.catch(() => {
        if (this.#fh === opening) this.#fh = undefined;
      });
    }
    return this.#fh;
  }

  async #closeHandle(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    if (fh) await (await fh).close();
  }

  /** Writes the entries not yet in the file. */
  async persist(): Promise<void> {
    const n = this.entries;
    if (n <= this.#written) return;
    const size = this.entrySize();
    const buf = Buffer.allocUnsafe((n - this.#written) * size);
    for (let i = this.#written; i < n; i++) this.encode(i, buf, (i - this.#written) * size);
    const from = this.#written;
    this.#written = n;
    await writeAllAt(await this.#handle(), [buf], from * size);
  }

  async sync(): Promise<void> {
    await this.persist();
    if (this.#fh) await (await this.#fh).datasync();
  }

  /**
   * sync(), then closes the file until something writes it again (reopened then): a rolled
   * segment's index is only written again when cut, and a log with many segments would
   * otherwise hold three descriptors for each of them.
   */
  async syncAndRelease(): Promise<void> {
    await this.sync();
    await this.#closeHandle();
  }

  /** Drops entries i.. (memory and file). */
  protected async cut(i: number): Promise<void> {
    this.dropFrom(i);
    if (this.#written > i) this.#written = i;
    await (await this.#handle()).truncate(this.#written * this.entrySize());
  }

  /** Replaces the file's content with the in-memory entries (after a rebuild or a sanity failure). */
  async rewrite(): Promise<void> {
    this.#written = 0;
    await (await this.#handle()).truncate(0);
    await this.persist();
    // a rebuild (recovery of every log after an unclean stop) must not leave every index open
    await this.#closeHandle();
  }

  async close(): Promise<void> {
    await this.persist();
    await this.#closeHandle();
  }
}

/** Largest i in [0, n) with key(i) <= target (or < target when strict), -1 if none. */
export function floorSearch(n: number, key: (i: number) => number, target: number, strict = false): number {
  let lo = 0;
  let hi = n - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = key(mid);
    if (strict ? k < target : k <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
