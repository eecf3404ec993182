/**
 * kcat (librdkafka) judges the wire protocol: metadata, produce and consume with keys, gzip and
 * snappy and lz4, both with version negotiation (ApiVersions, Produce v3/Fetch v4 record batches) and
 * with `-X api.version.request=false -X broker.version.fallback=0.8.2` (Produce v0/Fetch v0
 * message sets). Every byte kcat sends must come back unchanged. With librdkafka's idempotence,
 * a SIGKILL of the partition leader mid-stream (RF=2, acks=all) leaves every record exactly once:
 * the new leader knows the producer from what it copied and answers resends as duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';

const hasKcat = spawnSync('kcat', ['-V']).status === 0;
const OLD = ['-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.8.2'];

function kcat(args: string[], input?: string): string {
  return execFileSync('kcat', args, { input, encoding: 'utf8', timeout: 30_000, maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('kcat against the broker', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    // never skipped: a missing client fails here (scripts/setup.sh installs it)
    if (!hasKcat) throw new Error('kcat is missing: run scripts/setup.sh');
    cluster = await new TestCluster('kcat').start(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('lists metadata: both brokers and an auto-created topic', async () => {
    const meta = JSON.parse(kcat(['-b', cluster.bootstrap, '-L', '-J', '-t', 'kcat-meta']));
    expect(meta.brokers.map((b: { id: number }) => b.id).sort()).toEqual([1, 2]);
    // auto-creation answers LeaderNotAvailable first; once the controller has elected a leader
    // and told the brokers, the topic is listed with its leader
    await until('the auto-created topic in the metadata', () => {
      const again = JSON.parse(kcat(['-b', cluster.bootstrap, '-L', '-J']));
      const t = again.topics.find((x: { topic: string }) => x.topic === 'kcat-meta');
      return t && t.partitions.length === 1 && t.partitions[0].leader > 0;
    }, 15_000, 200);
  });

  const cases: [string, string[], string][] = [
    ['negotiated versions, no compression', [], 'none'],
    ['negotiated versions, gzip', [], 'gzip'],
    ['negotiated versions, snappy', [], 'snappy'],
    ['negotiated versions, lz4', [], 'lz4'],
    ['0.8.2 fallback, no compression', OLD, 'none'],
    ['0.8.2 fallback, gzip', OLD, 'gzip'],
    ['0.8.2 fallback, snappy', OLD, 'snappy'],
    ['0.8.2 fallback, lz4 (magic 0 framing)', OLD, 'lz4'],
  ];
  it.each(cases)('produces and consumes keyed records (%s)', async (_name, extra, codec) => {
    const topic = `kcat-${codec}-${extra.length ? 'old' : 'new'}-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [1]]]) });
    const lines = Array.from({ length: 50 }, (_, i) => `key-${i}:value ${i} ${'x'.repeat(i)} ünïcödé`);
    kcat(['-b', cluster.bootstrap, ...extra, '-P', '-t', topic, '-p', '0', '-K:', '-z', codec, '-X', 'topic.request.required.acks=1'], lines.join('\n') + '\n');
    const out = kcat(['-b', cluster.bootstrap, ...extra, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o|%k:%s\n']);
    const got = out.trim().split('\n');
    expect(got).toEqual(lines.map((l, i) => `${i}|${l}`));
  });

  it('produces with librdkafka idempotence (InitProducerId, sequence numbers): every record once, in order', async () => {
    const topic = `kcat-idem-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1, assignment: new Map([[0, [2]]]) });
    const lines = Array.from({ length: 20_000 }, (_, i) => String(i));
    const log = spawnSync('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'enable.idempotence=true', '-X', 'debug=eos'], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 30_000 });
    expect(log.status).toBe(0);
    expect(log.stderr).toMatch(/Acquired PID\{Id:\d+,Epoch:0\}/);
    const out = kcat(['-b', cluster.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(out.trim().split('\n')).toEqual(lines);
  });

  it('librdkafka idempotence across a SIGKILL of the leader (RF=2, acks=all): every record exactly once, in order', async () => {
    const topic = `kcat-failover-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 2, assignment: new Map([[0, [1, 2]]]) });
    const probe = new Cluster({ brokers: cluster.bootstrap });
    const state = async (): Promise<{ leader: number; isr: number[] }> => (await probe.refresh([topic])).topics[0]!.partitions[0]!;
    const lines = Array.from({ length: 400_000 }, (_, i) => String(i));
    try {
      await until('both replicas in the ISR', async () => (await state()).isr.length === 2);
      const leader = (await state()).leader;
      const port = cluster.brokers.get(leader)!.port;
      const child = spawn('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'linger.ms=5'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.stdin.end(lines.join('\n') + '\n');
      const ends = new SimpleConsumer(probe);
      await until('records flowing', async () => (await ends.offsetFor(topic, 0, -1).catch(() => 0)) > 50_000, 60_000, 20);
      await cluster.stopBroker(leader, 'SIGKILL');
      const atKill = await ends.offsetFor(topic, 0, -1).catch(() => -1);
      expect(await exited, stderr).toBe(0);
      expect(atKill, 'records stored when the leader was killed: kcat must not be done yet').toBeLessThan(lines.length);
      await cluster.startBroker(leader, { listeners: `PLAINTEXT://127.0.0.1:${port}` });
    } finally {
      probe.close();
    }
    const out = kcat(['-b', cluster.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%s\n']);
    expect(out.trim().split('\n')).toEqual(lines);
  }, 120_000);
});
