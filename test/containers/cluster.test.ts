/**
 * The containerised cluster (docker/: zkafka/zookeeper and zkafka/broker images), 3 ZooKeeper
 * nodes and 3 brokers started through testcontainers on an isolated network (cluster.ts):
 *  - kcat and our clients round-trip records through it, each reading what the other wrote;
 *  - faults made with the engine, each while a producer writes with acks=all to a topic with
 *    replication factor 3 and min.insync.replicas=2, then every acknowledged record must be
 *    read back at its offset (test/helpers/checker.ts):
 *      SIGKILL of the partition leader's container, then `docker start`;
 *      `docker restart` of the ZooKeeper leader's container;
 *      `docker network disconnect` of the partition leader's container past its ZooKeeper
 *      session, then `docker network connect` at its old address;
 *  - `docker stop` reaches the broker as SIGTERM: a controlled shutdown and exit code 0.
 * Without a Docker engine every test here is skipped and says so (never passed).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { containerEngine, ensureImages, newRunId, containersOfRun, runtime } from './engine.js';
import { ContainerCluster, type Node } from './cluster.js';
import { until } from '../helpers/broker-cluster.js';
import { check, readAll, startProducer, type ProducerRun } from '../helpers/checker.js';
import { ZkClient } from '../../src/zk/client.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { brokerIdsPath, partitionStatePath } from '../../src/zk/paths.js';
import { decodePartitionState, type PartitionState } from '../../src/zk/payloads.js';
import { Producer } from '../../src/client/producer/index.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';

const engine = await containerEngine();
if (!engine.available) console.warn(`[containers] SKIPPED: no container engine answers (${engine.reason}); scripts/setup.sh starts one when run as root`);

function kcat(args: string[], input?: string): string {
  return execFileSync('kcat', args, { input, encoding: 'utf8', timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
}

describe.skipIf(!engine.available)('a 3+3 cluster in containers', () => {
  const runId = newRunId('cluster');
  let c: ContainerCluster;
  let zk: ZkClient;

  beforeAll(async () => {
    const waited = await ensureImages(inject('suiteRunId'));
    c = await ContainerCluster.start({ name: 'cluster', runId, brokerEnv: { KAFKA_MIN_INSYNC_REPLICAS: '2', KAFKA_DEFAULT_REPLICATION_FACTOR: '3' } });
    console.log(`[containers] images ready in ${waited} ms; ensemble healthy ${c.zkStartupMs} ms and the 3 brokers ${c.startupMs} ms after the first start`);
    zk = await ZkClient.connect({ connectString: c.zkConnect, sessionTimeoutMs: 10_000 });
  }, 600_000);

  afterAll(async () => {
    await zk?.close();
    await c?.stop();
    expect(await containersOfRun(runId)).toEqual([]);
  });

  async function state(topic: string, p: number): Promise<PartitionState | undefined> {
    const node = await zk.get(partitionStatePath(topic, p));
    return node ? decodePartitionState(node.data) : undefined;
  }

  async function replicated(topic: string, partitions: number): Promise<void> {
    const assignment = new Map(Array.from({ length: partitions }, (_, p) => [p, [1, 2, 3].map((i) => ((p + i - 1) % 3) + 1)]));
    await createTopic(zk, topic, { partitions, replicationFactor: 3, config: { 'min.insync.replicas': '2' }, assignment });
    await fullIsr(topic, partitions);
    const probe = new Cluster({ brokers: c.bootstrap });
    try {
      await until(`metadata of ${topic}`, async () => (await probe.topicMetadata(topic, 2000)).partitions.every((p) => p.leader > 0));
    } finally {
      probe.close();
    }
  }

  async function fullIsr(topic: string, partitions: number, timeoutMs = 40_000): Promise<void> {
    for (let p = 0; p < partitions; p++) {
      await until(`${topic}-${p} to have its 3 replicas in sync`, async () => (await state(topic, p))?.isr.length === 3, timeoutMs, 200);
    }
  }

  async function verify(run: ProducerRun, topic: string, partitions: number, minAcked: number): Promise<void> {
    await run.stop();
    const consumed = await readAll(c.bootstrap, topic, partitions, 60_000, run.acked);
    const result = check(run.acked, consumed);
    console.log(`[containers] ${topic}: ${result.acked} acknowledged, ${run.attempts} attempts, lost ${result.lost.length}, misplaced ${result.misplaced.length}, duplicates ${result.duplicates}`);
    expect(result.acked).toBeGreaterThanOrEqual(minAcked);
    expect(result.lost).toEqual([]);
    expect(result.misplaced).toEqual([]);
    expect(result.reordered).toBe(0);
  }

  /**
   * The checker's producer with short timeouts: a killed or cut-off container sends no RST, so
   * a request to it is answered by nothing but the client's own timeout.
   */
  const quick = { timeoutMs: 2500, requestTimeoutMs: 4000 };

  /** Waits until the producer has had `n` more acknowledgements than now. */
  async function progress(run: ProducerRun, n: number, what: string, timeoutMs = 60_000): Promise<void> {
    const target = run.acked.length + n;
    await until(`${n} more acknowledged records ${what}`, () => run.acked.length >= target, timeoutMs, 100);
    phases.mark(`+${n} acked ${what}`);
  }

  /** How long each step of a test took, printed at its end. */
  const phases = {
    t: 0,
    steps: [] as string[],
    start() {
      this.t = Date.now();
      this.steps = [];
    },
    mark(step: string) {
      const now = Date.now();
      this.steps.push(`${step} ${now - this.t} ms`);
      this.t = now;
    },
    print(name: string) {
      console.log(`[containers] ${name}: ${this.steps.join(', ')}`);
    },
  };

  it('brokers advertise their container addresses and register in the containerised ensemble', async () => {
    const ids = ((await zk.children(brokerIdsPath)) ?? []).map(Number).sort();
    expect(ids).toEqual([1, 2, 3]);
    const meta = JSON.parse(kcat(['-b', c.bootstrap, '-L', '-J']));
    const brokers = meta.brokers.map((b: { id: number; name: string }) => `${b.id}@${b.name}`).sort();
    expect(brokers).toEqual(c.brokers.map((b) => `${b.n}@${b.ip}:9092`));
    const leader = await c.zkLeader();
    expect(leader).toBeDefined();
  });

  it('round-trips records: our producer to kcat, kcat to our consumer (acks=all, RF=3)', async () => {
    const topic = 'round-trip';
    await replicated(topic, 3);
    const producer = new Producer({ brokers: c.bootstrap, acks: 'all', compression: 'snappy', lingerMs: 2 });
    const ours = Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: `ours ${i} ünïcödé` }));
    try {
      await Promise.all(ours.map((r) => producer.send({ topic, key: r.key, value: r.value })));
    } finally {
      await producer.close();
    }
    const kcatLines = Array.from({ length: 200 }, (_, i) => `kk${i}:kcat ${i}`);
    kcat(['-b', c.bootstrap, '-P', '-t', topic, '-K:', '-z', 'lz4', '-X', 'topic.request.required.acks=-1'], kcatLines.join('\n') + '\n');

    // kcat reads everything: ours and its own
    const byKcat = kcat(['-b', c.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k:%s\n']).trim().split('\n');
    expect(byKcat.sort()).toEqual([...ours.map((r) => `${r.key}:${r.value}`), ...kcatLines].sort());

    // our consumer reads everything too
    const cluster = new Cluster({ brokers: c.bootstrap });
    const consumer = new SimpleConsumer(cluster, { maxWaitMs: 100 });
    const got: string[] = [];
    try {
      const ends: number[] = [];
      for (let p = 0; p < 3; p++) {
        await consumer.seek(topic, p, 'earliest');
        ends.push(await consumer.offsetFor(topic, p, -1));
      }
      const deadline = Date.now() + 30_000;
      while (got.length < 500 && Date.now() < deadline) {
        for (const r of await consumer.poll()) got.push(`${r.key?.toString()}:${r.value?.toString()}`);
      }
      expect(ends.reduce((a, b) => a + b, 0)).toBe(500);
    } finally {
      cluster.close();
    }
    expect(got.sort()).toEqual(byKcat.sort());
  });

  it('SIGKILL of the partition leader container, then docker start: no acknowledged record lost', async () => {
    const topic = 'sigkill';
    phases.start();
    await replicated(topic, 1);
    phases.mark('topic');
    const leader = c.broker((await state(topic, 0))!.leader);
    const run = startProducer(c.bootstrap, topic, 1, { acks: -1, prefix: 'k', ...quick });
    await progress(run, 30, 'before the kill');
    await c.kill(leader);
    phases.mark(`SIGKILL of broker ${leader.n}`);
    await until('a new leader', async () => ![-1, leader.n].includes((await state(topic, 0))?.leader ?? -1), 30_000, 100);
    phases.mark('new leader');
    await progress(run, 30, 'from the new leader');
    await c.start(leader);
    phases.mark('docker start, healthy');
    await fullIsr(topic, 1);
    phases.mark('full ISR');
    await progress(run, 20, 'after the restart');
    await verify(run, topic, 1, 80);
    phases.mark('verified');
    phases.print(topic);
  });

  it('docker restart of the ZooKeeper leader: brokers keep their registrations, no acknowledged record lost', async () => {
    const topic = 'zk-restart';
    phases.start();
    await replicated(topic, 2);
    phases.mark('topic');
    const zkLeader = (await c.zkLeader())!;
    expect(zkLeader).toBeDefined();
    const run = startProducer(c.bootstrap, topic, 2, { acks: -1, prefix: 'z', ...quick });
    await progress(run, 30, 'before the restart');
    await c.restart(zkLeader);
    phases.mark(`docker restart of ZooKeeper node ${zkLeader.n}, healthy`);
    const newLeader = await until('a ZooKeeper leader', () => c.zkLeader(), 30_000, 200);
    phases.mark(`leader: node ${newLeader.n}`);
    await progress(run, 30, 'after the restart');
    await until('all 3 brokers registered', async () => ((await zk.children(brokerIdsPath)) ?? []).length === 3, 30_000);
    await fullIsr(topic, 2);
    phases.mark('brokers registered, full ISR');
    await verify(run, topic, 2, 60);
    phases.mark('verified');
    phases.print(topic);
  });

  it('network partition of the partition leader (docker network disconnect past its session, then connect): no acknowledged record lost', async () => {
    const topic = 'partition';
    phases.start();
    await replicated(topic, 1);
    phases.mark('topic');
    const leader: Node = c.broker((await state(topic, 0))!.leader);
    // our Cluster keeps a timed-out connection (see startProducer): drop them after a failure
    const run = startProducer(c.bootstrap, topic, 1, { acks: -1, prefix: 'n', ...quick, dropConnectionsOnError: true });
    await progress(run, 30, 'before the partition');
    await c.disconnect(leader);
    phases.mark(`disconnect of broker ${leader.n}`);
    // its ZooKeeper session (4 s) expires: the controller moves leadership to an in-sync replica
    await until('a new leader elected away from the cut-off broker', async () => ![-1, leader.n].includes((await state(topic, 0))?.leader ?? -1), 40_000, 200);
    phases.mark('new leader');
    await progress(run, 30, 'from the new leader');
    await c.reconnect(leader);
    phases.mark('reconnect');
    await until('the cut-off broker to register again', async () => ((await zk.children(brokerIdsPath)) ?? []).includes(String(leader.n)), 40_000, 200);
    phases.mark('registered again');
    await fullIsr(topic, 1, 60_000);
    phases.mark('full ISR');
    await progress(run, 20, 'after the reconnect');
    await verify(run, topic, 1, 80);
    phases.mark('verified');
    // the healed broker serves again: its health check sees it in the metadata
    await c.waitHealthy(leader, 30_000);
    phases.print(topic);
  });

  it('docker stop reaches the broker as SIGTERM: a controlled shutdown, exit code 0', async () => {
    const b = c.broker(3);
    const docker = (await runtime()).container.dockerode.getContainer(b.id);
    await docker.stop({ t: 30 });
    const info = await docker.inspect();
    const log = await c.logs(b, 20);
    expect(info.State.ExitCode, log).toBe(0);
    expect(log).toMatch(/SIGTERM received, shutting down/);
    expect(log).toMatch(/controlled shutdown succeeded/);
    expect(log).toMatch(/shut down cleanly/);
    await until('broker 3 to leave /brokers/ids', async () => !((await zk.children(brokerIdsPath)) ?? []).includes('3'), 10_000);
  });

  it('kcat is present (scripts/setup.sh installs it)', () => {
    expect(spawnSync('kcat', ['-V']).status).toBe(0);
  });
});
