/**
 * The cluster kafka-verify runs against, and the faults it injects. The cluster is the one
 * scripts/cluster.sh starts (its directory layout, pid files and commands); processes are only
 * ever signalled by the pids in its pid files, and started again with its own commands
 * (`cluster.sh start-broker K`, `zk-ensemble.sh start-node K`).
 *
 * Faults on one process never overlap: a fault whose target resolves to a process still under
 * an earlier fault (killed and not yet started again, paused, cut off) waits until that fault
 * is undone, then resolves its target again (a role such as `controller` may have moved), and
 * lasts its full duration from then. Without this, a role read from ZooKeeper could name a
 * broker killed a moment ago (its session not yet expired), and the second fault would hit the
 * process the first fault's undo was starting (a SIGSTOP or SIGTERM in the middle of its start).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ZkClient } from '../zk/client.js';
import { brokerIdsPath, controllerPath, partitionStatePath } from '../zk/paths.js';
import { decodeController, decodePartitionState, type PartitionState } from '../zk/payloads.js';
import { NetFilter } from './netfilter.js';
import { isNetworkAction, type FaultEntry } from './schedule.js';

const run = promisify(execFile);

/** How long a fault waits for its role to exist (an election under way) before it fails. */
const ROLE_WAIT_MS = 15_000;

/** A role with no holder at this moment (no controller, no partition leader, no ZooKeeper leader): usually an election under way. */
class NoHolderNow extends Error {}

export interface ClusterLayout {
  /** The project root (where scripts/ is). */
  root: string;
  dir: string;
  brokers: number;
  zkNodes: number;
  port: number;
  zkPort: number;
  hostPrefix: string;
}

export interface FaultRecord {
  index: number;
  action: string;
  target: string;
  /** What the target resolved to, e.g. "broker 2" or "ZooKeeper node 3". */
  resolved: string;
  startMs: number;
  endMs?: number;
  /** When it was planned to start (ms since the workload started). */
  plannedAtMs: number;
  detail: string[];
  error?: string;
}

export class VerifyCluster {
  readonly l: ClusterLayout;
  zk: ZkClient | undefined;
  readonly net: NetFilter;
  /** pids this run has SIGSTOPped and not yet continued (SIGCONT on cleanup). */
  readonly paused = new Set<number>();
  /** Processes under a fault ('b2', 'z1'), settled once that fault is undone. */
  readonly #busy = new Map<string, Promise<void>>();

  constructor(l: ClusterLayout) {
    this.l = l;
    this.net = new NetFilter('127.0.0.1', Array.from({ length: l.zkNodes }, (_, i) => l.zkPort + i));
  }

  get zkConnect(): string {
    return Array.from({ length: this.l.zkNodes }, (_, i) => `127.0.0.1:${this.l.zkPort + i}`).join(',');
  }
  brokerHost(k: number): string {
    return `${this.l.hostPrefix}.${k}`;
  }
  brokerPort(k: number): number {
    return this.l.port + k - 1;
  }
  get bootstrap(): string {
    return Array.from({ length: this.l.brokers }, (_, i) => `${this.brokerHost(i + 1)}:${this.brokerPort(i + 1)}`).join(',');
  }
  brokerIds(): number[] {
    return Array.from({ length: this.l.brokers }, (_, i) => i + 1);
  }

  /** scripts/cluster.sh with this cluster's --dir. */
  async clusterSh(args: string[], timeoutMs = 120_000): Promise<string> {
    // the brokers log at info (their logs are part of the results), whatever the caller's level
    const env = { ...process.env, KAFKA_LOG_LEVEL: 'info' };
    const { stdout, stderr } = await run(path.join(this.l.root, 'scripts/cluster.sh'), [...args, '--dir', this.l.dir], { cwd: this.l.root, timeout: timeoutMs, maxBuffer: 16 << 20, env });
    return stdout + stderr;
  }

  async zkEnsembleSh(args: string[], timeoutMs = 120_000): Promise<string> {
    const { stdout, stderr } = await run(path.join(this.l.root, 'scripts/zk-ensemble.sh'), [...args, '--dir', path.join(this.l.dir, 'zk')], { cwd: this.l.root, timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout + stderr;
  }

  async connectZk(): Promise<ZkClient> {
    this.zk ??= await ZkClient.connect({ connectString: this.zkConnect, sessionTimeoutMs: 30_000, connectTimeoutMs: 30_000 });
    return this.zk;
  }

  brokerPid(k: number): number | undefined {
    return readPid(path.join(this.l.dir, `broker-${k}`, 'broker.pid'));
  }
  zkPid(k: number): number | undefined {
    return readPid(path.join(this.l.dir, 'zk', `node${k}`, 'zookeeper.pid'));
  }

  async controller(): Promise<number> {
    const n = await (await this.connectZk()).get(controllerPath);
    return n ? decodeController(n.data).brokerId : -1;
  }

  async partitionState(topic: string, p: number): Promise<PartitionState | undefined> {
    const n = await (await this.connectZk()).get(partitionStatePath(topic, p));
    return n ? decodePartitionState(n.data) : undefined;
  }

  async liveBrokers(): Promise<number[]> {
    return ((await (await this.connectZk()).children(brokerIdsPath)) ?? []).map(Number).sort((a, b) => a - b);
  }

  /** The ZooKeeper node that answers `srvr` with Mode: leader (or standalone). */
  async zkLeader(): Promise<number | undefined> {
    for (let k = 1; k <= this.l.zkNodes; k++) {
      const mode = await zkMode(this.l.zkPort + k - 1);
      if (mode === 'leader' || mode === 'standalone') return k;
    }
    return undefined;
  }

  /** Resolves a schedule target to process ids: brokers ('b', K) or ZooKeeper nodes ('z', K). */
  async resolve(target: string, topic: string): Promise<{ kind: 'b' | 'z'; ids: number[] }> {
    let m;
    if ((m = /^broker-(\d+)$/.exec(target))) return { kind: 'b', ids: [Number(m[1])] };
    if (target === 'controller') {
      const c = await this.controller();
      if (c < 0) throw new NoHolderNow('no controller now');
      return { kind: 'b', ids: [c] };
    }
    if ((m = /^(leader|followers)(?:-(\d+))?$/.exec(target))) {
      const st = await this.partitionState(topic, Number(m[2] ?? 0));
      if (!st || st.leader < 0) throw new NoHolderNow(`partition ${m[2] ?? 0} has no leader now`);
      if (m[1] === 'leader') return { kind: 'b', ids: [st.leader] };
      return { kind: 'b', ids: this.brokerIds().filter((id) => id !== st.leader) };
    }
    if ((m = /^zk-(\d+)$/.exec(target))) return { kind: 'z', ids: [Number(m[1])] };
    if (target === 'zk-leader') {
      const k = await this.zkLeader();
      if (k === undefined) throw new NoHolderNow('no ZooKeeper leader now');
      return { kind: 'z', ids: [k] };
    }
    throw new Error(`unknown target ${target}`);
  }

  /**
   * Starts a fault; returns its undo (restart, SIGCONT or heal), which resolves once the
   * undo is done. Details of what happened go into `rec.detail`. `now` is the run's clock (ms
   * since the workload started): `rec.startMs` becomes the moment the target was free, and
   * `rec.endMs` is set when the undo is done, before a fault waiting for the same target is let
   * go, so that faults on one process never appear to overlap.
   */
  async inject(e: FaultEntry, rec: FaultRecord, topic: string, cutId: number, now: () => number): Promise<() => Promise<void>> {
    const { kind, ids, release } = await this.#claim(e.target, topic, rec, now);
    const name = (k: number) => (kind === 'b' ? `broker ${k}` : `ZooKeeper node ${k}`);
    rec.resolved = ids.map(name).join(', ');
    try {
      const undo = await this.#inject(e, rec, kind, ids, cutId);
      return () =>
        undo().finally(() => {
          rec.endMs = now();
          release();
        });
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * Resolves the target to processes no other fault holds and takes them: while it names one,
   * waits for that fault's undo and resolves again. The check and the taking happen in one
   * turn of the event loop, so of two faults woken by the same undo only one gets the process;
   * the other waits again. Waits go into `rec` (detail, and startMs becomes the moment the
   * target was free). `release` gives the processes back.
   */
  async #claim(target: string, topic: string, rec: FaultRecord, now: () => number): Promise<{ kind: 'b' | 'z'; ids: number[]; release: () => void }> {
    let waited = false;
    for (;;) {
      const r = await this.resolveHeld(target, topic, rec);
      const keys = r.ids.map((k) => `${r.kind}${k}`);
      const held = keys.map((k) => this.#busy.get(k)).filter((p) => p !== undefined);
      if (held.length === 0) {
        rec.startMs = Math.max(rec.startMs, now());
        let done!: () => void;
        const busy = new Promise<void>((res) => (done = res));
        for (const k of keys) this.#busy.set(k, busy);
        const release = (): void => {
          for (const k of keys) if (this.#busy.get(k) === busy) this.#busy.delete(k);
          done();
        };
        return { ...r, release };
      }
      if (!waited) rec.detail.push(`waited for ${r.ids.map((k) => `${r.kind === 'b' ? 'broker' : 'ZooKeeper node'} ${k}`).join(', ')} to come back from an earlier fault`);
      waited = true;
      await Promise.all(held);
    }
  }

  /**
   * Resolves the target; while its role has no holder (an election under way, say the
   * ZooKeeper leader a moment after an earlier fault killed it), waits for one, up to
   * `waitMs`. The wait goes into `rec.detail`.
   */
  async resolveHeld(target: string, topic: string, rec: Pick<FaultRecord, 'detail'>, waitMs = ROLE_WAIT_MS): Promise<{ kind: 'b' | 'z'; ids: number[] }> {
    const t0 = Date.now();
    for (;;) {
      try {
        const r = await this.resolve(target, topic);
        if (Date.now() - t0 >= 100) rec.detail.push(`waited ${Date.now() - t0} ms for a ${target} to be elected`);
        return r;
      } catch (err) {
        if (!(err instanceof NoHolderNow) || Date.now() - t0 >= waitMs) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async #inject(e: FaultEntry, rec: FaultRecord, kind: 'b' | 'z', ids: number[], cutId: number): Promise<() => Promise<void>> {
    if (isNetworkAction(e.action)) {
      const k = ids[0]!;
      const a = this.brokerHost(k);
      const others = this.brokerIds().filter((id) => id !== k).map((id) => this.brokerHost(id));
      const cut = {
        id: cutId,
        pairs: e.action === 'cut-zk' ? [] : others.map((b) => [a, b] as [string, string]),
        fromZk: e.action === 'cut-peers' ? [] : [a],
      };
      this.net.add(cut);
      rec.detail.push(`nft: ${this.net.rules().filter((r) => r.includes(`"fault ${cutId}"`)).map((r) => r.replace(/ comment .*/, '')).join('; ')}`);
      return async () => {
        this.net.remove(cutId);
        rec.detail.push('healed (rules deleted)');
      };
    }
    if (e.action === 'pause') {
      const pids = ids.map((k) => (kind === 'b' ? this.brokerPid(k) : this.zkPid(k)));
      for (const pid of pids) {
        if (pid === undefined) continue;
        process.kill(pid, 'SIGSTOP');
        this.paused.add(pid);
      }
      rec.detail.push(`SIGSTOP pid ${pids.join(', ')}`);
      return async () => {
        for (const pid of pids) {
          if (pid === undefined) continue;
          try {
            process.kill(pid, 'SIGCONT');
          } catch {
            // gone
          }
          this.paused.delete(pid);
        }
        rec.detail.push('SIGCONT');
      };
    }
    // kill / term: stop through the project's scripts, start again at the end
    const t0 = Date.now();
    await Promise.all(
      ids.map((k) =>
        kind === 'b'
          ? this.clusterSh([e.action === 'kill' ? 'kill-broker' : 'stop-broker', String(k)])
          : this.zkEnsembleSh([e.action === 'kill' ? 'kill-node' : 'stop-node', String(k)]),
      ),
    );
    rec.detail.push(`${e.action === 'kill' ? 'SIGKILL' : 'SIGTERM'}: down after ${Date.now() - t0} ms`);
    return async () => {
      const t1 = Date.now();
      await Promise.all(ids.map((k) => (kind === 'b' ? this.clusterSh(['start-broker', String(k)]) : this.zkEnsembleSh(['start-node', String(k)]))));
      rec.detail.push(`started again in ${Date.now() - t1} ms`);
    };
  }

  /** SIGCONT to whatever this run paused, every network cut healed. */
  healAll(): void {
    for (const pid of this.paused) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    this.paused.clear();
    this.net.close();
  }

  async close(): Promise<void> {
    this.healAll();
    await this.zk?.close().catch(() => undefined);
    this.zk = undefined;
  }
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The `Mode:` a ZooKeeper server reports to `srvr`, or undefined. */
export function zkMode(port: number, host = '127.0.0.1'): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    let out = '';
    s.setTimeout(1500, () => s.destroy());
    s.on('connect', () => s.write('srvr'));
    s.on('data', (d) => (out += d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => resolve(/Mode:\s*(\w+)/.exec(out)?.[1]));
  });
}

/** A free TCP port block [p, p+n) on 127.0.0.1 (and on the broker addresses when given). */
export async function freePortBlock(n: number, from: number, hosts: string[] = ['127.0.0.1']): Promise<number> {
  for (let base = from; base < 60000; base += n + 7) {
    let ok = true;
    for (let p = base; p < base + n && ok; p++) {
      for (const h of hosts) if (!(await portFree(p, h))) ok = false;
    }
    if (ok) return base;
  }
  throw new Error('no free port block found');
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}
