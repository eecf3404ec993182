/**
 * Vitest global setup: one real ZooKeeper for the whole run, torn down at the end (also on
 * failure, SIGINT and SIGTERM). Tests read its connect string with inject('zkConnect')
 * (test/helpers/zk.ts) and work under a chroot of their own.
 *
 *   default                         a 3-node ensemble via scripts/zk-ensemble.sh on free
 *                                   loopback ports, in a temporary directory
 *   KAFKA_TEST_ZK=testcontainers    a `zookeeper:3.8` container through testcontainers, when a
 *                                   Docker engine is reachable (else the default, with a note)
 *   KAFKA_TEST_ZK_CONNECT=h:p,...   an existing ZooKeeper; nothing is started or stopped
 */
import type { TestProject } from 'vitest/node';
import { Ensemble } from '../helpers/zk-ensemble.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connect string of the shared ZooKeeper (no chroot). */
    zkConnect: string;
    /** 'ensemble' | 'testcontainers' | 'external' */
    zkKind: string;
    /** Directory of the shared ensemble ('' unless zkKind is 'ensemble'). */
    zkEnsembleDir: string;
  }
}

type Teardown = () => Promise<void>;

async function dockerReachable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startContainer(): Promise<{ connect: string; teardown: Teardown }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(process.env.KAFKA_TEST_ZK_IMAGE ?? 'zookeeper:3.8')
    .withExposedPorts(2181)
    .withEnvironment({
      ZOO_4LW_COMMANDS_WHITELIST: 'srvr,ruok,mntr,stat',
      ZOO_CFG_EXTRA: 'minSessionTimeout=1000 maxSessionTimeout=60000',
      ZOO_ADMINSERVER_ENABLED: 'false',
    })
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(120_000)
    .start();
  const connect = `${container.getHost()}:${container.getMappedPort(2181)}`;
  return { connect, teardown: async () => void (await container.stop()) };
}

export default async function setup(project: TestProject): Promise<Teardown> {
  const external = process.env.KAFKA_TEST_ZK_CONNECT;
  if (external) {
    project.provide('zkConnect', external);
    project.provide('zkKind', 'external');
    project.provide('zkEnsembleDir', '');
    return async () => {};
  }

  if (process.env.KAFKA_TEST_ZK === 'testcontainers') {
    if (await dockerReachable()) {
      const { connect, teardown } = await startContainer();
      project.provide('zkConnect', connect);
      project.provide('zkKind', 'testcontainers');
      project.provide('zkEnsembleDir', '');
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
