/**
 * Followers pull from leaders like consumers (ReplicaFetcherThread): one fetcher per leader
 * broker, sending Fetch v4 with this broker's id as replica_id. Before a partition's first
 * fetch under a new leader, it asks the leader where its latest leader epoch ended
 * (OffsetsForLeaderEpoch) and truncates to that, not blindly to its high watermark (KIP-101),
 * so two quick failovers lose nothing. A fetch is sent only once everything before its offset
 * is flushed here, so the offset the leader records for this follower is durable.
 */
import { KafkaConnection } from '../../network/client-connection.js';
import type { ClientSecurity } from '../../network/client-security.js';
import { FramePool } from '../../network/frame-pool.js';
import { API_CODECS } from '../../protocol/apis/index.js';
import type { Reader } from '../../protocol/reader.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { ErrorCode } from '../../common/errors.js';
import { Logger } from '../../common/logger.js';
import type { Partition } from './partition.js';

/**
 * One round of a follower's fetcher that brought records (the loop: fetch, append, flush, fetch
 * again): where its time went. Under acks=all a produce request waits for such rounds on every
 * follower, so they are the replication share of its time.
 */
export interface FetchRound {
  /** The leader whose partitions were fetched. */
  leader: number;
  /** Fetch request sent -> response read (the leader's long poll, its reads, the transfer). */
  fetchMs: number;
  /** Response read -> every partition's records appended and flushed here (the next fetch waits for this). */
  appendFlushMs: number;
  /** Record bytes the round brought. */
  bytes: number;
}

export interface FetcherConfig {
  brokerId: number;
  maxWaitMs: number;
  maxBytes: number;
  /** TLS / SASL of the inter-broker listener; undefined = PLAINTEXT. */
  security?: ClientSecurity;
}

interface FetchState {
  partition: Partition;
  needsTruncation: boolean;
}

const key = (p: Partition): string => `${p.topic}\u0000${p.partition}`;

class LeaderFetcher {
  readonly leaderId: number;
  readonly #conn: KafkaConnection;
  /** Each fetch response (up to maxBytes * 4) is assembled in a buffer used round after round. */
  readonly #frames = new FramePool();
  readonly #parts = new Map<string, FetchState>();
  readonly #cfg: FetcherConfig;
  readonly #log: Logger;
  readonly #onRound: (r: FetchRound) => void;
  #running = true;
  #loop: Promise<void>;

  constructor(leaderId: number, host: string, port: number, cfg: FetcherConfig, log: Logger, onRound: (r: FetchRound) => void) {
    this.leaderId = leaderId;
    this.#onRound = onRound;
    this.#conn = new KafkaConnection(host, port, { clientId: `replica-fetcher-${cfg.brokerId}`, timeoutMs: cfg.maxWaitMs + 30_000, security: cfg.security, framePool: this.#frames });
    this.#cfg = cfg;
    this.#log = log;
    this.#loop = this.#run();
  }

  get host(): string {
    return this.#conn.host;
  }
  get port(): number {
    return this.#conn.port;
  }
  get size(): number {
    return this.#parts.size;
  }

  add(p: Partition): void {
    this.#parts.set(key(p), { partition: p, needsTruncation: true });
  }

  remove(p: Partition): boolean {
    return this.#parts.delete(key(p));
  }

  partitions(): Partition[] {
    return [...this.#parts.values()].map((s) => s.partition);
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#conn.close();
    await this.#loop.catch(() => undefined);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      if (this.#parts.size === 0) {
        await sleep(100);
        continue;
      }
      try {
        await this.#truncate();
        await this.#fetchOnce();
      } catch (err) {
        if (!this.#running) return;
        this.#log.debug('fetch from leader failed; retrying', { leader: this.leaderId, error: err });
        this.#conn.close();
        await sleep(300);
      }
    }
  }

  async #truncate(): Promise<void> {
    const pending = [...this.#parts.values()].filter((s) => s.needsTruncation);
    if (pending.length === 0) return;
    const byTopic = new Map<string, { partition: number; leaderEpoch: number }[]>();
    for (const s of pending) {
      const list = byTopic.get(s.partition.topic) ?? [];
      list.push({ partition: s.partition.partition, leaderEpoch: s.partition.epochs.latestEpoch });
      byTopic.set(s.partition.topic, list);
    }
    const codec = API_CODECS[ApiKey.OffsetsForLeaderEpoch];
    const r = await this.#conn.request(codec.apiKey, 1, (w) => void codec.encodeRequest(w, 1, { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) }));
    const res = codec.decodeResponse(r!, 1);
    for (const t of res.topics) {
      for (const pr of t.partitions) {
        const s = this.#parts.get(`${t.topic}\u0000${pr.partition}`);
        if (!s || !s.needsTruncation) continue;
        if (pr.errorCode !== ErrorCode.NONE) continue; // the leader is not ready: ask again next round
        const p = s.partition;
        // KIP-279: the leader ends `pr.leaderEpoch` (the largest epoch it has at or below ours) at
        // endOffset; our own log may have ended that epoch earlier (later epochs of ours that the
        // leader never saw follow it), so cut at the smaller of the two ends.
        let target: number;
        if (pr.endOffset < 0 || (pr.leaderEpoch ?? -1) < 0) target = Math.min(p.highWatermark, p.log.logEndOffset);
        else target = Math.min(pr.endOffset, p.epochs.endOffsetFor(pr.leaderEpoch!, p.log.logEndOffset).endOffset, p.log.logEndOffset);
        if (target < 0) target = Math.min(p.highWatermark, p.log.logEndOffset);
        if (target < p.log.logEndOffset) {
          this.#log.info('truncating follower log', { topic: p.topic, partition: p.partition, from: p.log.logEndOffset, to: target, leaderEpoch: p.epochs.latestEpoch });
          await p.truncateTo(target);
        }
        s.needsTruncation = false;
      }
    }
  }

  async #fetchOnce(): Promise<void> {
    const ready = [...this.#parts.values()].filter((s) => !s.needsTruncation);
    if (ready.length === 0) {
      await sleep(100);
      return;
    }
    // what the leader will record for us must be on our disk
    await Promise.all(ready.map(({ partition: { log } }) => (log.flushedOffset < log.logEndOffset ? log.waitForFlush(log.logEndOffset - 1) : undefined)));
    const byTopic = new Map<string, { partition: number; fetchOffset: number; maxBytes: number }[]>();
    for (const s of ready) {
      const list = byTopic.get(s.partition.topic) ?? [];
      list.push({ partition: s.partition.partition, fetchOffset: s.partition.log.logEndOffset, maxBytes: this.#cfg.maxBytes });
      byTopic.set(s.partition.topic, list);
    }
    const req = {
      replicaId: this.#cfg.brokerId,
      maxWaitMs: this.#cfg.maxWaitMs,
      minBytes: 1,
      maxBytes: this.#cfg.maxBytes * 4,
      isolationLevel: 0,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    };
    const codec = API_CODECS[ApiKey.Fetch];
    const sentAt = performance.now();
    const r = await this.#conn.request(codec.apiKey, 4, (w) => void codec.encodeRequest(w, 4, req));
    const receivedAt = performance.now();
    let backoff = false;
    try {
      backoff = await this.#copyAll(r!, receivedAt - sentAt, receivedAt);
    } finally {
      // every copy has settled: its records are on disk (or refused), and no view of them is held
      this.#frames.release(r!.buf);
    }
    if (backoff) await sleep(200);
  }

  /**
   * Appends every partition of a fetch response and waits for their flushes (they share the
   * flush scheduler), each in its own order; true if some partition answered with an error.
   */
  async #copyAll(r: Reader, fetchMs: number, receivedAt: number): Promise<boolean> {
    const res = API_CODECS[ApiKey.Fetch].decodeResponse(r, 4);
    let backoff = false;
    let bytes = 0;
    const work: Promise<void>[] = [];
    const copying: FetchState[] = [];
    for (const t of res.topics) {
      for (const pr of t.partitions) {
        const s = this.#parts.get(`${t.topic}\u0000${pr.partition}`);
        if (!s) continue;
        if (pr.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          s.needsTruncation = true;
          continue;
        }
        if (pr.errorCode !== ErrorCode.NONE) {
          backoff = true;
          continue;
        }
        work.push(copy(s.partition, pr.records, pr.highWatermark));
        copying.push(s);
        bytes += pr.records?.length ?? 0;
      }
    }
    // a partition whose copy failed and that left this fetcher meanwhile (taken offline after a
    // storage error) holds up nobody; any other failure ends this fetch for all of them
    const settled = await Promise.allSettled(work);
    if (bytes > 0) this.#onRound({ leader: this.leaderId, fetchMs, appendFlushMs: performance.now() - receivedAt, bytes });
    const failed = settled.find((x, i) => x.status === 'rejected' && this.#parts.get(key(copying[i]!.partition)) === copying[i]);
    if (failed?.status === 'rejected') throw failed.reason;
    return backoff;
  }
}

export class ReplicaFetcherManager {
  readonly #cfg: FetcherConfig;
  readonly #log: Logger;
  readonly #fetchers = new Map<number, LeaderFetcher>();
  readonly #roundObservers = new Set<(r: FetchRound) => void>();
  readonly #onRound = (r: FetchRound): void => {
    for (const fn of this.#roundObservers) fn(r);
  };

  constructor(cfg: FetcherConfig, log = new Logger('replica-fetcher')) {
    this.#cfg = cfg;
    this.#log = log;
  }

  /** Starts following `leader` for `p` (removing it from any other fetcher first). */
  add(p: Partition, leader: { id: number; host: string; port: number }): void {
    this.remove(p);
    let f = this.#fetchers.get(leader.id);
    if (f && (f.host !== leader.host || f.port !== leader.port)) {
      void f.stop();
      this.#fetchers.delete(leader.id);
      f = undefined;
    }
    if (!f) {
      f = new LeaderFetcher(leader.id, leader.host, leader.port, this.#cfg, this.#log, this.#onRound);
      this.#fetchers.set(leader.id, f);
    }
    f.add(p);
  }

  /** Calls `fn` after every fetch round that brought records; returns the unsubscribe. */
  observeRounds(fn: (r: FetchRound) => void): () => void {
    this.#roundObservers.add(fn);
    return () => this.#roundObservers.delete(fn);
  }

  /**
   * A leader that came back at another address (a restart on a new port) without a new leader
   * epoch is not announced by LeaderAndIsr, only by UpdateMetadata: move its partitions to a
   * fetcher at the address `lookup` gives now.
   */
  followAddresses(lookup: (brokerId: number) => { host: string; port: number } | undefined): void {
    for (const [id, f] of [...this.#fetchers]) {
      const now = lookup(id);
      if (!now || (now.host === f.host && now.port === f.port)) continue;
      this.#log.info('leader moved: fetching from its new address', { leader: id, from: `${f.host}:${f.port}`, to: `${now.host}:${now.port}` });
      const parts = f.partitions();
      void f.stop();
      this.#fetchers.delete(id);
      for (const p of parts) this.add(p, { id, host: now.host, port: now.port });
    }
  }

  remove(p: Partition): void {
    for (const [id, f] of this.#fetchers) {
      if (f.remove(p) && f.size === 0) {
        void f.stop();
        this.#fetchers.delete(id);
      }
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.#fetchers.values()].map((f) => f.stop()));
    this.#fetchers.clear();
  }
}

/** A follower's part of one fetch answer: append, wait until flushed, then learn the high watermark. */
async function copy(p: Partition, records: Buffer | null, leaderHw: number): Promise<void> {
  if (records && records.length > 0) {
    // a view of the response frame, as a leader appends a view of the produce request's
    const info = await p.appendAsFollower(records);
    if (info) await p.log.waitForFlush(info.lastOffset);
  }
  p.updateFollowerHighWatermark(leaderHw);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

