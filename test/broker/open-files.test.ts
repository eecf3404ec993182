/**
 * A broker out of file descriptors (ulimit -n) says so, once, with what to do: LeaderAndIsr
 * for more partitions than the limit allows logs one line naming how many partitions failed
 * and the limit, serves the partitions it could open, and a restart that cannot open every log
 * exits 1 with the same advice. The controller treats the replicas it could not open as failed
 * (Kafka's KIP-112 for an offline log dir): the partitions they led get another leader from
 * their ISR, or are shown leaderless where there is none, instead of being advertised on a
 * broker that cannot serve them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { BROKER_MAIN, TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Producer } from '../../src/client/producer/index.js';
import { Cluster } from '../../src/client/cluster.js';
import { brokerNodeArgs } from '../../src/broker/heap-opts.js';
import { isOutOfFiles, openFiles, outOfFilesHint } from '../../src/common/open-files.js';

const LIMIT = 200;
const PARTITIONS = 300;

describe('out of file descriptors', () => {
  it('names the limit and the way out for EMFILE, and nothing for other errors', () => {
    const emfile = Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    const n = openFiles()!;
    expect(n.open).toBeGreaterThan(2);
    expect(isOutOfFiles(emfile)).toBe(true);
    expect(outOfFilesHint(emfile)).toMatch(new RegExp(`open now, limit ${n.limit}\\).*ulimit -Hn`));
    expect(outOfFilesHint(Object.assign(new Error('no'), { code: 'ENOENT' }))).toBeUndefined();
    expect(outOfFilesHint(new Error('plain'))).toBeUndefined();
  });

  describe('a broker under ulimit -n ' + LIMIT, () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await new TestCluster('open-files').start(0);
      await cluster.startBroker(1, {}, { fileLimit: LIMIT });
      await cluster.waitForMetadata();
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('logs one line for every partition it could not open, with the limit, and serves the others', async () => {
      const b = cluster.brokers.get(1)!;
      await createTopic(cluster.zk, 'wide', { partitions: PARTITIONS, replicationFactor: 1 });
      const line = await until('the failure line', () => /LeaderAndIsr failed for (\d+) of (\d+) partitions.*/.exec(b.output()) ?? undefined, 60_000);
      expect(Number(line[2])).toBe(PARTITIONS);
      expect(Number(line[1])).toBeGreaterThan(0);
      expect(Number(line[1])).toBeLessThan(PARTITIONS);
      expect(line[0]).toMatch(/EMFILE/);
      expect(line[0]).toMatch(new RegExp(`limit ${LIMIT}\\).*ulimit -Hn`));
      expect(b.output().match(/LeaderAndIsr failed/g)).toHaveLength(1);
      // the controller (this broker) hears it in the answer, and says which partitions
      const told = await until('the controller to report the failed partitions', () => /broker 1 could not take up (\d+) partitions it was sent \(KAFKA_STORAGE_ERROR\)/.exec(b.output()) ?? undefined);
      expect(told[1]).toBe(line[1]);
      // with no other replica, those partitions are shown without a leader, not led by this broker
      const offline = await until('the controller to take those partitions offline', () => /replicas offline on broker 1: 0 partitions it led have new leaders, (\d+) have none/.exec(b.output()) ?? undefined);
      expect(offline[1]).toBe(line[1]);
      const client = new Cluster({ brokers: cluster.bootstrap });
      try {
        const parts = await until('metadata to show them leaderless', async () => {
          const t = (await client.refresh(['wide'])).topics.find((x) => x.topic === 'wide');
          const ps = t?.partitions ?? [];
          return ps.filter((p) => p.leader < 0).length === Number(line[1]) ? ps : undefined;
        });
        expect(parts).toHaveLength(PARTITIONS);
        expect(parts.filter((p) => p.leader === 1)).toHaveLength(PARTITIONS - Number(line[1]));
      } finally {
        client.close();
      }
      // the first partitions were opened before the descriptors ran out: they are served
      const producer = new Producer({ brokers: cluster.bootstrap, acks: 1 });
      try {
        const r = await producer.send({ topic: 'wide', partition: 0, value: 'still here' });
        expect(r.offset).toBe(0);
      } finally {
        await producer.close();
      }
    });

    it('a restart that cannot open every log exits 1 and says what to do', async () => {
      expect(await cluster.stopBroker(1)).toBe(0);
      const file = path.join(cluster.baseDir, 'server-1.properties');
      const r = spawnSync('/bin/bash', ['-c', `ulimit -n ${LIMIT} && exec "$0" "$@"`, process.execPath, ...brokerNodeArgs(), BROKER_MAIN, file], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/failed to start: EMFILE/);
      expect(r.stderr).toMatch(/out of file descriptors .*limit 200\).*ulimit -Hn/);
    });
  });

  describe('a replica set where one broker runs out', () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await new TestCluster('offline-replicas').start(0);
      // broker 1 starts first, so it is the controller, with descriptors to spare
      await cluster.startBroker(1);
      await cluster.startBroker(2, {}, { fileLimit: LIMIT });
      await cluster.waitForMetadata();
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('moves the leaders of the replicas it could not open to the other broker, and every partition takes acks=all writes', async () => {
      const b1 = cluster.brokers.get(1)!;
      const b2 = cluster.brokers.get(2)!;
      // broker 2 is the preferred leader of the even partitions and a follower of the odd ones
      const assignment = new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, p % 2 === 0 ? [2, 1] : [1, 2]] as [number, number[]]));
      await createTopic(cluster.zk, 'mirrored', { partitions: PARTITIONS, replicationFactor: 2, assignment });
      const line = await until('broker 2 to run out', () => /LeaderAndIsr failed for (\d+) of (\d+) partitions.*/.exec(b2.output()) ?? undefined, 60_000);
      const failed = Number(line[1]);
      expect(failed).toBeGreaterThan(0);
      expect(failed).toBeLessThan(PARTITIONS);
      const handled = await until('the controller to fail those replicas', () => /replicas offline on broker 2: (\d+) partitions it led have new leaders, (\d+) have none \(offline until it restarts\), (\d+) ISRs shrunk/.exec(b1.output()) ?? undefined);
      expect(Number(handled[1]) + Number(handled[3])).toBe(failed);
      expect(Number(handled[1])).toBeGreaterThan(0);
      expect(handled[2]).toBe('0');
      const client = new Cluster({ brokers: cluster.bootstrap });
      try {
        const parts = await until('metadata to lead every partition from a replica that has it', async () => {
          const t = (await client.refresh(['mirrored'])).topics.find((x) => x.topic === 'mirrored');
          const ps = t?.partitions ?? [];
          return ps.length === PARTITIONS && ps.every((p) => p.leader >= 0) && ps.filter((p) => !p.isr.includes(2)).length === failed ? ps : undefined;
        });
        // the ones broker 2 lost: broker 1 leads them, alone in the ISR
        for (const p of parts.filter((x) => !x.isr.includes(2))) {
          expect(p.leader).toBe(1);
          expect(p.isr).toEqual([1]);
        }
      } finally {
        client.close();
      }
      // every partition takes a write that all its in-sync replicas have
      const producer = new Producer({ brokers: cluster.bootstrap, acks: -1, deliveryTimeoutMs: 30_000 });
      try {
        const sent = await Promise.all(Array.from({ length: PARTITIONS }, (_, partition) => producer.send({ topic: 'mirrored', partition, value: `p${partition}` })));
        expect(sent.every((r) => r.offset === 0)).toBe(true);
      } finally {
        await producer.close();
      }
      // broker 2 was not sent the replicas it cannot open again: one failure line, not one per change
      expect(b2.output().match(/LeaderAndIsr failed/g)).toHaveLength(1);
    });

    it('restarted with descriptors enough, the broker opens them all and rejoins every ISR', async () => {
      expect(await cluster.stopBroker(2)).toBe(0);
      await cluster.startBroker(2);
      const client = new Cluster({ brokers: cluster.bootstrap });
      try {
        await until('broker 2 back in every ISR', async () => {
          const t = (await client.refresh(['mirrored'])).topics.find((x) => x.topic === 'mirrored');
          const ps = t?.partitions ?? [];
          return ps.length === PARTITIONS && ps.every((p) => p.isr.includes(2));
        }, 60_000);
      } finally {
        client.close();
      }
      expect(cluster.brokers.get(2)!.output()).not.toMatch(/LeaderAndIsr failed/);
    });
  });
});
