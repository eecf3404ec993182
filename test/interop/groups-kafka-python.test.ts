/**
 * kafka-python 2.0.2 (Debian's python3-kafka) judges the broker-coordinated groups:
 * `KafkaConsumer(group_id=...)` joins, consumes, commits to __consumer_offsets, and a second run
 * of the same group resumes from the commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TestCluster } from '../helpers/broker-cluster.js';
import { Producer } from '../../src/client/producer/index.js';
import { createTopic } from '../../src/admin/topic-admin.js';

const run = promisify(execFile);
// Debian's python3 (python3-kafka lives in its dist-packages), not whatever python3 is first on PATH

/** Consumes until `want` records or 15 s of silence, commits, closes; prints one JSON line. */
const CONSUME = `
import json, sys
from kafka import KafkaConsumer
bootstrap, topic, group, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset='earliest',
                  enable_auto_commit=False, consumer_timeout_ms=15000, session_timeout_ms=10000,
                  heartbeat_interval_ms=1000, fetch_max_wait_ms=100)
got = []
for m in c:
    got.append(m.value.decode())
    if len(got) >= want:
        break
c.commit()
committed = {p.partition: c.committed(p) for p in c.assignment()}
c.close()
print(json.dumps({"values": got, "committed": committed}))
`;

describe('kafka-python consumer groups against the brokers', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('py-groups', { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' }).start(1);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function produce(topic: string, values: string[]): Promise<void> {
    const producer = new Producer({ brokers: cluster.bootstrap, acks: -1 });
    try {
      await Promise.all(values.map((v, i) => producer.send({ topic, partition: i % 3, value: v })));
    } finally {
      await producer.close();
    }
  }

  async function consume(topic: string, group: string, want: number): Promise<{ values: string[]; committed: Record<string, number> }> {
    const { stdout } = await run('/usr/bin/python3', ['-c', CONSUME, cluster.bootstrap, topic, group, String(want)], { timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!);
  }

  it('joins a group, consumes, commits, and a second run resumes from the commit', async () => {
    const topic = `py-grp-${Math.random().toString(16).slice(2, 8)}`;
    const group = `g-${topic}`;
    await createTopic(cluster.zk, topic, { partitions: 3, replicationFactor: 1 });
    const first = Array.from({ length: 30 }, (_, i) => `a${i}`);
    await produce(topic, first);
    const one = await consume(topic, group, 30);
    expect(one.values.sort()).toEqual([...first].sort());
    expect(Object.values(one.committed).reduce((a, b) => a + b, 0)).toBe(30);

    const second = Array.from({ length: 12 }, (_, i) => `b${i}`);
    await produce(topic, second);
    const two = await consume(topic, group, 12);
    // only what came after the commit: nothing of the first run again
    expect(two.values.sort()).toEqual([...second].sort());
    expect(Object.values(two.committed).reduce((a, b) => a + b, 0)).toBe(42);
  }, 120_000);
});
