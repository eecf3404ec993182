/**
 * Retention (Log.deleteOldSegments, LogManager.cleanupLogs): which old segments to delete.
 * Whole segments only, oldest first, and only a prefix of the log:
 *   - by time (retention.ms / log.retention.{hours,minutes,ms}): a segment expires when its
 *     largest record timestamp (or, with no timestamps, its file mtime) is older than
 *     now - retentionMs; -1 keeps forever;
 *   - by size (retention.bytes / log.retention.bytes): the oldest segments go while the log
 *     stays at or above retentionBytes without them; -1 is off.
 * The active segment is never deleted while it holds data: when every segment has expired, the
 * log rolls first (as Kafka does) and the old active segment goes with the rest. Deleting is two
 * steps: rename to `*.deleted`, then remove after file.delete.delay.ms.
 */
import { deletesByRetention, type LogConfig } from './config.js';
import type { LogSegment } from './segment.js';

/** How many of the oldest segments retention would delete (may include the active one). */
export async function expiredPrefix(segments: readonly LogSegment[], config: LogConfig, now: number): Promise<number> {
  if (!deletesByRetention(config)) return 0;
  let byTime = 0;
  if (config.retentionMs >= 0) {
    for (const seg of segments) {
      const ts = seg.maxTimestamp >= 0 ? seg.maxTimestamp : await seg.lastModified();
      if (now - ts > config.retentionMs) byTime++;
      else break;
    }
  }
  let bySize = 0;
  if (config.retentionBytes >= 0) {
    let diff = segments.reduce((n, s) => n + s.size, 0) - config.retentionBytes;
    for (const seg of segments.slice(0, -1)) {
      if (diff - seg.size < 0) break;
      diff -= seg.size;
      bySize++;
    }
  }
  return Math.max(byTime, bySize);
}
