/** Session expiry on the shared ensemble: detected, recovered, ephemerals re-created by hooks. */
import { describe, expect, it } from 'vitest';
import { expireSession, useZkChroot, waitFor, zkConnect } from '../helpers/zk.js';
import type { ZkState } from '../../src/zk/client.js';

const zk = useZkChroot('session');

describe('session expiry', () => {
  it('opens a new session, re-arms watches and runs the hooks that re-create ephemerals', async () => {
    const c = await zk.connect({ sessionTimeoutMs: 4000 });
    const observer = await zk.connect();
    const states: ZkState[] = [];
    c.on('state', (s) => states.push(s));

    const register = () => c.createEphemeralExpectConflict('/brokers/ids/7', '{"host":"h"}');
    expect(await register()).toBe('created');
    let hookRuns = 0;
    c.onSessionExpired(async () => {
      hookRuns++;
      await register();
    });

    // A watch of the expiring client must keep working across the new session.
    const seen: Array<string[] | undefined> = [];
    c.watchChildren('/brokers/ids', (ids) => void seen.push(ids));
    await waitFor(() => seen.at(-1)?.join() === '7', { what: 'the watch to see 7' });

    const oldSession = c.sessionIdHex;
    await expireSession(c, zkConnect());

    await waitFor(() => states.includes('expired'), { what: "the 'expired' state", timeoutMs: 15_000 });
    await waitFor(() => hookRuns === 1, { what: 'the expiry hook', timeoutMs: 15_000 });
    expect(c.sessionIdHex).not.toBe(oldSession);
    expect(c.connected).toBe(true);

    // The ephemeral belongs to the new session.
    const node = await waitFor(() => observer.get('/brokers/ids/7'), { what: 'the re-created ephemeral' });
    expect(node.stat.ephemeralOwner).toBe(c.sessionId.readBigInt64BE(0));

    // The watch re-armed on the new session: it sees new children.
    await observer.create('/brokers/ids/8', '{}', { mode: 'ephemeral' });
    await waitFor(() => seen.at(-1)?.join() === '7,8', { what: 'the watch to see 8 after expiry' });
    expect(states.indexOf('expired')).toBeLessThan(states.lastIndexOf('connected'));

    // Ordinary calls work on the new session.
    await c.create('/after', 'x');
    // the observer may be connected to another server of the ensemble, which can lag behind the
    // leader for a moment (ZooKeeper orders each client's view, not all clients' views at once)
    const after = await waitFor(async () => (await observer.get('/after'))?.data.toString(), { timeoutMs: 10_000, what: 'the observer to see /after' });
    expect(after).toBe('x');
  });

  it('calls made while the session is being replaced wait and then succeed (CAS retries recognise their own write)', async () => {
    const c = await zk.connect({ sessionTimeoutMs: 4000 });
    await c.create('/counter', '0');
    const states: string[] = [];
    c.on('state', (s) => states.push(s));
    let expired = false;
    const expiring = expireSession(c, zkConnect()).then(() => (expired = true));
    // A compare-and-set chain across the expiry: a write that landed but whose answer was
    // lost is retried, meets BadVersion, and is recognised as ours (same data at version + 1).
    let version = 0;
    let i = 0;
    while (!expired || !states.includes('expired') || i < 5) {
      const next = await c.set('/counter', String(++i), version);
      expect(next).toBe(version + 1);
      version = next;
      if (i > 100_000) throw new Error('the session never expired');
    }
    await expiring;
    expect(states).toContain('expired');
    const node = await c.get('/counter');
    expect(node?.data.toString()).toBe(String(i));
    expect(node?.version).toBe(i);
  });
});
