/**
 * PageCacheBudget: log.page.cache.retain.bytes. The broker keeps about that many bytes of the log
 * data it flushed most recently in the page cache, and asks the kernel to drop older flushed data
 * from it (posix_fadvise DONTNEED, page-cache.c), so that the pages of new writes are ones just
 * freed. 0 leaves the page cache to the kernel, as Kafka does.
 *
 * Why (issue 11, measured on this 2-core VM): five producer runs of 10 M records in a row into one
 * broker ran at 2.6-3.2 M records/s, with the broker spending 2.0-2.5 s of system time per run;
 * after `echo 1 > drop_caches` the same runs went at 4.2-5.2 M records/s with 0.7 s of system
 * time. Taking a page the kernel has never used (or has handed back to the host: virtio-balloon
 * free page reporting) for the page cache costs far more than reusing one freed a moment ago.
 * With this budget (256 MiB), six such runs went at 4.2-4.9 M records/s, 0.5-0.8 s of system time.
 *
 * What is counted: a segment's flushed bytes, in entries of 1-8 MiB in the order they were
 * flushed. A segment's last < 1 MiB is not counted until more follows (a partition written
 * slowly keeps its recent data cached, as before). Reads do not renew data: it is the most
 * recently *written* data that stays. Consumers and followers reading the recent past find it in
 * the cache; older data is read from the disk, as it would be once it had left a full cache.
 */
import { loadNativeExport } from '../common/native-module.js';

/** Drops a file's cached pages in [offset, offset + length). */
export type DropCache = (fd: number, offset: number, length: number) => Promise<void>;

/** A file whose flushed data is counted: its descriptor while it is open (a log segment's .log). */
export interface CachedFile {
  readonly cacheFd: number | undefined;
}

/** A segment's data goes into the count once this much of it is flushed and not yet counted. */
export const ENTRY_MIN_BYTES = 1 << 20;
/** One entry (and one fadvise) covers at most this much. */
export const ENTRY_MAX_BYTES = 8 << 20;

const CANDIDATES = ['./page-cache.node', '../../dist/src/storage/page-cache.node'];

/** The native fadvise, or undefined where it is not built (or ZKAFKA_PAGE_CACHE=off). */
export const nativeDropCache: DropCache | undefined = process.env.ZKAFKA_PAGE_CACHE === 'off' ? undefined : loadNativeExport<DropCache>(import.meta.url, CANDIDATES, 'dropCache');

interface Entry {
  file: CachedFile;
  from: number;
  to: number;
}

export interface PageCacheStats {
  /** Flushed bytes counted and not dropped. */
  retainedBytes: number;
  /** fadvise calls made, and the bytes they covered. */
  drops: number;
  droppedBytes: number;
  /** Calls that failed (the file closed meanwhile, say): nothing but a missed drop. */
  failures: number;
}

export class PageCacheBudget {
  #maxBytes = 0;
  #drop: DropCache | undefined;
  readonly #entries: Entry[] = [];
  #head = 0;
  /** Per file: flushed bytes up to here are counted (in #entries, or dropped already). */
  readonly #counted = new WeakMap<CachedFile, number>();
  #stats: PageCacheStats = { retainedBytes: 0, drops: 0, droppedBytes: 0, failures: 0 };

  /** Keeps `maxBytes` of flushed data cached; 0 (or no `drop`) turns the budget off. */
  configure(maxBytes: number, drop: DropCache | undefined): void {
    this.#maxBytes = drop ? maxBytes : 0;
    this.#drop = drop;
    if (this.#maxBytes === 0) {
      this.#entries.length = 0;
      this.#head = 0;
      this.#stats.retainedBytes = 0;
    } else this.#evict();
  }

  get enabled(): boolean {
    return this.#maxBytes > 0;
  }

  /**
   * `file` is durable up to byte `flushedTo` (from its start). A file whose flushed size went
   * down (a truncation) is counted from there on.
   */
  flushed(file: CachedFile, flushedTo: number): void {
    if (this.#maxBytes === 0) return;
    let from = this.#counted.get(file) ?? 0;
    if (flushedTo < from) {
      this.#counted.set(file, flushedTo);
      return;
    }
    if (flushedTo - from < ENTRY_MIN_BYTES) return;
    this.#counted.set(file, flushedTo);
    this.#stats.retainedBytes += flushedTo - from;
    const last = this.#entries.length > this.#head ? this.#entries[this.#entries.length - 1]! : undefined;
    if (last && last.file === file && last.to === from && flushedTo - last.from <= ENTRY_MAX_BYTES) {
      last.to = flushedTo;
    } else {
      while (from < flushedTo) {
        const to = Math.min(flushedTo, from + ENTRY_MAX_BYTES);
        this.#entries.push({ file, from, to });
        from = to;
      }
    }
    this.#evict();
  }

  /** Drops the oldest entries while more than the budget is retained. */
  #evict(): void {
    const drop = this.#drop!;
    while (this.#stats.retainedBytes > this.#maxBytes && this.#head < this.#entries.length) {
      const e = this.#entries[this.#head]!;
      this.#entries[this.#head++] = undefined as unknown as Entry;
      this.#stats.retainedBytes -= e.to - e.from;
      // A file closed before the drop runs on the pool may have its number reused by another:
      // the advice then drops clean cached pages of that file (a read from the disk later),
      // and starts writeback of dirty ones; never data.
      const fd = e.file.cacheFd;
      if (fd === undefined) continue; // closed (deleted, say): its pages went with it
      this.#stats.drops++;
      this.#stats.droppedBytes += e.to - e.from;
      drop(fd, e.from, e.to - e.from).catch(() => this.#stats.failures++);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
  }

  get stats(): PageCacheStats {
    return { ...this.#stats };
  }
}

/** The process's budget (the broker configures it at start; off until then). */
export const defaultPageCache = new PageCacheBudget();
