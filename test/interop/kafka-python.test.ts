/**
 * kafka-python 2.0.2 (Debian's python3-kafka) judges the versions a modern client asks for.
 * Given no api_version it infers the broker's version from ApiVersions (Metadata v5 => 1.0.0),
 * then produces record batches with headers (Produce v4), fetches them (Fetch v4) and looks up
 * offsets by timestamp (ListOffsets v1, offsets_for_times), which it refuses below 0.10.1. Its
 * own structs send the newest versions we advertise (Metadata v5 with
 * allow_auto_topic_creation=false, Produce v5, ListOffsets v2, Fetch v6) and parse our answers:
 * cluster id, log start offset. Fails when python3-kafka is absent (scripts/setup.sh installs it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { SimpleProducer } from '../../src/client/simple-producer.js';
import { clusterIdPath, topicPath } from '../../src/zk/paths.js';

// Debian's python3 (python3-kafka lives in its dist-packages), not whatever python3 is first on PATH
const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kafka_python_client.py');
const hasKafkaPython = spawnSync(PYTHON, ['-c', 'import kafka; assert kafka.__version__ >= "2.0"']).status === 0;

function py(command: string, args: Record<string, unknown>): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, command, JSON.stringify(args)], { timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kafka-python ${command}: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/** (a, b, c) >= (x, y, z) as Python compares version tuples. */
function atLeast(v: number[], min: number[]): boolean {
  for (let i = 0; i < Math.max(v.length, min.length); i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

const unique = (name: string): string => `kpy-${name}-${Math.random().toString(16).slice(2, 8)}`;

describe('kafka-python against the broker', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    // never skipped: a missing client fails here (scripts/setup.sh installs it)
    if (!hasKafkaPython) throw new Error(`kafka-python 2.x is missing for ${PYTHON}: run scripts/setup.sh (Debian's python3-kafka)`);
    cluster = await new TestCluster('kafka-python', { 'log.retention.check.interval.ms': '300' }).start(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('infers a broker of 1.0 or newer from ApiVersions, with no api_version given', async () => {
    const { api_version } = await py('version', { bootstrap: cluster.bootstrap });
    expect(atLeast(api_version, [1, 0, 0]), `inferred ${api_version.join('.')}`).toBe(true);
  });

  it.each([null, 'gzip'])('produces records with headers (compression %s) and reads them back with their headers', async (compression) => {
    const topic = unique('headers');
    await createTopic(cluster.zk, topic, { partitions: 2, replicationFactor: 1, assignment: new Map([[0, [1]], [1, [2]]]) });
    const T = Date.now() - 60_000; // recent: retention runs every 300 ms here
    const records = Array.from({ length: 30 }, (_, i) => ({
      partition: i % 2,
      key: `k${i}`,
      value: `value ${i} ünïcödé ${'z'.repeat(i * 7)}`,
      timestamp: T + i,
      // several headers, a repeated key and an empty value, in order
      headers: [
        ['trace', `t${i}`],
        ['n', String(i)],
        ['trace', 'again'],
        ['empty', ''],
      ],
    }));
    const produced = await py('produce', { bootstrap: cluster.bootstrap, topic, compression, records });
    expect(atLeast(produced.api_version, [1, 0, 0])).toBe(true);
    expect(produced.sent.map((s: { partition: number }) => s.partition)).toEqual(records.map((r) => r.partition));
    expect(produced.sent.filter((s: { partition: number }) => s.partition === 0).map((s: { offset: number }) => s.offset)).toEqual(
      Array.from({ length: 15 }, (_, i) => i),
    );

    const consumed = await py('consume', { bootstrap: cluster.bootstrap, topic, partitions: [0, 1], count: records.length });
    const got = [...consumed.records].sort((a: { key: string }, b: { key: string }) => Number(a.key.slice(1)) - Number(b.key.slice(1)));
    expect(got.map((r: any) => ({ partition: r.partition, key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers }))).toEqual(records);

    // the headers are on the broker, not just round-tripped by one client: our consumer sees them too
    const client = new Cluster({ brokers: cluster.bootstrap });
    try {
      const consumer = new SimpleConsumer(client, { maxWaitMs: 100 });
      await consumer.seek(topic, 1, 'earliest');
      const ours: any[] = [];
      await until('our consumer to read partition 1', async () => {
        ours.push(...(await consumer.poll()));
        return ours.length >= 15;
      });
      expect(ours[0].key.toString()).toBe('k1');
      expect(ours[0].headers.map((h: { key: string; value: Buffer }) => [h.key, h.value.toString()])).toEqual(records[1]!.headers);
    } finally {
      client.close();
    }
  });

  it('offsets_for_times finds the first offset at or after each timestamp', async () => {
    const topic = unique('times');
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [2]]]) });
    const T = Date.now() - 60_000; // recent: retention runs every 300 ms here
    const records = Array.from({ length: 10 }, (_, i) => ({ partition: 0, key: `k${i}`, value: `v${i}`, timestamp: T + i * 1000, headers: [] }));
    await py('produce', { bootstrap: cluster.bootstrap, topic, records });
    const res = await py('offsets', { bootstrap: cluster.bootstrap, topic, partition: 0, timestamps: [T - 5000, T, T + 1, T + 2500, T + 9000, T + 9001] });
    expect(atLeast(res.api_version, [0, 10, 1])).toBe(true);
    expect(res.found.map((f: { offset: number } | null) => f?.offset ?? null)).toEqual([0, 0, 1, 3, 9, null]);
    expect(res.found.map((f: { timestamp: number } | null) => f?.timestamp ?? null)).toEqual([T, T, T + 1000, T + 3000, T + 9000, null]);
    expect([res.beginning, res.end]).toEqual([0, 10]);
  });

  it("kafka-python's own Metadata v5, Produce v5, ListOffsets v2 and Fetch v6: cluster id, log start offset", async () => {
    const topic = unique('raw');
    const missing = unique('missing');
    // records a day old under a one-hour retention.ms: retention deletes them all (rolling the
    // active segment first), so the log starts at 40; the records below are new and stay
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [1]]]), config: { 'retention.ms': '3600000' } });
    const client = new Cluster({ brokers: cluster.bootstrap });
    try {
      const producer = new SimpleProducer(client);
      const old = Date.now() - 86_400_000;
      for (let i = 0; i < 4; i++) await producer.send(topic, Array.from({ length: 10 }, (_, j) => ({ partition: 0, value: `old ${i * 10 + j}`, timestamp: old })));
      const consumer = new SimpleConsumer(client);
      await until('retention to move the log start offset to 40', async () => (await consumer.offsetFor(topic, 0, -2)) === 40, 30_000, 100);
    } finally {
      client.close();
    }

    const ts = Date.now();
    const res = await py('raw', { bootstrap: cluster.bootstrap, topic, missing, node: 1, timestamp: ts });
    const clusterId = JSON.parse((await cluster.zk.get(clusterIdPath))!.data.toString());
    expect(clusterId).toEqual({ version: '1', id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });

    const meta = res.metadata;
    expect(meta.cluster_id).toBe(clusterId.id);
    expect(meta.brokers).toEqual([1, 2]);
    expect([1, 2]).toContain(meta.controller_id);
    expect(meta.throttle_time_ms).toBe(0);
    expect(meta.topics).toEqual([
      { error_code: 0, topic, is_internal: false, partitions: [{ partition: 0, leader: 1, replicas: [1], isr: [1], offline_replicas: [] }] },
      { error_code: 3, topic: missing, is_internal: false, partitions: [] }, // allow_auto_topic_creation=false: not created
    ]);
    expect(await cluster.zk.exists(topicPath(missing))).toBeUndefined();

    expect(res.produce).toEqual({ error_code: 0, offset: 40, log_append_time: -1, log_start_offset: 40 });
    // earliest, latest (read_committed: the last stable offset, which is the high watermark), by time
    expect(res.list_offsets.throttle_time_ms).toBe(0);
    expect(res.list_offsets.partitions).toEqual([
      [0, 0, -1, 40],
      [0, 0, -1, 43],
      [0, 0, ts + 1, 41],
    ]);
    expect(res.fetch).toEqual({
      error_code: 0,
      high_watermark: 43,
      last_stable_offset: 43,
      log_start_offset: 40,
      records: [
        [40, 'k0', 'v0', [['h', 'x0']]],
        [41, 'k1', 'v1', [['h', 'x1']]],
        [42, 'k2', 'v2', [['h', 'x2']]],
      ],
    });
  });
});
