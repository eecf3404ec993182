/** Runs bin/kafka-verify.sh as a user does, in a directory of its own, and reads its results. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');

export interface VerifyRun {
  code: number | null;
  out: string;
  err: string;
  dir: string;
  summary: {
    faults: { index: number; action: string; target: string; resolved: string; startMs: number; endMs?: number; error?: string; detail: string[] }[];
    timeline: { t: number; what: string }[];
    verdict: { ok: boolean; acked: number; lost: unknown[]; misplaced: unknown[]; reordered: number; duplicates: number; phantom: unknown[]; divergent: unknown[]; violations: string[] };
    unavailable: { fromMs: number; toMs: number }[];
  };
}

const dirs: string[] = [];
// each run's directory (report, events, broker logs) goes at the end; KEEP_VERIFY=1 keeps it
afterAll(() => {
  if (!process.env.KEEP_VERIFY) for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function runVerify(name: string, args: string[], timeoutMs = 400_000): Promise<VerifyRun> {
  const dir = mkdtempSync(path.join(tmpdir(), `zkafka-verify-${name}-`));
  dirs.push(dir);
  return new Promise((resolve, reject) => {
    const p = spawn(path.join(BIN, 'kafka-verify.sh'), ['--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: 'warn' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGTERM'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      let summary: VerifyRun['summary'];
      try {
        summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
      } catch (e) {
        reject(new Error(`kafka-verify wrote no summary (exit ${code}):\n${out}\n${err}`, { cause: e }));
        return;
      }
      resolve({ code, out, err, dir, summary });
    });
  });
}
