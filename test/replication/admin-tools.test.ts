/**
 * The replication admin tools on real brokers: kafka-preferred-replica-election.sh moves
 * leadership back to the preferred replicas (and the controller does it by itself with
 * auto.leader.rebalance.enable); kafka-reassign-partitions.sh --generate/--execute/--verify
 * moves a partition to other brokers without losing acknowledged data, and the replica left
 * behind is deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { check, readAll, sleep, startProducer } from '../helpers/checker.js';
import { FAST, createReplicated, state, waitFullIsr } from './helpers.js';
import { preferredReplicaElectionPath, reassignPartitionsPath, topicPath } from '../../src/zk/paths.js';
import { encodePreferredReplicaElection, encodeReassignment } from '../../src/zk/payloads.js';
import { createTopic } from '../../src/admin/topic-admin.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');
const run = (tool: string, args: string[]) => spawnSync(path.join(BIN, tool), args, { encoding: 'utf8', timeout: 60_000 });

async function moveLeaderAway(cluster: TestCluster, topic: string, partition: number, extra: Record<string, string>): Promise<number> {
  const preferred = (await state(cluster, topic, partition))!.leader;
  await cluster.stopBroker(preferred, 'SIGTERM');
  await until('leadership to move', async () => ![preferred, -1].includes((await state(cluster, topic, partition))!.leader), 30_000);
  await cluster.startBroker(preferred, extra);
  await waitFullIsr(cluster, topic, 1, 3);
  return preferred;
}

describe('preferred replica election', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('preferred', FAST).start(3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('kafka-preferred-replica-election.sh moves leadership back', async () => {
    await createReplicated(cluster, 'pref', 1, 3);
    const preferred = await moveLeaderAway(cluster, 'pref', 0, FAST);
    expect((await state(cluster, 'pref', 0))!.leader).not.toBe(preferred);
    const r = run('kafka-preferred-replica-election.sh', ['--zookeeper', cluster.zkConnect]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    await until('the preferred replica to lead again', async () => (await state(cluster, 'pref', 0))!.leader === preferred, 30_000);
  });

  it('loses no acknowledged write when leadership moves between live brokers under acks=all', async () => {
    // each round reorders the replicas (a reassignment to the same brokers) and elects the new
    // preferred one: the old leader, alive, becomes a follower while writes wait on it for the
    // high watermark; it truncates to the new leader and copies its records, whose high
    // watermark passes the offsets those writes had. They must fail (and be retried), not be
    // acknowledged: their records are gone.
    await createReplicated(cluster, 'moves', 1, 3);
    const runs = [0, 1, 2, 3].map((k) => startProducer(cluster.bootstrap, 'moves', 1, { prefix: `p${k}` }));
    const orders = [[2, 3, 1], [3, 1, 2], [1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 2, 3]];
    try {
      for (const replicas of orders) {
        await until('writes flowing', async () => {
          const before = runs.reduce((n, r) => n + r.acked.length, 0);
          await sleep(200);
          return runs.reduce((n, r) => n + r.acked.length, 0) > before + 10;
        }, 30_000);
        await cluster.zk.create(reassignPartitionsPath, encodeReassignment([{ topic: 'moves', partition: 0, replicas }]));
        await until('the reassignment to finish', async () => !(await cluster.zk.exists(reassignPartitionsPath)), 30_000);
        await cluster.zk.create(preferredReplicaElectionPath, encodePreferredReplicaElection([{ topic: 'moves', partition: 0 }]));
        await until(`broker ${replicas[0]} to lead`, async () => (await state(cluster, 'moves', 0))!.leader === replicas[0], 30_000);
        await until('the election to finish', async () => !(await cluster.zk.exists(preferredReplicaElectionPath)), 30_000);
      }
      await sleep(300);
    } finally {
      await Promise.all(runs.map((r) => r.stop()));
    }
    const acked = runs.flatMap((r) => r.acked);
    const result = check(acked, await readAll(cluster.bootstrap, 'moves', 1));
    expect(result.acked).toBeGreaterThan(100);
    expect(result.lost).toEqual([]);
    // the writes waiting on a demoted leader were answered (NOT_LEADER_FOR_PARTITION, retried
    // at the new leader), none left hanging until the client gave up on it (10 s)
    expect(runs.map((r) => r.errors.get(-99) ?? 0)).toEqual([0, 0, 0, 0]);
  });
});

describe('automatic preferred leader rebalancing', () => {
  let cluster: TestCluster;
  const AUTO = { ...FAST, 'leader.imbalance.check.interval.seconds': '2' };
  beforeAll(async () => {
    cluster = await new TestCluster('auto-rebalance', AUTO).start(3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('moves leadership back without a tool', async () => {
    await createReplicated(cluster, 'auto', 1, 3);
    const preferred = await moveLeaderAway(cluster, 'auto', 0, AUTO);
    await until('the controller to restore the preferred leader', async () => (await state(cluster, 'auto', 0))!.leader === preferred, 30_000);
  });
});

describe('partition reassignment', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('reassign', FAST).start(3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('generates, executes and verifies a move without losing data', async () => {
    await createTopic(cluster.zk, 'move', { partitions: 1, replicationFactor: 2, assignment: new Map([[0, [1, 2]]]) });
    await until('move-0 to have a full ISR', async () => (await state(cluster, 'move', 0))?.isr.length === 2, 30_000);
    const producer = startProducer(cluster.bootstrap, 'move', 1, { prefix: 'm' });
    await until('writes flowing', () => producer.acked.length > 50, 30_000);

    const topicsFile = path.join(cluster.baseDir, 'topics.json');
    writeFileSync(topicsFile, JSON.stringify({ version: 1, topics: [{ topic: 'move' }] }));
    const gen = run('kafka-reassign-partitions.sh', ['--zookeeper', cluster.zkConnect, '--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', '2,3']);
    expect(gen.status).toBe(0);
    expect(gen.stdout).toContain('Proposed partition reassignment configuration');

    const planFile = path.join(cluster.baseDir, 'plan.json');
    writeFileSync(planFile, JSON.stringify({ version: 1, partitions: [{ topic: 'move', partition: 0, replicas: [3, 2] }] }));
    const exec = run('kafka-reassign-partitions.sh', ['--zookeeper', cluster.zkConnect, '--execute', '--reassignment-json-file', planFile]);
    expect(exec.stderr).toBe('');
    expect(exec.status).toBe(0);
    expect(exec.stdout).toContain('Successfully started reassignment');

    await until('the reassignment to complete', () => {
      const v = run('kafka-reassign-partitions.sh', ['--zookeeper', cluster.zkConnect, '--verify', '--reassignment-json-file', planFile]);
      return v.stdout.includes('completed successfully');
    }, 60_000, 500);
    const assignment = JSON.parse((await cluster.zk.get(topicPath('move')))!.data.toString());
    expect(assignment.partitions['0']).toEqual([3, 2]);
    const s = (await state(cluster, 'move', 0))!;
    expect([2, 3]).toContain(s.leader);
    await until('the replica left behind on broker 1 to be deleted', () => !existsSync(path.join(cluster.brokers.get(1)!.dir, 'logs', 'move-0')), 30_000);

    await producer.stop();
    const result = check(producer.acked, await readAll(cluster.bootstrap, 'move', 1));
    expect(result.lost).toEqual([]);
    expect(result.misplaced).toEqual([]);
  });
});
