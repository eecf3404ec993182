/**
 * SocketServer's frame reuse: a request frame assembled from several chunks is given back to
 * the server's pool only once its handler has resolved and only if `reusableFrame` says so;
 * the next large request is then assembled in the same memory.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketServer } from '../../src/network/socket-server.js';

const FRAME_BYTES = 300_000;

/** A request frame body of FRAME_BYTES: byte 0 says whether it may be reused, the rest is `fill`. */
function body(reusable: boolean, fill: number): Buffer {
  const b = Buffer.alloc(FRAME_BYTES, fill);
  b[0] = reusable ? 1 : 0;
  return b;
}

describe('SocketServer frame reuse', () => {
  const servers: SocketServer[] = [];
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of servers.splice(0)) await s.close();
  });

  async function start(): Promise<{ received: Buffer[]; answer: (i: number) => void; send: (b: Buffer) => Promise<void>; waitFor: (n: number) => Promise<void> }> {
    const received: Buffer[] = [];
    const answers: (() => void)[] = [];
    const arrivals: (() => void)[] = [];
    const server = new SocketServer({ host: '127.0.0.1', port: 0, maxRequestBytes: 1 << 20, idleTimeoutMs: 60_000, reusableFrame: (f) => f[0] === 1 }, (frame) => {
      const i = received.push(frame) - 1;
      arrivals.splice(0).forEach((f) => f());
      return new Promise((resolve) => (answers[i] = () => resolve(Buffer.from([0, 0, 0, i]))));
    });
    servers.push(server);
    await server.start();
    const socket = net.connect(server.port, '127.0.0.1');
    sockets.push(socket);
    await new Promise((r) => socket.once('connect', r));
    socket.resume();
    // each frame in two writes apart in time, so that it reaches the server in several chunks
    const send = async (b: Buffer): Promise<void> => {
      const head = Buffer.alloc(4);
      head.writeInt32BE(b.length);
      socket.write(Buffer.concat([head, b.subarray(0, 1000)]));
      await new Promise((r) => setTimeout(r, 20));
      socket.write(b.subarray(1000));
    };
    const waitFor = async (n: number): Promise<void> => {
      while (received.length < n) await new Promise<void>((r) => arrivals.push(r));
    };
    return { received, answer: (i) => answers[i]!(), send, waitFor };
  }

  it('reuses a reusable frame once its handler has resolved, and never before', async () => {
    const { received, answer, send, waitFor } = await start();
    await send(body(true, 7));
    await waitFor(1);
    // the first is still being handled: the second is assembled elsewhere, the first untouched
    await send(body(true, 8));
    await waitFor(2);
    expect(received[1]!.buffer).not.toBe(received[0]!.buffer);
    expect(received[0]!.equals(body(true, 7))).toBe(true);
    answer(0);
    answer(1);
    await new Promise((r) => setTimeout(r, 20));
    await send(body(true, 9));
    await waitFor(3);
    expect([received[0]!.buffer, received[1]!.buffer]).toContain(received[2]!.buffer);
    expect(received[2]!.equals(body(true, 9))).toBe(true);
  });

  it('does not reuse a frame that reusableFrame refuses', async () => {
    const { received, answer, send, waitFor } = await start();
    await send(body(false, 3));
    await waitFor(1);
    answer(0);
    await new Promise((r) => setTimeout(r, 20));
    await send(body(true, 4));
    await waitFor(2);
    expect(received[1]!.buffer).not.toBe(received[0]!.buffer);
    expect(received[0]!.equals(body(false, 3))).toBe(true);
  });
});
