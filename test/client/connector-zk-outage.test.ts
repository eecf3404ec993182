/**
 * A 30 s ZooKeeper outage, on an ensemble of this test's own (scripts/zk-ensemble.sh on free
 * ports below the ephemeral range, so nothing takes them while the nodes are down): brokers,
 * consumers and the console consumer all use it. While every ZooKeeper node is down,
 * rebalancing pauses but fetching goes on; a consumer killed during the outage is
 * replaced by the group on its own once ZooKeeper is back (its session expires, the survivor
 * rebalances). Also: the seeds' command, `--bootstrap-server ... --consumer-property
 * group.id=...` with no ZooKeeper flag, finds this ensemble through cluster.env.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../helpers/broker-cluster.js';
import { ZkClient } from '../../src/zk/client.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { RestartableEnsemble, checkDelivery, owners, produce, startBrokerOn, startConsumer, type ConsumerProcess, type Produced } from '../helpers/consumer-process.js';
import { syncedReads } from '../helpers/zk.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');
const OUTAGE_MS = Number(process.env.ZK_OUTAGE_MS ?? 30_000);

describe('consumer connector: a ZooKeeper outage', () => {
  let ensemble: RestartableEnsemble;
  let zk: ZkClient;
  let broker: Awaited<ReturnType<typeof startBrokerOn>>;
  const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-outage-'));
  const consumers: ConsumerProcess[] = [];
  beforeAll(async () => {
    ensemble = await RestartableEnsemble.start(3);
    zk = syncedReads(await ZkClient.connect({ connectString: ensemble.connectString, sessionTimeoutMs: 10_000 }));
    broker = await startBrokerOn(ensemble.connectString, 1, dir, zk);
  });
  afterAll(async () => {
    const stopOrKill = async (c: ConsumerProcess) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await c.stop();
      clearTimeout(t);
    };
    await Promise.all(consumers.map(stopOrKill));
    if (broker && broker.proc.exitCode === null) {
      const exited = new Promise((r) => broker.proc.once('exit', r));
      broker.proc.kill('SIGTERM');
      const t = setTimeout(() => broker.proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    await zk?.close();
    await ensemble?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the seeds' command finds ZooKeeper through cluster.env", async () => {
    await createTopic(zk, 'blabla', { partitions: 2, replicationFactor: 1 });
    await produce(`127.0.0.1:${broker.port}`, 'blabla', 2, 3, 'seed');
    writeFileSync(path.join(dir, 'cluster.env'), `SAVED_ZK_NODES=3\nSAVED_ZK_PORT=${ensemble.basePort}\nSAVED_BROKERS=1\nSAVED_PORT=${broker.port}\n`);
    const r = spawnSync(
      path.join(BIN, 'kafka-console-consumer.sh'),
      ['--bootstrap-server', `localhost:${broker.port}`, '--topic', 'blabla', '--consumer-property', 'group.id=mygroup', '--from-beginning', '--max-messages', '6'],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, KAFKA_CLUSTER_DIR: dir } },
    );
    expect(r.stderr).toContain('Processed a total of 6 messages');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['seed-0-0', 'seed-0-1', 'seed-0-2', 'seed-1-0', 'seed-1-1', 'seed-1-2']);
    expect((await zk.get('/consumers/mygroup/offsets/blabla/0'))?.data.toString()).toBe('3');
  });

  it(`fetching goes on through a ${OUTAGE_MS / 1000} s outage; the group recovers by itself`, { timeout: OUTAGE_MS + 120_000 }, async () => {
    const topic = 'outage';
    const group = 'g-outage';
    await createTopic(zk, topic, { partitions: 4, replicationFactor: 1 });
    const bootstrap = `127.0.0.1:${broker.port}`;
    // Enough work that both consumers are still busy when ZooKeeper goes: 10 ms per record.
    const produced: Produced[] = await produce(bootstrap, topic, 4, 600, 'pre');
    const start = () => {
      const c = startConsumer({ zk: ensemble.connectString, group, topics: [topic], args: ['--process-ms', '10'], props: { 'auto.commit.interval.ms': '1000' } });
      consumers.push(c);
      return c;
    };
    const [a, b] = [start(), start()];
    await Promise.all([a.started, b.started]);
    await until('both to own 2 partitions', async () => new Set(await owners(zk, group, topic, 4)).size === 2 && (await owners(zk, group, topic, 4)).every(Boolean), 30_000);
    await until('both to be consuming', () => a.records().length > 20 && b.records().length > 20, 30_000);

    // Every ZooKeeper node down.
    for (let k = 1; k <= 3; k++) await ensemble.stopNode(k);
    const downAt = Date.now();
    const before = [a.records().length, b.records().length];
    await new Promise((r) => setTimeout(r, 3000));
    // Fetching goes on while ZooKeeper is away.
    const during = [a.records().length, b.records().length];
    expect(during[0]).toBeGreaterThan(before[0]! + 50);
    expect(during[1]).toBeGreaterThan(before[1]! + 50);
    // One member dies during the outage; its owner znodes stay until its session can expire.
    b.kill('SIGKILL');
    await b.exited;
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
    const late = a.records().length;
    expect(late).toBeGreaterThan(during[0]!);
    console.log(`during the ${Date.now() - downAt} ms outage: consumer a read ${late - before[0]!} records`);

    // A node serves only once a quorum is up: start all three together.
    await ensemble.startNodes([1, 2, 3]);
    const upAt = Date.now();
    // The group recovers alone: b's session expires, a owns all four partitions.
    await until('the survivor to own every partition', async () => (await owners(zk, group, topic, 4)).every((o) => o === `${a.id}-0`), 60_000, 200);
    console.log(`the survivor owned everything ${Date.now() - upAt} ms after ZooKeeper came back`);
    produced.push(...(await produce(bootstrap, topic, 4, 20, 'post')));
    await until('every record consumed', () => {
      try {
        return checkDelivery(produced, [a, b]);
      } catch {
        return false;
      }
    }, 90_000, 500);
    expect(a.events.some((e) => e.ev === 'failed')).toBe(false);
  });
});
