/**
 * What Metadata v2-v5 add, from real brokers: the cluster id from `/cluster/id` (created once,
 * the same from every broker), allow_auto_topic_creation=false honoured (v4+), offline
 * replicas (v5), `__consumer_offsets` internal. And the cluster id znode on its own: Kafka's
 * JSON, an existing id adopted, racing brokers agreeing on one id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { useZkChroot } from '../helpers/zk.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster, call } from '../../src/client/cluster.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/common/errors.js';
import { clusterIdPath, topicPath } from '../../src/zk/paths.js';
import { decodeClusterId, encodeClusterId } from '../../src/zk/payloads.js';
import { generateClusterId, getOrCreateClusterId } from '../../src/broker/cluster-id.js';

describe('the cluster id znode', () => {
  const chroot = useZkChroot('cluster-id');

  it("is Kafka's JSON: a string version and a 22-character URL-safe id", () => {
    expect(encodeClusterId('AbC-_0123456789abcdefg').toString()).toBe('{"version":"1","id":"AbC-_0123456789abcdefg"}');
    expect(decodeClusterId(Buffer.from('{"version":"1","id":"xyz"}'))).toBe('xyz');
    expect(decodeClusterId('{"id":"xyz","version":1}')).toBe('xyz');
    expect(() => decodeClusterId('{"version":"1"}')).toThrow(/id/);
    expect(() => decodeClusterId('{"version":"1","id":""}')).toThrow(/id/);
    for (let i = 0; i < 200; i++) expect(generateClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('is created once: later and racing callers get the same id, an existing one is adopted', async () => {
    const zk = await chroot.connect();
    const ids = await Promise.all(Array.from({ length: 5 }, () => getOrCreateClusterId(zk)));
    expect(new Set(ids).size).toBe(1);
    expect(decodeClusterId((await zk.get(clusterIdPath))!.data)).toBe(ids[0]);
    expect(await getOrCreateClusterId(zk)).toBe(ids[0]);

    await zk.set(clusterIdPath, encodeClusterId('written-by-a-real-kafka'));
    expect(await getOrCreateClusterId(zk)).toBe('written-by-a-real-kafka');
  });
});

describe('Metadata v2-v5 from real brokers', () => {
  let cluster: TestCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await new TestCluster('metadata-versions').start(2);
    client = new Cluster({ brokers: cluster.bootstrap });
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  const metadata = (port: number, version: number, topics: string[] | null, allowAutoTopicCreation?: boolean) =>
    call(client.pool.get('127.0.0.1', port), API_CODECS[ApiKey.Metadata], version, { topics, allowAutoTopicCreation }).then((r) => r!);

  it('every broker answers the one cluster id of /cluster/id (v2+), and none before v2', async () => {
    const { id } = JSON.parse((await cluster.zk.get(clusterIdPath))!.data.toString());
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (const b of cluster.brokers.values()) {
      for (const v of [2, 3, 4, 5]) {
        const res = await metadata(b.port, v, []);
        expect(res.clusterId, `broker ${b.id} v${v}`).toBe(id);
        expect(res.throttleTimeMs).toBe(0);
        expect(res.brokers.map((x) => x.nodeId).sort()).toEqual([1, 2]);
      }
      expect((await metadata(b.port, 1, [])).clusterId).toBeNull();
    }
  });

  it('v4+ with allow_auto_topic_creation=false does not create a missing topic; true and v0-v3 do', async () => {
    const port = cluster.brokers.get(1)!.port;
    const no = `no-create-${Math.random().toString(16).slice(2, 8)}`;
    for (const v of [4, 5]) {
      const res = await metadata(port, v, [no], false);
      expect(res.topics).toEqual([{ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topic: no, isInternal: false, partitions: [] }]);
    }
    expect(await cluster.zk.exists(topicPath(no))).toBeUndefined();

    for (const [v, allow] of [[3, false], [4, true], [5, undefined]] as const) {
      const yes = `create-v${v}-${Math.random().toString(16).slice(2, 8)}`;
      const res = await metadata(port, v, [yes], allow);
      expect(res.topics[0]!.errorCode, `v${v}`).toBe(ErrorCode.LEADER_NOT_AVAILABLE);
      // the broker wrote it through its own session, maybe on another ensemble member than the
      // test's client, which may apply the write a moment later (no read-your-writes across clients)
      await until(`v${v}: ${topicPath(yes)} created`, () => cluster.zk.exists(topicPath(yes)), 10_000);
    }
  });

  it('__consumer_offsets is internal, other topics are not', async () => {
    const port = cluster.brokers.get(2)!.port;
    await createTopic(cluster.zk, '__consumer_offsets', { partitions: 1, replicationFactor: 1 }).catch((err: { code?: number }) => {
      if (err.code !== ErrorCode.TOPIC_ALREADY_EXISTS) throw err;
    });
    await createTopic(cluster.zk, 'plain', { partitions: 1, replicationFactor: 1 });
    await until('both topics in the metadata', async () => (await metadata(port, 5, ['__consumer_offsets', 'plain'], false)).topics.every((t) => t.errorCode === 0));
    for (const v of [1, 5]) {
      const res = await metadata(port, v, ['__consumer_offsets', 'plain'], false);
      expect(res.topics.map((t) => [t.topic, t.isInternal])).toEqual([
        ['__consumer_offsets', true],
        ['plain', false],
      ]);
    }
  });

  it('v5 lists the replicas whose broker is not live as offline', async () => {
    await createTopic(cluster.zk, 'spread', { partitions: 2, replicationFactor: 2, assignment: new Map([[0, [1, 2]], [1, [2, 1]]]) });
    const port = cluster.brokers.get(1)!.port;
    await until('both partitions led', async () => {
      const parts = (await metadata(port, 5, ['spread'])).topics[0]!.partitions;
      return parts.length === 2 && parts.every((p) => p.leader >= 0);
    });
    const before = await metadata(port, 5, ['spread']);
    expect(before.topics[0]!.partitions.map((p) => p.offlineReplicas)).toEqual([[], []]);

    await cluster.stopBroker(2);
    const after = await until('broker 2 gone from the metadata', async () => {
      const res = await metadata(port, 5, ['spread']);
      return res.brokers.length === 1 && res;
    });
    expect(after.topics[0]!.partitions.map((p) => [p.partition, p.replicas, p.offlineReplicas])).toEqual([
      [0, [1, 2], [2]],
      [1, [2, 1], [2]],
    ]);
    // v4 has no place for them
    const v4 = await metadata(port, 4, ['spread']);
    expect(v4.topics[0]!.partitions.map((p) => p.offlineReplicas)).toEqual([[], []]);
  });
});
