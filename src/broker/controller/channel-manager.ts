/**
 * The controller's channels to brokers (ControllerChannelManager): one connection and one
 * ordered queue per live broker. A request waits its turn, is retried while the broker is
 * still live and unreachable, and is dropped when the broker is removed (it will be told
 * everything again when it comes back). A request that replaces the last one queued (an
 * UpdateMetadata snapshot behind another, not yet sent) takes its place instead of queueing.
 * A request may wait, once at the head of its queue, for requests to other brokers to be
 * answered (up to AFTER_MAX_WAIT_MS): UpdateMetadata waits so for the LeaderAndIsr before it.
 */
import { KafkaConnection } from '../../network/client-connection.js';
import type { ClientSecurity } from '../../network/client-security.js';
import type { ApiCodec } from '../../protocol/apis/index.js';
import { Logger } from '../../common/logger.js';

/** How long a request waits for the requests it is sent after (a hung broker must not stall the others). */
export const AFTER_MAX_WAIT_MS = 1000;

interface Queued {
  run: (conn: KafkaConnection) => Promise<void>;
  /** A later request of the same kind makes this one moot if it has not been sent yet. */
  supersedes?: string;
  /** Called once answered (or, if replaced, when the request that replaced it is), or when dropped with its broker. */
  settle: () => void;
}

class BrokerChannel {
  readonly conn: KafkaConnection;
  readonly #queue: Queued[] = [];
  #running = false;
  #removed = false;
  readonly #log: Logger;

  constructor(readonly id: number, host: string, port: number, log: Logger, security?: ClientSecurity) {
    this.conn = new KafkaConnection(host, port, { clientId: 'controller', timeoutMs: 30_000, security });
    this.#log = log;
  }

  enqueue(q: Queued): void {
    const last = this.#queue.length - 1;
    const inFlight = this.#running && last === 0;
    const replaced = this.#queue[last];
    if (q.supersedes !== undefined && replaced && !inFlight && replaced.supersedes === q.supersedes) {
      // whoever waits for the replaced request waits for this one, which says the same and more
      const settle = q.settle;
      q.settle = () => {
        settle();
        replaced.settle();
      };
      this.#queue[last] = q;
    } else {
      this.#queue.push(q);
    }
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0 && !this.#removed) {
      const q = this.#queue[0]!;
      try {
        await q.run(this.conn);
        if (this.#queue[0] === q) this.#queue.shift();
        q.settle();
      } catch (err) {
        this.#log.debug('controller request failed; retrying', { broker: this.id, error: err });
        this.conn.close();
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    this.#running = false;
  }

  remove(): void {
    this.#removed = true;
    for (const q of this.#queue.splice(0)) q.settle();
    this.conn.close();
  }
}

export class ControllerChannelManager {
  readonly #channels = new Map<number, BrokerChannel>();
  readonly #log: Logger;

  readonly #security: ClientSecurity | undefined;
  constructor(log = new Logger('controller-channels'), security?: ClientSecurity) {
    this.#security = security;
    this.#log = log;
  }

  addBroker(id: number, host: string, port: number): void {
    const existing = this.#channels.get(id);
    if (existing && existing.conn.host === host && existing.conn.port === port) return;
    existing?.remove();
    this.#channels.set(id, new BrokerChannel(id, host, port, this.#log, this.#security));
  }

  removeBroker(id: number): void {
    this.#channels.get(id)?.remove();
    this.#channels.delete(id);
  }

  /**
   * Queues a request; `onResponse` runs with the decoded answer. Unknown brokers are skipped.
   * With `supersedes`, it replaces the last request queued for the broker if that one has the
   * same key and has not been sent. Resolves once answered, replaced or dropped.
   */
  send<Req, Res>(brokerId: number, codec: ApiCodec<Req, Res>, req: Req, onResponse?: (res: Res) => void, supersedes?: string): Promise<void> {
    return this.#enqueue(brokerId, supersedes, undefined, async (conn) => {
      const r = await conn.request(codec.apiKey, 0, (w) => void codec.encodeRequest(w, 0, req));
      const res = codec.decodeResponse(r!, 0);
      onResponse?.(res);
    });
  }

  /**
   * Queues a request whose body (v0) is encoded once by `body` for every broker it goes to (a
   * snapshot of 10,000 partitions is ~600 KB and tens of milliseconds to encode). At the head of
   * the queue it waits for `after` (at most AFTER_MAX_WAIT_MS) before it is sent.
   */
  sendEncoded<Res>(brokerId: number, codec: ApiCodec<unknown, Res>, body: () => Buffer, supersedes?: string, after?: Promise<unknown>): Promise<void> {
    return this.#enqueue(brokerId, supersedes, after, async (conn) => {
      const r = await conn.requestChunks(codec.apiKey, 0, () => undefined, [body()]);
      codec.decodeResponse(r!, 0);
    });
  }

  #enqueue(brokerId: number, supersedes: string | undefined, after: Promise<unknown> | undefined, request: (conn: KafkaConnection) => Promise<void>): Promise<void> {
    const ch = this.#channels.get(brokerId);
    if (!ch) return Promise.resolve();
    let waited = after === undefined;
    return new Promise<void>((settle) => {
      ch.enqueue({
        supersedes,
        settle,
        run: async (conn) => {
          if (!waited) {
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([after, new Promise((r) => (timer = setTimeout(r, AFTER_MAX_WAIT_MS)))]);
            clearTimeout(timer);
            waited = true;
          }
          await request(conn);
        },
      });
    });
  }

  shutdown(): void {
    for (const ch of this.#channels.values()) ch.remove();
    this.#channels.clear();
  }
}
