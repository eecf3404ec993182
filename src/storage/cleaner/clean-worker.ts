/**
 * The cleaner's worker thread: runs one pass (clean-pass.ts) per message, with synchronous
 * file I/O off the broker's event loop, and answers {ok, result} or {ok: false, error}.
 * On Linux the thread lowers its own CPU priority (nice 10: this thread only, found through
 * /proc/thread-self), so that compaction is background work: when the cores are busy the
 * broker's event loop and its clients go first; when they are idle the cleaner runs at full speed.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { runPass, type PassRequest } from './clean-pass.js';

export const CLEANER_NICE = 10;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, CLEANER_NICE);
} catch {
  // not Linux, or not allowed: the thread keeps the broker's priority
}

parentPort!.on('message', (req: PassRequest) => {
  try {
    parentPort!.postMessage({ ok: true, result: runPass(req) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err), code: (err as { code?: number }).code });
  }
});
