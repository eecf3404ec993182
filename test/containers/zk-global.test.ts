/**
 * The `KAFKA_TEST_ZK=testcontainers` path of the global setup (test/setup/zk-global.ts), run
 * for real: it starts a 3-node ensemble of the project's ZooKeeper image in containers,
 * provides their addresses, they serve ZooKeeper (a session, a znode seen from every node), and
 * the teardown removes the containers and their network. The rest of the suite keeps the
 * script-started ensemble.
 * Without a Docker engine the test is skipped and says so (never passed).
 */
import { describe, expect, inject, it } from 'vitest';
import { containerEngine, ensureImages, runtime } from './engine.js';
import { waitFor } from '../helpers/wait.js';
import setup from '../setup/zk-global.js';
import { ZkClient } from '../../src/zk/client.js';

const engine = await containerEngine();
if (!engine.available) console.warn(`[containers] SKIPPED: no container engine answers (${engine.reason}); scripts/setup.sh starts one when run as root`);

describe.skipIf(!engine.available)('KAFKA_TEST_ZK=testcontainers', () => {
  it('serves a 3-node ensemble of the local image and removes its containers and network at teardown', async () => {
    await ensureImages(inject('suiteRunId'), { only: 'zookeeper' });
    const provided = new Map<string, unknown>();
    const saved = { zk: process.env.KAFKA_TEST_ZK, connect: process.env.KAFKA_TEST_ZK_CONNECT, image: process.env.KAFKA_TEST_ZK_IMAGE };
    process.env.KAFKA_TEST_ZK = 'testcontainers';
    delete process.env.KAFKA_TEST_ZK_CONNECT;
    delete process.env.KAFKA_TEST_ZK_IMAGE;
    let teardown: (() => Promise<void>) | undefined;
    try {
      teardown = await setup({ provide: ((key: string, value: unknown) => void provided.set(key, value)) as never }, { runId: inject('suiteRunId') });
    } finally {
      for (const [k, v] of [['KAFKA_TEST_ZK', saved.zk], ['KAFKA_TEST_ZK_CONNECT', saved.connect], ['KAFKA_TEST_ZK_IMAGE', saved.image]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const ids = (provided.get('zkContainerIds') as string).split(',');
    const connect = provided.get('zkConnect') as string;
    const networks = new Set<string>();
    try {
      expect(provided.get('zkKind')).toBe('testcontainers');
      expect(ids).toHaveLength(3);
      expect(connect.split(',')).toHaveLength(3);
      const docker = (await runtime()).container.dockerode;
      for (const id of ids) {
        const info = await docker.getContainer(id).inspect();
        expect(info.Config.Image).toBe('zkafka/zookeeper:latest');
        expect(info.State.Health?.Status).toBe('healthy');
        // on an internal network only: no route out of it
        const nets = Object.keys(info.NetworkSettings.Networks);
        expect(nets).toHaveLength(1);
        networks.add(nets[0]!);
        expect((await docker.getNetwork(nets[0]!).inspect()).Internal).toBe(true);
      }

      const zk = await ZkClient.connect({ connectString: connect, sessionTimeoutMs: 6000 });
      try {
        await zk.create('/zk-global-check', 'hello');
        expect(zk.sessionTimeoutMs).toBe(6000); // minSessionTimeout/maxSessionTimeout from the image's settings
      } finally {
        await zk.close();
      }
      // every node of the ensemble serves the write
      for (const server of connect.split(',')) {
        const one = await ZkClient.connect({ connectString: server, sessionTimeoutMs: 6000 });
        try {
          // a follower may apply the write a moment after the leader acknowledged it
          const seen = await waitFor(async () => (await one.get('/zk-global-check'))?.data.toString(), { what: `${server} to serve the znode` });
          expect(seen).toBe('hello');
        } finally {
          await one.close();
        }
      }
    } finally {
      await teardown?.();
    }
    const docker = (await runtime()).container.dockerode;
    expect(await docker.listContainers({ all: true, filters: { id: ids } })).toEqual([]);
    expect(networks.size).toBe(1);
    expect(await docker.listNetworks({ filters: { name: [...networks] } })).toEqual([]);
  });
});
