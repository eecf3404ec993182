/**
 * Destructive tests on an ensemble of their own (other files share the global one): the
 * client keeps its session when the server it talks to dies, and when the leader dies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ensemble } from '../helpers/zk-ensemble.js';
import { waitFor } from '../helpers/wait.js';
import { ZkClient, type ZkState } from '../../src/zk/client.js';

let ensemble: Ensemble;
const clients: ZkClient[] = [];

beforeAll(async () => {
  ensemble = await Ensemble.start({ nodes: 3, name: 'failover' });
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await ensemble?.stop();
}, 90_000);

async function connect(): Promise<ZkClient> {
  const c = await ZkClient.connect({ connectString: ensemble.connectString, chroot: '/failover', sessionTimeoutMs: 10_000 });
  clients.push(c);
  return c;
}

async function allServing(): Promise<boolean> {
  const rows = await ensemble.status();
  return rows.length === 3 && rows.every((r) => r.mode === 'leader' || r.mode === 'follower');
}

describe('an ensemble losing nodes', () => {
  it('zk-ensemble.sh status shows one leader and two followers', async () => {
    const rows = await ensemble.status();
    expect(rows.map((r) => r.mode).sort()).toEqual(['follower', 'follower', 'leader']);
    expect(rows.every((r) => typeof r.pid === 'number')).toBe(true);
  });

  it('the client keeps its session when its server dies', async () => {
    const c = await connect();
    const observer = await connect();
    const states: ZkState[] = [];
    c.on('state', (s) => states.push(s));
    await c.createEphemeralExpectConflict('/brokers/ids/1', 'b1');
    const seen: string[] = [];
    c.watchData('/value', (n) => void seen.push(n?.data.toString() ?? '<none>'));
    await waitFor(() => seen.length === 1, { what: 'the first value' });

    const session = c.sessionIdHex;
    const victim = ensemble.nodeOf(c.server);
    expect(victim).toBeDefined();
    await ensemble.killNode(victim!);
    await waitFor(() => c.connected && ensemble.nodeOf(c.server) !== victim, { what: 'a reconnect to another node', timeoutMs: 20_000 });

    expect(c.sessionIdHex).toBe(session);
    expect(states).not.toContain('expired');
    expect((await observer.get('/brokers/ids/1'))?.data.toString()).toBe('b1');
    await observer.create('/value', 'after-node-loss');
    await waitFor(() => seen.at(-1) === 'after-node-loss', { what: 'the watch after the node loss' });

    await ensemble.startNode(victim!);
    await waitFor(allServing, { what: 'the node to rejoin', timeoutMs: 30_000 });
  });

  it('the client keeps its session when the leader dies', async () => {
    const c = await connect();
    const states: ZkState[] = [];
    c.on('state', (s) => states.push(s));
    await c.createEphemeralExpectConflict('/controller', 'c1');
    await c.ensurePath('/kids');
    const kids: string[][] = [];
    c.watchChildren('/kids', (k) => void kids.push(k ?? []));
    await waitFor(() => kids.length === 1, { what: 'the first children' });

    const session = c.sessionIdHex;
    const leader = await ensemble.leader();
    expect(leader).toBeDefined();
    await ensemble.killNode(leader!);
    const newLeader = await waitFor(async () => {
      const l = await ensemble.leader();
      return l !== undefined && l !== leader ? l : undefined;
    }, { what: 'a new leader', timeoutMs: 30_000 });
    expect(newLeader).not.toBe(leader);

    // Writes made right away wait for the reconnect instead of failing.
    await c.create('/kids/a', 'x');
    await c.set('/kids/a', 'y', 0);
    await waitFor(() => kids.at(-1)?.join() === 'a', { what: 'the child watch after the leader loss' });
    expect(c.sessionIdHex).toBe(session);
    expect(states).not.toContain('expired');
    const ctl = await c.get('/controller');
    expect(ctl?.stat.ephemeralOwner).toBe(c.sessionId.readBigInt64BE(0));

    await ensemble.startNode(leader!);
    await waitFor(allServing, { what: 'the old leader to rejoin', timeoutMs: 30_000 });
  });
});
