/**
 * A bare Kafka connection for bad-input tests: writes any bytes, reads size-prefixed frames,
 * and tells when the broker closed the connection.
 */
import net from 'node:net';
import tls from 'node:tls';

export class RawClient {
  readonly socket: net.Socket;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  #closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake();
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.#closed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, tlsOptions?: tls.ConnectionOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tlsOptions ? tls.connect({ host: '127.0.0.1', port, ...tlsOptions }) : net.connect({ host: '127.0.0.1', port });
      s.once(tlsOptions ? 'secureConnect' : 'connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  /** One request frame: header v1 (client id "raw") and the body. */
  request(apiKey: number, apiVersion: number, correlationId: number, body: Buffer = Buffer.alloc(0)): void {
    const client = Buffer.from('raw');
    const head = Buffer.alloc(14);
    head.writeInt32BE(10 + client.length + body.length, 0);
    head.writeInt16BE(apiKey, 4);
    head.writeInt16BE(apiVersion, 6);
    head.writeInt32BE(correlationId, 8);
    head.writeInt16BE(client.length, 12);
    this.write(Buffer.concat([head, client, body]));
  }

  /** A raw SASL v0 token frame. */
  token(b: Buffer): void {
    const head = Buffer.alloc(4);
    head.writeInt32BE(b.length, 0);
    this.write(Buffer.concat([head, b]));
  }

  /** The next frame (without its size), or 'closed' when the connection closed first. */
  async frame(timeoutMs = 10_000): Promise<Buffer | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#buf.length >= 4) {
        const n = this.#buf.readInt32BE(0);
        if (this.#buf.length >= 4 + n) {
          const f = this.#buf.subarray(4, 4 + n);
          this.#buf = this.#buf.subarray(4 + n);
          return f;
        }
      }
      if (this.#closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no frame and no close within the timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export const str = (s: string): Buffer => {
  const b = Buffer.from(s);
  const h = Buffer.alloc(2);
  h.writeInt16BE(b.length, 0);
  return Buffer.concat([h, b]);
};

export const bytes = (b: Buffer): Buffer => {
  const h = Buffer.alloc(4);
  h.writeInt32BE(b.length, 0);
  return Buffer.concat([h, b]);
};
