/**
 * The partition state machine's batches on a real ZooKeeper: new partitions are created in
 * multis and existing ones are read rather than overwritten; a batch of elections in which a
 * leader changed some ISRs meanwhile (their zkVersion moved on) writes the others at once and
 * re-reads and elects those again; a deposed controller (the /controller_epoch zkVersion moved
 * on) writes nothing at all and learns it with ControllerMovedError.
 */
import { describe, expect, it } from 'vitest';
import { useZkChroot } from '../helpers/zk.js';
import { ControllerContext } from '../../src/broker/controller/controller-context.js';
import { ControllerMovedError, PartitionStateMachine, WRITE_BATCH } from '../../src/broker/controller/partition-state-machine.js';
import { controllerEpochPath, partitionStatePath } from '../../src/zk/paths.js';
import { decodePartitionState, encodePartitionState } from '../../src/zk/payloads.js';
import { Logger } from '../../src/common/logger.js';
import type { ZkClient } from '../../src/zk/client.js';

const N = WRITE_BATCH * 2 + 50; // several batches, the last one partial

async function controller(zk: ZkClient, topic: string, partitions: number): Promise<{ ctx: ControllerContext; psm: PartitionStateMachine; tps: { topic: string; partition: number }[] }> {
  const node = await zk.get(controllerEpochPath);
  const ctx = new ControllerContext();
  if (node) {
    ctx.epoch = Number(node.data.toString());
    ctx.epochZkVersion = node.version;
  } else {
    await zk.create(controllerEpochPath, '1');
    ctx.epoch = 1;
    ctx.epochZkVersion = 0;
  }
  for (const id of [1, 2, 3]) ctx.liveBrokers.set(id, { id, host: '127.0.0.1', port: 9000 + id });
  ctx.assignments.set(topic, new Map(Array.from({ length: partitions }, (_, p) => [p, [1 + (p % 3), 1 + ((p + 1) % 3), 1 + ((p + 2) % 3)]])));
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  return { ctx, psm: new PartitionStateMachine(zk, ctx, new Logger('psm-test')), tps };
}

const read = async (zk: ZkClient, topic: string, p: number) => {
  const node = (await zk.get(partitionStatePath(topic, p)))!;
  return { ...decodePartitionState(node.data), version: node.version };
};

describe('partition state machine batches', () => {
  const chroot = useZkChroot('psm');

  it('creates new partitions in multis and reads, never overwrites, those that exist', async () => {
    const zk = await chroot.connect();
    const { psm, tps } = await controller(zk, 'fresh', N);
    // partition 7 exists already (an earlier controller got half-way): its batch is redone one by one
    await zk.create(partitionStatePath('fresh', 7), encodePartitionState({ leader: 3, leaderEpoch: 4, controllerEpoch: 1, isr: [3] }), { parents: true });
    const states = await psm.initializeAll(tps);
    expect(states.every((s) => s !== undefined)).toBe(true);
    expect(states[7]).toMatchObject({ leader: 3, leaderEpoch: 4, isr: [3] });
    expect(await read(zk, 'fresh', 7)).toMatchObject({ leader: 3, leaderEpoch: 4, version: 0 });
    for (const p of [0, 1, WRITE_BATCH, N - 1]) expect(await read(zk, 'fresh', p)).toMatchObject({ leader: 1 + (p % 3), leaderEpoch: 0, isr: [1 + (p % 3), 1 + ((p + 1) % 3), 1 + ((p + 2) % 3)] });
  });

  it('elects a batch; partitions whose ISR a leader changed meanwhile are re-read and elected again', async () => {
    const zk = await chroot.connect();
    const { ctx, psm, tps } = await controller(zk, 'elect', N);
    await psm.initializeAll(tps);
    // leaders change ISRs behind the controller's back: a follower leaves those of 3, 201 and
    // 447 (led by broker 1); partition 6 (led by 1) is left with its leader alone
    const shrink = async (p: number, isr: (cur: number[]) => number[]) => {
      const cur = await read(zk, 'elect', p);
      await zk.set(partitionStatePath('elect', p), encodePartitionState({ leader: cur.leader, leaderEpoch: cur.leaderEpoch, controllerEpoch: cur.controllerEpoch, isr: isr(cur.isr) }), cur.version);
    };
    for (const p of [3, WRITE_BATCH + 1, N - 3]) await shrink(p, (isr) => isr.slice(0, 2));
    await shrink(6, (isr) => isr.slice(0, 1));
    ctx.liveBrokers.delete(1);
    const led = tps.filter((p) => ctx.partitionState(p.topic, p.partition)!.leader === 1);
    const r = await psm.electLeaders(led, (cur) => {
      const isr = cur.isr.filter((b) => b !== 1);
      return isr.length > 0 ? { leader: isr[0]!, isr } : undefined;
    }, 'test');
    expect(r.failed).toEqual([]);
    expect(r.offline).toEqual([{ topic: 'elect', partition: 6 }]);
    expect(r.elected.length + r.offline.length).toBe(led.length);
    for (const s of r.elected) {
      const z = await read(zk, 'elect', s.partition);
      expect(z).toMatchObject({ leader: s.leader, leaderEpoch: 1, isr: s.isr, version: s.zkVersion });
      expect(z.isr).not.toContain(1);
    }
    for (const p of [3, WRITE_BATCH + 1, N - 3]) expect((await read(zk, 'elect', p)).isr).toHaveLength(1); // the follower that left stays out
    expect(await read(zk, 'elect', 6)).toMatchObject({ leader: 1, leaderEpoch: 0, isr: [1] });
  });

  it('a deposed controller writes nothing: ControllerMovedError', async () => {
    const zk = await chroot.connect();
    const { ctx, psm, tps } = await controller(zk, 'fenced', N);
    await psm.initializeAll(tps);
    const before = await Promise.all(tps.map((p) => read(zk, 'fenced', p.partition)));
    // another controller bumps the epoch
    await zk.set(controllerEpochPath, String(ctx.epoch + 1), ctx.epochZkVersion);
    await expect(psm.shrinkIsrs(tps, [2])).rejects.toBeInstanceOf(ControllerMovedError);
    ctx.assignments.set('fenced-too', new Map([[0, [1]], [1, [2]]]));
    await expect(psm.initializeAll([{ topic: 'fenced-too', partition: 0 }, { topic: 'fenced-too', partition: 1 }])).rejects.toBeInstanceOf(ControllerMovedError);
    const after = await Promise.all(tps.map((p) => read(zk, 'fenced', p.partition)));
    expect(after).toEqual(before);
    expect(await zk.exists(partitionStatePath('fenced-too', 0))).toBeUndefined();
  });
});
