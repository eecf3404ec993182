/**
 * A client connection to one broker: requests carry increasing correlation ids, responses are
 * matched by id, each request has a timeout, and a closed socket fails every pending request.
 * `ConnectionPool` keeps one connection per `host:port`. Used by the tools, the clients and the
 * broker's own fetchers.
 */
import net from 'node:net';
import tls from 'node:tls';
import { FrameDecoder } from './frame-decoder.js';
import { DirectFrameReader } from './direct-frame-reader.js';
import type { FramePool } from './frame-pool.js';
import { ProjectError } from '../common/errors.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { encodeRequestHeader } from '../protocol/header.js';
import type { ClientSecurity } from './client-security.js';
import { saslAuthenticate } from './sasl-client.js';

export class ConnectionError extends ProjectError {}
export class RequestTimeoutError extends ProjectError {}

export interface ConnectionOptions {
  clientId?: string;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** TLS and SASL (client-security.ts); absent = PLAINTEXT. */
  security?: ClientSecurity;
  /** Where large responses are assembled; the caller releases each one it is done with. */
  framePool?: FramePool;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** false for requests the broker does not answer (Produce with acks=0). */
  expectResponse?: boolean;
}

interface InFlight {
  resolve: (r: Reader) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** The socket the request went out on: only its closing fails the request. */
  socket: net.Socket;
}

export class KafkaConnection {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  #socket: net.Socket | undefined;
  #connecting: Promise<void> | undefined;
  #nextCorrelationId = 1;
  readonly #inFlight = new Map<number, InFlight>();
  readonly #defaultTimeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #security: ClientSecurity | undefined;
  readonly #framePool: FramePool | undefined;
  /** The socket being connected (TLS handshake, SASL), until connect() settles. */
  #opening: net.Socket | undefined;

  constructor(host: string, port: number, opts: ConnectionOptions = {}) {
    this.host = host;
    this.port = port;
    this.clientId = opts.clientId ?? 'zkafka';
    this.#defaultTimeoutMs = opts.timeoutMs ?? 30_000;
    this.#maxResponseBytes = opts.maxResponseBytes ?? 512 * 1024 * 1024;
    this.#security = opts.security;
    this.#framePool = opts.framePool;
  }

  get connected(): boolean {
    return this.#socket !== undefined && !this.#socket.destroyed;
  }

  connect(timeoutMs = this.#defaultTimeoutMs): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.#connecting) return this.#connecting;
    const sec = this.#security;
    const useTls = sec !== undefined && (sec.protocol === 'SSL' || sec.protocol === 'SASL_SSL');
    this.#connecting = new Promise<void>((resolve, reject) => {
      const pool = this.#framePool;
      const allocate = pool ? (n: number) => pool.allocate(n) : undefined;
      // plain TCP: responses are read straight into their buffers (direct-frame-reader.ts)
      const direct = useTls ? undefined : new DirectFrameReader(this.#maxResponseBytes, allocate);
      const socket: net.Socket = direct
        ? net.connect({
            host: this.host,
            port: this.port,
            onread: {
              buffer: () => direct.nextBuffer(),
              callback: (n: number) => {
                this.#onFrames(socket, () => direct.onRead(n));
                return true; // false would pause the socket
              },
            },
          })
        : tls.connect({ ...sec!.tls, host: this.host, port: this.port, servername: net.isIP(this.host) ? undefined : this.host });
      socket.setNoDelay(true);
      this.#opening = socket;
      const decoder = direct ? undefined : new FrameDecoder(this.#maxResponseBytes, allocate);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(`connect to ${this.host}:${this.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(useTls ? 'secureConnect' : 'connect', () => {
        if (!sec?.sasl) {
          clearTimeout(timer);
          this.#socket = socket;
          resolve();
          return;
        }
        // requests wait (connect() is still pending) until SASL has succeeded
        const where = `${this.host}:${this.port}`;
        const send = async (apiKey: number, version: number, body: (w: Writer) => void): Promise<Reader> => (await this.#send(socket, apiKey, version, body, [], {}))!;
        saslAuthenticate(send, sec.sasl, where).then(
          () => {
            clearTimeout(timer);
            if (socket.destroyed) {
              reject(new ConnectionError(`connection to ${where} closed`));
              return;
            }
            this.#socket = socket;
            resolve();
          },
          (err: Error) => {
            clearTimeout(timer);
            socket.destroy();
            reject(err);
          },
        );
      });
      if (decoder) socket.on('data', (chunk: Buffer) => this.#onFrames(socket, () => decoder.push(chunk)));
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionError(`connection to ${this.host}:${this.port} failed: ${err.message}`, { cause: err }));
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (this.#socket === socket) this.#socket = undefined;
        // closed while connecting (close() destroys a socket still opening, without an error):
        // the connect fails now, or whoever awaits it (a fetcher being stopped) waits forever
        reject(new ConnectionError(`connection to ${this.host}:${this.port} closed`));
        this.#failAll(socket, new ConnectionError(`connection to ${this.host}:${this.port} closed`));
      });
    }).finally(() => {
      this.#connecting = undefined;
      this.#opening = undefined;
    });
    return this.#connecting;
  }

  /** The frames `read` completes go to their requests; a bad frame size closes the socket. */
  #onFrames(socket: net.Socket, read: () => Buffer[]): void {
    let frames: Buffer[];
    try {
      frames = read();
    } catch (err) {
      socket.destroy(err as Error);
      return;
    }
    for (const f of frames) this.#onResponse(f);
  }

  #onResponse(frame: Buffer): void {
    if (frame.length < 4) return;
    const id = frame.readInt32BE(0);
    const pending = this.#inFlight.get(id);
    if (!pending) return;
    this.#inFlight.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(new Reader(frame, 4));
  }

  #failAll(socket: net.Socket, err: Error): void {
    for (const [id, p] of this.#inFlight) {
      if (p.socket !== socket) continue;
      clearTimeout(p.timer);
      p.reject(err);
      this.#inFlight.delete(id);
    }
  }

  /**
   * Sends one request. `writeBody` writes the request body; the promise resolves to a Reader
   * positioned at the response body (after the correlation id), or to undefined when no
   * response is expected.
   */
  request(apiKey: number, apiVersion: number, writeBody: (w: Writer) => void, opts: RequestOptions = {}): Promise<Reader | undefined> {
    return this.requestChunks(apiKey, apiVersion, writeBody, [], opts);
  }

  /**
   * Sends one request whose body ends with `chunks` after what `writeHead` writes: the chunks
   * go to the socket as they are (one writev), not copied. They must not change until the
   * request is answered, or, when no answer is expected, until the promise resolves (once
   * they are written to the socket). Otherwise as request().
   */
  async requestChunks(apiKey: number, apiVersion: number, writeHead: (w: Writer) => void, chunks: readonly Buffer[], opts: RequestOptions = {}): Promise<Reader | undefined> {
    await this.connect();
    const socket = this.#socket;
    if (!socket) throw new ConnectionError(`not connected to ${this.host}:${this.port}`);
    return this.#send(socket, apiKey, apiVersion, writeHead, chunks, opts);
  }

  #send(socket: net.Socket, apiKey: number, apiVersion: number, writeHead: (w: Writer) => void, chunks: readonly Buffer[], opts: RequestOptions): Promise<Reader | undefined> {
    const correlationId = this.#nextCorrelationId;
    this.#nextCorrelationId = (this.#nextCorrelationId + 1) & 0x7fffffff;
    const w = new Writer(256);
    const sizeAt = w.reserveInt32();
    encodeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: this.clientId });
    writeHead(w);
    let size = w.length - 4;
    for (const c of chunks) size += c.length;
    w.setInt32(sizeAt, size);
    const send = (done?: () => void): void => {
      socket.cork();
      socket.write(w.finish(), chunks.length === 0 ? done : undefined);
      for (let i = 0; i < chunks.length; i++) socket.write(chunks[i]!, i === chunks.length - 1 ? done : undefined);
      socket.uncork();
    };
    if (!(opts.expectResponse ?? true)) {
      return new Promise<undefined>((resolve) => send(() => resolve(undefined)));
    }
    const timeoutMs = opts.timeoutMs ?? this.#defaultTimeoutMs;
    return new Promise<Reader>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#inFlight.delete(correlationId);
        reject(new RequestTimeoutError(`request (api ${apiKey} v${apiVersion}) to ${this.host}:${this.port} timed out after ${timeoutMs} ms`));
        // As Kafka's clients do: a connection with an unanswered request is not used again (the
        // requests behind it would wait for the same stalled broker, and an answer arriving
        // late would belong to nobody); the others in flight fail now, the next request
        // connects afresh.
        this.#failAll(socket, new ConnectionError(`connection to ${this.host}:${this.port} closed: a request on it timed out after ${timeoutMs} ms`));
        if (this.#socket === socket) this.#socket = undefined;
        socket.destroy();
      }, timeoutMs);
      this.#inFlight.set(correlationId, { resolve, reject, timer, socket });
      send();
    });
  }

  close(): void {
    this.#opening?.destroy();
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}

/** One connection per broker address. */
export class ConnectionPool {
  readonly #conns = new Map<string, KafkaConnection>();
  readonly #opts: ConnectionOptions;
  constructor(opts: ConnectionOptions = {}) {
    this.#opts = opts;
  }
  get(host: string, port: number): KafkaConnection {
    const key = `${host}:${port}`;
    let c = this.#conns.get(key);
    if (!c) {
      c = new KafkaConnection(host, port, this.#opts);
      this.#conns.set(key, c);
    }
    return c;
  }
  closeAll(): void {
    for (const c of this.#conns.values()) c.close();
    this.#conns.clear();
  }
}

/** Parses "h1:p1,h2:p2" into addresses. */
export function parseBrokerList(list: string): { host: string; port: number }[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^(.*):(\d+)$/.exec(s.replace(/^[A-Z_]+:\/\//, ''));
      if (!m) throw new ProjectError(`bad broker address "${s}": expected host:port`);
      return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
    });
}
