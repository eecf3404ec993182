/**
 * A TCP proxy on a free loopback port to one target, which a test can take away (every
 * connection cut, new ones refused) and bring back on the same port: "ZooKeeper is away" for
 * one client only, while the shared ensemble keeps serving everyone else. It can also stall
 * the connections it has (kept open, nothing forwarded either way: a wedged server or a
 * black-holed route) while new connections go through.
 */
import net from 'node:net';

export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<net.Socket>();
  readonly #pairs = new Set<[net.Socket, net.Socket]>();
  #server: net.Server | undefined;
  port = 0;

  constructor(target: string) {
    const m = /^([^:,]+):(\d+)/.exec(target);
    if (!m) throw new Error(`bad proxy target ${target}`);
    this.#target = { host: m[1]!, port: Number(m[2]) };
  }

  async start(): Promise<this> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.#target.port, this.#target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.#pairs.add(pair);
      client.on('close', () => (upstream.destroy(), this.#pairs.delete(pair)));
      upstream.on('close', () => (client.destroy(), this.#pairs.delete(pair)));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Cuts every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stops forwarding on every open connection, keeping it open; later connections are forwarded. */
  stall(): number {
    const n = this.#pairs.size;
    for (const [client, upstream] of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    this.#pairs.clear();
    return n;
  }

  /** Listens again, on the same port. */
  async restore(): Promise<void> {
    await this.start();
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
