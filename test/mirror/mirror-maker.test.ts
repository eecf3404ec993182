/**
 * kafka-mirror-maker.sh between two real clusters (A and B: broker processes, each cluster
 * under its own chroot of the shared ZooKeeper ensemble): a whitelist covering two existing
 * topics and one created while the mirror runs. Every record the source acknowledged arrives
 * with its key, headers and timestamp, each key's records in order in one target partition;
 * the group's lag reaches 0; SIGTERM drains, commits and exits 0 with nothing left registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { describeGroup } from '../../src/client/connector/group-describe.js';
import { readTopicPartitions } from '../../src/client/connector/registry.js';
import { consumerIdsPath, topicPath } from '../../src/zk/paths.js';
import { SourceWriter, checkMirrored, readTopic, startMirror, type MirrorProcess } from '../helpers/mirror.js';

describe('kafka-mirror-maker: cluster A to cluster B', () => {
  let a: TestCluster;
  let b: TestCluster;
  let writer: SourceWriter;
  const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-mirror-'));
  const mirrors: MirrorProcess[] = [];
  beforeAll(async () => {
    [a, b] = await Promise.all([new TestCluster('mirror-a').start(2), new TestCluster('mirror-b').start(2)]);
    writer = new SourceWriter(a.bootstrap);
  });
  afterAll(async () => {
    for (const m of mirrors) m.kill('SIGKILL');
    await writer?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('mirrors a whitelist of two existing topics and one created while it runs: every record, per-key order, lag 0', async () => {
    const group = 'mirror-ab';
    await createTopic(a.zk, 'mm.orders', { partitions: 3, replicationFactor: 2 });
    await createTopic(a.zk, 'mm.clicks', { partitions: 2, replicationFactor: 1 });
    await createTopic(a.zk, 'other', { partitions: 1, replicationFactor: 1 });
    await writer.write('mm.orders', 10, 30);
    await writer.write('mm.clicks', 10, 30);
    await writer.write('other', 2, 5);

    const mirror = startMirror({ dir, sourceZk: a.zkConnect, group, targetBootstrap: b.bootstrap, args: ['--whitelist', 'mm\\.(orders|clicks|views)', '--num.streams', '2'] });
    mirrors.push(mirror);
    const topics = ['mm.orders', 'mm.clicks'];
    writer.start(() => topics);
    await until('the mirror to copy records', () => /mirrored [1-9]\d* records/.test(mirror.stderr()), 60_000, 200);

    // a topic that matches, created while the mirror runs, with records from the start
    await createTopic(a.zk, 'mm.views', { partitions: 4, replicationFactor: 1 });
    topics.push('mm.views');
    await until('the new topic to be copied', async () => (await b.zk.exists(topicPath('mm.views'))) !== undefined, 60_000, 200);
    await new Promise((r) => setTimeout(r, 2000));
    await writer.stop();
    expect(writer.failed).toEqual([]);

    const lag = await until(
      'the group lag to reach 0 on every partition of the three topics',
      async () => {
        const d = await describeGroup(a.zk, group);
        const rows = d.partitions.filter((p) => p.topic.startsWith('mm.'));
        if (rows.length !== 9 || rows.some((p) => p.lag !== 0)) return false;
        return rows;
      },
      90_000,
      500,
    ).catch(async (err: Error) => {
      console.log(mirror.stderr().split('\n').slice(-60).join('\n'), JSON.stringify((await describeGroup(a.zk, group)).partitions));
      throw err;
    });
    expect(new Set(lag.map((r) => r.topic))).toEqual(new Set(['mm.orders', 'mm.clicks', 'mm.views']));

    let duplicates = 0;
    for (const t of ['mm.orders', 'mm.clicks', 'mm.views']) {
      const acked = writer.acked.get(t) ?? [];
      expect(acked.length, t).toBeGreaterThan(0);
      const r = checkMirrored(acked, await readTopic(b.bootstrap, t));
      expect(r.missing, t).toEqual([]);
      duplicates += r.duplicates;
    }
    console.log(`mirrored ${writer.total - (writer.acked.get('other')?.length ?? 0)} source records, ${duplicates} duplicates`);
    // the target topics have the source's partition counts; the topic outside the whitelist is not copied
    expect(await readTopicPartitions(b.zk, ['mm.orders', 'mm.clicks', 'mm.views'])).toEqual(
      new Map([
        ['mm.orders', [0, 1, 2]],
        ['mm.clicks', [0, 1]],
        ['mm.views', [0, 1, 2, 3]],
      ]),
    );
    expect(await b.zk.exists(topicPath('other'))).toBeUndefined();
    expect(mirror.stderr()).toMatch(/mirrored \d+ records, [\d.]+ records\/s, failed 0, in flight \d+, group lag 0/);

    // SIGTERM: drained, committed, left the group, exit 0
    expect(await mirror.stop()).toBe(0);
    expect(mirror.stderr()).toMatch(/kafka-mirror-maker: mirrored \d+ records \(0 failed, 0 dropped by the handler\)/);
    expect((await a.zk.children(consumerIdsPath(group))) ?? []).toEqual([]);
    const after = await describeGroup(a.zk, group);
    expect(after.partitions.filter((p) => p.topic.startsWith('mm.')).every((p) => p.lag === 0)).toBe(true);
  });
});
