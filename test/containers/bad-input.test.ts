/**
 * Bad input and faults at start-up, with the images of docker/:
 *  - a broker container with a bad configuration exits non-zero, its log naming the error;
 *  - a ZooKeeper container that never becomes healthy fails ContainerCluster.start() with a
 *    message naming that container, and leaves no container or network of its own behind.
 * Without a Docker engine every test here is skipped and says so (never passed).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BROKER_IMAGE, RUN_LABEL, containerEngine, containerLogs, containersOfRun, ensureImages, isolatedNetwork, newRunId, removeContainers, runtime, type IsolatedNetwork } from './engine.js';
import { ContainerCluster } from './cluster.js';

const engine = await containerEngine();
if (!engine.available) console.warn(`[containers] SKIPPED: no container engine answers (${engine.reason}); scripts/setup.sh starts one when run as root`);

describe.skipIf(!engine.available)('container start-up faults', () => {
  const runId = newRunId('bad-input');
  let network: IsolatedNetwork;
  const started: string[] = [];

  beforeAll(async () => {
    await ensureImages(inject('suiteRunId'));
    network = await isolatedNetwork(runId, 'bad-input');
  }, 600_000);

  afterAll(async () => {
    await removeContainers(started);
    await network?.remove();
  });

  it.concurrent.for([
    ['a broker.id that is not a number', { KAFKA_BROKER_ID: 'one' }, /bad config.*broker\.id/],
    ['only an SSL listener (no inter-broker listener)', { KAFKA_LISTENERS: 'SSL://0.0.0.0:9093' }, /bad config: security\.inter\.broker\.protocol is PLAINTEXT \(the default\) but no listener uses PLAINTEXT/],
    ['a malformed zookeeper.connect', { KAFKA_ZOOKEEPER_CONNECT: 'zk1;zk2' }, /bad config: config "zookeeper\.connect" must be host:port/],
  ] as [string, Record<string, string>, RegExp][])('a broker with %s exits non-zero with the error in its log', async ([, env, expected], { expect }) => {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer(BROKER_IMAGE)
      .withNetworkMode(network.name)
      .withLabels({ [RUN_LABEL]: runId })
      .withEnvironment({ KAFKA_ZOOKEEPER_CONNECT: 'nowhere:2181', ...env })
      .withWaitStrategy(Wait.forListeningPorts())
      .start();
    const id = container.getId();
    started.push(id);
    const handle = (await runtime()).container.dockerode.getContainer(id);
    const { StatusCode } = (await Promise.race([
      handle.wait(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the broker container did not exit within 30 s')), 30_000)),
    ])) as { StatusCode: number };
    const log = await containerLogs(id);
    expect(StatusCode, log).toBe(1);
    expect(log).toMatch(expected);
  });

  it('a ZooKeeper node that never becomes healthy fails the start with its name, and nothing is left running', async () => {
    const failRun = newRunId('unhealthy-zk');
    const t0 = Date.now();
    // node 3 serves its clients on another port than the one its health check (and every
    // client) expects: it is a member of the quorum, but never healthy
    const err = await ContainerCluster.start({
      name: 'unhealthy',
      runId: failRun,
      startupTimeoutMs: 10_000,
      zkEnv: (n, d) => (n !== 3 ? d : { ...d, ZOO_SERVERS: d.ZOO_SERVERS!.replaceAll(';2181', ''), ZOO_CFG_EXTRA: `${d.ZOO_CFG_EXTRA} clientPort=2999` }),
    }).then(
      async (c) => {
        await c.stop();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(err, 'start() should have failed').toBeInstanceOf(Error);
    expect(err!.message).toMatch(/^ZooKeeper container zk3 \(zkafka-unhealthy-[0-9a-f]+-zk3, [0-9a-f]{12}\) did not become healthy within 10 s \(health: (starting|unhealthy), last check: "not serving: nothing answers on 127\.0\.0\.1:2181"\); its log ends:\n/m);
    expect(Date.now() - t0).toBeLessThan(60_000);
    // the other two formed a quorum and were healthy: they are gone too, and so is the network
    expect(await containersOfRun(failRun)).toEqual([]);
    const docker = (await runtime()).container.dockerode;
    expect(await docker.listNetworks({ filters: { label: [`${RUN_LABEL}=${failRun}`] } })).toEqual([]);
  });
});
