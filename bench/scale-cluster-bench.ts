/**
 * A cluster of many partitions (scripts/bench.sh --only scale-cluster; long, not in the default
 * run): one ZooKeeper node and three brokers on this machine, topics totalling --partitions
 * (default 10,000) at RF=3, so every broker hosts every partition. Each figure is printed with
 * its target (Kafka 1.1's controller: 10,000 partitions per broker, 100,000 per cluster):
 *
 *   create      the topics written to ZooKeeper (kafka-topics' writes) until every broker's
 *               metadata gives every partition a leader, and until every replica's log exists
 *   rss         each broker's resident memory and open files, before the topics and after
 *               (what one partition replica costs)
 *   rebalance   --consumers (8) GroupConsumers subscribe to every topic: until their
 *               assignments cover every partition exactly once (group.initial.rebalance.delay.ms=0),
 *               and until every member has set its positions (committed offset or reset)
 *   failover    SIGKILL of the controller: until a surviving broker's metadata gives every
 *               partition a live leader, counted from /controller vanishing (the killed
 *               session's expiry; target < 5 s) and from the SIGKILL
 *   restart     the killed broker started again: until it is back in every ISR
 *   shutdown    SIGTERM of a broker that is not the controller (controlled shutdown): until the
 *               process exits (target < 3 s), and how many partitions are leaderless then (0)
 *   restart     that broker started again (clean logs): until it is back in every ISR
 *   memory      a fresh broker with one topic of --memory-partitions (1,000) at RF=1 under
 *               kafka-producer-perf-test and kafka-consumer-perf-test at full speed for
 *               --memory-seconds (30): peak broker RSS (target < 512 MiB)
 *
 *   node dist/bench/scale-cluster-bench.js [--partitions 10000] [--topics 10] [--consumers 8]
 *        [--session-ms 6000] [--memory-partitions 1000] [--memory-seconds 30] [--only cluster|memory]
 *        [--keep (the temporary directory, with the brokers' output)]
 *
 * It starts its own ZooKeeper (scripts/zk-ensemble.sh) and brokers on free ports in a
 * temporary directory and stops them (by pid) at the end. Numbers only, never pass/fail.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ZkClient } from '../src/zk/client.js';
import { createTopic } from '../src/admin/topic-admin.js';
import { brokerIdPath, controllerPath } from '../src/zk/paths.js';
import { decodeBrokerRegistration, decodeController } from '../src/zk/payloads.js';
import { Cluster } from '../src/client/cluster.js';
import { CoordinatorClient } from '../src/client/group/coordinator-client.js';
import { GroupConsumer } from '../src/client/group/group-consumer.js';
import { Logger } from '../src/common/logger.js';
import { benchArgsOrExit, exitOnHelp, requirePositive, usageError } from './args.js';
import { exitWhenStdoutCloses, stopAtExit } from './cleanup.js';
import { brokerNodeArgs } from '../src/broker/heap-opts.js';

const TOOL = 'scale-cluster-bench';
const USAGE = `usage: scale-cluster-bench.js [--partitions 10000] [--topics 10] [--consumers 8] [--session-ms 6000]
         [--memory-partitions 1000] [--memory-seconds 30] [--only cluster|memory] [--keep]

Run as node dist/bench/scale-cluster-bench.js, from the repository root (scripts/bench.sh
--only scale-cluster; long). It starts its own ZooKeeper (scripts/zk-ensemble.sh) and brokers
on free ports in a temporary directory and stops them (by pid) at the end.
  --partitions N          partitions in all, at RF=3 over three brokers (default 10000)
  --topics N              topics they are spread over (default partitions / 1000, rounded up)
  --consumers N           GroupConsumers of the rebalance figure (default 8)
  --session-ms N          the brokers' zookeeper.session.timeout.ms (default 6000)
  --memory-partitions N   partitions of the memory section's one broker, RF=1 (default 1000)
  --memory-seconds N      how long the memory section's producer and consumer run (default 30)
  --only cluster|memory   only that section (default both)
  --keep                  keep the temporary directory, with the brokers' output
Prints, each with its target: create (until every partition is led and every replica log
exists), the brokers' RSS and open files before and after, rebalance, controller failover,
restart after SIGKILL, controlled shutdown, restart, and the memory section's peak broker RSS.
Numbers only, never pass/fail.
`;
exitOnHelp(USAGE);

process.env.KAFKA_LOG_LEVEL ??= 'error'; // this process's clients; the brokers log at info
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = benchArgsOrExit(TOOL, USAGE, ['partitions', 'topics', 'consumers', 'session-ms', 'memory-partitions', 'memory-seconds', 'only', 'keep']);
const PARTITIONS = Number(args.get('partitions') ?? 10_000);
const TOPICS = Number(args.get('topics') ?? Math.max(1, Math.ceil(PARTITIONS / 1000)));
const CONSUMERS = Number(args.get('consumers') ?? 8);
const SESSION_MS = Number(args.get('session-ms') ?? 6000);
const MEMORY_PARTITIONS = Number(args.get('memory-partitions') ?? 1000);
const MEMORY_SECONDS = Number(args.get('memory-seconds') ?? 30);
const ONLY = args.get('only');
const KEEP = args.has('keep');
requirePositive(TOOL, USAGE, { '--partitions': PARTITIONS, '--topics': TOPICS, '--consumers': CONSUMERS, '--session-ms': SESSION_MS, '--memory-partitions': MEMORY_PARTITIONS, '--memory-seconds': MEMORY_SECONDS });
if (ONLY !== undefined && ONLY !== 'cluster' && ONLY !== 'memory') usageError(TOOL, `--only must be cluster or memory, not ${ONLY}`, USAGE);
exitWhenStdoutCloses(TOOL);
const RF = 3;
const MiB = 1024 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${secs(timeoutMs)} waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(intervalMs);
  }
}

// ---- processes --------------------------------------------------------------------------------

/** /proc/<pid>/status VmRSS in bytes (0 when gone). */
function rss(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function openFiles(pid: number | undefined): number {
  try {
    return pid ? readdirSync(`/proc/${pid}/fd`).length : 0;
  } catch {
    return 0;
  }
}

interface Broker {
  id: number;
  port: number;
  proc: ChildProcess;
  logDir: string;
  exited: Promise<void>;
}

/** ZooKeeper (one node) and brokers of this benchmark, in their own temporary directory. */
class BenchCluster {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'zkafka-scale-bench-'));
  readonly brokers = new Map<number, Broker>();
  zk!: ZkClient;
  zkConnect = '';
  /** Peak RSS per broker id since the last resetPeaks(). */
  readonly peaks = new Map<number, number>();
  #sampler: NodeJS.Timeout | undefined;
  /** If this process ends before close() (stdout closed: EPIPE; an uncaught error): the brokers, then ZooKeeper, by pid. */
  readonly #cancelAtExit = stopAtExit(() => {
    for (const b of this.brokers.values()) b.proc.kill('SIGKILL');
    try {
      execFileSync(path.join(ROOT, 'scripts/zk-ensemble.sh'), ['stop', '--dir', path.join(this.dir, 'zk')], { stdio: 'ignore' });
    } finally {
      if (!KEEP) rmSync(this.dir, { recursive: true, force: true });
    }
  });

  constructor(private readonly extraProps: Record<string, string>) {
    running.add(this);
  }

  async start(brokerIds: number[]): Promise<void> {
    const port = await freePort();
    execFileSync(path.join(ROOT, 'scripts/zk-ensemble.sh'), ['start', '--nodes', '1', '--port', String(port), '--dir', path.join(this.dir, 'zk')], { stdio: 'ignore' });
    this.zkConnect = `127.0.0.1:${port}`;
    this.zk = await ZkClient.connect({ connectString: this.zkConnect, sessionTimeoutMs: 30_000 });
    await Promise.all(brokerIds.map((id) => this.startBroker(id)));
    this.#sampler = setInterval(() => this.#sample(), 250);
    this.#sampler.unref();
  }

  #sample(): void {
    for (const b of this.brokers.values()) this.peaks.set(b.id, Math.max(this.peaks.get(b.id) ?? 0, rss(b.proc.pid)));
  }

  resetPeaks(): void {
    this.peaks.clear();
    this.#sample();
  }

  get bootstrap(): string {
    return [...this.brokers.values()].map((b) => `127.0.0.1:${b.port}`).join(',');
  }

  live(): Broker[] {
    return [...this.brokers.values()].filter((b) => b.proc.exitCode === null && b.proc.signalCode === null);
  }

  /** Starts broker `id` and resolves with its port once it has registered (a fresh registration). */
  async startBroker(id: number, timeoutMs = 600_000): Promise<Broker> {
    const logDir = path.join(this.dir, `broker-${id}`, 'logs');
    const file = path.join(this.dir, `server-${id}.properties`);
    const props: Record<string, string> = {
      'broker.id': String(id),
      listeners: 'PLAINTEXT://127.0.0.1:0',
      'log.dirs': logDir,
      'zookeeper.connect': this.zkConnect,
      'zookeeper.session.timeout.ms': String(SESSION_MS),
      'group.initial.rebalance.delay.ms': '0',
      ...this.extraProps,
    };
    writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const out = openSync(this.logFile(id), 'a');
    const since = Date.now();
    // SCALE_BENCH_PROFILE=DIR: each broker process writes a CPU profile there when it exits
    const profile = process.env.SCALE_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SCALE_BENCH_PROFILE}`, `--cpu-prof-name=broker-${id}-${Date.now()}.cpuprofile`] : [];
    const proc = spawn(process.execPath, [...brokerNodeArgs(), ...profile, path.join(ROOT, 'dist/src/bin/kafka-server-start.js'), file], { stdio: ['ignore', out, out], env: { ...process.env, KAFKA_LOG_LEVEL: 'info' } });
    closeSync(out);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const port = await until(`broker ${id} to register`, async () => {
      if (proc.exitCode !== null) throw new Error(`broker ${id} exited with ${proc.exitCode} (see ${this.dir}/broker-${id}.log)`);
      const node = await this.zk.get(brokerIdPath(id));
      if (!node) return undefined;
      const reg = decodeBrokerRegistration(node.data);
      return reg.timestamp !== undefined && Number(reg.timestamp) >= since - 1000 ? reg.port : undefined;
    }, timeoutMs, 50);
    const b: Broker = { id, port, proc, logDir, exited };
    this.brokers.set(id, b);
    return b;
  }

  async stopBroker(id: number, signal: NodeJS.Signals): Promise<void> {
    const b = this.brokers.get(id)!;
    if (b.proc.exitCode !== null || b.proc.signalCode !== null) return;
    b.proc.kill(signal);
    await b.exited;
  }

  logFile(id: number): string {
    return path.join(this.dir, `broker-${id}.log`);
  }

  async controllerId(): Promise<number | undefined> {
    const node = await this.zk.get(controllerPath);
    return node ? decodeController(node.data).brokerId : undefined;
  }

  async close(): Promise<void> {
    running.delete(this);
    clearInterval(this.#sampler);
    for (const b of this.brokers.values()) if (b.proc.exitCode === null && b.proc.signalCode === null) b.proc.kill(process.env.SCALE_BENCH_PROFILE ? 'SIGTERM' : 'SIGKILL'); // a profiled broker writes its profile on a clean exit
    await Promise.all([...this.brokers.values()].map((b) => b.exited));
    await this.zk?.close().catch(() => undefined);
    try {
      execFileSync(path.join(ROOT, 'scripts/zk-ensemble.sh'), ['stop', '--dir', path.join(this.dir, 'zk')], { stdio: 'ignore' });
    } catch {
      /* not started */
    }
    if (KEEP) console.log(`  kept ${this.dir} (broker-N.log: the brokers' output)`);
    else rmSync(this.dir, { recursive: true, force: true });
    this.#cancelAtExit();
  }
}

// ---- what a broker's metadata says --------------------------------------------------------------

interface View {
  partitions: number;
  /** partitions led, per broker id */
  led: Map<number, number>;
  /** partitions without a live leader (or led by `exclude`) */
  leaderless: number;
  /** partitions whose ISR lacks `member` */
  notInIsr: number;
  fullIsr: number;
}

/** Partitions the metadata lacks (fewer than `expected`) count as leaderless and not in the ISR. */
async function view(port: number, topics: string[], opts: { exclude?: number; member?: number; expected?: number } = {}): Promise<View> {
  const c = new Cluster({ brokers: `127.0.0.1:${port}`, requestTimeoutMs: 30_000 });
  try {
    const md = await c.refresh(topics);
    const v: View = { partitions: 0, led: new Map(), leaderless: 0, notInIsr: 0, fullIsr: 0 };
    for (const t of md.topics) {
      for (const p of t.partitions) {
        v.partitions++;
        v.led.set(p.leader, (v.led.get(p.leader) ?? 0) + 1);
        if (p.leader < 0 || p.leader === opts.exclude) v.leaderless++;
        if (opts.member !== undefined && !p.isr.includes(opts.member)) v.notInIsr++;
        if (p.isr.length === p.replicas.length) v.fullIsr++;
      }
    }
    const missing = Math.max(0, (opts.expected ?? 0) - v.partitions);
    v.leaderless += missing;
    v.notInIsr += missing;
    return v;
  } finally {
    c.close();
  }
}

/** Replica directories in a broker's log dir (topic-partition). */
function replicasOnDisk(b: Broker): number {
  try {
    return readdirSync(b.logDir, { withFileTypes: true }).filter((e) => e.isDirectory() && /-\d+$/.test(e.name)).length;
  } catch {
    return 0;
  }
}

/** The soft open-file limit of a process (/proc/<pid>/limits), or undefined. */
function openFileLimit(pid: number | undefined): number | undefined {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Throws when a broker ran out of file descriptors (it cannot host its replicas; waiting would not help). */
function checkOpenFiles(cluster: BenchCluster): void {
  for (const b of cluster.brokers.values()) {
    const out = readFileSync(cluster.logFile(b.id), 'utf8');
    if (!out.includes('EMFILE')) continue;
    const limit = openFileLimit(process.pid);
    throw new Error(`broker ${b.id} ran out of file descriptors (EMFILE) with ${fmt(replicasOnDisk(b))} replicas (open-file limit ${limit ?? '?'}; ${fmt(openFiles(b.proc.pid))} open): each replica keeps its .log, .index and .timeindex open`);
  }
}

function rssLine(cluster: BenchCluster, label: string): number {
  let max = 0;
  const parts = [...cluster.brokers.values()].map((b) => {
    const r = rss(b.proc.pid);
    max = Math.max(max, r);
    return `broker ${b.id} ${fmt(r / MiB)} MiB (peak ${fmt((cluster.peaks.get(b.id) ?? r) / MiB)} MiB, ${fmt(openFiles(b.proc.pid))} open files)`;
  });
  console.log(`  RSS ${label}: ${parts.join('; ')}`);
  return max;
}

/** From a broker's log, its last shutdown: how long the controlled shutdown took, and the rest (closing). */
function shutdownSteps(file: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = (text: string) => {
    for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.includes(text)) return Date.parse(lines[i]!.slice(1, 25));
    return NaN;
  };
  const start = at('] shutting down');
  const moved = at('controlled shutdown succeeded');
  const end = at('shut down cleanly');
  if (!(moved >= start && end >= moved)) return '';
  return ` (controlled shutdown ${secs(moved - start)}, then closing ${secs(end - moved)})`;
}

// ---- the 10,000-partition cluster ---------------------------------------------------------------

/** A member's logger that reports its assignment (GroupConsumer logs it once SyncGroup answered, before it sets positions). */
class AssignmentLog extends Logger {
  constructor(private readonly onAssigned: (partitions: string[]) => void) {
    super('scale-bench-member');
  }
  override info(msg: string, fields?: Record<string, unknown>): void {
    if (msg === 'partitions assigned') this.onAssigned(String(fields?.partitions ?? '').split(',').filter((p) => p !== '' && p !== '(none)'));
  }
}

/** Times from the first JoinGroup: until the assignments cover every partition once, and until every member has set its positions. */
async function rebalance(cluster: BenchCluster, topics: string[]): Promise<{ assigned: number; positioned: number }> {
  // the first FindCoordinator creates __consumer_offsets: not part of the figure
  const warm = new Cluster({ brokers: cluster.bootstrap });
  await new CoordinatorClient(warm).findCoordinator(`scale-bench-warm-${Date.now()}`, { timeoutMs: 120_000 });
  warm.close();
  const group = `scale-bench-${Date.now()}`;
  const members: { c: GroupConsumer; synced: string[]; positioned: number; loop?: Promise<void> }[] = [];
  let running = true;
  const t0 = performance.now();
  for (let i = 0; i < CONSUMERS; i++) {
    const m: { c?: GroupConsumer; synced: string[]; positioned: number } = { synced: [], positioned: 0 };
    const logger = new AssignmentLog((parts) => void (m.synced = parts));
    const c = new GroupConsumer({ 'bootstrap.servers': cluster.bootstrap, 'group.id': group, 'session.timeout.ms': '30000', 'heartbeat.interval.ms': '1000', 'fetch.max.wait.ms': '100', 'max.poll.interval.ms': '600000', 'partition.assignment.strategy': 'range' }, { logger });
    c.on('assigned', (e) => void (m.positioned = e.partitions.length));
    c.on('revoked', () => void (m.positioned = 0));
    c.subscribe(topics);
    members.push(Object.assign(m, { c }));
  }
  for (const m of members) m.loop = (async () => { while (running) await m.c.poll(100).catch(() => sleep(100)); })();
  try {
    const assigned = await until('the assignments to cover every partition once', async () => {
      const all = members.flatMap((m) => m.synced);
      return all.length === PARTITIONS && new Set(all).size === PARTITIONS && members.every((m) => m.synced.length > 0) ? performance.now() - t0 : undefined;
    }, 600_000, 20);
    const positioned = await until('every member to set its positions', async () => (members.reduce((n, m) => n + m.positioned, 0) === PARTITIONS ? performance.now() - t0 : undefined), 1_800_000, 100);
    return { assigned, positioned };
  } finally {
    running = false;
    await Promise.all(members.map((m) => m.loop));
    await Promise.all(members.map((m) => m.c.close({ commit: false }).catch(() => undefined)));
  }
}

async function scaleCluster(): Promise<void> {
  const perTopic = Math.ceil(PARTITIONS / TOPICS);
  const topics = Array.from({ length: TOPICS }, (_, i) => `scale-${i}`);
  const total = perTopic * TOPICS;
  console.log(`cluster: ZooKeeper (1 node) and 3 brokers on this machine; ${TOPICS} topics x ${fmt(perTopic)} partitions = ${fmt(total)} partitions at RF=${RF} (${fmt(total * RF)} replicas); session timeout ${SESSION_MS} ms; open-file limit ${openFileLimit(process.pid) ?? '?'} per process`);
  const cluster = new BenchCluster({ 'auto.leader.rebalance.enable': 'false' });
  try {
    await cluster.start([1, 2, 3]);
    await until('every broker to learn the cluster', async () => {
      for (const b of cluster.live()) {
        const c = new Cluster({ brokers: `127.0.0.1:${b.port}` });
        const n = await c.refresh([]).then((m) => m.brokers.length).finally(() => c.close());
        if (n < 3) return false;
      }
      return true;
    }, 60_000);
    await sleep(1000);
    const rssBefore = rssLine(cluster, 'with no topics');

    // ---- create
    cluster.resetPeaks();
    const t0 = performance.now();
    for (const t of topics) await createTopic(cluster.zk, t, { partitions: perTopic, replicationFactor: RF });
    const written = performance.now() - t0;
    const led = await until('every partition to have a leader on every broker', async () => {
      checkOpenFiles(cluster);
      for (const b of cluster.live()) {
        const v = await view(b.port, topics);
        if (v.leaderless > 0 || v.partitions < total) return false;
      }
      return performance.now() - t0;
    }, 1_800_000, 200);
    const onDisk = await until('every replica to exist on disk', async () => ([...cluster.brokers.values()].every((b) => replicasOnDisk(b) >= total) ? performance.now() - t0 : false), 1_800_000, 200);
    console.log(`create: ${fmt(total)} partitions written to ZooKeeper in ${secs(written)}; every partition led on every broker after ${secs(led)}; all ${fmt(total * RF)} replica logs on disk after ${secs(onDisk)}`);
    await until('every ISR to be full', async () => (await view(cluster.brokers.get(1)!.port, topics)).fullIsr === total, 600_000, 500);
    await sleep(3000);
    const rssAfter = rssLine(cluster, `with ${fmt(total)} partitions`);
    console.log(`  per partition replica: ${((rssAfter - rssBefore) / total / 1024).toFixed(1)} KiB of RSS (largest broker, after - before)`);

    // ---- rebalance
    const rb = await rebalance(cluster, topics);
    console.log(`rebalance: ${CONSUMERS} GroupConsumers join a new group over ${fmt(total)} partitions (${TOPICS} topics, range; group.initial.rebalance.delay.ms=0): assignments cover every partition once after ${secs(rb.assigned)} (JoinGroup + SyncGroup); every member has its positions after ${secs(rb.positioned)} (OffsetFetch, then auto.offset.reset per partition)`);

    // ---- controller failover
    const victim = (await cluster.controllerId())!;
    const observer = [...cluster.brokers.values()].find((b) => b.id !== victim)!;
    const killedAt = performance.now();
    await cluster.stopBroker(victim, 'SIGKILL');
    const gone = await until('/controller to vanish', async () => {
      const id = await cluster.controllerId();
      return id === undefined || id !== victim ? performance.now() : undefined;
    }, 120_000, 10);
    const newController = await until('a new controller', async () => ((await cluster.controllerId()) !== undefined ? performance.now() : undefined), 120_000, 10);
    const releaded = await until('every partition to have a live leader', async () => ((await view(observer.port, topics, { exclude: victim, expected: total })).leaderless === 0 ? performance.now() : undefined), 600_000, 100);
    console.log(`controller failover: every partition led again ${secs(releaded - gone)} after /controller vanished (target < 5 s); ${secs(releaded - killedAt)} after the SIGKILL of controller ${victim} (its session expired after ${secs(gone - killedAt)}, a new controller in ${secs(newController - gone)})`);

    // ---- restart after SIGKILL (unclean: log recovery)
    let t = performance.now();
    const back = await cluster.startBroker(victim);
    const registered = performance.now() - t;
    const rejoined = await until(`broker ${victim} back in every ISR`, async () => ((await view(observer.port, topics, { member: victim, expected: total })).notInIsr === 0 ? performance.now() - t : undefined), 1_800_000, 250);
    console.log(`restart after SIGKILL: broker ${back.id} registered after ${secs(registered)} (log recovery), back in every ISR after ${secs(rejoined)}`);

    // ---- controlled shutdown of the broker (not the controller) that leads the most partitions
    const controller = (await cluster.controllerId())!;
    const before = await until('every ISR to be full', async () => {
      const v = await view(cluster.brokers.get(controller)!.port, topics);
      return v.fullIsr === total ? v : undefined;
    }, 600_000, 500);
    const stopping = [...cluster.brokers.values()].filter((b) => b.id !== controller).sort((a, b) => (before.led.get(b.id) ?? 0) - (before.led.get(a.id) ?? 0))[0]!;
    const watcher = [...cluster.brokers.values()].find((b) => b.id !== stopping.id)!;
    const leads = before.led.get(stopping.id) ?? 0;
    t = performance.now();
    await cluster.stopBroker(stopping.id, 'SIGTERM');
    const stopMs = performance.now() - t;
    const atExit = await view(watcher.port, topics, { exclude: stopping.id, expected: total });
    await sleep(1000);
    const later = await view(watcher.port, topics, { exclude: stopping.id, expected: total });
    const steps = shutdownSteps(cluster.logFile(stopping.id));
    console.log(`controlled shutdown: broker ${stopping.id} (leading ${fmt(leads)} partitions, in ${fmt(total)} ISRs) exited ${secs(stopMs)} after SIGTERM (target < 3 s)${steps}; leaderless partitions at its exit: ${fmt(atExit.leaderless)}, 1 s later: ${fmt(later.leaderless)} (target 0)`);

    // ---- restart after a clean shutdown
    t = performance.now();
    await cluster.startBroker(stopping.id);
    const reg2 = performance.now() - t;
    const rejoined2 = await until(`broker ${stopping.id} back in every ISR`, async () => ((await view(watcher.port, topics, { member: stopping.id, expected: total })).notInIsr === 0 ? performance.now() - t : undefined), 1_800_000, 250);
    console.log(`restart after controlled shutdown: broker ${stopping.id} registered after ${secs(reg2)}, back in every ISR after ${secs(rejoined2)}`);

    await sleep(2000);
    const rssEnd = rssLine(cluster, 'at the end');
    const peak = Math.max(...cluster.peaks.values());
    console.log(`broker RSS: ${fmt(rssEnd / MiB)} MiB now, peak ${fmt(peak / MiB)} MiB over the run (target < 1,024 MiB)`);
  } finally {
    await cluster.close();
  }
}

// ---- memory under load: one broker, 1,000 partitions ---------------------------------------------

async function memoryUnderLoad(): Promise<void> {
  const cluster = new BenchCluster({});
  try {
    await cluster.start([1]);
    const topic = 'scale-memory';
    await createTopic(cluster.zk, topic, { partitions: MEMORY_PARTITIONS, replicationFactor: 1 });
    const b = cluster.brokers.get(1)!;
    await until('every partition to have a leader', async () => {
      const v = await view(b.port, [topic]);
      return v.partitions === MEMORY_PARTITIONS && v.leaderless === 0;
    }, 300_000, 200);
    await sleep(1000);
    const idle = rss(b.proc.pid);
    cluster.resetPeaks();
    const bootstrap = `127.0.0.1:${b.port}`;
    const tool = (name: string, argv: string[]) => spawn(path.join(ROOT, 'bin', name), argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: 'error' } });
    // the consumer first: it looks up the earliest offset of every partition before it fetches
    const consumer = tool('kafka-consumer-perf-test.sh', ['--broker-list', bootstrap, '--topic', topic, '--messages', '1000000000000', '--timeout', '600000', '--show-detailed-stats', '--reporting-interval', '5000', '--hide-header']);
    const tools = [consumer];
    const cancelToolsAtExit = stopAtExit(() => {
      for (const p of tools) p.kill('SIGKILL');
    });
    await sleep(5000);
    const producer = tool('kafka-producer-perf-test.sh', ['--topic', topic, '--num-records', '1000000000', '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=1']);
    tools.push(producer);
    const lines: string[] = [];
    const keep = (prefix: string) => (d: Buffer) => {
      for (const l of d.toString().split('\n')) if (l.trim()) lines.push(`${prefix} ${l.trim()}`);
    };
    producer.stdout!.on('data', keep('producer:'));
    consumer.stdout!.on('data', keep('consumer:'));
    producer.stderr!.on('data', keep('producer (stderr):'));
    consumer.stderr!.on('data', keep('consumer (stderr):'));
    const samples: number[] = [];
    const end = Date.now() + MEMORY_SECONDS * 1000;
    while (Date.now() < end) {
      await sleep(1000);
      samples.push(rss(b.proc.pid));
    }
    for (const p of [producer, consumer]) p.kill('SIGKILL');
    cancelToolsAtExit();
    const stored = readdirSync(b.logDir, { withFileTypes: true }).filter((e) => e.isDirectory()).length;
    for (const l of lines.filter((x) => x.startsWith('producer')).slice(-3)) console.log(`  ${l}`);
    for (const l of lines.filter((x) => x.startsWith('consumer')).slice(-3)) console.log(`  ${l}`);
    const peak = Math.max(cluster.peaks.get(1) ?? 0, ...samples);
    console.log(`memory: one broker, ${fmt(MEMORY_PARTITIONS)} partitions (${fmt(stored)} replica logs) at RF=1, full-speed producer and consumer for ${MEMORY_SECONDS} s: broker RSS idle ${fmt(idle / MiB)} MiB, under load median ${fmt([...samples].sort((a, x) => a - x)[samples.length >> 1]! / MiB)} MiB, peak ${fmt(peak / MiB)} MiB (target < 512 MiB)`);
  } finally {
    await cluster.close();
  }
}

/** Clusters running now: stopped (by pid) on SIGINT / SIGTERM too. */
const running = new Set<BenchCluster>();
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void Promise.all([...running].map((c) => c.close().catch(() => undefined))).finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  if (!ONLY || ONLY === 'cluster') await scaleCluster();
  if (!ONLY || ONLY === 'memory') await memoryUnderLoad();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
