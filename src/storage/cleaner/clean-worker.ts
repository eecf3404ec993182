/**
 * The cleaner's worker thread: runs one pass (clean-pass.ts) per message, with synchronous
 * file I/O off the broker's event loop, and answers {ok, result} or {ok: false, error}.
 */
import { parentPort } from 'node:worker_threads';
import { runPass, type PassRequest } from './clean-pass.js';

parentPort!.on('message', (req: PassRequest) => {
  try {
    parentPort!.postMessage({ ok: true, result: runPass(req) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err), code: (err as { code?: number }).code });
  }
});
