/**
 * A child process appends with flush-every-message and reports each flushed offset; it is
 * killed with SIGKILL mid-append. After an unclean reopen, every reported offset must be there
 * with its value. The child imports the compiled log from dist/ (built here if stale).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../src/storage/log.js';
import { cfg, readAll, tmpLogDir } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

beforeAll(() => {
  const built = path.join(root, 'dist/src/storage/log.js');
  const srcTime = Math.max(newest(path.join(root, 'src/storage')), newest(path.join(root, 'src/protocol/records')));
  // scripts/test.sh builds dist/ before the tests; building here would rewrite it under the
  // brokers other test files are running
  expect(existsSync(built) && statSync(built).mtimeMs >= srcTime, 'dist/ is missing or stale: run scripts/setup.sh').toBe(true);
}, 120_000);

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('SIGKILL mid-append', () => {
  it.each([1, 2, 3])('loses nothing the child reported flushed (run %i)', async (run) => {
    const t = tmpLogDir();
    cleanups.push(t.cleanup);
    const dir = path.join(t.dir, 'crash-0');
    const child = spawn(process.execPath, [path.join(root, 'test/storage/fixtures/crash-child.mjs'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const reported = new Map<number, string>();
    let buf = '';
    const target = 1500 * run;
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code} ${signal}`))));
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const sp = l.indexOf(' ');
          if (sp > 0) reported.set(Number(l.slice(0, sp)), l.slice(sp + 1));
        }
        if (reported.size >= target && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      });
    });
    expect(reported.size).toBeGreaterThanOrEqual(target);
    const log = await PartitionLog.open(dir, cfg({ segmentBytes: 64 * 1024 }));
    const recs = await readAll(log);
    const byOffset = new Map(recs.map((r) => [r.offset, r.value!.toString()]));
    let missing = 0;
    for (const [off, v] of reported) if (byOffset.get(off) !== v) missing++;
    expect(missing).toBe(0);
    recs.forEach((r, i) => expect(r.offset).toBe(i));
    await log.close();
  });
});
