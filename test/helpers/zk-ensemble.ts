/**
 * Real ZooKeeper ensembles for tests, run through scripts/zk-ensemble.sh on free loopback
 * ports in a temporary directory. Used by the global setup (test/setup/zk-global.ts) and by
 * destructive tests that need an ensemble of their own (killing nodes, the leader).
 *
 * Port plan for a base port P and N nodes: clients P..P+N-1, quorum P+707.., election P+1707..
 * (the script's defaults). Every ensemble is stopped by pid; 'exit', SIGINT and SIGTERM hooks
 * stop it too if the process ends without calling stop().
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ENSEMBLE_SCRIPT = path.join(ROOT, 'scripts/zk-ensemble.sh');

export interface EnsembleNodeStatus {
  node: number;
  pid: number | undefined;
  port: number;
  mode: string; // leader | follower | standalone | down | not serving
}

function run(args: string[], opts: { timeoutMs?: number; anyExit?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(ENSEMBLE_SCRIPT, args, { cwd: ROOT, timeout: opts.timeoutMs ?? 90_000 }, (err, stdout, stderr) => {
      // status exits 1 when a node is down and 3 when none runs: its table is still the answer.
      if (err && !(opts.anyExit && typeof err.code === 'number')) {
        reject(new Error(`zk-ensemble.sh ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      } else resolve(stdout);
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port whose client, quorum and election ports (see above) are all free. */
export async function findFreeBasePort(nodes: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    // below Linux's ephemeral range (32768+), so a node restarted on its ports finds them free
    const base = 20_000 + Math.floor(Math.random() * (32_768 - 1707 - nodes - 20_000));
    const ports = [];
    for (let k = 0; k < nodes; k++) ports.push(base + k, base + 707 + k, base + 1707 + k);
    let ok = true;
    for (const p of ports) if (!(await portFree(p))) { ok = false; break; }
    if (ok) return base;
  }
  throw new Error('no free base port found for a ZooKeeper ensemble');
}

export class Ensemble {
  readonly dir: string;
  readonly basePort: number;
  readonly nodes: number;
  readonly connectString: string;
  #stopped = false;
  readonly #onExit = () => this.stopSync();
  /** SIGINT/SIGTERM: stop the nodes, then end as the signal would have if nobody else listens. */
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.stopSync();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  private constructor(dir: string, basePort: number, nodes: number) {
    this.dir = dir;
    this.basePort = basePort;
    this.nodes = nodes;
    this.connectString = Array.from({ length: nodes }, (_, k) => `127.0.0.1:${basePort + k}`).join(',');
    process.once('exit', this.#onExit);
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
  }

  /** Starts an ensemble of `nodes` on free ports; resolves once every node serves. */
  static async start(opts: { nodes?: number; name?: string; tickTimeMs?: number } = {}): Promise<Ensemble> {
    const nodes = opts.nodes ?? 3;
    let lastErr: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `zk-${opts.name ?? 'ensemble'}-`));
      const base = await findFreeBasePort(nodes);
      const e = new Ensemble(dir, base, nodes);
      try {
        const args = ['start', '--nodes', String(nodes), '--dir', dir, '--port', String(base)];
        if (opts.tickTimeMs) args.push('--tick-time', String(opts.tickTimeMs));
        await run(args);
        return e;
      } catch (err) {
        lastErr = err; // most likely a port taken between the probe and the start: try others
        await e.stop();
      }
    }
    throw lastErr;
  }

  /** host:port of node k (1-based). */
  address(k: number): string {
    return `127.0.0.1:${this.basePort + k - 1}`;
  }

  /** The node listening on a host:port, if it is one of ours. */
  nodeOf(address: string | undefined): number | undefined {
    const port = Number(address?.split(':').pop());
    const k = port - this.basePort + 1;
    return k >= 1 && k <= this.nodes ? k : undefined;
  }

  async status(): Promise<EnsembleNodeStatus[]> {
    const out = await run(['status', '--dir', this.dir], { anyExit: true });
    const rows: EnsembleNodeStatus[] = [];
    for (const line of out.split('\n')) {
      const m = /^(\d+)\s+(\S+)\s+(\d+)\s+(.+)$/.exec(line.trim());
      if (m) rows.push({ node: Number(m[1]), pid: m[2] === '-' ? undefined : Number(m[2]), port: Number(m[3]), mode: m[4]!.trim() });
    }
    return rows;
  }

  /** The node that currently leads, if any. */
  async leader(): Promise<number | undefined> {
    return (await this.status()).find((r) => r.mode === 'leader' || r.mode === 'standalone')?.node;
  }

  killNode(k: number): Promise<string> {
    return run(['kill-node', String(k), '--dir', this.dir]);
  }
  stopNode(k: number): Promise<string> {
    return run(['stop-node', String(k), '--dir', this.dir]);
  }
  startNode(k: number): Promise<string> {
    return run(['start-node', String(k), '--dir', this.dir]);
  }

  /**
   * Stops every node (by pid) and removes the directory. Synchronous underneath on purpose:
   * a process that ends right after (vitest's main process after the global teardown) must not
   * leave a half-finished stop behind.
   */
  async stop(): Promise<void> {
    this.stopSync(true);
  }

  /** The same, synchronously: for 'exit' and signal handlers. */
  stopSync(throwOnError = false): void {
    if (this.#stopped) return;
    this.#stopped = true;
    process.off('exit', this.#onExit);
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    try {
      execFileSync(ENSEMBLE_SCRIPT, ['stop', '--dir', this.dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    } catch (err) {
      if (throwOnError) throw new Error(`zk-ensemble.sh stop --dir ${this.dir} failed: ${String((err as { stderr?: unknown }).stderr ?? err)}`);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
