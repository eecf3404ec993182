/**
 * A fault's role target with no holder at the moment it starts (`zk-leader` while the ensemble
 * elects, as after a killed ZooKeeper leader) is waited for, not failed. A stand-in `srvr`
 * server plays the ensemble's one node: it answers "Mode: follower" (no leader yet) a few
 * times, then "Mode: leader".
 */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { VerifyCluster } from '../../src/verify/faults.js';

let server: net.Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A server answering `srvr` with `Mode: follower` for the first `followerAnswers` connections, then `Mode: leader`. */
async function srvrServer(followerAnswers: number): Promise<number> {
  let n = 0;
  server = net.createServer((s) => {
    s.once('data', () => s.end(`Zookeeper version: 3.8\nMode: ${n++ < followerAnswers ? 'follower' : 'leader'}\n`));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

function cluster(zkPort: number): VerifyCluster {
  return new VerifyCluster({ root: '.', dir: '/nonexistent', brokers: 1, zkNodes: 1, port: 1, zkPort, hostPrefix: '127.0.0' });
}

describe('kafka-verify fault targets', () => {
  it('waits for a ZooKeeper leader to be elected and says so', async () => {
    const c = cluster(await srvrServer(4));
    const rec = { detail: [] as string[] };
    await expect(c.resolveHeld('zk-leader', 't', rec, 10_000)).resolves.toEqual({ kind: 'z', ids: [1] });
    expect(rec.detail).toEqual([expect.stringMatching(/^waited \d+ ms for a zk-leader to be elected$/)]);
  });

  it('resolves at once, saying nothing, when the leader is there', async () => {
    const c = cluster(await srvrServer(0));
    const rec = { detail: [] as string[] };
    await expect(c.resolveHeld('zk-leader', 't', rec, 10_000)).resolves.toEqual({ kind: 'z', ids: [1] });
    expect(rec.detail).toEqual([]);
  });

  it('fails with the reason once the wait is over', async () => {
    const c = cluster(await srvrServer(1_000_000));
    await expect(c.resolveHeld('zk-leader', 't', { detail: [] }, 500)).rejects.toThrow('no ZooKeeper leader now');
  });

  it('fails at once for a target that is not a role', async () => {
    const c = cluster(await srvrServer(0));
    const t0 = Date.now();
    await expect(c.resolveHeld('nonsense', 't', { detail: [] }, 10_000)).rejects.toThrow('unknown target nonsense');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a fault waiting for a process held by an earlier one starts no earlier than that one ends', async () => {
    // pauses of a broker with no pid file: nothing is signalled, only the bookkeeping runs
    const c = cluster(await srvrServer(0));
    let tick = 0;
    const now = () => tick++; // every reading of the clock is later than the one before
    const entry = { atMs: 0, durationMs: 0, action: 'pause' as const, target: 'broker-1' };
    const first = { index: 1, action: 'pause', target: 'broker-1', resolved: '?', startMs: now(), plannedAtMs: 0, detail: [] as string[] };
    const undoFirst = await c.inject(entry, first, 't', 1, now);
    const second = { index: 2, action: 'pause', target: 'broker-1', resolved: '?', startMs: now(), plannedAtMs: 0, detail: [] as string[] };
    const started = c.inject(entry, second, 't', 2, now);
    await new Promise((r) => setTimeout(r, 50));
    await undoFirst();
    const undoSecond = await started;
    expect(second.detail[0]).toMatch(/waited for broker 1 to come back from an earlier fault/);
    expect(first.endMs).toBeDefined();
    expect(second.startMs).toBeGreaterThan(first.endMs!);
    await undoSecond();
    expect(second.endMs).toBeGreaterThan(second.startMs);
  });

  it('of two faults waiting for one process, only one takes it when it comes back; the other waits for that one', async () => {
    const c = cluster(await srvrServer(0));
    let tick = 0;
    const now = () => tick++;
    const entry = { atMs: 0, durationMs: 0, action: 'pause' as const, target: 'broker-1' };
    const rec = (index: number) => ({ index, action: 'pause', target: 'broker-1', resolved: '?', startMs: now(), plannedAtMs: 0, detail: [] as string[] });
    const [a, b, d] = [rec(1), rec(2), rec(3)];
    const undoA = await c.inject(entry, a, 't', 1, now);
    // b and d both wait for a's undo
    let bTook: (() => Promise<void>) | undefined;
    let dTook: (() => Promise<void>) | undefined;
    const bStarted = c.inject(entry, b, 't', 2, now).then((u) => (bTook = u));
    const dStarted = c.inject(entry, d, 't', 3, now).then((u) => (dTook = u));
    await new Promise((r) => setTimeout(r, 50));
    await undoA();
    await new Promise((r) => setTimeout(r, 100));
    // exactly one of them holds the broker now
    expect([bTook, dTook].filter(Boolean)).toHaveLength(1);
    const [winner, loser] = bTook ? [b, d] : [d, b];
    await (bTook ?? dTook)!();
    await Promise.all([bStarted, dStarted]);
    expect(loser.startMs).toBeGreaterThan(winner.endMs!);
    expect(winner.startMs).toBeGreaterThan(a.endMs!);
    await (winner === b ? dTook : bTook)!();
    expect(loser.endMs).toBeGreaterThan(loser.startMs);
  });
});
