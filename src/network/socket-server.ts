/**
 * The broker's TCP listener. Each connection gets a FrameDecoder (size limit checked before
 * allocation), its requests are handled concurrently up to `maxInFlight`, and responses are
 * written strictly in request order. While `maxInFlight` requests are pending the socket is
 * paused, so a connection holds bounded memory. Idle connections are closed after
 * `connections.max.idle.ms`. A handler that returns `undefined` sends no response (acks=0);
 * a handler that throws closes the connection (the protocol has no place for the error); one
 * that returns a CloseConnection sends its response, if any, then closes.
 *
 * A listener may be TLS (`tls` options for node:tls; a handshake that does not finish within
 * `handshakeTimeoutMs` is dropped, garbage instead of a ClientHello only closes that socket;
 * the principal is `User:<subject DN>` of a verified client certificate). With `preAuthMaxBytes`
 * (SASL listeners) every connection starts unauthenticated with that frame size limit, raised to
 * `maxRequestBytes` by `conn.authenticated()`.
 *
 * With `reusableFrame`, a frame that arrived in several chunks is assembled in a buffer of the
 * server's FramePool, and given back to it once its handler has resolved, if `reusableFrame`
 * says no view of it outlives the handler (the broker: Produce, whose handler settles only after
 * every append has written its record set). A busy producer's requests of up to a megabyte then
 * stop costing a fresh megabyte each (page faults: more than the copy).
 *
 * With `onResponseSent`, each answered request is reported once its response has left for the
 * kernel (or at once when there is none, acks=0): its API key and when it was read, answered by
 * its handler, written to the socket (after the responses before it on the connection) and
 * handed to the kernel. The broker's request metrics come from there (metrics.ts).
 */
import net from 'node:net';
import tls from 'node:tls';
import { FrameDecoder } from './frame-decoder.js';
import { FramePool } from './frame-pool.js';
import { subjectDn } from './tls-config.js';
import { Logger } from '../common/logger.js';

export const ANONYMOUS = 'User:ANONYMOUS';

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  /** The listener's name (PLAINTEXT, SSL, CLIENT, ...). */
  readonly listener: string;
  /** `User:ANONYMOUS`, `User:<DN>` (TLS client certificate) or `User:<name>` (SASL). */
  principal: string;
  /** False until SASL succeeds on a SASL listener; true elsewhere. */
  isAuthenticated: boolean;
  /** Marks the connection authenticated as `principal`: lifts the pre-authentication frame limit. */
  authenticated(principal: string): void;
  /** State a layer above keeps per connection (the SASL authenticator's). */
  state?: unknown;
}

/** A response after which the connection is closed (a failed authentication). */
export class CloseConnection {
  constructor(readonly response?: Buffer) {}
}

/**
 * A response body in chunks whose buffers are lent: `sent` is called once the socket has handed
 * all of it to the kernel (or failed to), after which they may be reused. A response never
 * written (its connection closed first) never calls it: its buffers are left to the GC.
 */
export class LentResponse {
  constructor(
    readonly chunks: Buffer[],
    readonly sent: () => void,
  ) {}
}

export type HandlerResult = Buffer | Buffer[] | LentResponse | CloseConnection | undefined;

/** Handles one request frame (header + body, no size prefix); returns the response frame body. */
export type RequestHandler = (frame: Buffer, conn: ConnectionInfo) => Promise<HandlerResult>;

export interface SocketServerOptions {
  host: string;
  port: number;
  maxRequestBytes: number;
  idleTimeoutMs: number;
  maxInFlight?: number;
  logger?: Logger;
  listener?: string;
  /** node:tls server options: a TLS listener. */
  tls?: tls.TlsOptions;
  handshakeTimeoutMs?: number;
  /** A SASL listener's frame size limit before authentication. */
  preAuthMaxBytes?: number;
  /** True for a frame no part of which is referenced once its handler has resolved: its buffer is reused. */
  reusableFrame?: (frame: Buffer) => boolean;
  /** Called for each answered request once its response is sent (see the top of this file). */
  onResponseSent?: (apiKey: number, times: ResponseTimes) => void;
}

/** When a request was read, answered, written and sent (performance.now() milliseconds). */
export interface ResponseTimes {
  readAt: number;
  answeredAt: number;
  /** When its response was written to the socket, after those before it on the connection. */
  writtenAt: number;
  /** When the socket handed the response to the kernel (writtenAt without a response). */
  sentAt: number;
}

interface Pending {
  done: boolean;
  response: HandlerResult;
  failed: boolean;
  apiKey: number;
  readAt: number;
  answeredAt: number;
}

type Optional = 'tls' | 'preAuthMaxBytes' | 'reusableFrame' | 'onResponseSent';
type Opts = Required<Omit<SocketServerOptions, Optional>> & Pick<SocketServerOptions, Optional>;

/** Released frames the server keeps for the next large requests, over all its connections. */
const KEPT_FRAMES = 4;

export class SocketServer {
  readonly #opts: Opts;
  readonly #handler: RequestHandler;
  readonly #sockets = new Set<net.Socket>();
  readonly #frames = new FramePool(64 * 1024, KEPT_FRAMES);
  #server: net.Server | undefined;
  #nextId = 1;
  #port = 0;
  #closed: Promise<void> | undefined;

  constructor(opts: SocketServerOptions, handler: RequestHandler) {
    this.#opts = { maxInFlight: 32, logger: new Logger('network'), listener: 'PLAINTEXT', handshakeTimeoutMs: 10_000, ...opts };
    this.#handler = handler;
  }

  get port(): number {
    return this.#port;
  }

  get connectionCount(): number {
    return this.#sockets.size;
  }

  async start(): Promise<void> {
    const t = this.#opts.tls;
    const server: net.Server = t
      ? tls.createServer({ ...t, handshakeTimeout: this.#opts.handshakeTimeoutMs }, (socket) => this.#accept(socket))
      : net.createServer((socket) => this.#accept(socket));
    if (t) {
      // a bad ClientHello or a stalled handshake: that socket is destroyed by node:tls; log it only
      server.on('tlsClientError', (err, socket) => {
        this.#opts.logger.debug('TLS handshake failed', { remote: `${socket.remoteAddress}:${socket.remotePort}`, error: err.message });
        socket.destroy();
      });
    }
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
    const preAuth = this.#opts.preAuthMaxBytes;
    const reusable = this.#opts.reusableFrame;
    const framePool = this.#frames;
    const decoder = new FrameDecoder(preAuth ?? this.#opts.maxRequestBytes, reusable ? (n) => framePool.allocate(n) : undefined);
    const maxRequestBytes = this.#opts.maxRequestBytes;
    let principal = ANONYMOUS;
    if (socket instanceof tls.TLSSocket && socket.authorized) {
      const cert = socket.getPeerCertificate();
      if (cert && cert.raw) principal = `User:${subjectDn(cert.raw)}`;
    }
    const conn: ConnectionInfo = {
      id: this.#nextId++,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      listener: this.#opts.listener,
      principal,
      isAuthenticated: preAuth === undefined,
      authenticated(p: string) {
        this.principal = p;
        this.isAuthenticated = true;
        decoder.maxFrameBytes = maxRequestBytes;
      },
    };
    const log = this.#opts.logger;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.#opts.idleTimeoutMs, () => {
      log.debug('closing idle connection', { remote: conn.remote });
      socket.destroy();
    });
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
        if (p.response instanceof CloseConnection) {
          closed = true;
          queue.length = 0;
          if (p.response.response) writeFrame(socket, p.response.response);
          socket.end();
          setTimeout(() => socket.destroy(), 1000).unref();
          return;
        }
        const sent = this.#opts.onResponseSent;
        let body = p.response;
        let returnLent: (() => void) | undefined;
        if (body instanceof LentResponse) {
          returnLent = body.sent;
          body = body.chunks;
        }
        if (!sent) {
          if (body !== undefined) writeFrame(socket, body, returnLent);
          continue;
        }
        const writtenAt = performance.now();
        if (body !== undefined) {
          writeFrame(socket, body, () => {
            returnLent?.();
            sent(p.apiKey, { readAt: p.readAt, answeredAt: p.answeredAt, writtenAt, sentAt: performance.now() });
          });
        } else sent(p.apiKey, { readAt: p.readAt, answeredAt: p.answeredAt, writtenAt, sentAt: writtenAt });
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
        if (closed) return;
        // a Kafka request frame starts with its API key (int16)
        const p: Pending = { done: false, response: undefined, failed: false, apiKey: frame.length >= 2 ? frame.readInt16BE(0) : -1, readAt: performance.now(), answeredAt: 0 };
        queue.push(p);
        this.#handler(frame, conn).then(
          (res) => {
            p.response = res;
            p.answeredAt = performance.now();
            p.done = true;
            if (reusable?.(frame)) framePool.release(frame);
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

/** Writes a response frame; `sent` is called once the socket has handed all of it to the kernel. */
function writeFrame(socket: net.Socket, body: Buffer | Buffer[], sent?: () => void): void {
  const parts = Array.isArray(body) ? body : [body];
  let size = 0;
  for (const p of parts) size += p.length;
  const head = Buffer.allocUnsafe(4);
  head.writeInt32BE(size, 0);
  if (parts.length === 1 && parts[0]!.length < 16384) {
    socket.write(Buffer.concat([head, parts[0]!]), sent);
    return;
  }
  socket.cork();
  socket.write(head, parts.length === 0 ? sent : undefined);
  for (let i = 0; i < parts.length; i++) socket.write(parts[i]!, i === parts.length - 1 ? sent : undefined);
  socket.uncork();
}
