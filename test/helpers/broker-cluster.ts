/**
 * Real broker processes for integration tests: each broker is `node dist/src/bin/kafka-server-start.js`
 * with its own properties file, log dir and a free port (port 0, then read back from its
 * registration in ZooKeeper). Every cluster lives under its own ZooKeeper chroot, so test
 * files share one ensemble without seeing each other. Processes are stopped by pid, only
 * those this helper started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { ZkClient } from '../../src/zk/client.js';
import { brokerIdPath } from '../../src/zk/paths.js';
import { decodeBrokerRegistration, endpointForProtocol } from '../../src/zk/payloads.js';
import type { ClientSecurity } from '../../src/network/client-security.js';
import { Cluster } from '../../src/client/cluster.js';
import { brokerNodeArgs } from '../../src/broker/heap-opts.js';
import { syncedReads } from './zk.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BROKER_MAIN = path.join(ROOT, 'dist/src/bin/kafka-server-start.js');

export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface BrokerProcess {
  id: number;
  port: number;
  dir: string;
  proc: ChildProcess;
  output: () => string;
}

export class TestCluster {
  readonly zkConnect: string;
  readonly chroot: string;
  readonly baseDir: string;
  readonly brokers = new Map<number, BrokerProcess>();
  readonly #overrides: Record<string, string>;
  zk!: ZkClient;
  /**
   * How the helper itself talks to the brokers (waitForMetadata): absent = their PLAINTEXT
   * listener. A cluster without one sets this (its endpoint of that protocol is used).
   */
  clientSecurity: ClientSecurity | undefined;

  readonly #zkRoot: string;

  /** `zkRoot` is the ZooKeeper to use (default: the shared ensemble of the global setup). */
  constructor(name: string, overrides: Record<string, string> = {}, zkRoot: string = inject('zkConnect')) {
    const unique = `${name}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
    this.chroot = `/${unique}`;
    this.#zkRoot = zkRoot;
    this.zkConnect = `${zkRoot}${this.chroot}`;
    this.baseDir = mkdtempSync(path.join(tmpdir(), `zkafka-${name}-`));
    this.#overrides = overrides;
  }

  get bootstrap(): string {
    return [...this.brokers.values()].map((b) => `127.0.0.1:${b.port}`).join(',');
  }

  async start(brokerCount: number): Promise<this> {
    if (!existsSync(BROKER_MAIN)) throw new Error(`${BROKER_MAIN} is missing: run scripts/setup.sh (it builds dist/)`);
    // reads after a sync: the brokers and tools write through sessions on other servers
    this.zk = syncedReads(await ZkClient.connect({ connectString: this.#zkRoot, chroot: this.chroot, sessionTimeoutMs: 10_000 }));
    await Promise.all(Array.from({ length: brokerCount }, (_, i) => this.startBroker(i + 1)));
    await this.waitForMetadata();
    return this;
  }

  /** Waits until every running broker's metadata (from the controller) lists every running broker. */
  async waitForMetadata(timeoutMs = 30_000): Promise<void> {
    const ids = [...this.brokers.values()].filter((b) => b.proc.exitCode === null && b.proc.signalCode === null).map((b) => b.id).sort();
    for (const id of ids) {
      const b = this.brokers.get(id)!;
      let port = b.port;
      if (this.clientSecurity) {
        const reg = decodeBrokerRegistration((await this.zk.get(brokerIdPath(id)))!.data);
        const e = endpointForProtocol(reg, this.clientSecurity.protocol);
        if (!e) throw new Error(`broker ${id} has no ${this.clientSecurity.protocol} listener`);
        port = e.port;
      }
      const client = new Cluster({ brokers: `127.0.0.1:${port}`, security: this.clientSecurity });
      try {
        await until(`broker ${id} to learn the cluster from the controller`, async () => {
          const res = await client.refresh([]);
          return JSON.stringify(res.brokers.map((x) => x.nodeId).sort()) === JSON.stringify(ids);
        }, timeoutMs);
      } finally {
        client.close();
      }
    }
  }

  /**
   * `opts.fileLimit`: the broker runs under `ulimit -n` of that many descriptors;
   * `opts.fileSizeLimitKb`: under `ulimit -f` (no file of it grows past that many KiB: writes
   * past it fail with EFBIG, as on a full disk; node ignores SIGXFSZ).
   */
  async startBroker(id: number, extra: Record<string, string> = {}, opts: { fileLimit?: number; fileSizeLimitKb?: number } = {}): Promise<BrokerProcess> {
    const dir = path.join(this.baseDir, `broker-${id}`);
    const props = {
      'broker.id': String(id),
      listeners: 'PLAINTEXT://127.0.0.1:0',
      'log.dirs': path.join(dir, 'logs'),
      'zookeeper.connect': this.zkConnect,
      'zookeeper.session.timeout.ms': '6000',
      'num.partitions': '1',
      ...this.#overrides,
      ...extra,
    };
    const file = path.join(this.baseDir, `server-${id}.properties`);
    writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    let out = '';
    const args = [...brokerNodeArgs(), BROKER_MAIN, file];
    const env = { ...process.env, KAFKA_LOG_LEVEL: 'info' };
    // bash sets the limit, then execs node (same pid)
    const limits = [...(opts.fileLimit === undefined ? [] : [`ulimit -n ${opts.fileLimit}`]), ...(opts.fileSizeLimitKb === undefined ? [] : [`ulimit -f ${opts.fileSizeLimitKb}`])];
    const proc = limits.length === 0
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn('/bin/bash', ['-c', `${limits.join(' && ')} && exec "$0" "$@"`, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const before = this.brokers.get(id);
    const registeredSince = Date.now();
    const port = await until(`broker ${id} to register`, async () => {
      if (proc.exitCode !== null) throw new Error(`broker ${id} exited with ${proc.exitCode}:\n${out}`);
      const node = await this.zk.get(brokerIdPath(id));
      if (!node) return undefined;
      const reg = decodeBrokerRegistration(node.data);
      if (before && reg.timestamp !== undefined && Number(reg.timestamp) < registeredSince - 1000) return undefined;
      return reg.port;
    });
    const b: BrokerProcess = { id, port, dir, proc, output: () => out };
    this.brokers.set(id, b);
    return b;
  }

  /** Sends a signal without waiting (SIGSTOP / SIGCONT to pause and resume a broker). */
  signal(id: number, signal: NodeJS.Signals): void {
    this.brokers.get(id)?.proc.kill(signal);
  }

  /** SIGTERM (clean shutdown) or SIGKILL; waits for the process to exit. */
  async stopBroker(id: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const b = this.brokers.get(id);
    if (!b || b.proc.exitCode !== null || b.proc.signalCode !== null) return b?.proc.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => b.proc.once('exit', (code) => resolve(code)));
    b.proc.kill('SIGCONT');
    b.proc.kill(signal);
    // a broker that does not finish a clean shutdown in 30 s is killed (and the test sees exit null)
    const timer = setTimeout(() => b.proc.kill('SIGKILL'), 30_000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** With DEBUG_BROKERS=1, prints the tail of every broker's output (for a failing test). */
  dump(lines = 80): void {
    if (!process.env.DEBUG_BROKERS) return;
    for (const b of this.brokers.values()) console.log(`==== broker ${b.id}\n${b.output().split('\n').slice(-lines).join('\n')}`);
  }

  async stop(): Promise<void> {
    if (process.env.DEBUG_BROKERS) this.dump();
    await Promise.all([...this.brokers.keys()].map((id) => this.stopBroker(id, 'SIGTERM')));
    if (this.zk) await this.zk.close();
    const root = await ZkClient.connect({ connectString: this.#zkRoot, sessionTimeoutMs: 10_000 });
    await root.deleteRecursive(this.chroot).catch(() => undefined);
    await root.close();
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}
