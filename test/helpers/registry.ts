/**
 * Starts real schema-registry processes (dist/src/bin/schema-registry-start.js) on a free port
 * against the shared ZooKeeper under a chroot; stops them by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './zk-ensemble.js';
import { until } from './broker-cluster.js';

export const REGISTRY_MAIN = path.join(ROOT, 'dist/src/bin/schema-registry-start.js');

export interface RegistryProcess {
  url: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startRegistry(zkConnect: string, extra: Record<string, string> = {}): Promise<RegistryProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-registry-'));
  const file = path.join(dir, 'schema-registry.properties');
  const props = { listeners: 'http://127.0.0.1:0', 'kafkastore.connection.url': zkConnect, ...extra };
  writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const proc = spawn(process.execPath, [REGISTRY_MAIN, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const url = await until('the schema registry to listen', () => {
    if (proc.exitCode !== null) throw new Error(`registry exited ${proc.exitCode}: ${out}`);
    return /listening on (http:\/\/\S+)/.exec(out)?.[1];
  }, 30_000);
  return {
    url,
    proc,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

export const SR_CT = 'application/vnd.schemaregistry.v1+json';

/** One HTTP call: status, content type and the raw body text. */
export async function call(url: string, method: string, body?: unknown, contentType = SR_CT): Promise<{ status: number; type: string | null; text: string; json: unknown }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type'), text, json };
}
