/**
 * Starts a real REST proxy process (dist/src/bin/kafka-rest-start.js) on a free port; stops it
 * by pid. `sh` runs a shell command line (the real curl, Confluent's documented commands), `http`
 * one call through node:http.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import { ROOT } from './zk-ensemble.js';
import { until } from './broker-cluster.js';

export const REST_MAIN = path.join(ROOT, 'dist/src/bin/kafka-rest-start.js');

export interface RestProcess {
  url: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

export async function startRest(args: string[]): Promise<RestProcess> {
  const proc = spawn(process.execPath, [REST_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: 'info' } });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const url = await until('the REST proxy to listen', () => {
    if (proc.exitCode !== null) throw new Error(`REST proxy exited ${proc.exitCode}: ${out}`);
    return /listening on (http:\/\/\S+)/.exec(out)?.[1];
  }, 30_000);
  return {
    url,
    proc,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
        proc.once('exit', (code) => resolve(code));
        proc.kill('SIGTERM');
      }),
  };
}

/** Runs a shell command line (a curl command); resolves with its stdout. */
export function sh(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command}\nfailed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export interface HttpAnswer {
  status: number;
  type: string | null;
  text: string;
  json: any;
}

/** One call through node:http (fetch refuses a GET with a body, which GET .../offsets takes). */
export function http(url: string, method: string, opts: { body?: unknown; type?: string; accept?: string } = {}): Promise<HttpAnswer> {
  const headers: Record<string, string | number> = {};
  if (opts.type) headers['Content-Type'] = opts.type;
  if (opts.accept) headers.Accept = opts.accept;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? Buffer.from(opts.body) : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(JSON.stringify(opts.body));
  if (body) headers['Content-Length'] = body.length;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, type: (res.headers['content-type'] as string | undefined) ?? null, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
