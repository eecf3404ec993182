/**
 * Cluster map benchmark: the time from a broker's registration znode vanishing to the page's
 * Server-Sent Events stream showing that broker dead (issue 16's target: under 0.5 s; the
 * ZooKeeper session timeout that comes before it when a broker dies is not the page's).
 *
 * It runs the real tool (dist/src/bin/kafka-ui-start.js) against ZooKeeper under a chroot of its
 * own, with a cluster written there in the 0.8 layout: --brokers registrations (ephemeral, from
 * a session of the bench) and a topic of --partitions partitions at RF 2 over them, so the page
 * has a real map to recompute. Each run registers broker <victim>, waits for the stream to show
 * it alive, deletes its znode and times the stream's first `brokers` message showing it dead,
 * from the delete request. In the same run, the floor: a bare ZooKeeper children watch on
 * /brokers/ids in this process, timed on the same deletions.
 *
 *   node dist/bench/ui-bench.js [--zookeeper H:P] [--runs 20] [--brokers 3] [--partitions 300]
 *
 * ZooKeeper: --zookeeper, else the ensemble of data/cluster.env (scripts/cluster.sh up), else
 * 127.0.0.1:2181. The chroot is deleted at the end. The last line is:
 * `ui: registration gone -> page shows the broker dead: median X ms, p90 Y ms, max Z ms (N runs, P partitions; ZooKeeper watch alone: median W ms; target < 500 ms)`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ZkClient } from '../src/zk/client.js';
import { brokerIdPath, brokerIdsPath, partitionStatePath, topicPath } from '../src/zk/paths.js';
import { encodeBrokerRegistration, encodePartitionState, encodeTopicAssignment } from '../src/zk/payloads.js';
import { candidateZooKeeper } from '../src/client/connector/zookeeper-locator.js';
import { readSse } from '../src/ui/sse-client.js';
import { benchArgsOrExit, exitOnHelp, usageError } from './args.js';
import { exitWhenStdoutCloses, stopAtExit } from './cleanup.js';

const TOOL = 'ui-bench';
const USAGE = `usage: ui-bench.js [--zookeeper H:P] [--runs 20] [--brokers 3] [--partitions 300]

Run as node dist/bench/ui-bench.js, from the repository root.
Cluster map benchmark: the time from a broker's registration znode vanishing to the page's
Server-Sent Events stream showing that broker dead (target: under 0.5 s). It runs the real tool
(dist/src/bin/kafka-ui-start.js) against ZooKeeper under a chroot of its own (deleted at the
end), with a cluster written there in the 0.8 layout.
  --zookeeper H:P   the ZooKeeper (default: data/cluster.env's ensemble, else 127.0.0.1:2181)
  --runs N          timed runs, after one warm-up (default 20)
  --brokers N       brokers registered (default 3), besides the one that dies each run
  --partitions N    partitions of the topic at RF 2 over them (default 300)
Prints each run (page and a bare ZooKeeper watch), then last:
  ui: registration gone -> page shows the broker dead: median X ms, p90 Y ms, max Z ms (N runs, P partitions; ZooKeeper watch alone: median W ms; target < 500 ms)
`;
exitOnHelp(USAGE);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = benchArgsOrExit(TOOL, USAGE, ['zookeeper', 'runs', 'brokers', 'partitions']);
const RUNS = Number(args.get('runs') ?? 20);
const BROKERS = Number(args.get('brokers') ?? 3);
const PARTITIONS = Number(args.get('partitions') ?? 300);
for (const [k, v] of [['runs', RUNS], ['brokers', BROKERS], ['partitions', PARTITIONS]] as const) {
  if (!Number.isInteger(v) || v < 1) usageError(TOOL, `--${k} must be a positive integer`, USAGE);
}
if (args.get('zookeeper') === 'true') usageError(TOOL, '--zookeeper needs a value', USAGE);
exitWhenStdoutCloses(TOOL);
const ZK = candidateZooKeeper(args.get('zookeeper')).connect;
const VICTIM = BROKERS + 1;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const fmt = (ms: number): string => ms.toFixed(1);

interface BrokersMessage {
  brokers: { id: number; alive: boolean }[];
}

async function main(): Promise<void> {
  const chroot = `/ui-bench-${Date.now()}`;
  const zk = await ZkClient.connect({ connectString: `${ZK}${chroot}`, connectTimeoutMs: 10_000 });
  const ui = spawn(process.execPath, [path.join(ROOT, 'dist/src/bin/kafka-ui-start.js'), '--zookeeper', `${ZK}${chroot}`, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KAFKA_LOG_LEVEL: 'warn' },
  });
  // if this process ends before the finally below (stdout closed: EPIPE; an uncaught error)
  const cancelAtExit = stopAtExit(() => {
    if (ui.exitCode === null && ui.signalCode === null) ui.kill('SIGTERM');
  });
  let out = '';
  ui.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  ui.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ac = new AbortController();
  try {
    // the cluster as ZooKeeper holds it: brokers 1..B, the victim B+1, a topic at RF 2 led by all of them
    for (let b = 1; b <= BROKERS; b++) await zk.create(brokerIdPath(b), encodeBrokerRegistration({ host: '127.0.0.1', port: 19000 + b }), { mode: 'ephemeral', parents: true });
    const n = BROKERS + 1;
    const assignment = Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [p, [(p % n) + 1, ((p + 1) % n) + 1]]));
    await zk.create(topicPath('ui-bench'), encodeTopicAssignment(assignment), { parents: true });
    for (let p = 0; p < PARTITIONS; p++) {
      const replicas = assignment[p]!;
      await zk.create(partitionStatePath('ui-bench', p), encodePartitionState({ leader: replicas[0]!, leaderEpoch: 0, controllerEpoch: 1, isr: replicas }), { parents: true });
    }
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the cluster map did not start:\n${out}`)), 20_000);
      const check = (): void => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        } else if (ui.exitCode !== null) reject(new Error(`the cluster map exited:\n${out}`));
        else setTimeout(check, 20);
      };
      check();
    });

    // the floor: this process's own watch on /brokers/ids
    let watchWaiter: ((t: number) => void) | undefined;
    zk.watchChildren(brokerIdsPath, (ids) => {
      if (!(ids ?? []).includes(String(VICTIM))) watchWaiter?.(performance.now());
    });

    const stream = readSse(new URL('/api/stream', url), ac.signal)[Symbol.asyncIterator]();
    const victimAlive = async (alive: boolean): Promise<number> => {
      for (;;) {
        const r = await stream.next();
        if (r.done) throw new Error('the stream ended');
        const m = r.value;
        if (m.event !== 'brokers' && m.event !== 'snapshot') continue;
        const data = JSON.parse(m.data) as BrokersMessage;
        if (data.brokers.some((b) => b.id === VICTIM && b.alive === alive)) return performance.now();
      }
    };

    const page: number[] = [];
    const watch: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      await zk.create(brokerIdPath(VICTIM), encodeBrokerRegistration({ host: '127.0.0.1', port: 19000 + VICTIM }), { mode: 'ephemeral' });
      await victimAlive(true);
      const watched = new Promise<number>((resolve) => (watchWaiter = resolve));
      const t0 = performance.now();
      await zk.delete(brokerIdPath(VICTIM));
      const shown = await victimAlive(false);
      const floor = await watched;
      watchWaiter = undefined;
      if (run === 0) continue; // warm-up
      page.push(shown - t0);
      watch.push(floor - t0);
      console.log(`run ${run}: page ${fmt(shown - t0)} ms, ZooKeeper watch ${fmt(floor - t0)} ms`);
    }
    console.log(
      `ui: registration gone -> page shows the broker dead: median ${fmt(pct(page, 50))} ms, p90 ${fmt(pct(page, 90))} ms, max ${fmt(Math.max(...page))} ms ` +
        `(${RUNS} runs, ${PARTITIONS} partitions; ZooKeeper watch alone: median ${fmt(pct(watch, 50))} ms; target < 500 ms)`,
    );
  } finally {
    ac.abort();
    if (ui.exitCode === null) {
      const exited = new Promise((r) => ui.once('exit', r));
      ui.kill('SIGTERM');
      await exited;
    }
    cancelAtExit();
    await zk.close();
    const root = await ZkClient.connect({ connectString: ZK, connectTimeoutMs: 10_000 });
    await root.deleteRecursive(chroot).catch(() => undefined);
    await root.close();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(`ui-bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
