/**
 * kcat's balanced consumer (`kcat -G group topic`, librdkafka's broker-coordinated group)
 * judges the group coordinator: three members share the partitions, one is SIGKILLed and its
 * partitions are taken over once its session times out, and every record is consumed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { Cluster } from '../../src/client/cluster.js';
import { KafkaConnection } from '../../src/network/client-connection.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { decodeConsumerProtocolAssignment } from '../../src/protocol/consumer-protocol.js';
import { createTopic } from '../../src/admin/topic-admin.js';

interface Member {
  proc: ChildProcess;
  lines: string[];
  stderr: () => string;
}

describe('kcat -G against the group coordinator', () => {
  let cluster: TestCluster;
  const started: ChildProcess[] = [];
  beforeAll(async () => {
    cluster = await new TestCluster('kcat-groups', { 'group.initial.rebalance.delay.ms': '500', 'offsets.topic.num.partitions': '3' }).start(2);
  });
  afterAll(async () => {
    for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await cluster?.stop();
  });

  function member(group: string, topic: string): Member {
    const proc = spawn('kcat', ['-b', cluster.bootstrap, '-u', '-G', group, topic, '-f', '%p %o %s\\n', '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=300', '-X', 'auto.commit.interval.ms=200', '-X', 'fetch.wait.max.ms=100'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(proc);
    const lines: string[] = [];
    let buf = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts.filter((l) => l.length > 0));
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return { proc, lines, stderr: () => err };
  }

  function produce(topic: string, from: number, count: number, partitions: number): void {
    for (let p = 0; p < partitions; p++) {
      const values = [];
      for (let i = from; i < from + count; i++) if (i % partitions === p) values.push(`v${i}`);
      execFileSync('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-p', String(p), '-X', 'acks=all'], { input: values.join('\n') + '\n', timeout: 30_000 });
    }
  }

  /** The group as its coordinator describes it: state and each member's assigned partitions. */
  async function describe(group: string, topic: string): Promise<{ state: string; owners: Map<string, number[]> }> {
    const client = new Cluster({ brokers: cluster.bootstrap });
    try {
      const fc = API_CODECS[ApiKey.FindCoordinator];
      const dg = API_CODECS[ApiKey.DescribeGroups];
      const any = [...cluster.brokers.values()][0]!;
      const conn0 = new KafkaConnection('127.0.0.1', any.port, { clientId: 'test', timeoutMs: 10_000 });
      const coord = fc.decodeResponse((await conn0.request(ApiKey.FindCoordinator, 1, (w) => void fc.encodeRequest(w, 1, { groupId: group, keyType: 0 })))!, 1);
      conn0.close();
      if (coord.errorCode !== 0) return { state: `error ${coord.errorCode}`, owners: new Map() };
      const conn = new KafkaConnection(coord.host, coord.port, { clientId: 'test', timeoutMs: 10_000 });
      try {
        const res = dg.decodeResponse((await conn.request(ApiKey.DescribeGroups, 1, (w) => void dg.encodeRequest(w, 1, { groups: [group] })))!, 1);
        const g = res.groups[0]!;
        const owners = new Map<string, number[]>();
        for (const m of g.members) {
          const a = decodeConsumerProtocolAssignment(m.memberAssignment);
          owners.set(m.memberId, a.topics.find((t) => t.topic === topic)?.partitions ?? []);
        }
        return { state: g.groupState, owners };
      } finally {
        conn.close();
      }
    } finally {
      client.close();
    }
  }

  it('three kcat members consume every partition once at a time; a SIGKILLed member is replaced after its session timeout; nothing is lost', async () => {
    const topic = `kcat-grp-${Math.random().toString(16).slice(2, 8)}`;
    const group = `g-${topic}`;
    const partitions = 6;
    const t2 = `${topic}-6`;
    await createTopic(cluster.zk, t2, { partitions, replicationFactor: 2 });
    await until('leaders for the topic', async () => {
      const c = new Cluster({ brokers: cluster.bootstrap });
      try {
        const m = await c.refresh([t2]);
        const t = m.topics.find((x) => x.topic === t2);
        return t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0);
      } finally {
        c.close();
      }
    });
    produce(t2, 0, 90, partitions);

    const members = [member(group, t2), member(group, t2), member(group, t2)];
    const consumed = () => members.flatMap((m) => m.lines.map((l) => l.split(' ')[2]!));
    await until('every record consumed', () => new Set(consumed()).size === 90, 60_000).catch((err: unknown) => {
      for (const m of members) console.log(`kcat stderr:\n${m.stderr().slice(-3000)}\nconsumed ${m.lines.length}`);
      throw err;
    });
    const stable = await until('a stable group of three, every partition owned once', async () => {
      const d = await describe(group, t2);
      if (d.state !== 'Stable' || d.owners.size !== 3) return undefined;
      const all = [...d.owners.values()].flat().sort();
      return all.length === partitions && new Set(all).size === partitions ? d : undefined;
    }, 30_000);
    expect([...stable.owners.values()].every((ps) => ps.length === 2)).toBe(true);
    // before the kill no record was consumed twice: each partition had one owner at a time
    expect(consumed().length).toBe(90);

    // SIGKILL one member: no LeaveGroup, its session must time out
    const victim = members[0]!;
    victim.proc.kill('SIGKILL');
    produce(t2, 90, 90, partitions);
    const survivors = members.slice(1);
    await until('every new record consumed by the survivors', () => new Set(survivors.flatMap((m) => m.lines.map((l) => l.split(' ')[2]!))).size >= 90 && new Set(consumed()).size === 180, 60_000);
    const after = await until('a stable group of two owning every partition', async () => {
      const d = await describe(group, t2);
      const all = [...d.owners.values()].flat();
      return d.state === 'Stable' && d.owners.size === 2 && new Set(all).size === partitions ? d : undefined;
    }, 30_000);
    expect(after.owners.size).toBe(2);
    for (let i = 0; i < 180; i++) expect(consumed()).toContain(`v${i}`);
  }, 150_000);
});
