/**
 * The leader epoch cache of one partition (KIP-101): which leader epoch began at which offset.
 * File `<partition dir>/leader-epoch-checkpoint`, Kafka's checkpoint text format:
 *   0                      version
 *   2                      number of entries
 *   0 0                    epoch start_offset
 *   3 1200
 * A leader assigns its new epoch at its log end when it becomes leader; a follower learns
 * epochs from the `partitionLeaderEpoch` of the batches it copies. `endOffsetFor(epoch)`
 * answers a follower's OffsetsForLeaderEpoch: the start of the first later epoch, or the log
 * end for the latest epoch. Truncation removes the entries at and after the cut.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { checkpointSync } from '../../storage/syncfs.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCache {
  readonly #file: string;
  #entries: EpochEntry[] = [];
  #writing: Promise<void> = Promise.resolve();
  /** An entry was added in memory only (assignInMemory) and is not written yet. */
  #dirty = false;

  private constructor(file: string) {
    this.#file = file;
  }

  static async load(partitionDir: string): Promise<LeaderEpochCache> {
    const cache = new LeaderEpochCache(path.join(partitionDir, LEADER_EPOCH_CHECKPOINT));
    try {
      const lines = (await fsp.readFile(cache.#file, 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '');
      const count = Number(lines[1]);
      for (const line of lines.slice(2, 2 + count)) {
        const [e, o] = line.split(/\s+/).map(Number);
        if (Number.isInteger(e) && Number.isInteger(o)) cache.#entries.push({ epoch: e!, startOffset: o! });
      }
    } catch {
      /* no checkpoint yet, or unreadable: start empty (truncation falls back to the high watermark) */
    }
    return cache;
  }

  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }

  get latestEpoch(): number {
    return this.#entries.length === 0 ? -1 : this.#entries[this.#entries.length - 1]!.epoch;
  }

  /** Records that `epoch` starts at `startOffset` (ignored unless it is newer than the latest). */
  assign(epoch: number, startOffset: number): Promise<void> {
    this.assignInMemory(epoch, startOffset);
    return this.flushIfDirty();
  }

  /**
   * assign() without writing the checkpoint: the caller writes it (flushIfDirty) before the
   * epoch's first record. A new leader's epoch that never gets a record is then never written,
   * and loses nothing by that: no record carries it. True if the entry was added.
   */
  assignInMemory(epoch: number, startOffset: number): boolean {
    if (epoch < 0 || epoch <= this.latestEpoch) return false;
    this.#entries.push({ epoch, startOffset });
    this.#dirty = true;
    return true;
  }

  /** Writes the checkpoint if an entry was added in memory only; resolves when it is durable. */
  flushIfDirty(): Promise<void> {
    return this.#dirty ? this.#flush() : this.#writing;
  }

  /**
   * Where `epoch` ended in this log: the start offset of the first epoch after it, or
   * `logEndOffset` when `epoch` is the latest. -1 when this log knows no epoch at or before it.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (this.#entries.length === 0 || epoch < this.#entries[0]!.epoch) return { epoch: -1, endOffset: -1 };
    if (epoch >= this.latestEpoch) return { epoch: this.latestEpoch, endOffset: logEndOffset };
    let i = 0;
    while (i + 1 < this.#entries.length && this.#entries[i + 1]!.epoch <= epoch) i++;
    return { epoch: this.#entries[i]!.epoch, endOffset: this.#entries[i + 1]!.startOffset };
  }

  /** Drops what the log no longer has after a truncation to `offset`. */
  truncateFromEnd(offset: number): Promise<void> {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.startOffset < offset);
    return before === this.#entries.length ? this.flushIfDirty() : this.#flush();
  }

  /** Forgets everything (the log was emptied). */
  clear(): Promise<void> {
    this.#entries = [];
    return this.#flush();
  }

  /**
   * Writes the entries as they are now, after any write before it (failed or not). A write that
   * fails leaves the cache dirty, unless a later write (of everything) was queued meanwhile, so
   * the next assign/flushIfDirty writes again: one failed write does not fail all later ones.
   */
  #flush(): Promise<void> {
    this.#dirty = false;
    const text = ['0', String(this.#entries.length), ...this.#entries.map((e) => `${e.epoch} ${e.startOffset}`)].join('\n') + '\n';
    const tmp = `${this.#file}.tmp`;
    const write = this.#writing
      .catch(() => undefined)
      .then(async () => {
        const fh = await fsp.open(tmp, 'w');
        try {
          await fh.writeFile(text);
          // with many partitions becoming leader at once, one syncfs covers their checkpoints
          await checkpointSync.sync(fh, path.dirname(path.dirname(this.#file)));
        } finally {
          await fh.close();
        }
        await fsp.rename(tmp, this.#file);
      });
    this.#writing = write;
    write.catch(() => {
      if (this.#writing === write) this.#dirty = true;
    });
    return write;
  }
}
