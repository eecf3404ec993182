/**
 * Burrow's consumer evaluation (linkedin/Burrow `evaluator/caching.go`), on the commits of a
 * ZooKeeper-coordinated group: per partition, a window of the last commits (offset, commit
 * time = the offset znode's mtime, lag at that time) and the current lag. The rules, in order:
 *
 *   lag 0 now or anywhere in the window           OK
 *   an offset went backwards in the window        REWIND
 *   no commit for longer than the window spans    STOP   (the consumer stopped committing)
 *   commits that never advance the offset         STALL  (it commits, but is stuck)
 *   lag that never decreased over a full window   WARN   (it falls behind)
 *   anything else                                 OK
 *
 * The group's status is its worst partition's: REWIND makes ERR, then STOP, STALL, WARN, OK.
 * A window with fewer than two commits only knows OK (lag 0) or STOP (lag and no recent commit).
 */

export type PartitionStatus = 'OK' | 'WARN' | 'STALL' | 'STOP' | 'REWIND';
export type GroupStatus = 'OK' | 'WARN' | 'STALL' | 'STOP' | 'ERR';

export interface Commit {
  offset: number;
  /** ms since the epoch (the znode's mtime). */
  time: number;
  /** Lag when it was committed (log end known then minus offset), if the log end was known. */
  lag: number | undefined;
}

export interface BurrowOptions {
  /** Commits kept per partition (Burrow's intervals; default 10). */
  window: number;
  /** A partition with lag and no commit for this long is STOP even with a short window. */
  minStopMs: number;
}

export const DEFAULT_BURROW: BurrowOptions = { window: 10, minStopMs: 10_000 };

/** Appends a commit, keeping the last `window` (a repeated delivery of one commit is ignored). */
export function addCommit(history: Commit[], c: Commit, window: number): Commit[] {
  const last = history[history.length - 1];
  if (last && last.time === c.time && last.offset === c.offset) return history;
  const next = [...history, c];
  return next.length > window ? next.slice(next.length - window) : next;
}

export function evaluatePartition(history: readonly Commit[], currentLag: number | undefined, now: number, opts: BurrowOptions = DEFAULT_BURROW): PartitionStatus {
  if (currentLag === 0) return 'OK';
  if (history.some((c) => c.lag === 0)) return 'OK';
  for (let i = 1; i < history.length; i++) if (history[i]!.offset < history[i - 1]!.offset) return 'REWIND';
  const first = history[0];
  const last = history[history.length - 1];
  if (!first || !last) return currentLag === undefined ? 'OK' : 'STOP';
  const span = last.time - first.time;
  if (currentLag !== undefined && currentLag > 0 && now - last.time > Math.max(span, opts.minStopMs)) return 'STOP';
  if (history.length < 2) return 'OK';
  if (history.every((c) => c.offset === first.offset)) return 'STALL';
  const lags = history.map((c) => c.lag);
  if (history.length >= opts.window && lags.every((l) => l !== undefined)) {
    let neverDown = true;
    for (let i = 1; i < lags.length; i++) if (lags[i]! < lags[i - 1]!) neverDown = false;
    if (neverDown && lags[lags.length - 1]! > lags[0]!) return 'WARN';
  }
  return 'OK';
}

const RANK: Record<GroupStatus, number> = { OK: 0, WARN: 1, STALL: 2, STOP: 3, ERR: 4 };

export function groupStatus(statuses: readonly PartitionStatus[]): GroupStatus {
  let worst: GroupStatus = 'OK';
  for (const s of statuses) {
    const g: GroupStatus = s === 'REWIND' ? 'ERR' : s;
    if (RANK[g] > RANK[worst]) worst = g;
  }
  return worst;
}
