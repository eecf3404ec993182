/**
 * SocketServer's frame reuse: a request frame assembled from several chunks is given back to
 * the server's pool only once its handler has resolved and only if `reusableFrame` says so;
 * the next large request is then assembled in the same memory.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LentResponse, SocketServer } from '../../src/network/socket-server.js';

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

describe('SocketServer onResponseSent', () => {
  it('reports each answered request with its API key and read <= answered <= written <= sent (an answer written after the earlier ones), and one without a response at once', async () => {
    const reports: { apiKey: number; readAt: number; answeredAt: number; writtenAt: number; sentAt: number }[] = [];
    const release: (() => void)[] = [];
    const server = new SocketServer(
      { host: '127.0.0.1', port: 0, maxRequestBytes: 1 << 20, idleTimeoutMs: 60_000, onResponseSent: (apiKey, t) => reports.push({ apiKey, ...t }) },
      (frame) => {
        const apiKey = frame.readInt16BE(0);
        // API 0 answers only when released (the one after it waits in the queue); API 9 has no response
        if (apiKey === 0) return new Promise((resolve) => release.push(() => resolve(Buffer.from([0, 0, 0, 0]))));
        return Promise.resolve(apiKey === 9 ? undefined : Buffer.from([0, 0, 0, apiKey]));
      },
    );
    await server.start();
    const socket = net.connect(server.port, '127.0.0.1');
    try {
      await new Promise((r) => socket.once('connect', r));
      const got: Buffer[] = [];
      socket.on('data', (d: Buffer) => got.push(d));
      const frame = (apiKey: number): Buffer => {
        const b = Buffer.alloc(8);
        b.writeInt32BE(4, 0);
        b.writeInt16BE(apiKey, 4);
        return b;
      };
      socket.write(Buffer.concat([frame(0), frame(3), frame(9)]));
      while (release.length === 0) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 30)); // API 3 answered, waiting behind API 0
      release[0]!();
      while (reports.length < 3 || Buffer.concat(got).length < 16) await new Promise((r) => setTimeout(r, 5));
      // a response is reported from its write's callback, one without a response as it comes up
      reports.sort((a, b) => a.readAt - b.readAt);
      expect(reports.map((r) => r.apiKey)).toEqual([0, 3, 9]);
      for (const r of reports) {
        expect(r.readAt).toBeLessThanOrEqual(r.answeredAt);
        expect(r.answeredAt).toBeLessThanOrEqual(r.writtenAt);
        expect(r.writtenAt).toBeLessThanOrEqual(r.sentAt);
      }
      const [, second, third] = reports;
      expect(second!.writtenAt - second!.answeredAt).toBeGreaterThanOrEqual(25); // queued behind the first
      expect(third!.sentAt).toBe(third!.writtenAt); // no response: nothing to send
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});

describe('SocketServer LentResponse', () => {
  it('calls `sent` only once the socket has handed every chunk to the kernel, not while the client is not reading', async () => {
    // more than loopback's socket buffers hold, so the write waits for the client to read
    const chunk = Buffer.alloc(8 << 20, 0x5a);
    let sentCalls = 0;
    const server = new SocketServer({ host: '127.0.0.1', port: 0, maxRequestBytes: 1 << 20, idleTimeoutMs: 60_000 }, () =>
      Promise.resolve(new LentResponse([Buffer.from([1, 2, 3, 4]), chunk, chunk], () => sentCalls++)),
    );
    await server.start();
    const socket = net.connect(server.port, '127.0.0.1');
    try {
      await new Promise((r) => socket.once('connect', r));
      socket.pause();
      const req = Buffer.alloc(8);
      req.writeInt32BE(4, 0);
      socket.write(req);
      await new Promise((r) => setTimeout(r, 200));
      expect(sentCalls).toBe(0); // the kernel has not taken it all: the chunks are still in use
      let got = 0;
      let tail = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        got += d.length;
        tail = d;
      });
      socket.resume();
      const total = 4 + 4 + 2 * chunk.length;
      while (got < total) await new Promise((r) => setTimeout(r, 5));
      expect(got).toBe(total);
      expect(tail[tail.length - 1]).toBe(0x5a);
      while (sentCalls === 0) await new Promise((r) => setTimeout(r, 5));
      expect(sentCalls).toBe(1);
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
