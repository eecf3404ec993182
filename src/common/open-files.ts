/**
 * Running out of file descriptors (EMFILE, or ENFILE for the whole system), said so that an
 * operator can act on it. A broker holds one descriptor per log segment (the .log; a segment's
 * indexes are open only while written), plus its sockets, so the number of partitions and
 * segments a broker can host is bound by its limit of open files, as Kafka's is (its
 * documentation asks for 100,000 or more). Node raises its soft limit to the hard one at start,
 * so the hard limit is the one that counts. Without this, the error is a bare
 * "EMFILE: too many open files, open ...".
 */
import { readFileSync, readdirSync } from 'node:fs';

/** True for a failed system call (an errno error: ENOSPC, EIO, EMFILE...), as on a log's files. */
export function isSyscallFailure(err: unknown): err is NodeJS.ErrnoException {
  return typeof (err as NodeJS.ErrnoException | undefined)?.syscall === 'string';
}

/** True for "too many open files", of this process (EMFILE) or of the system (ENFILE). */
export function isOutOfFiles(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** This process's open descriptors and its soft limit, where /proc tells them (Linux). */
export function openFiles(): { open: number; limit: number } | undefined {
  try {
    const open = readdirSync('/proc/self/fd').length;
    const m = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    const limit = m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
    return { open, limit };
  } catch {
    return undefined;
  }
}

/** What to do about `err` when it is "too many open files"; undefined for any other error. */
export function outOfFilesHint(err: unknown): string | undefined {
  if (!isOutOfFiles(err)) return undefined;
  const n = openFiles();
  const now = n ? ` (${n.open} open now, limit ${n.limit})` : '';
  if ((err as NodeJS.ErrnoException).code === 'ENFILE') return `the system is out of file descriptors${now}: raise fs.file-max, or host fewer partitions here`;
  return `this broker is out of file descriptors${now}: each partition's log holds one per segment, and each connection one; raise the limit (the hard one, ulimit -Hn, which node takes at start; Kafka's documentation asks for 100000 or more) and restart the broker, or host fewer partitions here`;
}

/**
 * What to do about a failed system call on a log (a full disk, a file size limit, a failing or
 * read-only disk, or no descriptors left); undefined for an error that is none of these.
 */
export function storageErrorHint(err: unknown): string | undefined {
  const files = outOfFilesHint(err);
  if (files) return files;
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the filesystem of the log dir is full (or its quota is used up): make room (delete topics, lower retention.bytes or retention.ms, add a disk); a partition led here with no other in-sync replica takes appends again by itself once there is room, a replica taken offline once the broker restarts; nothing acknowledged is lost';
    case 'EFBIG':
      return 'a segment file hit the file size limit of this process (ulimit -f) or of the filesystem: raise the limit (and restart the broker), or lower segment.bytes; nothing acknowledged is lost';
    case 'EIO':
      return 'the disk of the log dir reported an I/O error: check the device (dmesg); what was acknowledged before was flushed';
    case 'EROFS':
      return 'the filesystem of the log dir is read-only now (often a remount after disk errors): check the device (dmesg)';
    default:
      return undefined;
  }
}
