/**
 * The broker's TCP listener. Each connection gets a FrameDecoder (size limit checked before
 * allocation), its requests are handled concurrently up to `maxInFlight`, and responses are
 * written strictly in request order. While `maxInFlight` requests are pending the socket is
 * paused, so a connection holds bounded memory. Idle connections are closed after
 * `connections.max.idle.ms`. A handler that returns `undefined` sends no response (acks=0);
 * a handler that throws closes the connection (the protocol has no place for the error).
 */
import net from 'node:net';
import { FrameDecoder } from './frame-decoder.js';
import { Logger } from '../common/logger.js';

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
}

/** Handles one request frame (header + body, no size prefix); returns the response frame body. */
export type RequestHandler = (frame: Buffer, conn: ConnectionInfo) => Promise<Buffer | Buffer[] | undefined>;

export interface SocketServerOptions {
  host: string;
  port: number;
  maxRequestBytes: number;
  idleTimeoutMs: number;
  maxInFlight?: number;
  logger?: Logger;
}

interface Pending {
  done: boolean;
  response: Buffer | Buffer[] | undefined;
  failed: boolean;
}

export class SocketServer {
  readonly #opts: Required<SocketServerOptions>;
  readonly #handler: RequestHandler;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  #nextId = 1;
  #port = 0;
  #closed: Promise<void> | undefined;

  constructor(opts: SocketServerOptions, handler: RequestHandler) {
    this.#opts = { maxInFlight: 32, logger: new Logger('network'), ...opts };
    this.#handler = handler;
  }

  get port(): number {
    return this.#port;
  }

  get connectionCount(): number {
    return this.#sockets.size;
  }

  async start(): Promise<void> {
    const server = net.createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.#opts.host, port: this.#opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as net.AddressInfo).port;
  }

  /** Stops accepting new connections; existing ones keep being served until close(). */
  stopAccepting(): void {
    const server = this.#server;
    if (!server || this.#closed) return;
    this.#closed = new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops accepting and closes every connection; resolves once the listener is closed. */
  async close(): Promise<void> {
    this.stopAccepting();
    for (const s of this.#sockets) s.destroy();
    await this.#closed;
  }

  #accept(socket: net.Socket): void {
    const conn: ConnectionInfo = { id: this.#nextId++, remote: `${socket.remoteAddress}:${socket.remotePort}` };
    const log = this.#opts.logger;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.#opts.idleTimeoutMs, () => {
      log.debug('closing idle connection', { remote: conn.remote });
      socket.destroy();
    });
    const decoder = new FrameDecoder(this.#opts.maxRequestBytes);
    const queue: Pending[] = [];
    let closed = false;

    const flush = (): void => {
      while (queue.length > 0 && queue[0]!.done) {
        const p = queue.shift()!;
        if (p.failed) {
          closed = true;
          socket.destroy();
          return;
        }
        if (p.response !== undefined) writeFrame(socket, p.response);
      }
      if (queue.length < this.#opts.maxInFlight && socket.isPaused() && !closed) socket.resume();
    };

    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        log.warn('closing connection: bad frame', { remote: conn.remote, error: err });
        closed = true;
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const p: Pending = { done: false, response: undefined, failed: false };
        queue.push(p);
        this.#handler(frame, conn).then(
          (res) => {
            p.response = res;
            p.done = true;
            flush();
          },
          (err: unknown) => {
            log.warn('closing connection: request failed', { remote: conn.remote, error: err });
            p.failed = true;
            p.done = true;
            flush();
          },
        );
      }
      if (queue.length >= this.#opts.maxInFlight) socket.pause();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      this.#sockets.delete(socket);
    });
  }
}

function writeFrame(socket: net.Socket, body: Buffer | Buffer[]): void {
  const parts = Array.isArray(body) ? body : [body];
  let size = 0;
  for (const p of parts) size += p.length;
  const head = Buffer.allocUnsafe(4);
  head.writeInt32BE(size, 0);
  if (parts.length === 1 && parts[0]!.length < 16384) {
    socket.write(Buffer.concat([head, parts[0]!]));
    return;
  }
  socket.cork();
  socket.write(head);
  for (const p of parts) socket.write(p);
  socket.uncork();
}
