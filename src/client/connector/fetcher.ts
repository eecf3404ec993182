/**
 * The connector's fetcher for one rebalance generation (0.8's ConsumerFetcherManager with its
 * LeaderFinderThread and one ConsumerFetcherThread per broker):
 *
 * - a leader finder asks the brokers for metadata (Metadata v1, never ZooKeeper: fetching goes
 *   on while ZooKeeper is away) and hands each partition to the loop of its leader;
 * - one loop per leader broker, on a connection of its own, long-polls Fetch v4 for the
 *   partitions it leads whose stream has room (queued.max.message.chunks), and puts each
 *   partition's records into its stream as one chunk;
 * - NotLeader, LeaderNotAvailable, UnknownTopicOrPartition and connection errors send the
 *   partition back to the leader finder (after refresh.leader.backoff.ms);
 * - a partition with no offset yet (-1), or whose offset is out of range, is reset by
 *   auto.offset.reset (ListOffsets v1: earliest for smallest, latest for largest); an out of
 *   range reset is logged;
 * - a partition the brokers do not let us read (TOPIC_AUTHORIZATION_FAILED in Metadata,
 *   ListOffsets or Fetch: no Describe or no Read ACL), or brokers refusing our SASL credentials,
 *   is reported to its stream (next() throws a KafkaError / SaslAuthenticationError naming the
 *   topic) and logged, and tried again after AUTHORIZATION_RETRY_MS (an ACL added meanwhile
 *   takes effect without a restart).
 *
 * stop() closes the fetch connections (in-flight fetches fail at once) and resolves when no
 * loop can enqueue anything any more.
 */
import { call, type Cluster } from '../cluster.js';
import { KafkaConnection } from '../../network/client-connection.js';
import type { ClientSecurity } from '../../network/client-security.js';
import { API_CODECS } from '../../protocol/apis/index.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../protocol/apis/list-offsets.js';
import { forEachRecord, splitBatches, validateBatch, type BatchList, type RecordBatchHeader } from '../../protocol/records/record-batch.js';
import { ErrorCode, KafkaError, errorName } from '../../common/errors.js';
import { SaslAuthenticationError } from '../../network/sasl-client.js';
import type { Logger } from '../../common/logger.js';
import type { ConsumerConfig } from './config.js';
import { FetchedRecord, type KafkaStream, type PartitionTopicInfo, type ConsumerRecord } from './stream.js';

export interface FetcherOptions
  extends Pick<
    ConsumerConfig,
    'clientId' | 'fetchMessageMaxBytes' | 'fetchMinBytes' | 'fetchWaitMaxMs' | 'queuedMaxMessageChunks' | 'refreshLeaderBackoffMs' | 'socketTimeoutMs' | 'autoOffsetReset'
  > {
  log: Logger;
  /** TLS / SASL to the brokers. */
  security?: ClientSecurity;
  /** Called after an offset was reset because it was out of range. */
  onOffsetReset?: (info: PartitionTopicInfo, from: number, to: number) => void;
}

interface FetchPartition {
  info: PartitionTopicInfo;
  stream: KafkaStream;
  /** The leader's broker id; -1 while the leader finder looks for it. */
  leader: number;
  /** Set when the brokers refused us this partition: the leader finder leaves it alone until then. */
  deniedUntil?: number;
}

/** How long a partition we may not read (or whose brokers refused our credentials) waits before it is tried again, at least. */
export const AUTHORIZATION_RETRY_MS = 2000;

const AUTHORIZATION_ERRORS: ReadonlySet<number> = new Set([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);

export class Fetcher {
  readonly #cluster: Cluster;
  readonly #o: FetcherOptions;
  readonly #parts = new Map<string, FetchPartition>();
  readonly #loops = new Map<number, { conn: KafkaConnection | undefined; done: Promise<void>; wake: () => void }>();
  #stopped = false;
  #round = 0;
  #finderWake: (() => void) | undefined;
  #finder: Promise<void> = Promise.resolve();

  constructor(cluster: Cluster, opts: FetcherOptions) {
    this.#cluster = cluster;
    this.#o = opts;
  }

  /** Starts fetching these partitions (once per generation). */
  start(parts: readonly { info: PartitionTopicInfo; stream: KafkaStream }[]): void {
    for (const p of parts) this.#parts.set(p.info.key, { ...p, leader: -1 });
    this.#finder = this.#leaderFinder();
  }

  /** A stream took a chunk: idle loops may fetch again. */
  wake(): void {
    for (const l of this.#loops.values()) l.wake();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#finderWake?.();
    for (const l of this.#loops.values()) {
      l.conn?.close();
      l.wake();
    }
    await this.#finder;
    await Promise.all([...this.#loops.values()].map((l) => l.done));
    for (const l of this.#loops.values()) l.conn?.close();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#finderWake = undefined;
        resolve();
      }, ms);
      this.#finderWake = () => {
        clearTimeout(t);
        this.#finderWake = undefined;
        resolve();
      };
    });
  }

  #needLeader(p: FetchPartition): void {
    p.leader = -1;
    this.#finderWake?.();
  }

  /**
   * The brokers refused us `parts` (an authorization error code, or a SaslAuthenticationError):
   * their streams hear of it, and the leader finder leaves them alone for a while.
   */
  #deny(parts: readonly FetchPartition[], why: { code: number; api: string; broker?: number } | SaslAuthenticationError): void {
    const retryMs = Math.max(AUTHORIZATION_RETRY_MS, this.#o.refreshLeaderBackoffMs);
    const user = this.#o.security?.sasl ? ` as user "${this.#o.security.sasl.username}"` : this.#o.security ? ` over ${this.#o.security.protocol}` : '';
    const byTopic = new Map<string, FetchPartition[]>();
    for (const p of parts) {
      p.leader = -1;
      p.deniedUntil = Date.now() + retryMs;
      byTopic.set(p.info.topic, [...(byTopic.get(p.info.topic) ?? []), p]);
    }
    for (const [topic, list] of byTopic) {
      const nums = list.map((p) => p.info.partition).sort((a, b) => a - b).join(',');
      let err: Error;
      if (why instanceof SaslAuthenticationError) {
        err = why;
        this.#o.log.error(`the brokers refused our credentials; cannot fetch ${topic} [${nums}]`, { topic, error: why });
      } else {
        const what = why.code === ErrorCode.TOPIC_AUTHORIZATION_FAILED ? `not authorized to read topic "${topic}"${user} (it takes Describe and Read ACLs on the topic)` : `not authorized to fetch topic "${topic}"${user}`;
        err = new KafkaError(why.code, `${what}: ${errorName(why.code)} from ${why.api}${why.broker !== undefined ? ` (broker ${why.broker})` : ''} for partition(s) ${nums}`, { context: { topic, partitions: nums } });
        this.#o.log.error(err.message, { topic, retryMs });
      }
      for (const s of new Set(list.map((p) => p.stream))) s.fail(err);
    }
    this.#finderWake?.(); // to sleep until the retry, not its 60 s
  }

  async #leaderFinder(): Promise<void> {
    while (!this.#stopped) {
      const now = Date.now();
      const waiting = [...this.#parts.values()].filter((p) => p.leader < 0);
      const lost = waiting.filter((p) => !(p.deniedUntil !== undefined && p.deniedUntil > now));
      if (lost.length === 0) {
        const next = Math.min(...waiting.map((p) => p.deniedUntil ?? Infinity));
        await this.#sleep(Number.isFinite(next) ? Math.max(10, next - now) : 60_000);
        continue;
      }
      const topics = [...new Set(lost.map((p) => p.info.topic))];
      try {
        await this.#cluster.refresh(topics);
      } catch (err) {
        if (this.#stopped) return;
        if (err instanceof SaslAuthenticationError) {
          this.#deny(lost, err);
          continue;
        }
        this.#o.log.warn('cannot refresh metadata to find partition leaders', { topics, error: err as Error });
      }
      if (this.#stopped) return;
      let missing = 0;
      const denied: FetchPartition[] = [];
      for (const p of lost) {
        const code = this.#cluster.topic(p.info.topic)?.errorCode ?? ErrorCode.NONE;
        if (AUTHORIZATION_ERRORS.has(code)) {
          denied.push(p);
          continue;
        }
        const leader = this.#cluster.leaderOf(p.info.topic, p.info.partition);
        if (leader < 0) {
          missing++;
          continue;
        }
        p.leader = leader;
        p.deniedUntil = undefined;
        this.#ensureLoop(leader);
      }
      if (denied.length > 0) this.#deny(denied, { code: this.#cluster.topic(denied[0]!.info.topic)!.errorCode, api: 'Metadata' });
      if (missing > 0) await this.#sleep(this.#o.refreshLeaderBackoffMs);
    }
  }

  #ensureLoop(broker: number): void {
    const existing = this.#loops.get(broker);
    if (existing) return existing.wake();
    let wakeFn: () => void = () => {};
    const state = { conn: undefined as KafkaConnection | undefined, done: Promise.resolve(), wake: () => wakeFn() };
    let woken = false;
    const waitWake = (ms: number) =>
      new Promise<void>((resolve) => {
        if (woken || this.#stopped) {
          woken = false;
          return resolve();
        }
        const t = setTimeout(done, ms);
        function done() {
          clearTimeout(t);
          wakeFn = () => (woken = true);
          resolve();
        }
        wakeFn = done;
      });
    wakeFn = () => (woken = true);
    this.#loops.set(broker, state);
    state.done = this.#brokerLoop(broker, state, waitWake).finally(() => {
      state.conn?.close();
      if (this.#loops.get(broker) === state) this.#loops.delete(broker);
      // Partitions handed to this broker after the loop decided to end get a new loop.
      if (!this.#stopped && [...this.#parts.values()].some((p) => p.leader === broker)) this.#ensureLoop(broker);
    });
  }

  async #brokerLoop(broker: number, state: { conn: KafkaConnection | undefined }, waitWake: (ms: number) => Promise<void>): Promise<void> {
    const log = this.#o.log;
    while (!this.#stopped) {
      const mine = [...this.#parts.values()].filter((p) => p.leader === broker);
      if (mine.length === 0) return;
      if (!state.conn) {
        let addr: { host: string; port: number };
        try {
          const c = this.#cluster.connectionTo(broker);
          addr = { host: c.host, port: c.port };
        } catch {
          for (const p of mine) this.#needLeader(p);
          return;
        }
        state.conn = new KafkaConnection(addr.host, addr.port, { clientId: this.#o.clientId, timeoutMs: this.#o.socketTimeoutMs, security: this.#o.security });
      }
      const conn = state.conn;
      try {
        const unset = mine.filter((p) => p.info.fetchOffset < 0);
        if (unset.length > 0) await this.#resetOffsets(conn, unset, false);
        const ready = mine.filter((p) => p.info.fetchOffset >= 0 && p.leader === broker && p.stream.queuedChunks < this.#o.queuedMaxMessageChunks);
        if (ready.length === 0) {
          await waitWake(this.#o.fetchWaitMaxMs + 100);
          continue;
        }
        await this.#fetchOnce(conn, broker, ready);
      } catch (err) {
        if (this.#stopped) return;
        conn.close();
        state.conn = undefined;
        if (err instanceof SaslAuthenticationError) {
          this.#deny(mine.filter((p) => p.leader === broker), err);
          return;
        }
        log.warn('fetch from broker failed; finding leaders again', { broker, error: err as Error });
        for (const p of mine) if (p.leader === broker) this.#needLeader(p);
        await waitWake(this.#o.refreshLeaderBackoffMs);
        return;
      }
    }
  }

  async #fetchOnce(conn: KafkaConnection, broker: number, ready: FetchPartition[]): Promise<void> {
    // Rotate the order: the broker gives the first partition a whole batch even past max bytes.
    const shift = this.#round++ % ready.length;
    ready = [...ready.slice(shift), ...ready.slice(0, shift)];
    const topics = new Map<string, { partition: number; fetchOffset: number; maxBytes: number }[]>();
    for (const p of ready) {
      let list = topics.get(p.info.topic);
      if (!list) topics.set(p.info.topic, (list = []));
      list.push({ partition: p.info.partition, fetchOffset: p.info.fetchOffset, maxBytes: this.#o.fetchMessageMaxBytes });
    }
    const req = {
      replicaId: -1,
      maxWaitMs: this.#o.fetchWaitMaxMs,
      minBytes: this.#o.fetchMinBytes,
      maxBytes: this.#o.fetchMessageMaxBytes * ready.length,
      isolationLevel: 0,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
    const res = (await call(conn, API_CODECS[ApiKey.Fetch], 4, req, { timeoutMs: this.#o.fetchWaitMaxMs + this.#o.socketTimeoutMs }))!;
    if (this.#stopped) return;
    const outOfRange: FetchPartition[] = [];
    const denied = new Map<number, FetchPartition[]>();
    for (const t of res.topics) {
      for (const pr of t.partitions) {
        const p = this.#parts.get(`${t.topic}/${pr.partition}`);
        if (!p || p.leader !== broker) continue;
        const requested = ready.find((x) => x === p);
        if (!requested) continue;
        if (pr.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          outOfRange.push(p);
          continue;
        }
        if (AUTHORIZATION_ERRORS.has(pr.errorCode)) {
          denied.set(pr.errorCode, [...(denied.get(pr.errorCode) ?? []), p]);
          continue;
        }
        if (pr.errorCode !== ErrorCode.NONE) {
          this.#o.log.info('partition fetch error; finding its leader again', { topic: t.topic, partition: pr.partition, error: errorName(pr.errorCode) });
          this.#needLeader(p);
          continue;
        }
        p.info.highWatermark = pr.highWatermark;
        if (!pr.records || pr.records.length === 0) continue;
        const buf = pr.records;
        const batches = splitBatches(buf);
        const { info } = p;
        const from = info.fetchOffset;
        // Every batch's CRC now (a corrupt answer fails this fetch, which is tried again); the
        // records are decoded a batch at a time as the stream hands them out (fetchedRecords).
        const headers = batches.map((b) => validateBatch(buf, b.at));
        // a compacted log has gaps: the next fetch starts after the last batch, not after its last record
        let batchesEnd = from;
        let records = false;
        for (const h of headers) {
          batchesEnd = Math.max(batchesEnd, h.baseOffset + h.lastOffsetDelta + 1);
          if (h.recordCount > 0 && h.baseOffset + h.lastOffsetDelta >= from) records = true;
        }
        if (batches.length === 0 && batches.partialBytes > 0) {
          this.#o.log.debug('only a partial batch came back; fetching it again', { topic: t.topic, partition: pr.partition, offset: p.info.fetchOffset });
          continue;
        }
        // batches whose records all lie below the fetch offset (compacted away) still move us on
        info.fetchOffset = batchesEnd;
        if (records) p.stream.enqueueBatches(info, fetchedRecords(info, t.topic, pr.partition, buf, batches, headers, from));
      }
    }
    for (const [code, parts] of denied) this.#deny(parts, { code, api: 'Fetch', broker });
    if (outOfRange.length > 0) await this.#resetOffsets(conn, outOfRange, true);
  }

  /** Applies auto.offset.reset to partitions with no offset (-1) or an out-of-range one. */
  async #resetOffsets(conn: KafkaConnection, parts: FetchPartition[], outOfRange: boolean): Promise<void> {
    const timestamp = this.#o.autoOffsetReset === 'smallest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP;
    const topics = new Map<string, { partition: number; timestamp: number; maxNumOffsets: number }[]>();
    for (const p of parts) {
      let list = topics.get(p.info.topic);
      if (!list) topics.set(p.info.topic, (list = []));
      list.push({ partition: p.info.partition, timestamp, maxNumOffsets: 1 });
    }
    const res = (await call(conn, API_CODECS[ApiKey.ListOffsets], 1, { replicaId: -1, topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) }))!;
    if (this.#stopped) return;
    const denied = new Map<number, FetchPartition[]>();
    for (const t of res.topics) {
      for (const pr of t.partitions) {
        const p = parts.find((x) => x.info.topic === t.topic && x.info.partition === pr.partition);
        if (!p) continue;
        if (AUTHORIZATION_ERRORS.has(pr.errorCode)) {
          denied.set(pr.errorCode, [...(denied.get(pr.errorCode) ?? []), p]);
          continue;
        }
        if (pr.errorCode !== ErrorCode.NONE || pr.offset === undefined || pr.offset < 0) {
          this.#needLeader(p);
          continue;
        }
        const from = p.info.fetchOffset;
        p.info.fetchOffset = pr.offset;
        p.info.consumedOffset = pr.offset;
        if (outOfRange) {
          this.#o.log.warn(`offset ${from} is out of range; reset to ${pr.offset} (auto.offset.reset=${this.#o.autoOffsetReset})`, { topic: t.topic, partition: pr.partition });
          this.#o.onOffsetReset?.(p.info, from, pr.offset);
        } else {
          this.#o.log.info(`no committed offset; starting at ${pr.offset} (auto.offset.reset=${this.#o.autoOffsetReset})`, { topic: t.topic, partition: pr.partition });
        }
      }
    }
    for (const [code, list] of denied) this.#deny(list, { code, api: 'ListOffsets', broker: list[0]!.leader });
  }
}

/**
 * The records of one fetch of one partition, a batch at a time: each call decodes the next batch
 * that holds records at or after `from` (its CRC already checked: `headers`), undefined after the
 * last. Taking the records as the application reads them, not all when the fetch answers, keeps
 * a queued chunk as the bytes it came in (0.8's ConsumerIterator walks a fetched message set the
 * same way): a mirror reading megabytes ahead made a record object per record queued, which
 * outlived young-generation collections and was copied and promoted before it died.
 */
export function fetchedRecords(
  info: PartitionTopicInfo,
  topic: string,
  partition: number,
  buf: Buffer,
  batches: BatchList,
  headers: RecordBatchHeader[],
  from: number,
): () => ConsumerRecord[] | undefined {
  let i = 0;
  let out: ConsumerRecord[] = [];
  const add = (offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, hs: ConsumerRecord['headers']): void => {
    if (offset >= from) out.push(new FetchedRecord(info, topic, partition, offset, timestamp, key, value, hs));
  };
  return () => {
    while (i < batches.length) {
      const at = batches[i]!.at;
      const header = headers[i++]!; // past it before decoding: a batch that fails to decode is reported once
      out = [];
      forEachRecord(buf, at, add, header);
      if (out.length > 0) return out;
    }
    return undefined;
  };
}
