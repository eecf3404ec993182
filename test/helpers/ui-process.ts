/**
 * The cluster map as a real process (node dist/src/bin/kafka-ui-start.js), on a free port:
 *
 *   const ui = await startUi(['--zookeeper', zk, '--listen', '127.0.0.1:0']);
 *   ui.url         http://127.0.0.1:<port>/
 *   await ui.stop();  SIGTERM, by pid
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from './broker-cluster.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const UI_MAIN = path.join(ROOT, 'dist/src/bin/kafka-ui-start.js');

export interface UiProcess {
  url: string;
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

export async function startUi(args: string[]): Promise<UiProcess> {
  if (!existsSync(UI_MAIN)) throw new Error(`${UI_MAIN} is missing: build first (npx tsc -p .)`);
  const proc = spawn(process.execPath, [UI_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: 'info' } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await until('the cluster map to listen', () => {
    if (proc.exitCode !== null) throw new Error(`kafka-ui-start exited with ${proc.exitCode}:\n${out}`);
    return /listening on (http:\/\/\S+)/.exec(out)?.[1];
  }, 20_000);
  return {
    url,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
