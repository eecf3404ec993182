/**
 * The ZooKeeper leader killed during load: the brokers keep their sessions (the ensemble
 * elects a new leader in well under a session timeout), the cluster goes on serving, and the
 * checker finds nothing acknowledged lost. Runs on its own ensemble so the shared one is not
 * disturbed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ensemble } from '../helpers/zk-ensemble.js';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { check, readAll, startProducer, sleep } from '../helpers/checker.js';
import { createReplicated } from './helpers.js';

describe('the ZooKeeper leader killed during load', () => {
  let ensemble: Ensemble;
  let cluster: TestCluster;
  beforeAll(async () => {
    ensemble = await Ensemble.start({ nodes: 3, name: 'zk-leader-kill' });
    cluster = await new TestCluster('zk-leader', { 'zookeeper.session.timeout.ms': '6000', 'min.insync.replicas': '2', 'replica.fetch.wait.max.ms': '100' }, ensemble.connectString).start(3);
  });
  afterAll(async () => {
    await cluster?.stop();
    await ensemble?.stop();
  });

  it('goes on serving and loses nothing', async () => {
    await createReplicated(cluster, 'zkkill', 2, 3);
    const run = startProducer(cluster.bootstrap, 'zkkill', 2, { prefix: 'z' });
    await until('writes flowing', () => run.acked.length > 50, 30_000);
    const leader = await ensemble.leader();
    expect(leader).toBeDefined();
    await ensemble.killNode(leader!);
    const ackedAtKill = run.acked.length;
    await until('writes to continue after the ZooKeeper leader died', () => run.acked.length > ackedAtKill + 100, 30_000);
    await ensemble.startNode(leader!);
    await sleep(500);
    await run.stop();
    const result = check(run.acked, await readAll(cluster.bootstrap, 'zkkill', 2));
    expect(result.lost).toEqual([]);
    expect(result.misplaced).toEqual([]);
    for (const b of cluster.brokers.values()) expect(b.proc.exitCode).toBeNull();
  });
});
