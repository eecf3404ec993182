/**
 * ZooKeeper-connector consumers as real processes (dist/src/bin/connector-test-consumer.js,
 * one JSON event per stdout line), and the checks the consumer-group tests share:
 *
 *   const c = startConsumer({ zk, group, topics: ['t'], props: { ... } });
 *   await c.started;                // its consumer id is known
 *   c.kill('SIGKILL');  await c.exited;
 *
 *   checkDelivery(produced, consumers)   acked subset of consumed, at its offset; no gap and
 *                                        no reordering within one ownership period
 *   checkNoOverlap(consumers)            no partition owned by two consumers at one time
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ZkClient } from '../../src/zk/client.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleProducer } from '../../src/client/simple-producer.js';
import { consumerIdsPath, consumerOwnersRootPath, ownerPath } from '../../src/zk/paths.js';
import { brokerNodeArgs } from '../../src/broker/heap-opts.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CONSUMER_MAIN = path.join(ROOT, 'dist/src/bin/connector-test-consumer.js');

/** Short timeouts so failures and restarts resolve quickly in tests. */
export const FAST_GROUP_PROPS: Record<string, string> = {
  'zookeeper.session.timeout.ms': '4000',
  'rebalance.backoff.ms': '500',
  'rebalance.max.retries': '10',
  'auto.commit.interval.ms': '500',
  'auto.offset.reset': 'smallest',
  'fetch.wait.max.ms': '100',
};

export type ConsumerEvent =
  | { ev: 'start'; id: string; t: number }
  | { ev: 'assigned' | 'revoked'; owned: [string, number][]; t: number }
  | { ev: 'rec'; topic: string; p: number; o: number; v: string | null }
  | { ev: 'reset'; topic: string; p: number; from: number; to: number }
  | { ev: 'failed'; error: string }
  | { ev: 'closed'; t: number };

export interface ConsumerProcess {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly events: ConsumerEvent[];
  readonly started: Promise<string>;
  readonly exited: Promise<number | null>;
  id: string | undefined;
  /** When the process was signalled with SIGKILL (ownership ends there at the latest). */
  killedAt: number | undefined;
  stderr(): string;
  records(): Extract<ConsumerEvent, { ev: 'rec' }>[];
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM and wait. */
  stop(): Promise<number | null>;
}

export interface StartConsumerOptions {
  zk: string;
  group: string;
  topics: string[];
  props?: Record<string, string>;
  name?: string;
  args?: string[];
}

let counter = 0;

export function startConsumer(o: StartConsumerOptions): ConsumerProcess {
  if (!existsSync(CONSUMER_MAIN)) throw new Error(`${CONSUMER_MAIN} is missing: build first (npx tsc -p .)`);
  const props = { ...FAST_GROUP_PROPS, ...o.props };
  const args = [CONSUMER_MAIN, '--zookeeper', o.zk, '--group', o.group, ...o.topics.flatMap((t) => ['--topic', t])];
  for (const [k, v] of Object.entries(props)) args.push('--property', `${k}=${v}`);
  args.push(...(o.args ?? []));
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: process.env.KAFKA_LOG_LEVEL ?? 'info' } });
  const events: ConsumerEvent[] = [];
  let err = '';
  let buf = '';
  let resolveStarted!: (id: string) => void;
  let rejectStarted!: (e: Error) => void;
  const started = new Promise<string>((res, rej) => {
    resolveStarted = res;
    rejectStarted = rej;
  });
  started.catch(() => undefined);
  const c: ConsumerProcess = {
    name: o.name ?? `consumer-${++counter}`,
    proc,
    events,
    started,
    exited: new Promise((res) => proc.once('exit', (code) => res(code))),
    id: undefined,
    killedAt: undefined,
    stderr: () => err,
    records: () => events.filter((e): e is Extract<ConsumerEvent, { ev: 'rec' }> => e.ev === 'rec'),
    kill(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      if (signal === 'SIGKILL') c.killedAt = Date.now();
      proc.kill(signal);
    },
    async stop() {
      c.kill('SIGTERM');
      return c.exited;
    },
  };
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line) as ConsumerEvent;
      events.push(e);
      if (e.ev === 'start') {
        c.id = e.id;
        resolveStarted(e.id);
      }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  proc.once('exit', (code) => rejectStarted(new Error(`${c.name} exited with ${code} before starting:\n${err}`)));
  return c;
}

/** Partition -> owning thread id, for one topic, from ZooKeeper. */
export async function owners(zk: ZkClient, group: string, topic: string, partitions: number): Promise<(string | undefined)[]> {
  return Promise.all(Array.from({ length: partitions }, async (_, p) => (await zk.get(ownerPath(group, topic, p)))?.data.toString('utf8')));
}

/** Every owner znode of the group: "<topic>/<p>" -> owner. */
export async function allOwners(zk: ZkClient, group: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const root = consumerOwnersRootPath(group);
  for (const t of (await zk.children(root)) ?? []) {
    for (const p of (await zk.children(`${root}/${t}`)) ?? []) {
      const n = await zk.get(`${root}/${t}/${p}`);
      if (n) out.set(`${t}/${p}`, n.data.toString('utf8'));
    }
  }
  return out;
}

export async function memberIds(zk: ZkClient, group: string): Promise<string[]> {
  return (await zk.children(consumerIdsPath(group))) ?? [];
}

export interface Produced {
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

/**
 * The checker of docs/reliability.md for consumer groups: every produced (acknowledged)
 * record was consumed by some consumer at its offset with its value; within one ownership
 * period of one consumer the offsets of a partition go up by exactly one (no gap, no
 * reordering). Returns the number of duplicate deliveries.
 */
export function checkDelivery(produced: readonly Produced[], consumers: readonly ConsumerProcess[]): { duplicates: number; consumed: number } {
  const seen = new Map<string, string | null>();
  let duplicates = 0;
  let consumed = 0;
  for (const c of consumers) {
    const last = new Map<string, number>();
    for (const e of c.events) {
      if (e.ev === 'assigned' || e.ev === 'revoked') last.clear();
      if (e.ev !== 'rec') continue;
      consumed++;
      const tp = `${e.topic}/${e.p}`;
      const prev = last.get(tp);
      if (prev !== undefined && e.o !== prev + 1) throw new Error(`${c.name} (${c.id}) read ${tp} offset ${e.o} right after ${prev}: a gap or reordering`);
      last.set(tp, e.o);
      const key = `${tp}@${e.o}`;
      if (seen.has(key)) {
        duplicates++;
        if (seen.get(key) !== e.v) throw new Error(`${key} was read with two values: ${seen.get(key)} and ${e.v}`);
      } else seen.set(key, e.v);
    }
  }
  const missing = produced.filter((p) => seen.get(`${p.topic}/${p.partition}@${p.offset}`) !== p.value);
  if (missing.length > 0) {
    const m = missing[0]!;
    throw new Error(`${missing.length} of ${produced.length} acknowledged records were not consumed, e.g. ${m.topic}/${m.partition}@${m.offset}=${m.value} (read: ${seen.get(`${m.topic}/${m.partition}@${m.offset}`)})`);
  }
  return { duplicates, consumed };
}

/**
 * No partition was owned by two consumers at one time, from the consumers' own reports: an
 * ownership period runs from 'assigned' (owner znodes created) to 'revoked' (fetching
 * stopped, before the znodes go), or to the SIGKILL or the exit.
 */
export function checkNoOverlap(consumers: readonly ConsumerProcess[], endOfTest = Date.now()): number {
  const periods = new Map<string, { who: string; from: number; to: number }[]>();
  for (const c of consumers) {
    let current: { owned: [string, number][]; from: number } | undefined;
    const end = (to: number) => {
      if (!current) return;
      for (const [t, p] of current.owned) {
        const k = `${t}/${p}`;
        if (!periods.has(k)) periods.set(k, []);
        periods.get(k)!.push({ who: c.id ?? c.name, from: current.from, to });
      }
      current = undefined;
    };
    for (const e of c.events) {
      if (e.ev === 'assigned') {
        end(e.t);
        current = { owned: e.owned, from: e.t };
      } else if (e.ev === 'revoked' || e.ev === 'closed') end(e.t);
    }
    end(c.killedAt ?? endOfTest);
  }
  let count = 0;
  for (const [k, list] of periods) {
    list.sort((a, b) => a.from - b.from);
    let longest = list[0]!;
    for (const b of list.slice(1)) {
      count++;
      if (b.from < longest.to) throw new Error(`${k} was owned by ${longest.who} (${longest.from}..${longest.to}) and ${b.who} (from ${b.from}) at once`);
      if (b.to > longest.to) longest = b;
    }
  }
  return count;
}

/** Produces `perPartition` records to each partition (values "<tag>-<p>-<i>") and returns what was acknowledged. */
export async function produce(bootstrap: string, topic: string, partitions: number, perPartition: number, tag: string): Promise<Produced[]> {
  const cluster = new Cluster({ brokers: bootstrap, clientId: 'test-producer' });
  try {
    const producer = new SimpleProducer(cluster, { acks: 1 });
    const out: Produced[] = [];
    await Promise.all(
      Array.from({ length: partitions }, async (_, p) => {
        const values = Array.from({ length: perPartition }, (_, i) => `${tag}-${p}-${i}`);
        const [res] = await producer.send(topic, values.map((value) => ({ partition: p, value })));
        values.forEach((value, i) => out.push({ topic, partition: p, offset: res!.baseOffset + i, value }));
      }),
    );
    return out;
  } finally {
    cluster.close();
  }
}

/**
 * A broker process on any ZooKeeper (for tests with an ensemble of their own; TestCluster uses
 * the shared one). Resolves once it registered, with its port; stop it with `proc.kill()`.
 */
export async function startBrokerOn(zkConnect: string, id: number, dir: string, zk: ZkClient): Promise<{ id: number; port: number; proc: ChildProcess; output: () => string }> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const main = path.join(ROOT, 'dist/src/bin/kafka-server-start.js');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `server-${id}.properties`);
  const props = {
    'broker.id': String(id),
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'log.dirs': path.join(dir, `logs-${id}`),
    'zookeeper.connect': zkConnect,
    'zookeeper.session.timeout.ms': '6000',
    'num.partitions': '1',
  };
  writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  let out = '';
  const proc = spawn(process.execPath, [...brokerNodeArgs(), main, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`broker ${id} exited with ${proc.exitCode}:\n${out}`);
    const node = await zk.get(`/brokers/ids/${id}`);
    if (node) return { id, port: Number(JSON.parse(node.data.toString()).port), proc, output: () => out };
    if (Date.now() > deadline) throw new Error(`broker ${id} did not register:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A ZooKeeper ensemble of a test's own whose nodes are stopped and started again (an outage).
 * Its ports lie below Linux's ephemeral range (32768+), so no outgoing connection can take a
 * port while its node is down (test/helpers/zk-ensemble.ts picks ports up to 61707).
 */
export class RestartableEnsemble {
  static readonly SCRIPT = path.join(ROOT, 'scripts/zk-ensemble.sh');
  readonly dir: string;
  readonly basePort: number;
  readonly nodes: number;
  #stopped = false;
  readonly #onExit = () => this.#stopSync();

  private constructor(dir: string, basePort: number, nodes: number) {
    this.dir = dir;
    this.basePort = basePort;
    this.nodes = nodes;
    process.once('exit', this.#onExit);
  }

  get connectString(): string {
    return Array.from({ length: this.nodes }, (_, k) => `127.0.0.1:${this.basePort + k}`).join(',');
  }

  static async start(nodes = 3): Promise<RestartableEnsemble> {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const net = await import('node:net');
    const free = (port: number) =>
      new Promise<boolean>((resolve) => {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
      });
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const base = 20_000 + Math.floor(Math.random() * (32_768 - 1707 - nodes - 20_000));
      const ports = Array.from({ length: nodes }, (_, k) => [base + k, base + 707 + k, base + 1707 + k]).flat();
      if (!(await Promise.all(ports.map(free))).every(Boolean)) continue;
      const e = new RestartableEnsemble(mkdtempSync(path.join(tmpdir(), 'zk-restartable-')), base, nodes);
      try {
        await e.#run(['start', '--nodes', String(nodes), '--dir', e.dir, '--port', String(base)]);
        return e;
      } catch (err) {
        lastErr = err;
        await e.stop();
      }
    }
    throw new Error(`could not start a ZooKeeper ensemble: ${String(lastErr)}`);
  }

  #run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const p = spawn(RestartableEnsemble.SCRIPT, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`zk-ensemble.sh ${args.join(' ')} exited ${code}: ${out}`))));
    });
  }

  stopNode(k: number): Promise<string> {
    return this.#run(['stop-node', String(k), '--dir', this.dir]);
  }

  /** Starts nodes together (a node serves only once a quorum is up). */
  startNodes(ks: number[]): Promise<string[]> {
    return Promise.all(ks.map((k) => this.#run(['start-node', String(k), '--dir', this.dir])));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    process.off('exit', this.#onExit);
    const { rmSync } = await import('node:fs');
    await this.#run(['stop', '--dir', this.dir]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  #stopSync(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      execFileSync(RestartableEnsemble.SCRIPT, ['stop', '--dir', this.dir], { cwd: ROOT, stdio: 'ignore', timeout: 60_000 });
    } catch {
      /* best effort */
    }
  }
}
