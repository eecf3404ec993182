/**
 * A crash at each step of the cleaner's segment swap: a child process (the compiled storage
 * layer from dist/) writes a keyed workload into three segments, lets the real cleaner clean
 * them, and SIGKILLs itself just before swap step N (1: .cleaned -> .swap, 2: old segments ->
 * .deleted, 3: .swap -> .log, 4: after the swap, before the checkpoint). Reopened, the log must
 * be whole: exactly the records written (a crash before the swap was durable) or exactly the
 * compacted model (after), never a mix, with no .swap/.cleaned file left.
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecordBatches } from '../../src/protocol/records/record-batch.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { cfg, tmpLogDir } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs: (() => void)[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()!();
});

const CHILD = `
import { LogManager } from '${root}/dist/src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '${root}/dist/src/storage/config.js';
import { DEFAULT_CLEANER_CONFIG } from '${root}/dist/src/storage/cleaner/config.js';
import { encodeRecordBatch } from '${root}/dist/src/protocol/records/record-batch.js';
const [dir, crashAt] = process.argv.slice(2);
const m = await LogManager.open({
  logDirs: [dir],
  defaults: { ...DEFAULT_LOG_CONFIG, segmentBytes: 1 << 20, cleanupPolicy: 'delete', minCleanableDirtyRatio: 0, deleteRetentionMs: 0 },
  cleaner: { ...DEFAULT_CLEANER_CONFIG, backoffMs: 10, dedupeBufferSize: 1 << 20 },
  onSwapStep: (step) => { if (step === Number(crashAt)) process.kill(process.pid, 'SIGKILL'); },
});
const log = await m.getOrCreate('crash', 0);
let n = 0;
for (let seg = 0; seg < 3; seg++) {
  for (let b = 0; b < 30; b++) {
    const records = Array.from({ length: 4 }, () => { n++; return { key: 'k' + (n % 17), value: n % 11 === 0 ? null : 'v' + n }; });
    await log.append(encodeRecordBatch({ records }));
  }
  await log.roll();
}
await log.flush();
m.updateConfig('crash', { cleanupPolicy: 'compact' }); // all three segments written: now clean them in one pass
process.stdout.write('written ' + log.logEndOffset + '\\n');
setTimeout(() => { process.stdout.write('no crash\\n'); process.exit(3); }, 20000);
`;

function runChild(dir: string, crashAt: number): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  const script = path.join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [script, path.join(dir, 'logs'), String(crashAt)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: 'error' } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (_code, signal) => resolve({ signal, out }));
  });
}

/** The workload the child writes: offset -> [key, value]. */
function written(): { offset: number; key: string; value: string | null }[] {
  const out: { offset: number; key: string; value: string | null }[] = [];
  for (let n = 1; n <= 3 * 30 * 4; n++) out.push({ offset: n - 1, key: `k${n % 17}`, value: n % 11 === 0 ? null : `v${n}` });
  return out;
}

function compacted(all: ReturnType<typeof written>): ReturnType<typeof written> {
  const last = new Map<string, number>();
  for (const w of all) last.set(w.key, w.offset);
  return all.filter((w) => last.get(w.key) === w.offset && w.value !== null);
}

describe('a crash during the cleaner\'s segment swap', () => {
  it.each([1, 2, 3, 4])('SIGKILL before swap step %i: the reopened log is the original or the compacted one, whole', async (step) => {
    const t = tmpLogDir();
    dirs.push(t.cleanup);
    const r = await runChild(t.dir, step);
    expect(r.signal, r.out).toBe('SIGKILL');
    const logs = path.join(t.dir, 'logs');
    const m = await LogManager.open({ logDirs: [logs], defaults: cfg({ segmentBytes: 1 << 20, cleanupPolicy: 'compact' }) });
    const log = m.get('crash', 0)!;
    const files = readdirSync(log.dir);
    expect(files.filter((f) => /\.(swap|cleaned|deleted)$/.test(f))).toEqual([]);
    const got: { offset: number; key: string; value: string | null }[] = [];
    let offset = 0;
    while (offset < log.logEndOffset) {
      const rd = await log.read(offset, 1 << 20);
      if (rd.records.length === 0) break;
      for (const rec of decodeRecordBatches(rd.records)) got.push({ offset: rec.offset, key: rec.key!.toString(), value: rec.value === null ? null : rec.value.toString() });
      offset = rd.nextOffset;
    }
    const all = written();
    // step 1 is before the swap is durable: the original log; from step 2 on, recovery completes the swap
    expect(got).toEqual(step === 1 ? all : compacted(all));
    expect(log.logEndOffset).toBe(all.length);
    // and the log takes appends where it ended
    expect((await log.append(Buffer.from(await import('../../src/protocol/records/record-batch.js').then((x) => x.encodeRecordBatch({ records: [{ key: 'k', value: 'after' }] }))))).firstOffset).toBe(all.length);
    await m.close();
  });
});
