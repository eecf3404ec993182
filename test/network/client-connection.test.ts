import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, KafkaConnection, RequestTimeoutError } from '../../src/network/client-connection.js';

/**
 * A server that answers requests (with their correlation id and nothing else) only on
 * connections after the first: the first one stalls, as a broker stuck behind a dead disk.
 */
function stallingServer(): Promise<{ port: number; connections: net.Socket[]; closed: number[]; close: () => void }> {
  const connections: net.Socket[] = [];
  const closed: number[] = [];
  const server = net.createServer((socket) => {
    const n = connections.push(socket) - 1;
    socket.on('close', () => closed.push(n));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        if (n === 0) continue; // the stalled connection never answers
        const correlationId = frame.readInt32BE(4); // after api key and version
        const out = Buffer.alloc(8);
        out.writeInt32BE(4, 0);
        out.writeInt32BE(correlationId, 4);
        socket.write(out);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        connections,
        closed,
        close: () => {
          for (const s of connections) s.destroy();
          server.close();
        },
      });
    }),
  );
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('KafkaConnection', () => {
  it('closes a connection whose request timed out: the others in flight fail at once, the next request connects afresh', async () => {
    const srv = await stallingServer();
    cleanups.push(srv.close);
    const conn = new KafkaConnection('127.0.0.1', srv.port, { timeoutMs: 60_000 });
    cleanups.push(() => conn.close());
    const first = conn.request(18, 0, () => {}, { timeoutMs: 300 });
    const second = conn.request(18, 0, () => {}); // would wait a minute behind the stalled broker
    const t0 = Date.now();
    await expect(first).rejects.toBeInstanceOf(RequestTimeoutError);
    const err = await second.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/timed out after 300 ms/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    // the stalled socket is gone, and a new one answers
    const answer = await conn.request(18, 0, () => {});
    expect(answer).toBeDefined();
    expect(srv.connections.length).toBe(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.closed).toContain(0);
  });

  it('a request answered in time leaves the connection open', async () => {
    const srv = await stallingServer();
    cleanups.push(srv.close);
    srv.connections.push(new net.Socket()); // the first real connection is the second: answered
    const conn = new KafkaConnection('127.0.0.1', srv.port, { timeoutMs: 2_000 });
    cleanups.push(() => conn.close());
    for (let i = 0; i < 3; i++) expect(await conn.request(18, 0, () => {})).toBeDefined();
    expect(srv.connections.length).toBe(2);
    expect(conn.connected).toBe(true);
  });

  it('close() while connecting fails the connect at once (it used to wait forever: the close cleared the connect timer)', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    // TLS to a plain server never completes its handshake: the socket is "opening" until closed
    const secure = new KafkaConnection('127.0.0.1', port, { timeoutMs: 60_000, security: { protocol: 'SSL', tls: { rejectUnauthorized: false } } } as never);
    const pending = secure.connect();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    secure.close();
    await expect(pending).rejects.toBeInstanceOf(ConnectionError);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
