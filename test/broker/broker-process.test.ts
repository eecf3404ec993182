/**
 * The broker as a process: config errors exit 1 with a clear message; a second broker with a
 * live broker's id is refused; SIGTERM shuts down cleanly (exit 0, deregistered, clean-shutdown
 * marker written); several brokers answer Metadata for the whole cluster, and a broker that
 * does not lead a partition answers NotLeaderForPartition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BROKER_MAIN, TestCluster, until } from '../helpers/broker-cluster.js';
import { state } from '../replication/helpers.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster, call } from '../../src/client/cluster.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { brokerIdPath } from '../../src/zk/paths.js';
import { ErrorCode } from '../../src/common/errors.js';

describe('the broker process', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('broker-process').start(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it.each([
    ['a missing zookeeper.connect', 'broker.id=1\n', /missing required config "zookeeper.connect"/],
    ['a bad integer', 'broker.id=one\nzookeeper.connect=127.0.0.1:1\n', /broker\.id.*integer/],
    ['a bad log setting', 'broker.id=1\nzookeeper.connect=127.0.0.1:1\nlog.segment.bytes=-5\n', /log\.segment\.bytes/],
  ])('exits 1 with a clear error for %s', (_name, text, message) => {
    const file = path.join(cluster.baseDir, `bad-${Math.random()}.properties`);
    writeFileSync(file, text);
    const r = spawnSync(process.execPath, [BROKER_MAIN, file], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('registers the exact 0.8 JSON in /brokers/ids', async () => {
    const node = await cluster.zk.get(brokerIdPath(1));
    const json = JSON.parse(node!.data.toString());
    expect(Object.keys(json)).toEqual(['version', 'host', 'port', 'jmx_port', 'timestamp']);
    expect(json).toMatchObject({ version: 1, host: '127.0.0.1', port: cluster.brokers.get(1)!.port, jmx_port: -1 });
    expect(typeof json.timestamp).toBe('string');
  });

  it("refuses to start with the id of a live broker (after waiting out a session timeout)", () => {
    const file = path.join(cluster.baseDir, 'dup.properties');
    writeFileSync(file, `broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=${path.join(cluster.baseDir, 'dup-logs')}\nzookeeper.connect=${cluster.zkConnect}\nzookeeper.session.timeout.ms=2000\n`);
    const r = spawnSync(process.execPath, [BROKER_MAIN, file], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broker\.id 1 is already registered/);
  });

  it('answers Metadata for the whole cluster from every broker, and NotLeaderForPartition from the others', async () => {
    await createTopic(cluster.zk, 'spread', { partitions: 4, replicationFactor: 1 });
    for (const b of cluster.brokers.values()) {
      const client = new Cluster({ brokers: `127.0.0.1:${b.port}` });
      const t = await client.topicMetadata('spread');
      expect(t.partitions).toHaveLength(4);
      expect(new Set(t.partitions.map((p) => p.leader))).toEqual(new Set([1, 2]));
      const res = await client.refresh();
      expect(res.brokers.map((x) => x.nodeId).sort()).toEqual([1, 2]);
      // produce to a partition this broker does not lead
      const foreign = t.partitions.find((p) => p.leader !== b.id)!;
      const conn = client.pool.get('127.0.0.1', b.port);
      const answer = await call(conn, API_CODECS[ApiKey.Produce], 3, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topics: [{ topic: 'spread', partitions: [{ partition: foreign.partition, records: encodeRecordBatch({ records: [{ value: 'x' }] }) }] }],
      });
      expect(answer!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_FOR_PARTITION);
      client.close();
    }
  });

  it('shuts down cleanly on SIGTERM: exit 0, deregistered, clean-shutdown marker', async () => {
    const b = await cluster.startBroker(3);
    expect(await cluster.zk.exists(brokerIdPath(3))).toBeDefined();
    const code = await cluster.stopBroker(3, 'SIGTERM');
    expect(code).toBe(0);
    // stopped right after it registered, before the controller's UpdateMetadata may have named
    // the controller's address to it: it finds the controller in ZooKeeper, first attempt
    expect(b.output()).toMatch(/controlled shutdown succeeded/);
    expect(b.output()).not.toMatch(/controlled shutdown attempt failed/);
    expect(await cluster.zk.exists(brokerIdPath(3))).toBeUndefined();
    const logDir = path.join(b.dir, 'logs');
    expect(existsSync(path.join(logDir, '.kafka_cleanshutdown'))).toBe(true);
  });
});

describe('a whole cluster stopped at once', () => {
  it('shuts down cleanly without waiting out controlled.shutdown.retry.backoff.ms when the controller leaves first', async () => {
    // the controller stops under the others' ControlledShutdown requests ("connection closed"):
    // they retry as soon as another controller is ready, not after the backoff (60 s here; the
    // helper SIGKILLs a broker still running after 30 s, and its exit code is then null)
    const cluster = await new TestCluster('cluster-stop', { 'controlled.shutdown.retry.backoff.ms': '60000' }).start(3);
    try {
      await createTopic(cluster.zk, 'everywhere', { partitions: 6, replicationFactor: 3 });
      for (let p = 0; p < 6; p++) await until(`a full ISR for partition ${p}`, async () => (await state(cluster, 'everywhere', p))?.isr.length === 3);
      const outputs = [...cluster.brokers.values()].map((b) => b.output);
      const codes = await Promise.all([1, 2, 3].map((id) => cluster.stopBroker(id, 'SIGTERM')));
      expect(codes).toEqual([0, 0, 0]);
      for (const output of outputs) expect(output()).toMatch(/controlled shutdown succeeded/);
    } finally {
      await cluster.stop();
    }
  });
});
