/**
 * Vitest global setup: one real ZooKeeper for the whole run, torn down at the end (also on
 * failure, SIGINT and SIGTERM). Tests read its connect string with inject('zkConnect')
 * (test/helpers/zk.ts) and work under a chroot of their own.
 *
 *   default                         a 3-node ensemble via scripts/zk-ensemble.sh on free
 *                                   loopback ports, in a temporary directory
 *   KAFKA_TEST_ZK=testcontainers    a 3-node ensemble of the project's ZooKeeper image
 *                                   (zkafka/zookeeper, built by scripts/docker-images.sh with the
 *                                   layer cache) in containers on an isolated network, through
 *                                   testcontainers, when a Docker engine answers (else the
 *                                   default, with a note), reached at 127.0.0.1 ports that the
 *                                   setup's process forwards to the containers;
 *                                   KAFKA_TEST_ZK_IMAGE names another image (e.g. the official
 *                                   zookeeper:3.8), run as one node at its container address
 *   KAFKA_TEST_ZK_CONNECT=h:p,...   an existing ZooKeeper; nothing is started or stopped
 *
 * It also provides `suiteRunId`, which test/containers/ uses to build images once per run.
 */
import type { TestProject } from 'vitest/node';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { Ensemble } from '../helpers/zk-ensemble.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connect string of the shared ZooKeeper (no chroot). */
    zkConnect: string;
    /** 'ensemble' | 'testcontainers' | 'external' */
    zkKind: string;
    /** Directory of the shared ensemble ('' unless zkKind is 'ensemble'). */
    zkEnsembleDir: string;
    /** Ids of the ZooKeeper containers, comma-separated ('' unless zkKind is 'testcontainers'). */
    zkContainerIds: string;
    /** A fresh id per run of the suite (test/containers/ builds images once per run). */
    suiteRunId: string;
  }
}

type Teardown = () => Promise<void>;

async function dockerReachable(): Promise<boolean> {
  const { containerEngine } = await import('../containers/engine.js');
  return (await containerEngine()).available;
}

/**
 * The ZooKeeper image in containers on an internal network of their own (no route out of it);
 * this machine reaches them at their addresses. The project's image runs as a 3-node ensemble,
 * as the default path does (test/containers/cluster.ts: health-checked, removed by id with the
 * network at teardown); an image named by KAFKA_TEST_ZK_IMAGE runs as one standalone node.
 */
async function startContainers(runId: string): Promise<{ connect: string; ids: string[]; teardown: Teardown }> {
  const engine = await import('../containers/engine.js');
  if (!process.env.KAFKA_TEST_ZK_IMAGE) {
    await engine.ensureImages(runId, { only: 'zookeeper' });
    const { ContainerCluster } = await import('../containers/cluster.js');
    const cluster = await ContainerCluster.start({ name: 'zk-global', runId: engine.newRunId('zk-global'), brokers: 0 });
    try {
      // loopback addresses, as the default path gives: some tests (and tools reading
      // cluster.env) assume the shared ZooKeeper is on 127.0.0.1
      const fwd = await loopbackForwarder(cluster.zks.map((z) => ({ host: z.ip, port: 2181 })));
      const teardown = async () => {
        await fwd.close();
        await cluster.stop();
      };
      return { connect: fwd.connect, ids: cluster.zks.map((z) => z.id), teardown };
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }
  const image = process.env.KAFKA_TEST_ZK_IMAGE;
  const { GenericContainer, Wait } = await import('testcontainers');
  const label = engine.newRunId('zk-global');
  const network = await engine.isolatedNetwork(label, 'zk-global');
  let id = '';
  try {
    const container = await new GenericContainer(image)
      .withNetworkMode(network.name)
      .withLabels({ [engine.RUN_LABEL]: label })
      .withEnvironment({
        ZOO_4LW_COMMANDS_WHITELIST: 'srvr,ruok,mntr,stat',
        ZOO_CFG_EXTRA: 'minSessionTimeout=1000 maxSessionTimeout=60000',
        ZOO_ADMINSERVER_ENABLED: 'false',
      })
      .withWaitStrategy(Wait.forListeningPorts()) // no published port: readiness is srvr below
      .start();
    id = container.getId();
    const handle = (await engine.runtime()).container.dockerode.getContainer(id);
    const ip = (await handle.inspect()).NetworkSettings.Networks[network.name]!.IPAddress;
    const { fourLetterWord } = await import('../containers/cluster.js');
    const deadline = Date.now() + 60_000;
    while (!/^Mode: /m.test(await fourLetterWord(ip, 2181, 'srvr'))) {
      const state = (await handle.inspect()).State;
      const why = !state.Running ? `exited with code ${state.ExitCode}` : Date.now() > deadline ? 'does not serve after 60 s' : '';
      if (why) throw new Error(`the ZooKeeper container ${image} (${id.slice(0, 12)}) at ${ip}:2181 ${why}; its log ends:\n${await engine.containerLogs(id, 30)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // if the teardown never runs (the process is ending): remove it synchronously
    const onExit = () => {
      try {
        execFileSync('docker', ['rm', '-f', '-v', id], { stdio: 'ignore', timeout: 30_000 });
        execFileSync('docker', ['network', 'rm', network.id], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        // best effort at exit
      }
    };
    process.once('exit', onExit);
    const teardown = async () => {
      process.off('exit', onExit);
      await engine.removeContainers([id]);
      await network.remove();
    };
    return { connect: `${ip}:2181`, ids: [id], teardown };
  } catch (err) {
    if (id) await engine.removeContainers([id]).catch(() => undefined);
    await network.remove().catch(() => undefined);
    throw err;
  }
}

/**
 * One listener on 127.0.0.1 (a free port) per target, piping every connection to it; closing
 * destroys the listeners and every piped connection.
 */
async function loopbackForwarder(targets: { host: string; port: number }[]): Promise<{ connect: string; close: () => Promise<void> }> {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const ports: number[] = [];
  for (const t of targets) {
    const server = net.createServer((down) => {
      const up = net.connect(t.port, t.host);
      track(down);
      track(up);
      down.setNoDelay(true);
      up.setNoDelay(true);
      down.pipe(up).pipe(down);
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    servers.push(server);
    ports.push((server.address() as net.AddressInfo).port);
  }
  return {
    connect: ports.map((p) => `127.0.0.1:${p}`).join(','),
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
    },
  };
}

/** Only provide() is used: test/containers/zk-global.test.ts calls setup() with a stand-in. */
type Provider = Pick<TestProject, 'provide'>;

/** `opts.runId`: the suite run's id when a test calls this inside a run (vitest passes none). */
export default async function setup(project: Provider, opts: { runId?: string } = {}): Promise<Teardown> {
  const runId = opts.runId ?? randomUUID();
  project.provide('suiteRunId', runId);
  project.provide('zkContainerIds', '');
  const external = process.env.KAFKA_TEST_ZK_CONNECT;
  if (external) {
    project.provide('zkConnect', external);
    project.provide('zkKind', 'external');
    project.provide('zkEnsembleDir', '');
    return async () => {};
  }

  if (process.env.KAFKA_TEST_ZK === 'testcontainers') {
    if (await dockerReachable()) {
      const { connect, ids, teardown } = await startContainers(runId);
      project.provide('zkConnect', connect);
      project.provide('zkKind', 'testcontainers');
      project.provide('zkEnsembleDir', '');
      project.provide('zkContainerIds', ids.join(','));
      return teardown;
    }
    console.warn('[zk-global] KAFKA_TEST_ZK=testcontainers but no Docker engine is reachable; using a local ensemble');
  }

  // Ensemble stops itself on 'exit', SIGINT and SIGTERM if the teardown never runs.
  const ensemble = await Ensemble.start({ nodes: 3, name: 'global' });
  project.provide('zkConnect', ensemble.connectString);
  project.provide('zkKind', 'ensemble');
  project.provide('zkEnsembleDir', ensemble.dir);
  return () => ensemble.stop();
}
