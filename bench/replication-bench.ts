/**
 * Replication benchmark (npm run bench:replication, or from scripts/bench.sh): three brokers on
 * this machine, one ZooKeeper node, 100-byte records from one producer process.
 *   - produce throughput for RF=1 acks=1, RF=3 acks=1 and RF=3 acks=all, and the ratios of
 *     the replicated runs to RF=1 measured in the same run (Kreps 2014 on dedicated machines:
 *     0.96 for async and 0.51 for acks=all; here three brokers share two cores), each run with
 *     the CPU seconds (user + system) of the producer and of each broker per million records
 *     and how many of the two cores were busy: whether a figure is bound by CPU or by waiting;
 *     after an acks=1 run, how far behind the leader its followers were and how long they took
 *     to catch up (what they did not copy during the run left the leader more of the cores);
 *   - end-to-end latency at 10,000 msg/s, RF=3 acks=all, with a breakdown (e2e-latency.ts);
 *   - failover: the time from SIGKILL of a partition leader to the acknowledgement of the
 *     first write sent after it (acks=all), against the session timeout (target: session
 *     timeout + 1 s).
 * Options: --records N (per run, default 300000), --runs N (default 3), --session-ms N (6000),
 * --e2e-runs N (1).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Producer } from '../src/client/producer/index.js';
import { ZkClient } from '../src/zk/client.js';
import { createTopic } from '../src/admin/topic-admin.js';
import { brokerIdPath, partitionStatePath } from '../src/zk/paths.js';
import { decodeBrokerRegistration, decodePartitionState } from '../src/zk/payloads.js';
import { runE2e } from './e2e-latency.js';
import { brokerNodeArgs } from '../src/broker/heap-opts.js';
import { benchArgsOrExit, exitOnHelp, requirePositive, usageError } from './args.js';
import { exitWhenStdoutCloses, stopAtExit } from './cleanup.js';

const TOOL = 'replication-bench';
const USAGE = `usage: replication-bench.js [--records 300000] [--runs 3] [--session-ms 6000] [--e2e-runs 1]

Run as node dist/bench/replication-bench.js or npm run bench:replication -- OPTIONS, from the
repository root. It starts one ZooKeeper node (scripts/zk-ensemble.sh) and three brokers on this
machine, on free ports in a temporary directory, and stops them (by pid) at the end.
  --records N      100-byte records per throughput run (default 300000)
  --runs N         throughput runs, the median printed (default 3)
  --session-ms N   the brokers' zookeeper.session.timeout.ms (default 6000)
  --e2e-runs N     end-to-end latency runs (default 1; 0 skips them)
  (environment: REPLICATION_BENCH_PROPS="k=v,k=v" adds broker properties)
Prints produce throughput for RF=1 acks=1, RF=3 acks=1 and RF=3 acks=all with the CPU they
cost, each run and the medians with their ratios to RF=1; end-to-end latency at 10,000 msg/s
(RF=3 acks=all) with its breakdown; the failover time after SIGKILL of a partition leader
(target: session timeout + 1 s); the last line is
  replication acks=all/RF=1 ratio: X.XX
`;
exitOnHelp(USAGE);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = benchArgsOrExit(TOOL, USAGE, ['records', 'runs', 'session-ms', 'e2e-runs']);
const arg = (name: string, def: number) => (args.has(name) ? Number(args.get(name)) : def);
const RECORDS = arg('records', 300_000);
const RUNS = arg('runs', 3);
const SESSION_MS = arg('session-ms', 6000);
const E2E_RUNS = arg('e2e-runs', 1);
requirePositive(TOOL, USAGE, { '--records': RECORDS, '--runs': RUNS, '--session-ms': SESSION_MS });
// 0 skips the end-to-end latency runs
if (!(Number.isInteger(E2E_RUNS) && E2E_RUNS >= 0)) usageError(TOOL, '--e2e-runs must be 0 or a positive whole number', USAGE);
exitWhenStdoutCloses(TOOL);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-repl-bench-'));
  const zkPort = await freePort();
  const brokers = new Map<number, ChildProcess>();
  let zk: ZkClient | undefined;
  const zkDir = path.join(dir, 'zk');
  const stopZooKeeper = (): void => {
    try {
      execFileSync(path.join(ROOT, 'scripts/zk-ensemble.sh'), ['stop', '--dir', zkDir], { stdio: 'ignore' });
    } catch {
      /* already stopped */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // if this process ends before the finally below (stdout closed: EPIPE; an uncaught error)
  const cancelAtExit = stopAtExit(() => {
    for (const p of brokers.values()) p.kill('SIGKILL');
    stopZooKeeper();
  });
  try {
    execFileSync(path.join(ROOT, 'scripts/zk-ensemble.sh'), ['start', '--nodes', '1', '--port', String(zkPort), '--dir', zkDir], { stdio: 'ignore' });
    const zkConnect = `127.0.0.1:${zkPort}`;
    zk = await ZkClient.connect({ connectString: zkConnect });
    const metricsPorts = new Map<number, number>();
    for (const id of [1, 2, 3]) metricsPorts.set(id, await freePort());
    const startBroker = (id: number) => {
      const file = path.join(dir, `server-${id}.properties`);
      writeFileSync(
        file,
        [
          `broker.id=${id}`,
          'listeners=PLAINTEXT://127.0.0.1:0',
          `log.dirs=${path.join(dir, `logs-${id}`)}`,
          `zookeeper.connect=${zkConnect}`,
          `zookeeper.session.timeout.ms=${SESSION_MS}`,
          'replica.fetch.wait.max.ms=100',
          'controlled.shutdown.enable=false',
          `metrics.port=${metricsPorts.get(id)}`,
          // experiments: REPLICATION_BENCH_PROPS="k=v,k=v" adds broker properties
          ...(process.env.REPLICATION_BENCH_PROPS ?? '').split(',').filter(Boolean),
        ].join('\n'),
      );
      brokers.set(id, spawn(process.execPath, [...brokerNodeArgs(), path.join(ROOT, 'dist/src/bin/kafka-server-start.js'), file], { stdio: 'ignore' }));
    };
    for (const id of [1, 2, 3]) startBroker(id);
    const ports = new Map<number, number>();
    for (const id of [1, 2, 3]) ports.set(id, await waitFor(`broker ${id}`, async () => {
      const n = await zk!.get(brokerIdPath(id));
      return n ? decodeBrokerRegistration(n.data).port : undefined;
    }));
    const bootstrap = [...ports.values()].map((p) => `127.0.0.1:${p}`).join(',');
    const leaderOf = async (t: string) => decodePartitionState((await zk!.get(partitionStatePath(t, 0)))!.data);
    const value = Buffer.alloc(100, 0x61);

    // CPU seconds (user + system) of each broker process and of this process (the producer)
    const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const brokerCpu = (id: number): number => {
      try {
        const f = readFileSync(`/proc/${brokers.get(id)!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(f[11]) + Number(f[12])) / ticks;
      } catch {
        return 0;
      }
    };
    const cpuNow = () => ({ producer: (process.cpuUsage().user + process.cpuUsage().system) / 1e6, brokers: [1, 2, 3].map(brokerCpu) });

    /** Broker `id`'s /metrics text ('' when it does not answer). */
    const metricsOf = (id: number): Promise<string> => fetch(`http://127.0.0.1:${metricsPorts.get(id)}/metrics`).then((r) => r.text()).catch(() => '');

    // the followers' fetch rounds (kafka_server_replicafetcher_roundtimems, sums and counts):
    // under acks=all a produce request waits for them, so they are replication's share
    const roundsNow = async (): Promise<{ count: number; fetchMs: number; appendFlushMs: number; bytes: number }> => {
      const out = { count: 0, fetchMs: 0, appendFlushMs: 0, bytes: 0 };
      for (const id of [1, 2, 3]) {
        const text = await metricsOf(id);
        const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
        out.count += num(/^kafka_server_replicafetcher_roundtimems_count\{phase="fetch"\} (\S+)$/m);
        out.fetchMs += num(/^kafka_server_replicafetcher_roundtimems_sum\{phase="fetch"\} (\S+)$/m);
        out.appendFlushMs += num(/^kafka_server_replicafetcher_roundtimems_sum\{phase="append_flush"\} (\S+)$/m);
        out.bytes += num(/^kafka_server_fetcherstats_bytes_total (\S+)$/m);
      }
      return out;
    };

    /** The bytes of `topic`-0 on brokers 1, 2 and 3 (kafka_log_log_size; -1 where unknown). */
    const replicaSizes = (topic: string): Promise<number[]> =>
      Promise.all(
        [1, 2, 3].map(async (id) => {
          const text = await metricsOf(id);
          return Number(new RegExp(`^kafka_log_log_size\\{topic="${topic}",partition="0"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? -1);
        }),
      );

    /** Waits until every replica of `topic`-0 holds the same bytes. */
    async function caughtUp(topic: string): Promise<void> {
      await waitFor(`the replicas of ${topic} to catch up`, async () => {
        const sizes = await replicaSizes(topic);
        return sizes.every((x) => x >= 0 && x === sizes[0]) ? true : undefined;
      }, 120_000);
    }

    async function throughput(topic: string, acks: 1 | -1): Promise<{ rate: number; cpu: string }> {
      const producer = new Producer({ brokers: bootstrap, acks, lingerMs: 5 });
      await producer.partitionsFor(topic);
      const r0 = await roundsNow();
      const c0 = cpuNow();
      const start = process.hrtime.bigint();
      for (let i = 0; i < RECORDS; i++) if (!producer.produce({ topic, partition: 0, value })) await producer.ready();
      await producer.flush();
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      const c1 = cpuNow();
      await producer.close();
      // per million records: where the machine's two cores went
      const per = (s: number) => ((s * 1e6) / RECORDS).toFixed(2);
      const b = c1.brokers.map((x, i) => x - c0.brokers[i]!);
      const total = c1.producer - c0.producer + b.reduce((x, y) => x + y, 0);
      let cpu = `CPU s per M records: producer ${per(c1.producer - c0.producer)}, brokers ${b.map(per).join(' / ')}; total ${per(total)} (${(total / secs).toFixed(2)} of 2 cores busy)`;
      const r1 = await roundsNow();
      const n = r1.count - r0.count;
      if (n > 0) {
        cpu += `\n    followers' fetch rounds during the run: ${n}, ${((r1.bytes - r0.bytes) / n / 1024).toFixed(0)} KiB each; fetch ${((r1.fetchMs - r0.fetchMs) / n).toFixed(2)} ms + append and flush ${((r1.appendFlushMs - r0.appendFlushMs) / n).toFixed(2)} ms per round (averages)`;
      }
      return { rate: RECORDS / secs, cpu };
    }

    const cases: { name: string; topic: string; rf: number; acks: 1 | -1 }[] = [
      { name: 'RF=1 acks=1', topic: 'rf1', rf: 1, acks: 1 },
      { name: 'RF=3 acks=1', topic: 'rf3', rf: 3, acks: 1 },
      { name: 'RF=3 acks=all', topic: 'rf3', rf: 3, acks: -1 },
    ];
    await createTopic(zk, 'rf1', { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [1]]]) });
    await createTopic(zk, 'rf3', { partitions: 1, replicationFactor: 3, assignment: new Map([[0, [1, 2, 3]]]) });
    await waitFor('rf3 ISR', async () => ((await leaderOf('rf3')).isr.length === 3 ? true : undefined));
    const results = new Map<string, number[]>();
    for (let run = 0; run < RUNS; run++) {
      for (const c of cases) {
        const { rate: r, cpu } = await throughput(c.topic, c.acks);
        results.set(c.name, [...(results.get(c.name) ?? []), r]);
        console.log(`run ${run + 1} ${c.name}: ${Math.round(r).toLocaleString('en-US')} records/s (${((r * 100) / 1048576).toFixed(1)} MB/s); ${cpu}`);
        // An acks=1 run ends with its followers behind (acks=1 waits for none of them), and
        // the less they copied during the run, the more of the two cores the leader had: how
        // far behind they were says what an acks=1 figure bought that way. The next run would
        // pay for their catching up (an acks=all request waits for the high watermark to pass
        // that backlog): each run starts from replicas with identical logs.
        if (c.rf > 1) {
          const sizes = await replicaSizes(c.topic);
          const ended = performance.now();
          await caughtUp(c.topic);
          // the leader (broker 1 by the assignment) holds the most
          const lead = Math.max(...sizes);
          const behind = sizes.filter((_, i) => i !== sizes.indexOf(lead)).map((x) => ((lead - x) / 1e6).toFixed(0));
          if (c.acks === 1) console.log(`    followers at the end of the run: ${behind.join(' and ')} MB behind the leader; caught up ${((performance.now() - ended) / 1000).toFixed(1)} s later`);
        }
      }
    }
    const base = median(results.get('RF=1 acks=1')!);
    for (const c of cases) {
      const m = median(results.get(c.name)!);
      console.log(`median ${c.name}: ${Math.round(m).toLocaleString('en-US')} records/s, ratio to RF=1: ${(m / base).toFixed(2)}`);
    }

    // end-to-end latency at 10,000 msg/s with RF=3 acks=all (the consumer sees a record once
    // every ISR member flushed it), with the leader's share from its /metrics
    for (let run = 0; run < E2E_RUNS; run++) {
      const topic = `e2e-rf3-${run}`;
      await createTopic(zk, topic, { partitions: 1, replicationFactor: 3, assignment: new Map([[0, [1, 2, 3]]]) });
      await waitFor(`${topic} ISR`, async () => ((await leaderOf(topic)).isr.length === 3 ? true : undefined));
      const lines = await runE2e({ brokers: bootstrap, topic, rate: 10_000, seconds: 10, acks: -1, metricsUrl: `http://127.0.0.1:${metricsPorts.get(1)}/metrics`, followerMetricsUrls: [2, 3].map((id) => `http://127.0.0.1:${metricsPorts.get(id)}/metrics`) });
      console.log(`run ${run + 1} RF=3 acks=all ${lines[0]}`);
      for (const l of lines.slice(1)) console.log(`     ${l}`);
    }

    // failover: SIGKILL the leader of rf3 under acks=all single-record sends
    await createTopic(zk, 'failover', { partitions: 1, replicationFactor: 3, assignment: new Map([[0, [1, 2, 3]]]) });
    await waitFor('failover ISR', async () => ((await leaderOf('failover')).isr.length === 3 ? true : undefined));
    const producer = new Producer({ brokers: bootstrap, acks: -1, retryBackoffMs: 20, requestTimeoutMs: 5000 });
    // the first acknowledgement of a send made after the kill (an answer the old leader sent
    // just before it died can arrive after the kill: that is not failover)
    let killedAt = Infinity;
    let firstAckAfterKill = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const sentAt = Date.now();
        try {
          await producer.send({ topic: 'failover', partition: 0, value });
          if (sentAt > killedAt && firstAckAfterKill === 0) firstAckAfterKill = Date.now();
        } catch {
          await sleep(20);
        }
      }
    })();
    await sleep(1000);
    const victim = (await leaderOf('failover')).leader;
    killedAt = Date.now();
    brokers.get(victim)!.kill('SIGKILL');
    await waitFor('an acknowledged write sent after the kill', async () => (firstAckAfterKill > 0 ? true : undefined), 120_000);
    const failoverMs = firstAckAfterKill - killedAt;
    stop = true;
    await loop;
    await producer.close();
    console.log(`failover: ${failoverMs} ms from SIGKILL of the leader to the acknowledgement of the first write sent after it (session timeout ${SESSION_MS} ms; target ${SESSION_MS + 1000} ms)`);
    console.log(`replication acks=all/RF=1 ratio: ${(median(results.get('RF=3 acks=all')!) / base).toFixed(2)}`);
  } finally {
    for (const p of brokers.values()) p.kill('SIGKILL');
    await zk?.close().catch(() => undefined);
    stopZooKeeper();
    cancelAtExit();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
