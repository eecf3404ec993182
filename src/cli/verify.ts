/**
 * kafka-verify.sh: a fault-injection experiment as one command. It starts a cluster with the
 * project's own scripts (scripts/cluster.sh: a ZooKeeper ensemble and brokers, each broker on a
 * loopback address of its own), creates a topic, runs bin/kafka-verifiable-producer.sh and
 * bin/kafka-verifiable-consumer.sh against it, injects a seeded fault schedule (process signals
 * and real network partitions, see src/verify/schedule.ts and netfilter.ts), heals everything,
 * reads every partition back from its start and checks the history (src/verify/checker.ts):
 * no acknowledged record lost or moved, per-partition order, no duplicates (unless
 * --allow-duplicates), nothing that was never sent, nothing a consumer read that the log does
 * not hold. It prints a summary, writes an HTML report (or SVG) with throughput and latency over
 * time and the faults drawn on it, and exits 0 when every check passed, 1 on a violation or an
 * error, 2 on bad usage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { collect, describeError, newProgram } from './common.js';
import { readAll, verifyHistory, type Acked } from '../verify/checker.js';
import { VerifyCluster, freePortBlock, type FaultRecord } from '../verify/faults.js';
import { NetFilter } from '../verify/netfilter.js';
import { formatSchedule, generateSchedule, isNetworkAction, parseSchedule, type FaultEntry } from '../verify/schedule.js';
import { renderHtml, renderSvg, seriesOf, unavailableWindows, type AckEvent, type RunReport, type TimelineEntry } from '../verify/report.js';

const TOOL = 'kafka-verify';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const DEFAULT_FAULTS = 'kill:leader,term:controller,pause:broker,kill:controller,pause:leader,term:broker';

/** Broker settings that make failures show quickly (each can be changed with --broker-config). */
export const FAST_BROKER_CONFIG: Record<string, string> = {
  'zookeeper.session.timeout.ms': '3000',
  'replica.lag.time.max.ms': '3000',
  'replica.fetch.wait.max.ms': '100',
  'controlled.shutdown.retry.backoff.ms': '200',
  'leader.imbalance.check.interval.seconds': '3600',
  'group.initial.rebalance.delay.ms': '0',
};

interface Options {
  dir?: string;
  brokers: number;
  zkNodes: number;
  topic: string;
  partitions: number;
  replicationFactor: number;
  acks: string;
  minInsyncReplicas: number;
  uncleanLeaderElection?: boolean;
  duration: number;
  throughput: number;
  faults: string;
  schedule?: string;
  faultDuration: number;
  faultGap: number;
  warmup: number;
  seed?: number;
  allowDuplicates?: boolean;
  consumer: string;
  report?: string;
  keep?: boolean;
  brokerConfig: string[];
  producerProperty: string[];
  quiet?: boolean;
}

class UsageError extends Error {}

function num(flag: string, min = 0) {
  return (v: string): number => {
    if (!/^-?\d+(\.\d+)?$/.test(v) || Number(v) < min) throw new UsageError(`${flag} must be a number >= ${min}, got "${v}"`);
    return Number(v);
  };
}

export async function main(argv: string[]): Promise<void> {
  const program = newProgram('kafka-verify.sh', 'Starts a cluster (scripts/cluster.sh), runs the verifiable producer and consumer against it while injecting a seeded fault schedule, then checks that nothing acknowledged was lost. Exit 0: every check passed; 1: a violation (or an error); 2: bad usage.')
    .option('--dir <DIR>', 'where the cluster and the results live (default ./data/verify-<seed>)')
    .option('--brokers <N>', 'brokers', num('--brokers', 1), 3)
    .option('--zk-nodes <N>', 'ZooKeeper nodes', num('--zk-nodes', 1), 3)
    .option('--topic <T>', 'the topic to write', 'verify')
    .option('--partitions <N>', 'its partitions', num('--partitions', 1), 3)
    .option('--replication-factor <N>', 'its replication factor', num('--replication-factor', 1), 3)
    .option('--acks <ACKS>', 'the producer\'s acks: all (-1), 1 or 0', 'all')
    .option('--min-insync-replicas <N>', 'the topic\'s min.insync.replicas', num('--min-insync-replicas', 1), 2)
    .option('--unclean-leader-election', 'unclean.leader.election.enable=true for the topic (allows loss: the checker should catch it)')
    .option('--duration <S>', 'seconds of workload (faults included)', num('--duration', 1), 30)
    .option('--throughput <N>', 'records per second the producer aims at (-1: as fast as it can)', num('--throughput', -1), 300)
    .option('--faults <LIST>', 'fault kinds ACTION:TARGET for a generated schedule (see --help-faults)', DEFAULT_FAULTS)
    .option('--schedule <SPEC>', "an explicit schedule 'AT+FOR ACTION:TARGET, ...' in seconds (replaces --faults)")
    .option('--fault-duration <S>', 'seconds each generated fault lasts', num('--fault-duration', 0), 4)
    .option('--fault-gap <S>', 'seconds between generated faults', num('--fault-gap', 0), 3)
    .option('--warmup <S>', 'seconds before the first generated fault', num('--warmup', 0), 3)
    .option('--seed <N>', 'seed of the generated schedule (printed; the same seed replays it)', num('--seed', 0))
    .option('--allow-duplicates', 'duplicates are reported but are not a violation')
    .option('--consumer <MODE>', 'the live consumer: broker (a broker-coordinated group), zookeeper (0.8 connector) or none', 'broker')
    .option('--report <FILE>', 'the report: .html (default DIR/report.html) or .svg (the charts alone)')
    .option('--keep', 'leave the cluster running at the end (stop it with scripts/cluster.sh down --dir DIR)')
    .option('--broker-config <K=V>', 'a broker property (repeatable)', collect, [] as string[])
    .option('--producer-property <K=V>', 'a producer property (repeatable)', collect, [] as string[])
    .option('--quiet', 'only the summary')
    .addHelpText('after', `
Faults (ACTION:TARGET):
  actions  kill (SIGKILL, restarted after), term (SIGTERM, restarted after), pause (SIGSTOP, SIGCONT after),
           isolate (network: cut from the other brokers and ZooKeeper; clients still reach it),
           cut-zk (network: cut from ZooKeeper only), cut-peers (network: cut from the other brokers only)
  targets  broker[-K], controller, leader[-P], followers[-P] (process faults), zk-K, zk-leader (process faults)
Network faults drop packets with nftables rules between loopback addresses (root and nft needed).

Examples:
  bin/kafka-verify.sh --duration 30 --seed 7
  bin/kafka-verify.sh --faults isolate:leader,cut-zk:controller,cut-peers:broker --duration 40
  bin/kafka-verify.sh --partitions 1 --acks 1 --min-insync-replicas 1 --unclean-leader-election \\
      --schedule '3+9 pause:followers-0, 8+5 kill:leader-0' --duration 20`);
  let o: Options;
  try {
    program.exitOverride();
    program.parse(argv);
    o = program.opts<Options>();
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0);
    if (err instanceof UsageError) process.stderr.write(`${TOOL}: ${e.message}\n`);
    process.exit(2);
  }
  try {
    process.exit(await verify(o));
  } catch (err) {
    process.stderr.write(`${TOOL}: ${err instanceof UsageError ? '' : 'error: '}${describeError(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
}

function kv(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} "${p}" must be key=value`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

interface Child {
  proc: ChildProcess;
  exited: Promise<number | null>;
  log: WriteStream;
}

function startChild(script: string, args: string[], logFile: string, onEvent: (e: Record<string, unknown>, raw: string) => void, stderrFile: string): Child {
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist/src/bin', script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: process.env.KAFKA_LOG_LEVEL ?? 'warn' } });
  const log = createWriteStream(logFile);
  const errLog = createWriteStream(stderrFile);
  proc.stderr!.pipe(errLog);
  const rl = readline.createInterface({ input: proc.stdout! });
  rl.on('line', (line) => {
    log.write(line + '\n');
    if (!line.startsWith('{')) return;
    try {
      onEvent(JSON.parse(line) as Record<string, unknown>, line);
    } catch {
      // not an event
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, exited, log };
}

async function stopChild(c: Child | undefined, timeoutMs: number): Promise<boolean> {
  if (!c) return true;
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return true;
  c.proc.kill('SIGTERM');
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), timeoutMs);
  const code = await c.exited;
  clearTimeout(timer);
  c.log.end();
  return code === 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return true;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

async function zkPortBlock(n: number, from: number): Promise<number> {
  for (let base = from; base < 40000; base += n + 11) {
    try {
      const a = await freePortBlock(n, base);
      if (a !== base) continue;
      if ((await freePortBlock(n, base + 707)) !== base + 707) continue;
      if ((await freePortBlock(n, base + 1707)) !== base + 1707) continue;
      return base;
    } catch {
      // try the next
    }
  }
  throw new Error('no free ports for ZooKeeper');
}

export async function verify(o: Options): Promise<number> {
  const seed = o.seed ?? Math.floor(Math.random() * 1_000_000);
  const acks = o.acks === 'all' ? '-1' : o.acks;
  if (!['-1', '0', '1'].includes(acks)) throw new UsageError(`--acks must be all, -1, 1 or 0, got "${o.acks}"`);
  if (!['broker', 'zookeeper', 'none'].includes(o.consumer)) throw new UsageError(`--consumer must be broker, zookeeper or none, got "${o.consumer}"`);
  if (o.replicationFactor > o.brokers) throw new UsageError(`--replication-factor ${o.replicationFactor} is more than --brokers ${o.brokers}`);
  const durationMs = o.duration * 1000;
  let schedule: FaultEntry[];
  try {
    schedule = o.schedule !== undefined
      ? parseSchedule(o.schedule, o.brokers, o.partitions, o.zkNodes)
      : generateSchedule(o.faults.split(',').map((s) => s.trim()).filter(Boolean), { seed, durationMs, faultMs: o.faultDuration * 1000, gapMs: o.faultGap * 1000, warmupMs: o.warmup * 1000, brokers: o.brokers, partitions: o.partitions, zkNodes: o.zkNodes });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (schedule.some((e) => isNetworkAction(e.action))) {
    const why = NetFilter.unavailable();
    if (why) throw new Error(`the schedule has network faults, but ${why}`);
  }
  const brokerConfig = { ...FAST_BROKER_CONFIG, ...kv(o.brokerConfig, '--broker-config') };
  const producerProps = { retries: '2147483647', 'delivery.timeout.ms': '60000', 'request.timeout.ms': '10000', ...kv(o.producerProperty, '--producer-property') };
  const dir = path.resolve(o.dir ?? path.join('data', `verify-${seed}`));
  mkdirSync(dir, { recursive: true });
  const say = (s: string) => {
    if (!o.quiet) process.stdout.write(s + '\n');
  };

  const hostPrefix = `127.${20 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 256)}`;
  const hosts = Array.from({ length: o.brokers }, (_, i) => `${hostPrefix}.${i + 1}`);
  const port = await freePortBlock(o.brokers, 30000 + Math.floor(Math.random() * 20000), hosts);
  const zkPort = await zkPortBlock(o.zkNodes, 20000 + Math.floor(Math.random() * 8000));
  const cluster = new VerifyCluster({ root: ROOT, dir, brokers: o.brokers, zkNodes: o.zkNodes, port, zkPort, hostPrefix });
  const settings: RunReport['settings'] = {
    seed,
    brokers: o.brokers,
    'ZooKeeper nodes': o.zkNodes,
    topic: `${o.topic} (${o.partitions} partitions, RF ${o.replicationFactor})`,
    acks: o.acks,
    'min.insync.replicas': o.minInsyncReplicas,
    'unclean.leader.election.enable': Boolean(o.uncleanLeaderElection),
    'duration (s)': o.duration,
    'throughput target (records/s)': o.throughput,
    consumer: o.consumer,
    'broker config': Object.entries(brokerConfig).map(([k, v]) => `${k}=${v}`).join(' '),
    'producer config': Object.entries(producerProps).map(([k, v]) => `${k}=${v}`).join(' '),
    'broker addresses': hosts.map((h, i) => `${h}:${port + i}`).join(' '),
    ZooKeeper: cluster.zkConnect,
    directory: dir,
  };
  say(`${TOOL}: seed ${seed}; schedule: ${formatSchedule(schedule) || '(no faults)'}`);

  let producer: Child | undefined;
  let consumer: Child | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await cluster.close();
    producer?.proc.kill('SIGKILL');
    consumer?.proc.kill('SIGKILL');
    if (!o.keep) {
      // the data is thrown away: SIGKILL the brokers at once rather than a controlled shutdown each
      await Promise.all(cluster.brokerIds().map((k) => cluster.clusterSh(['kill-broker', String(k)], 60_000).catch(() => undefined)));
      await cluster.clusterSh(['down'], 120_000).catch((err) => process.stderr.write(`${TOOL}: cluster.sh down: ${describeError(err)}\n`));
      // the data goes; the brokers' logs (broker-K/broker.log) stay next to the report
      for (const sub of ['zk', ...cluster.brokerIds().map((k) => `broker-${k}/kafka-logs`)]) rmSync(path.join(dir, sub), { recursive: true, force: true });
    }
  };
  const onSignal = () => {
    process.stderr.write(`${TOOL}: interrupted; stopping the cluster\n`);
    void cleanup().then(() => process.exit(1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    say(`${TOOL}: starting ${o.zkNodes} ZooKeeper node(s) and ${o.brokers} broker(s) with scripts/cluster.sh (brokers on ${hostPrefix}.1-${o.brokers})`);
    const upAt = Date.now();
    await cluster.clusterSh(['up', '--brokers', String(o.brokers), '--zk-nodes', String(o.zkNodes), '--port', String(port), '--zk-port', String(zkPort), '--topic', '', '--host-prefix', hostPrefix, ...Object.entries(brokerConfig).flatMap(([k, v]) => ['--override', `${k}=${v}`])], 240_000);
    const topicArgs = ['--zookeeper', cluster.zkConnect, '--create', '--topic', o.topic, '--partitions', String(o.partitions), '--replication-factor', String(o.replicationFactor), '--config', `min.insync.replicas=${o.minInsyncReplicas}`, '--config', `unclean.leader.election.enable=${Boolean(o.uncleanLeaderElection)}`];
    await new Promise<void>((resolve, reject) => {
      const p = spawn(path.join(ROOT, 'bin/kafka-topics.sh'), topicArgs, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr!.on('data', (d) => (err += d));
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kafka-topics.sh --create failed: ${err.trim()}`))));
    });
    const ready = await until('a full ISR everywhere', async () => {
      for (let p = 0; p < o.partitions; p++) {
        const st = await cluster.partitionState(o.topic, p);
        if (!st || st.leader < 0 || st.isr.length < o.replicationFactor) return false;
      }
      return true;
    }, 60_000);
    if (!ready) throw new Error(`topic ${o.topic} did not get a leader and a full ISR on every partition within 60 s`);
    say(`${TOOL}: cluster up and topic ${o.topic} ready in ${((Date.now() - upAt) / 1000).toFixed(1)} s`);

    // ---- the workload
    const producerPropsFile = path.join(dir, 'producer.properties');
    writeFileSync(producerPropsFile, Object.entries(producerProps).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    let t0 = 0;
    const rel = (ts: number) => ts - (t0 || Date.now());
    const acked: Acked[] = [];
    const ackEvents: AckEvent[] = [];
    const errorTimes: number[] = [];
    const errorKinds = new Map<string, number>();
    const sentValues = new Set<string>();
    let producerSent = -1;
    const timeline: TimelineEntry[] = [];
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    let assigned!: () => void;
    const assignedP = new Promise<void>((r) => (assigned = r));
    const observed: Acked[] = [];
    let assignments = 0;
    if (o.consumer !== 'none') {
      const connect = o.consumer === 'zookeeper' ? ['--zookeeper', cluster.zkConnect] : ['--broker-list', cluster.bootstrap];
      consumer = startChild('kafka-verifiable-consumer.js', [...connect, '--topic', o.topic, '--group-id', `verify-${seed}-${process.pid}`, '--verbose', '--session-timeout', '6000', '--reset-policy', 'earliest'], path.join(dir, 'consumer.jsonl'), (e) => {
        if (e.name === 'record_data') observed.push({ partition: Number(e.partition), offset: Number(e.offset), value: String(e.value) });
        else if (e.name === 'partitions_assigned') {
          assignments++;
          assigned();
          timeline.push({ t: rel(Number(e.timestamp)), what: `consumer: partitions assigned ${(e.partitions as { partition: number }[]).map((p) => p.partition).join(',') || '(none)'}` });
        } else if (e.name === 'partitions_revoked') timeline.push({ t: rel(Number(e.timestamp)), what: 'consumer: partitions revoked' });
      }, path.join(dir, 'consumer.stderr.log'));
      const timer = setTimeout(() => assigned(), 30_000);
      await assignedP;
      clearTimeout(timer);
      if (assignments === 0) say(`${TOOL}: the live consumer got no partitions within 30 s; going on`);
    }
    producer = startChild('kafka-verifiable-producer.js', ['--broker-list', cluster.bootstrap, '--topic', o.topic, '--acks', acks, '--throughput', String(o.throughput), '--value-prefix', '1', '--producer.config', producerPropsFile], path.join(dir, 'producer.jsonl'), (e) => {
      const ts = Number(e.timestamp);
      switch (e.name) {
        case 'startup_complete':
          t0 = ts;
          started();
          break;
        case 'producer_send_success':
          acked.push({ partition: Number(e.partition), offset: Number(e.offset), value: String(e.value) });
          sentValues.add(String(e.value));
          ackEvents.push({ t: rel(ts), latencyMs: Number(e.latency_ms ?? 0) });
          break;
        case 'producer_send_error': {
          sentValues.add(String(e.value));
          errorTimes.push(rel(ts));
          const k = String(e.message).replace(/\d+/g, 'N').slice(0, 120);
          errorKinds.set(k, (errorKinds.get(k) ?? 0) + 1);
          break;
        }
        case 'tool_data':
          producerSent = Number(e.sent);
          break;
      }
    }, path.join(dir, 'producer.stderr.log'));
    const startTimer = setTimeout(() => started(), 30_000);
    await startedP;
    clearTimeout(startTimer);
    if (t0 === 0) throw new Error(`the verifiable producer did not start (see ${path.join(dir, 'producer.stderr.log')})`);
    // ---- watching the cluster: controller, leaders and ISRs, ZooKeeper leader
    let watching = true;
    const watcher = (async () => {
      let last = '';
      const lastState = new Map<number, string>();
      let lastZk = '';
      while (watching) {
        try {
          const c = await cluster.controller();
          const cs = `controller ${c < 0 ? 'none' : `broker ${c}`}`;
          if (cs !== last) timeline.push({ t: rel(Date.now()), what: cs });
          last = cs;
          for (let p = 0; p < o.partitions; p++) {
            const st = await cluster.partitionState(o.topic, p);
            const s = st ? `partition ${p}: leader ${st.leader}, ISR [${st.isr.join(',')}], leader epoch ${st.leaderEpoch}` : `partition ${p}: no state`;
            if (s !== lastState.get(p)) timeline.push({ t: rel(Date.now()), what: s });
            lastState.set(p, s);
          }
        } catch {
          // ZooKeeper away: try again
        }
        const zl = await cluster.zkLeader().catch(() => undefined);
        const zs = `ZooKeeper leader: ${zl === undefined ? 'none' : `node ${zl}`}`;
        if (zs !== lastZk) timeline.push({ t: rel(Date.now()), what: zs });
        lastZk = zs;
        await sleep(500);
      }
    })();

    // ---- the faults
    const faults: FaultRecord[] = [];
    const tasks = schedule.map(async (e, i) => {
      const wait = t0 + e.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      const rec: FaultRecord = { index: i + 1, action: e.action, target: e.target, resolved: '?', startMs: rel(Date.now()), plannedAtMs: e.atMs, detail: [] };
      faults.push(rec);
      let undo: (() => Promise<void>) | undefined;
      try {
        undo = await cluster.inject(e, rec, o.topic, i + 1, () => rel(Date.now()));
        timeline.push({ t: rec.startMs, what: `fault ${rec.index} starts: ${e.action}:${e.target} -> ${rec.resolved}` });
        say(`  ${(rec.startMs / 1000).toFixed(1)}s  fault ${rec.index}: ${e.action}:${e.target} -> ${rec.resolved}`);
      } catch (err) {
        rec.error = describeError(err);
        timeline.push({ t: rel(Date.now()), what: `fault ${rec.index} ${e.action}:${e.target} could not start: ${rec.error}` });
        say(`  ${(rel(Date.now()) / 1000).toFixed(1)}s  fault ${rec.index}: ${e.action}:${e.target} could not start: ${rec.error}`);
        rec.endMs = rel(Date.now());
        return;
      }
      // a fault that waited for its target to come back from an earlier one (faults.ts) lasts its full duration from when it started
      const end = t0 + Math.max(e.atMs, rec.startMs) + e.durationMs - Date.now();
      if (end > 0) await sleep(end);
      try {
        await undo();
      } catch (err) {
        rec.error = `undo failed: ${describeError(err)}`;
      }
      rec.endMs ??= rel(Date.now()); // set by the undo itself (faults.ts)
      timeline.push({ t: rec.endMs, what: `fault ${rec.index} ends (${rec.detail[rec.detail.length - 1] ?? ''})` });
    });
    const workloadEnd = t0 + durationMs;
    await Promise.all(tasks);
    const rest = workloadEnd - Date.now();
    if (rest > 0) await sleep(rest);
    cluster.healAll();

    // ---- recovery, then stop the workload
    const healedAt = rel(Date.now());
    timeline.push({ t: healedAt, what: 'workload ends; every fault healed; waiting for the cluster to recover' });
    const allBack = await until('every broker registered', async () => (await cluster.liveBrokers()).length === o.brokers, 60_000);
    const ackedBefore = acked.length;
    const writesAgain = await until('acknowledgements after the faults', async () => acked.length > ackedBefore, 30_000);
    // a full ISR is not needed for the checks; waited for a little, and reported
    const fullIsr = await until('a full ISR everywhere', async () => {
      for (let p = 0; p < o.partitions; p++) {
        const st = await cluster.partitionState(o.topic, p);
        if (!st || st.leader < 0 || st.isr.length < o.replicationFactor) return false;
      }
      return true;
    }, 10_000);
    const recoveredAt = rel(Date.now());
    timeline.push({ t: recoveredAt, what: `recovered: ${allBack ? 'every broker back' : 'NOT every broker back'}, ${fullIsr ? 'full ISR' : 'ISR NOT full'}, ${writesAgain ? 'writes acknowledged' : 'NO acknowledged write'}` });
    await sleep(1000);
    const producerClean = await stopChild(producer, 90_000);
    const producerStopped = rel(Date.now());
    timeline.push({ t: producerStopped, what: `producer stopped${producerClean ? '' : ' (not cleanly)'}` });
    // every value up to the last one the producer made was sent (acknowledged, failed or unanswered)
    const maxIndex = Math.max(producerSent - 1, ...[...sentValues].map((v) => Number(v.split('.')[1])));
    for (let i = 0; i <= maxIndex; i++) sentValues.add(`1.${i}`);
    if (consumer) {
      const ackedKeys = new Set(acked.map((a) => `${a.partition}:${a.offset}`));
      let lastCount = -1;
      let stillAt = Date.now();
      await until('the consumer to catch up', async () => {
        const seen = new Set(observed.map((r) => `${r.partition}:${r.offset}`));
        if ([...ackedKeys].every((k) => seen.has(k))) return true;
        if (observed.length !== lastCount) {
          lastCount = observed.length;
          stillAt = Date.now();
        }
        return Date.now() - stillAt > 10_000;
      }, 30_000);
      await stopChild(consumer, 30_000);
      timeline.push({ t: rel(Date.now()), what: 'consumer stopped' });
    }
    watching = false;
    await watcher;

    // ---- the check
    const final = await readAll(cluster.bootstrap, o.topic, o.partitions, 20_000, acked);
    const verdict = verifyHistory({ acked, sent: sentValues, final, observed: consumer ? observed : undefined }, { allowDuplicates: o.allowDuplicates });
    const faultErrors = faults.filter((f) => f.error);
    const endMs = producerStopped;
    const report: RunReport = {
      title: `kafka-verify: seed ${seed}, ${o.brokers} brokers, acks=${o.acks}, min.insync.replicas=${o.minInsyncReplicas}, unclean election ${o.uncleanLeaderElection ? 'on' : 'off'}`,
      settings,
      schedule: formatSchedule(schedule),
      seed,
      durationMs: endMs,
      series: seriesOf(ackEvents, errorTimes, endMs),
      unavailable: unavailableWindows(ackEvents.map((a) => a.t), 0, Math.min(endMs, healedAt)),
      faults: faults.sort((a, b) => a.index - b.index),
      timeline: timeline.sort((a, b) => a.t - b.t),
      counts: {
        'producer: records sent': sentValues.size,
        'producer: acknowledged': acked.length,
        'producer: failed sends': errorTimes.length,
        'consumer: partition assignments': assignments,
        'faults that could not be injected': faultErrors.length,
      },
      verdict,
    };
    const reportFile = path.resolve(o.report ?? path.join(dir, 'report.html'));
    writeFileSync(reportFile, reportFile.endsWith('.svg') ? renderSvg(report) : renderHtml(report));
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ ...report, errorKinds: Object.fromEntries(errorKinds) }, null, 1));

    // ---- the summary
    const lines: string[] = [];
    lines.push(`${TOOL}: seed ${seed}; ${o.brokers} brokers, topic ${o.topic} (${o.partitions} partitions, RF ${o.replicationFactor}), acks=${o.acks}, min.insync.replicas=${o.minInsyncReplicas}, unclean.leader.election.enable=${Boolean(o.uncleanLeaderElection)}`);
    lines.push(`schedule: ${report.schedule || '(no faults)'}`);
    for (const f of report.faults) lines.push(`  fault ${f.index}: ${(f.startMs / 1000).toFixed(1)}-${((f.endMs ?? 0) / 1000).toFixed(1)}s ${f.action}:${f.target} -> ${f.resolved}${f.error ? ` ERROR ${f.error}` : ''}`);
    lines.push(`producer: ${sentValues.size} sent, ${acked.length} acknowledged, ${errorTimes.length} failed${errorKinds.size ? ` (${[...errorKinds].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${n}x ${k}`).join('; ')})` : ''}`);
    if (consumer) lines.push(`consumer: ${verdict.observed} records read live (${verdict.observedAgain} read again), ${assignments} assignment(s)`);
    lines.push(`unavailable (no acknowledgement for >= 1 s): ${report.unavailable.length === 0 ? 'never' : report.unavailable.map((w) => `${(w.fromMs / 1000).toFixed(1)}-${(w.toMs / 1000).toFixed(1)}s`).join(', ')}`);
    lines.push(`final log: ${verdict.stored} records`);
    lines.push(`lost ${verdict.lost.length}, misplaced ${verdict.misplaced.length}, reordered ${verdict.reordered}, duplicates ${verdict.duplicates}${o.allowDuplicates ? ' (allowed)' : ''}, never sent ${verdict.phantom.length}, divergent reads ${verdict.divergent.length}`);
    if (verdict.lost.length) lines.push(`  lost, e.g.: ${verdict.lost.slice(0, 5).map((a) => `${a.value}@${a.partition}:${a.offset}`).join(', ')}`);
    if (verdict.misplaced.length) lines.push(`  misplaced, e.g.: ${verdict.misplaced.slice(0, 5).map((a) => `${a.value}@${a.partition}:${a.offset}`).join(', ')}`);
    if (faultErrors.length) lines.push(`faults that could not be injected or undone: ${faultErrors.length}`);
    lines.push(`report: ${reportFile}`);
    const ok = verdict.ok && faultErrors.length === 0 && acked.length > 0;
    lines.push(verdict.ok ? (ok ? 'PASS' : `ERROR: ${acked.length === 0 ? 'nothing was acknowledged' : 'a fault could not be injected'}`) : `VIOLATION: ${verdict.violations.join('; ')}`);
    process.stdout.write(lines.join('\n') + '\n');
    return ok ? 0 : 1;
  } finally {
    await cleanup();
    if (o.keep) say(`${TOOL}: the cluster is still running; stop it with scripts/cluster.sh down --dir ${dir}`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  }
}
