/**
 * A client's view of the cluster: bootstraps from a broker list (or from ZooKeeper's
 * /brokers/ids, as 0.7's producer did: `Cluster.fromZooKeeper`), keeps the latest Metadata
 * (brokers and partition leaders), and routes requests to leaders over pooled connections.
 * `refresh()` is called on start and whenever a request fails with a leader error.
 */
import { ConnectionPool, parseBrokerList, type KafkaConnection } from '../network/client-connection.js';
import type { ClientSecurity } from '../network/client-security.js';
import { SaslAuthenticationError } from '../network/sasl-client.js';
import { API_CODECS, type ApiCodec } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { MetadataResponse, MetadataTopic } from '../protocol/apis/metadata.js';
import { ErrorCode, KafkaError, ProjectError } from '../common/errors.js';
import { ZkClient } from '../zk/client.js';
import { brokerIdsPath } from '../zk/paths.js';
import type { SecurityProtocol } from '../network/tls-config.js';
import { NoListenerError, brokerAddressesOrThrow, readBrokerRegistrations } from './broker-endpoints.js';

export type BrokerAddress = { host: string; port: number };

/**
 * The brokers registered in ZooKeeper (/brokers/ids/<id>), by id, at their endpoint for a
 * client of `protocol` (its security.protocol, default PLAINTEXT: broker-endpoints.ts).
 * `connectString` may end in a chroot. Brokers registered but none with such a listener:
 * NoListenerError naming what they listen with.
 */
export async function brokersFromZooKeeper(connectString: string, timeoutMs = 15_000, protocol: SecurityProtocol = 'PLAINTEXT'): Promise<(BrokerAddress & { id: number })[]> {
  const zk = await ZkClient.connect({ connectString, connectTimeoutMs: timeoutMs });
  try {
    return [...brokerAddressesOrThrow(await readBrokerRegistrations(zk), protocol)].map(([id, a]) => ({ id, ...a }));
  } finally {
    await zk.close();
  }
}

export interface ClusterOptions {
  /** "host:port,host:port" or a list. */
  brokers: string | { host: string; port: number }[];
  clientId?: string;
  requestTimeoutMs?: number;
  /** Re-reads the bootstrap list when no known broker answers (set by fromZooKeeper). */
  discover?: () => Promise<BrokerAddress[]>;
  /** TLS / SASL (security.protocol ...: clientSecurityFromProperties); absent = PLAINTEXT. */
  security?: ClientSecurity;
}

/** Sends one request with a codec and decodes its response. */
export async function call<Req, Res>(
  conn: KafkaConnection,
  codec: ApiCodec<Req, Res>,
  version: number,
  req: Req,
  opts: { timeoutMs?: number; expectResponse?: boolean } = {},
): Promise<Res | undefined> {
  const r = await conn.request(codec.apiKey, version, (w) => void codec.encodeRequest(w, version, req), opts);
  return r === undefined ? undefined : codec.decodeResponse(r, version);
}

/** How long topicMetadata() keeps asking for a topic no broker knows yet. */
export const UNKNOWN_TOPIC_GRACE_MS = 3000;

export class Cluster {
  #bootstrap: { host: string; port: number }[];
  readonly #discover: (() => Promise<BrokerAddress[]>) | undefined;
  readonly pool: ConnectionPool;
  readonly requestTimeoutMs: number;
  #brokers = new Map<number, { host: string; port: number }>();
  #topics = new Map<string, MetadataTopic>();
  #controllerId = -1;

  constructor(opts: ClusterOptions) {
    this.#bootstrap = typeof opts.brokers === 'string' ? parseBrokerList(opts.brokers) : opts.brokers;
    if (this.#bootstrap.length === 0) throw new ProjectError('no bootstrap broker given');
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.pool = new ConnectionPool({ clientId: opts.clientId ?? 'zkafka-client', timeoutMs: this.requestTimeoutMs, security: opts.security });
    this.#discover = opts.discover;
  }

  /**
   * Bootstraps from ZooKeeper: the brokers registered under /brokers/ids (`connectString` is
   * "host:port[,host:port...][/chroot]"), at their endpoint of the security protocol of
   * `opts.security` (PLAINTEXT without). When no known broker answers later, the registry is
   * read again.
   */
  static async fromZooKeeper(connectString: string, opts: Omit<ClusterOptions, 'brokers' | 'discover'> = {}): Promise<Cluster> {
    const protocol = opts.security?.protocol ?? 'PLAINTEXT';
    const discover = async (): Promise<BrokerAddress[]> => (await brokersFromZooKeeper(connectString, undefined, protocol)).map(({ host, port }) => ({ host, port }));
    const brokers = await discover();
    if (brokers.length === 0) throw new ProjectError(`no broker is registered under ${brokerIdsPath} in ZooKeeper ${connectString}`);
    return new Cluster({ ...opts, brokers, discover });
  }

  /** Known brokers by id (from the last metadata). */
  get brokers(): ReadonlyMap<number, BrokerAddress> {
    return this.#brokers;
  }

  get controllerId(): number {
    return this.#controllerId;
  }

  /** Any reachable broker: known brokers first, then the bootstrap list. */
  async anyConnection(): Promise<KafkaConnection> {
    let candidates = [...this.#brokers.values(), ...this.#bootstrap];
    let last: unknown;
    for (let round = 0; round < 2; round++) {
      for (const b of candidates) {
        const c = this.pool.get(b.host, b.port);
        try {
          await c.connect(5000);
          return c;
        } catch (err) {
          // a broker that refused our credentials is reachable: say why, not "unreachable"
          if (err instanceof SaslAuthenticationError) throw err;
          last = err;
        }
      }
      if (!this.#discover || round > 0) break;
      try {
        const found = await this.#discover();
        if (found.length > 0) this.#bootstrap = found;
        candidates = found;
      } catch (err) {
        // the brokers moved to listeners this client cannot use: say so
        if (err instanceof NoListenerError) throw err;
        last = err;
        break;
      }
    }
    throw new ProjectError(`no broker reachable (tried ${candidates.map((b) => `${b.host}:${b.port}`).join(', ')})`, { cause: last });
  }

  /** Fetches metadata for the given topics (all when omitted). */
  async refresh(topics?: string[]): Promise<MetadataResponse> {
    const conn = await this.anyConnection();
    const res = (await call(conn, API_CODECS[ApiKey.Metadata], 1, { topics: topics ?? null }))!;
    this.#brokers = new Map(res.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
    for (const t of res.topics) this.#topics.set(t.topic, t);
    this.#controllerId = res.controllerId;
    return res;
  }

  topic(topic: string): MetadataTopic | undefined {
    return this.#topics.get(topic);
  }

  /**
   * Metadata for a topic, refreshing until its partitions have leaders (auto-creation takes a
   * moment). A topic the brokers do not know yet is asked for again for up to
   * UNKNOWN_TOPIC_GRACE_MS (a topic just created appears once the controller has elected its
   * leaders), then refused as missing.
   */
  async topicMetadata(topic: string, timeoutMs = 10_000): Promise<MetadataTopic> {
    const start = Date.now();
    const deadline = start + timeoutMs;
    for (;;) {
      const t = (await this.refresh([topic])).topics.find((x) => x.topic === topic);
      const ready = t && t.errorCode === ErrorCode.NONE && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0);
      if (ready) return t;
      const retriable =
        !t ||
        t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE ||
        t.errorCode === ErrorCode.NONE ||
        (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && Date.now() - start < UNKNOWN_TOPIC_GRACE_MS);
      if (!retriable || Date.now() > deadline) {
        const code = t?.errorCode || ErrorCode.LEADER_NOT_AVAILABLE;
        throw new KafkaError(code, `topic "${topic}" is not available: ${code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 'it does not exist' : 'no leader'}`, {
          context: { topic },
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  leaderOf(topic: string, partition: number): number {
    return this.#topics.get(topic)?.partitions.find((p) => p.partition === partition)?.leader ?? -1;
  }

  connectionTo(brokerId: number): KafkaConnection {
    const b = this.#brokers.get(brokerId);
    if (!b) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `broker ${brokerId} is not known`);
    return this.pool.get(b.host, b.port);
  }

  close(): void {
    this.pool.closeAll();
  }
}
