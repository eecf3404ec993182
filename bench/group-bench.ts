/**
 * Broker-coordinated groups against ZooKeeper-coordinated ones, on the same cluster:
 *
 *   rebalance   how long a group of N consumers (default 8) on a topic of M partitions (64)
 *               takes until every member holds its final assignment, all partitions owned
 *               exactly once: join (N start at once on a fresh group), leave (one member leaves
 *               cleanly), add (a new member joins the settled group). Members: kafkajs 2.2.4
 *               `consumer.run()` (heartbeat.interval 300 ms, fetch max wait 100 ms, so a member
 *               notices a rebalance quickly), then our GroupConsumer (src/client/group, the
 *               same settings, polled in a loop). The broker's group.initial.rebalance.delay.ms
 *               (Kafka's default 3000) is printed with the join figure: it is a wait by design.
 *               The ZooKeeper connector's figures for the same group sizes come from
 *               rebalance-bench.ts (scripts/bench.sh prints both sections side by side).
 *   commit      offset commit throughput for one group, M partitions per commit, one commit
 *               in flight: OffsetCommit v2 to the coordinator (one __consumer_offsets append
 *               waited for by the ISR) against 0.8's ZooKeeper writes (M znode sets per commit),
 *               commits/s and partition-offsets/s.
 *
 *   node dist/bench/group-bench.js --broker H:P --zookeeper H:P [--consumers 8] [--partitions 64]
 *        [--runs 3] [--commit-seconds 5] [--only rebalance|commit]
 *
 * It creates topic group-bench-<ms> and deletes it afterwards. Numbers only, never pass/fail.
 */
import { createRequire } from 'node:module';
import { Cluster } from '../src/client/cluster.js';
import { CoordinatorClient } from '../src/client/group/coordinator-client.js';
import { GroupConsumer } from '../src/client/group/group-consumer.js';
import { commitOffset } from '../src/client/connector/offsets.js';
import { ZkClient } from '../src/zk/client.js';
import { consumerGroupPath } from '../src/zk/paths.js';
import { createTopic, deleteTopic } from '../src/admin/topic-admin.js';
import { benchArgsOrExit, exitOnHelp, requireOptions, requirePositive, usageError } from './args.js';

const TOOL = 'group-bench';
const USAGE = `usage: group-bench.js --broker H:P --zookeeper H:P [--consumers 8] [--partitions 64] [--runs 3]
         [--commit-seconds 5] [--only rebalance|commit]

Run as node dist/bench/group-bench.js (scripts/bench.sh runs it against its cluster).
Broker-coordinated groups against ZooKeeper-coordinated ones, on the same cluster:
  --broker H:P          a broker of the cluster (required)
  --zookeeper H:P       its ZooKeeper (required)
  --consumers N         members of the group (default 8)
  --partitions N        partitions of the topic (default 64)
  --runs N              rebalance runs per kind of member, the median printed (default 3)
  --commit-seconds N    how long each offset commit measurement lasts (default 5)
  --only rebalance|commit   only that section (default both)
Prints, for kafkajs members and then ours, the time until every member holds its final
assignment (join, leave, add; per run and the median), and offset commits per second to
__consumer_offsets against ZooKeeper, with their ratio. It creates topic group-bench-<ms> and
deletes it afterwards. Numbers only, never pass/fail.
`;
exitOnHelp(USAGE);
const args = benchArgsOrExit(TOOL, USAGE, ['broker', 'zookeeper', 'consumers', 'partitions', 'runs', 'commit-seconds', 'only']);
requireOptions(TOOL, USAGE, args, ['broker', 'zookeeper']);

process.env.KAFKA_LOG_LEVEL ??= 'error';
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

const BROKER = args.get('broker')!;
const ZK = args.get('zookeeper')!;
const CONSUMERS = Number(args.get('consumers') ?? 8);
const PARTITIONS = Number(args.get('partitions') ?? 64);
const RUNS = Number(args.get('runs') ?? 3);
const COMMIT_SECONDS = Number(args.get('commit-seconds') ?? 5);
const ONLY = args.get('only');
requirePositive(TOOL, USAGE, { '--consumers': CONSUMERS, '--partitions': PARTITIONS, '--runs': RUNS, '--commit-seconds': COMMIT_SECONDS });
if (ONLY !== undefined && ONLY !== 'rebalance' && ONLY !== 'commit') usageError(TOOL, `--only must be rebalance or commit, not ${ONLY}`, USAGE);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
};

// ---- rebalance with kafkajs members -----------------------------------------------------------

interface Member {
  stop(): Promise<void>;
  /** The member's latest assignment of the topic, and when it came (kafkajs does not report the generation). */
  partitions: number[];
  joinedAt: number;
}

type StartMember = (group: string, topic: string, members: Member[]) => Promise<Member>;

function kafkajsMember(kafka: any): StartMember {
  return async (group, topic, members) => {
    const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 300, rebalanceTimeout: 30_000, maxWaitTimeInMs: 100 });
    const m: Member = { stop: () => consumer.disconnect(), partitions: [], joinedAt: -1 };
    consumer.on(consumer.events.GROUP_JOIN, (e: any) => {
      m.partitions = e.payload.memberAssignment[topic] ?? [];
      m.joinedAt = performance.now();
    });
    members.push(m);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({ eachMessage: async () => undefined });
    return m;
  };
}

/** Our GroupConsumer (src/client/group), polled in a loop as an application would. */
const ourMember: StartMember = async (group, topic, members) => {
  const c = new GroupConsumer({ 'bootstrap.servers': BROKER, 'group.id': group, 'session.timeout.ms': '10000', 'heartbeat.interval.ms': '300', 'fetch.max.wait.ms': '100', 'partition.assignment.strategy': 'range' });
  let running = true;
  const m: Member = {
    partitions: [],
    joinedAt: -1,
    stop: async () => {
      running = false;
      await loop;
      await c.close();
    },
  };
  c.on('assigned', (e) => {
    m.partitions = e.partitions.filter((p) => p.topic === topic).map((p) => p.partition);
    m.joinedAt = performance.now();
  });
  members.push(m);
  c.subscribe([topic]);
  const loop = (async () => {
    while (running) await c.poll(100).catch(() => undefined);
  })();
  return m;
};

/** Resolves when every member joined since `since` and their assignments cover every partition exactly once. */
async function settled(members: Member[], since: number): Promise<void> {
  for (;;) {
    const all = members.flatMap((m) => m.partitions);
    if (members.every((m) => m.joinedAt >= since) && all.length === PARTITIONS && new Set(all).size === PARTITIONS) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function rebalanceRun(startMember: StartMember, topic: string, run: number): Promise<{ join: number; leave: number; add: number }> {
  const group = `group-bench-${Date.now()}-${run}`;
  const members: Member[] = [];
  try {
    let t0 = performance.now();
    await Promise.all(Array.from({ length: CONSUMERS }, () => startMember(group, topic, members)));
    await settled(members, t0);
    const join = performance.now() - t0;

    const leaving = members.splice(Math.floor(Math.random() * members.length), 1)[0]!;
    t0 = performance.now();
    await leaving.stop();
    await settled(members, t0);
    const leave = performance.now() - t0;

    t0 = performance.now();
    await startMember(group, topic, members);
    await settled(members, t0);
    const add = performance.now() - t0;
    return { join, leave, add };
  } finally {
    await Promise.all(members.map((m) => m.stop().catch(() => undefined)));
  }
}

// ---- offset commit throughput -----------------------------------------------------------------

async function commitToTopic(topic: string): Promise<number> {
  const cluster = new Cluster({ brokers: BROKER, clientId: 'group-bench' });
  const cc = new CoordinatorClient(cluster);
  const group = `group-bench-commit-${Date.now()}`;
  try {
    await cc.findCoordinator(group);
    let n = 0;
    const end = performance.now() + COMMIT_SECONDS * 1000;
    while (performance.now() < end) {
      await cc.commitOffsets(group, Array.from({ length: PARTITIONS }, (_, p) => ({ topic, partition: p, offset: n })));
      n++;
    }
    return n / COMMIT_SECONDS;
  } finally {
    cluster.close();
  }
}

async function commitToZooKeeper(topic: string): Promise<number> {
  const zk = await ZkClient.connect({ connectString: ZK });
  const group = `group-bench-commit-zk-${Date.now()}`;
  try {
    let n = 0;
    const end = performance.now() + COMMIT_SECONDS * 1000;
    while (performance.now() < end) {
      await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => commitOffset(zk, group, topic, p, n)));
      n++;
    }
    await zk.deleteRecursive(consumerGroupPath(group)).catch(() => undefined);
    return n / COMMIT_SECONDS;
  } finally {
    await zk.close();
  }
}

// ---- main -------------------------------------------------------------------------------------

const zk = await ZkClient.connect({ connectString: ZK });
const topic = `group-bench-${Date.now()}`;
await createTopic(zk, topic, { partitions: PARTITIONS, replicationFactor: 1 });
const probe = new Cluster({ brokers: BROKER });
for (let i = 0; i < 300; i++) {
  const meta = await probe.refresh([topic]);
  if (meta.topics.find((t) => t.topic === topic)?.partitions.filter((p) => p.leader >= 0).length === PARTITIONS) break;
  await new Promise((r) => setTimeout(r, 100));
}
probe.close();
try {
  if (!ONLY || ONLY === 'rebalance') {
    const kafka = new Kafka({ clientId: 'group-bench', brokers: [BROKER], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 1000 } });
    // the first FindCoordinator creates __consumer_offsets: not part of any run
    const warmCluster = new Cluster({ brokers: BROKER });
    await new CoordinatorClient(warmCluster).findCoordinator(`group-bench-warm-${Date.now()}`, { timeoutMs: 60_000 });
    warmCluster.close();
    for (const [name, start] of [['kafkajs', kafkajsMember(kafka)], ['ours', ourMember]] as const) {
      const runs: { join: number; leave: number; add: number }[] = [];
      for (let r = 1; r <= RUNS; r++) {
        const x = await rebalanceRun(start, topic, r);
        runs.push(x);
        console.log(`${name} run ${r}: join ${Math.round(x.join)} ms, leave ${Math.round(x.leave)} ms, add ${Math.round(x.add)} ms`);
      }
      console.log(
        `broker-coordinated rebalance (${CONSUMERS} ${name} consumers, ${PARTITIONS} partitions; join includes group.initial.rebalance.delay.ms): ` +
          `join ${median(runs.map((x) => x.join))} ms, leave ${median(runs.map((x) => x.leave))} ms, add ${median(runs.map((x) => x.add))} ms (median of ${RUNS})`,
      );
    }
  }
  if (!ONLY || ONLY === 'commit') {
    const topicRate = await commitToTopic(topic);
    const zkRate = await commitToZooKeeper(topic);
    console.log(`offset commits, ${PARTITIONS} partitions each, one in flight: __consumer_offsets ${topicRate.toFixed(1)} commits/s (${Math.round(topicRate * PARTITIONS)} offsets/s), ZooKeeper ${zkRate.toFixed(1)} commits/s (${Math.round(zkRate * PARTITIONS)} offsets/s), ratio topic/ZooKeeper ${(topicRate / zkRate).toFixed(2)}`);
  }
} finally {
  await deleteTopic(zk, topic).catch(() => undefined);
  await zk.close();
}
// kafkajs keeps timers of disconnected consumers alive for a while: do not wait for them
process.exit(0);
