/**
 * A ZooKeeper server that keeps the connection open but stops answering (a wedged server, a
 * black-holed route) is given up on, as Java's ClientCnxn does: after two thirds of the session
 * timeout without a byte from it the client reconnects, here through a fresh connection, and
 * keeps its session. node-zookeeper-client alone would wait on that socket forever.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { useZkChroot, waitFor, zkConnect } from '../helpers/zk.js';
import type { ZkState } from '../../src/zk/client.js';

// The proxy and the checking client both talk to the ensemble's first server: a ZooKeeper read is
// served by the server it is sent to, which may not yet have applied a write made through another.
const server = zkConnect().split(',')[0]!;
const proxy = new TcpProxy(server);
afterAll(() => proxy.close());

describe('a silent ZooKeeper server', () => {
  it('is dropped after 2/3 of the session timeout and the session carries on over a new connection', async () => {
    await proxy.start();
    const zk = useZkChroot('silent-server');
    // the chroot is made through the shared ensemble; the client under test only sees the proxy
    const base = await zk.connect({ connectString: server });
    await base.create('/x', 'before');
    const c = await zk.connect({ connectString: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: 6000 });
    const states: ZkState[] = [];
    c.on('state', (s) => states.push(s));
    const session = c.sessionIdHex;
    expect((await c.get('/x'))?.data.toString()).toBe('before');

    const stalledAt = Date.now();
    expect(proxy.stall()).toBe(1);
    const pending = c.get('/x'); // sent into the stalled connection: answered after the reconnect
    await waitFor(() => states.includes('disconnected'), { what: 'the silent connection to be dropped', timeoutMs: 10_000 });
    const droppedAfter = Date.now() - stalledAt;
    expect(droppedAfter).toBeGreaterThanOrEqual(3000); // not before 2/3 of 6 s (less the ping interval's slack)
    await waitFor(() => c.connected, { what: 'the reconnect', timeoutMs: 10_000 });
    expect(c.sessionIdHex).toBe(session);
    expect(states).not.toContain('expired');
    expect((await pending)?.data.toString()).toBe('before');
    await c.set('/x', 'after');
    expect((await base.get('/x'))?.data.toString()).toBe('after');
  });
});
