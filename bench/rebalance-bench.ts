/**
 * Rebalance benchmark for the ZooKeeper consumer connector: how long a group of N consumers
 * (default 8) on a topic of M partitions (default 64) takes to reach the range assignment, i.e.
 * until every owner znode is held by the thread the formula gives it, with no stale owner:
 *
 *   join   N consumers subscribe to a fresh group at once (sessions already open)
 *   leave  one member of the settled group closes cleanly; the N-1 others take its partitions
 *   add    a new member joins the settled group of N-1
 *
 * Each is run --runs times (default 5), each run with a fresh group; the median is printed,
 * with the runs. The baseline, measured in the same run on the same ensemble: one session
 * doing the ZooKeeper work of a whole rebalance with nothing else going on (read the members,
 * the brokers and the topic, read M offsets, create M ephemeral owner znodes, delete them).
 * The connector waits `rebalance.backoff.ms` after an attempt that met an owner znode not yet
 * released: that back-off, not ZooKeeper, dominates, so it is printed with each figure.
 *
 *   node dist/bench/rebalance-bench.js [--zookeeper H:P[/chroot]] [--consumers 8] [--partitions 64]
 *        [--runs 5] [--backoff-ms 2000,500] [--session-timeout-ms 6000]
 *
 * ZooKeeper: --zookeeper, else the ensemble of data/cluster.env (scripts/cluster.sh up) or
 * 127.0.0.1:2181 if it has a broker registered, else the bench starts a 1-node ensemble
 * (scripts/zk-ensemble.sh) and one broker of its own on free ports, and stops them at the end.
 * It creates a topic rebalance-bench-<ms> (RF 1) and deletes it and its groups afterwards.
 * The last line is: `rebalance (8 consumers, 64 partitions, backoff B ms): join X ms, leave Y ms, add Z ms (median of R)`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ZkClient } from '../src/zk/client.js';
import { brokerIdsPath, consumerGroupPath, consumerIdsPath, ownerPath, offsetPath, topicPath } from '../src/zk/paths.js';
import { createTopic, deleteTopic } from '../src/admin/topic-admin.js';
import { rangeAssign } from '../src/client/connector/assignors.js';
import { ConsumerConnector } from '../src/client/connector/consumer-connector.js';
import { candidateZooKeeper } from '../src/client/connector/zookeeper-locator.js';
import { benchArgsOrExit, exitOnHelp, requirePositive, usageError } from './args.js';
import { exitWhenStdoutCloses, stopAtExit } from './cleanup.js';
import { brokerNodeArgs } from '../src/broker/heap-opts.js';

const TOOL = 'rebalance-bench';
const USAGE = `usage: rebalance-bench.js [--zookeeper H:P[/chroot]] [--consumers 8] [--partitions 64] [--runs 5]
         [--backoff-ms 2000,500] [--session-timeout-ms 6000]

Run as node dist/bench/rebalance-bench.js, from the repository root.
Rebalance benchmark for the ZooKeeper consumer connector: how long a group takes to reach the
range assignment when N consumers join at once, when one leaves and when one is added, against
a baseline of one session doing a rebalance's ZooKeeper work alone.
  --zookeeper H:P[/chroot]   the cluster (default: data/cluster.env's ensemble or 127.0.0.1:2181
                             if it has a broker registered, else the bench starts a 1-node
                             ensemble and one broker of its own and stops them at the end)
  --consumers N              members of the group (default 8)
  --partitions N             partitions of the topic (default 64)
  --runs N                   runs per figure, each with a fresh group, the median printed (default 5)
  --backoff-ms B[,B...]      rebalance.backoff.ms values to measure (default 2000,500)
  --session-timeout-ms N     the consumers' zookeeper.session.timeout.ms (default 6000)
Prints the baseline, each backoff's runs, and last one line per backoff:
  rebalance (8 consumers, 64 partitions, backoff B ms): join X ms, leave Y ms, add Z ms (median of R)
`;
exitOnHelp(USAGE);

process.env.KAFKA_LOG_LEVEL ??= 'error'; // read when each connector makes its logger
type Connector = ConsumerConnector;
type Zk = ZkClient;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = benchArgsOrExit(TOOL, USAGE, ['zookeeper', 'consumers', 'partitions', 'runs', 'backoff-ms', 'session-timeout-ms']);
const CONSUMERS = Number(args.get('consumers') ?? 8);
const PARTITIONS = Number(args.get('partitions') ?? 64);
const RUNS = Number(args.get('runs') ?? 5);
const BACKOFFS = (args.get('backoff-ms') ?? '2000,500').split(',').map(Number);
const SESSION_MS = Number(args.get('session-timeout-ms') ?? 6000);
requirePositive(TOOL, USAGE, { '--consumers': CONSUMERS, '--partitions': PARTITIONS, '--runs': RUNS, '--session-timeout-ms': SESSION_MS });
if (!BACKOFFS.every((b) => Number.isFinite(b) && b >= 0)) usageError(TOOL, '--backoff-ms must be numbers of milliseconds (0 or more), separated by commas', USAGE);
if (args.get('zookeeper') === 'true') usageError(TOOL, '--zookeeper needs a value', USAGE);
exitWhenStdoutCloses(TOOL);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : Math.round((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
};

// ---- a cluster to run against ---------------------------------------------------------------

async function hasBroker(connect: string): Promise<boolean> {
  const slash = connect.indexOf('/');
  try {
    const zk = await ZkClient.connect({ connectString: slash < 0 ? connect : connect.slice(0, slash), chroot: slash < 0 ? undefined : connect.slice(slash), connectTimeoutMs: 3000 });
    try {
      return ((await zk.children(brokerIdsPath)) ?? []).length > 0;
    } finally {
      await zk.close();
    }
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function ownCluster(): Promise<{ connect: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rebalance-bench-'));
  let base = 0;
  for (let i = 0; i < 100 && !base; i++) {
    const p = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await portFree(p)) && (await portFree(p + 707)) && (await portFree(p + 1707))) base = p;
  }
  const script = path.join(ROOT, 'scripts/zk-ensemble.sh');
  // if this process ends before stop() (an error, stdout closed): the broker, then ZooKeeper, by pid
  const cancelZkAtExit = stopAtExit(() => {
    try {
      execFileSync(script, ['stop', '--dir', path.join(dir, 'zk')], { cwd: ROOT, stdio: 'ignore' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  execFileSync(script, ['start', '--nodes', '1', '--dir', path.join(dir, 'zk'), '--port', String(base)], { cwd: ROOT, stdio: 'ignore' });
  const connect = `127.0.0.1:${base}`;
  mkdirSync(path.join(dir, 'broker'), { recursive: true });
  const props = path.join(dir, 'server.properties');
  writeFileSync(props, ['broker.id=1', 'listeners=PLAINTEXT://127.0.0.1:0', `log.dirs=${path.join(dir, 'broker')}`, `zookeeper.connect=${connect}`].join('\n') + '\n');
  const broker: ChildProcess = spawn(process.execPath, [...brokerNodeArgs(), path.join(ROOT, 'dist/src/bin/kafka-server-start.js'), props], { stdio: 'ignore' });
  const cancelBrokerAtExit = stopAtExit(() => broker.kill('SIGKILL'));
  const deadline = Date.now() + 30_000;
  while (!(await hasBroker(connect))) {
    if (Date.now() > deadline || broker.exitCode !== null) throw new Error('the bench broker did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    connect,
    async stop() {
      const exited = new Promise((r) => broker.once('exit', r));
      broker.kill('SIGTERM');
      await exited;
      execFileSync(script, ['stop', '--dir', path.join(dir, 'zk')], { cwd: ROOT, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
      cancelBrokerAtExit();
      cancelZkAtExit();
    },
  };
}

// ---- measurements ---------------------------------------------------------------------------

function expected(ids: string[], topic: string): Map<number, string> {
  const owners = rangeAssign({ consumers: new Map(ids.map((id) => [id, { [topic]: 1 }])), partitions: new Map([[topic, Array.from({ length: PARTITIONS }, (_, i) => i)]]) });
  return new Map(owners.map((o) => [o.partition, o.threadId]));
}

/** Resolves when the live members own exactly the formula's partitions. */
function settled(members: Connector[], topic: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const want = expected(members.map((m) => m.consumerId), topic);
      for (const m of members) {
        const mine = m.owned.map((o) => o.partition).sort((a, b) => a - b);
        const should = [...want].filter(([, t]) => t === `${m.consumerId}-0`).map(([p]) => p);
        if (mine.join() !== should.join()) return false;
      }
      for (const m of members) m.off('assigned', check);
      clearInterval(timer);
      resolve();
      return true;
    };
    for (const m of members) m.on('assigned', check);
    const timer = setInterval(check, 20); // membership also counts (a member may keep its share)
    check();
  });
}

async function connectors(connect: string, group: string, n: number, backoff: number): Promise<Connector[]> {
  const props = {
    'zookeeper.connect': connect,
    'group.id': group,
    'zookeeper.session.timeout.ms': String(SESSION_MS),
    'rebalance.backoff.ms': String(backoff),
    'rebalance.max.retries': '100',
    'auto.offset.reset': 'largest',
  };
  return Promise.all(Array.from({ length: n }, () => ConsumerConnector.create(props)));
}

async function oneRun(connect: string, topic: string, backoff: number, run: number): Promise<{ join: number; leave: number; add: number }> {
  const group = `rebalance-bench-${Date.now()}-${run}`;
  const all = await connectors(connect, group, CONSUMERS, backoff);
  try {
    let t0 = performance.now();
    await Promise.all(all.map((c) => c.createMessageStreams({ [topic]: 1 })));
    await settled(all, topic);
    const join = performance.now() - t0;

    const leaving = all[Math.floor(Math.random() * all.length)]!;
    const rest = all.filter((c) => c !== leaving);
    t0 = performance.now();
    await leaving.close();
    await settled(rest, topic);
    const leave = performance.now() - t0;

    const [joiner] = await connectors(connect, group, 1, backoff);
    all.push(joiner!);
    t0 = performance.now();
    await joiner!.createMessageStreams({ [topic]: 1 });
    await settled([...rest, joiner!], topic);
    const add = performance.now() - t0;
    return { join, leave, add };
  } finally {
    await Promise.all(all.map((c) => c.close()));
    const zk = await zkOf(connect);
    await zk.deleteRecursive(consumerGroupPath(group)).catch(() => undefined);
    await zk.close();
  }
}

/** One session doing a rebalance's ZooKeeper work alone. */
async function baseline(zk: Zk, topic: string): Promise<number> {
  const group = `rebalance-bench-floor-${Date.now()}`;
  const t0 = performance.now();
  await zk.children(consumerIdsPath(group));
  await zk.children(brokerIdsPath);
  await zk.get(topicPath(topic));
  await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => zk.get(offsetPath(group, topic, p))));
  await zk.ensurePath(`${consumerGroupPath(group)}/owners/${topic}`);
  await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => zk.create(ownerPath(group, topic, p), 'x', { mode: 'ephemeral' })));
  await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => zk.delete(ownerPath(group, topic, p))));
  const ms = performance.now() - t0;
  await zk.deleteRecursive(consumerGroupPath(group));
  return ms;
}

function zkOf(connect: string): Promise<Zk> {
  const slash = connect.indexOf('/');
  return ZkClient.connect({ connectString: slash < 0 ? connect : connect.slice(0, slash), chroot: slash < 0 ? undefined : connect.slice(slash) });
}

async function main(): Promise<void> {
  let connect = args.get('zookeeper');
  let own: Awaited<ReturnType<typeof ownCluster>> | undefined;
  if (!connect) {
    const c = candidateZooKeeper(undefined);
    if (await hasBroker(c.connect)) connect = c.connect;
    else {
      own = await ownCluster();
      connect = own.connect;
    }
  }
  console.log(`rebalance bench: ${CONSUMERS} consumers, ${PARTITIONS} partitions, ${RUNS} runs; ZooKeeper ${connect}${own ? ' (started by the bench, with one broker)' : ''}; session ${SESSION_MS} ms`);
  const zk = await zkOf(connect);
  const topic = `rebalance-bench-${Date.now()}`;
  try {
    await createTopic(zk, topic, { partitions: PARTITIONS, replicationFactor: 1 });
    const floors: number[] = [];
    for (let i = 0; i < RUNS; i++) floors.push(await baseline(zk, topic));
    const floor = median(floors);
    console.log(`baseline (one session, a rebalance's ZooKeeper work alone): ${floor.toFixed(1)} ms median (runs: ${floors.map((x) => x.toFixed(1)).join(', ')})`);
    const lines: string[] = [];
    for (const backoff of BACKOFFS) {
      const r = { join: [] as number[], leave: [] as number[], add: [] as number[] };
      for (let i = 0; i < RUNS; i++) {
        const x = await oneRun(connect, topic, backoff, i);
        r.join.push(x.join);
        r.leave.push(x.leave);
        r.add.push(x.add);
      }
      const show = (k: 'join' | 'leave' | 'add') => `${k} ${median(r[k]).toFixed(0)} ms (${(median(r[k]) / floor).toFixed(1)}x baseline; runs ${r[k].map((x) => x.toFixed(0)).join(', ')})`;
      console.log(`backoff ${backoff} ms: ${show('join')}; ${show('leave')}; ${show('add')}`);
      lines.push(`rebalance (${CONSUMERS} consumers, ${PARTITIONS} partitions, backoff ${backoff} ms): join ${median(r.join).toFixed(0)} ms, leave ${median(r.leave).toFixed(0)} ms, add ${median(r.add).toFixed(0)} ms (median of ${RUNS})`);
    }
    for (const l of lines) console.log(l);
  } finally {
    await deleteTopic(zk, topic).catch(() => undefined);
    await zk.close();
    await own?.stop();
  }
}

await main();
process.exit(0);
