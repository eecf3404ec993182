/**
 * The mirror under faults, with real processes: a target partition leader SIGKILLed mid-stream
 * (RF=2 on the target), the mirror itself SIGKILLed and restarted (it resumes from its
 * committed offsets; the copies it makes twice are counted and reported), and two mirrors of
 * one group sharing the partitions, one of them SIGKILLed. The invariant each time: every
 * record the source acknowledged is in the target, each key's records in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { describeGroup } from '../../src/client/connector/group-describe.js';
import { consumerIdsPath, topicPath } from '../../src/zk/paths.js';
import { FAST, state } from '../replication/helpers.js';
import { allOwners } from '../helpers/consumer-process.js';
import { SourceWriter, checkMirrored, readTopic, startMirror, type MirrorProcess } from '../helpers/mirror.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kafka-mirror-maker under faults', () => {
  let a: TestCluster;
  let b: TestCluster;
  let writer: SourceWriter;
  const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-mirror-faults-'));
  const mirrors: MirrorProcess[] = [];
  const mirror = (group: string, topic: string) => {
    const m = startMirror({ dir, sourceZk: a.zkConnect, group, targetBootstrap: b.bootstrap, args: ['--whitelist', topic, '--num.streams', '2'] });
    mirrors.push(m);
    return m;
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([new TestCluster('mirror-fault-a').start(2), new TestCluster('mirror-fault-b', { ...FAST, 'default.replication.factor': '2' }).start(3)]);
    writer = new SourceWriter(a.bootstrap);
  });
  afterAll(async () => {
    for (const m of mirrors) m.kill('SIGKILL');
    await writer?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Stops the writer, waits for lag 0, and checks the topic; returns the duplicates. */
  async function settle(group: string, topic: string, partitions: number): Promise<number> {
    await writer.stop();
    expect(writer.failed).toEqual([]);
    await until(
      `${group}'s lag on ${topic} to reach 0`,
      async () => {
        const rows = (await describeGroup(a.zk, group)).partitions.filter((p) => p.topic === topic);
        return rows.length === partitions && rows.every((p) => p.lag === 0);
      },
      90_000,
      500,
    ).catch((err: Error) => {
      for (const m of mirrors) console.log(m.stderr().split('\n').slice(-30).join('\n'));
      throw err;
    });
    const acked = writer.acked.get(topic)!;
    const r = checkMirrored(acked, await readTopic(b.bootstrap, topic));
    expect(r.missing).toEqual([]);
    expect(r.found).toBe(acked.length);
    return r.duplicates;
  }

  it('a target partition leader SIGKILLed mid-stream (RF=2): the mirror goes on, nothing is lost', async () => {
    const topic = 'fault.leader';
    await createTopic(a.zk, topic, { partitions: 4, replicationFactor: 1 });
    const m = mirror('mirror-leader', topic);
    writer.start(() => [topic]);
    await until('the target topic with RF 2', async () => (await state(b, topic, 0))?.isr.length === 2, 60_000, 200);
    await until('the mirror to copy records', () => /mirrored [1-9]\d* records/.test(m.stderr()), 60_000, 200);
    const leader = (await state(b, topic, 0))!.leader;
    await b.stopBroker(leader, 'SIGKILL');
    await until('a new leader for partition 0', async () => {
      const s = await state(b, topic, 0);
      return s !== undefined && s.leader !== leader && s.leader >= 0;
    }, 30_000);
    await sleep(3000); // the mirror keeps copying to the new leaders
    const duplicates = await settle('mirror-leader', topic, 4);
    console.log(`target leader ${leader} SIGKILLed: ${writer.acked.get(topic)!.length} records, ${duplicates} duplicates`);
    expect(m.proc.exitCode).toBeNull(); // retriable errors never stop the mirror
    expect(await m.stop()).toBe(0);
    await b.startBroker(leader);
  });

  it('the mirror SIGKILLed and restarted resumes from its committed offsets: nothing lost, duplicates counted', async () => {
    const topic = 'fault.restart';
    const group = 'mirror-restart';
    await createTopic(a.zk, topic, { partitions: 3, replicationFactor: 1 });
    const first = mirror(group, topic);
    writer.start(() => [topic]);
    await until('the first mirror to copy and commit', async () => {
      const rows = (await describeGroup(a.zk, group)).partitions;
      return /mirrored [1-9]\d* records/.test(first.stderr()) && rows.some((r) => (r.currentOffset ?? 0) > 0);
    }, 60_000, 200);
    await sleep(1500);
    first.kill('SIGKILL');
    await first.exited;
    // the requests the killed mirror had sent are appended (and replicated: the target has RF 2,
    // a record is read once the follower has it) or not: the target stops changing. Under load
    // a follower took over 500 ms, and a copy counted after a fixed 500 ms wait came later; in a
    // full run of the suite one duplicate more than counted here was found (a record late again,
    // after two reads 1 s apart had agreed, by the look of it): three must agree.
    let copied = -1;
    let unchanged = 0;
    await until('the target to stop changing', async () => {
      const n = (await readTopic(b.bootstrap, topic)).length;
      unchanged = n === copied ? unchanged + 1 : 0;
      copied = n;
      return unchanged >= 2;
    }, 30_000, 1000);
    const committed = (await describeGroup(a.zk, group)).partitions.reduce((n, p) => n + (p.currentOffset ?? 0), 0);
    expect(copied).toBeGreaterThanOrEqual(committed); // nothing is committed before the target has it
    const second = mirror(group, topic);
    await sleep(3000);
    const duplicates = await settle(group, topic, 3);
    const total = writer.acked.get(topic)!.length;
    console.log(`mirror SIGKILLed with ${copied} records copied and offsets committed through ${committed}; restarted: ${total} records, ${duplicates} copied twice`);
    // the restart resumed exactly at the committed offsets: what was copied past them is copied again, nothing before
    expect(duplicates).toBe(copied - committed);
    expect(await second.stop()).toBe(0);
  });

  it('two mirrors in one group share the partitions; one SIGKILLed, the other takes over and nothing is lost', async () => {
    const topic = 'fault.pair';
    const group = 'mirror-pair';
    await createTopic(a.zk, topic, { partitions: 6, replicationFactor: 1 });
    const one = mirror(group, topic);
    const two = mirror(group, topic);
    writer.start(() => [topic]);
    await until('both mirrors to own partitions', async () => {
      const owners = new Set([...(await allOwners(a.zk, group)).values()].map((t) => t.replace(/-\d+$/, '')));
      const ids = (await a.zk.children(consumerIdsPath(group))) ?? [];
      return ids.length === 2 && owners.size === 2;
    }, 60_000, 200);
    await until('the target topic', async () => (await b.zk.exists(topicPath(topic))) !== undefined, 30_000);
    await sleep(2000);
    one.kill('SIGKILL');
    await one.exited;
    await until('the survivor to own all 6 partitions', async () => {
      const owners = await allOwners(a.zk, group);
      return owners.size === 6 && new Set([...owners.values()].map((t) => t.replace(/-\d+$/, ''))).size === 1;
    }, 60_000, 200);
    await sleep(2000);
    const duplicates = await settle(group, topic, 6);
    console.log(`one of two mirrors SIGKILLed: ${writer.acked.get(topic)!.length} records, ${duplicates} duplicates`);
    expect(await two.stop()).toBe(0);
  });
});
