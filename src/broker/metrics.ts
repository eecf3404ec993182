/**
 * The broker's metrics, in Prometheus text through prom-client, named as the Prometheus JMX
 * exporter renders Kafka's JMX beans (`kafka_server_...`, `kafka_network_...`, `kafka_log_...`),
 * with a few of our own where Kafka has none (the flush scheduler's queue and fsync counts).
 * Served at `/metrics` on `metrics.port` when that is set (metrics-server.ts); counted always
 * (a counter's increment is cheap, and the counts are per request or per flush, never per record).
 *
 * Kafka's beans and their names here: BrokerTopicMetrics MessagesIn/BytesIn/BytesOut per topic
 * (`..._messagesin_total`, `..._bytesin_total`, `..._bytesout_total`; `..._messagesout_total`
 * is ours: Kafka counts no messages out), RequestMetrics per API (Produce, Fetch, ...): Requests
 * and where a request's time went, TotalTimeMs = LocalTimeMs (its handler's own work) +
 * RemoteTimeMs (waiting on others: a produce for its flush, or the ISR with acks=all, a fetch's
 * long poll) + ResponseQueueTimeMs (its answer waiting for the connection's earlier ones) +
 * ResponseSendTimeMs (until the socket handed it to the kernel); Kafka's RequestQueueTimeMs has
 * no counterpart: a request is handled as it is read, with no queue to wait in.
 * ReplicaManager LeaderCount/UnderReplicatedPartitions/IsrShrinksPerSec/IsrExpandsPerSec,
 * KafkaController ActiveControllerCount/OfflinePartitionsCount, Log Size per
 * partition (`kafka_log_log_size{topic,partition}`), socket-server-metrics connection-count,
 * SessionExpireListener SessionState and ZooKeeperDisconnects/ExpiresPerSec.
 */
import { defaultPageCache } from '../storage/page-cache.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ResponseTimes } from '../network/socket-server.js';
import { apiName, isKnownApi } from '../protocol/api-keys.js';
import type { FlushScheduler } from '../storage/flush-scheduler.js';
import type { ReplicaManager } from './replica-manager.js';

/** ms; fine around issue 11's latency targets (p99 5 ms, p99.9 20 ms), so the e2e bench's breakdown can tell. */
const MS_BUCKETS = [0.25, 0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export interface MetricsSources {
  flushScheduler: FlushScheduler;
  replicas: () => ReplicaManager | undefined;
  isController: () => boolean;
  /** Partitions without a live leader, as the controller sees them (0 elsewhere). */
  offlinePartitions?: () => number;
  /** Open client and broker connections, by listener name. */
  connections?: () => { listener: string; count: number }[];
  /** Every local log with its size on disk (all segments). */
  logs?: () => readonly { topic: string; partition: number; size: number }[];
  /** The ZooKeeper session: connected, disconnected, expired, closed. */
  zkState?: () => string;
}

const ZK_STATES = ['connected', 'disconnected', 'expired', 'closed'] as const;

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'request'>;
  readonly #totalTime: Histogram<'request'>;
  readonly #localTime: Histogram<'request'>;
  readonly #remoteTime: Histogram<'request'>;
  readonly #responseQueueTime: Histogram<'request'>;
  readonly #responseSendTime: Histogram<'request'>;
  readonly #messagesIn: Counter<'topic'>;
  readonly #bytesIn: Counter<'topic'>;
  readonly #produceRequestPartitions: Histogram;
  readonly #messagesOut: Counter<'topic'>;
  readonly #bytesOut: Counter<'topic'>;
  readonly #isrShrinks: Counter;
  readonly #isrExpands: Counter;
  readonly #zkDisconnects: Counter;
  readonly #zkExpires: Counter;
  readonly #fetchRound: Histogram<'phase'>;
  readonly #fetchBytes: Counter;
  readonly #unsubscribe: () => void;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({ name: 'kafka_network_requestmetrics_requests_total', help: 'Requests handled, by API', labelNames: ['request'], registers });
    const requestTime = (name: string, help: string): Histogram<'request'> =>
      new Histogram({ name: `kafka_network_requestmetrics_${name}`, help: `${help}, ms, by API`, labelNames: ['request'], buckets: MS_BUCKETS, registers });
    this.#totalTime = requestTime('totaltimems', 'Time from a request read to its response sent (long-polled fetches included)');
    this.#localTime = requestTime('localtimems', "Time a request's handler worked on it (its time not waiting on others)");
    this.#remoteTime = requestTime('remotetimems', 'Time a request waited on others: a produce for its flush (acks=1) or the ISR (acks=all), a fetch for data (long poll)');
    this.#responseQueueTime = requestTime('responsequeuetimems', "Time a request's answer waited for the answers before it on its connection");
    this.#responseSendTime = requestTime('responsesendtimems', "Time from a request's response written to the socket to its hand-over to the kernel");
    this.#messagesIn = new Counter({ name: 'kafka_server_brokertopicmetrics_messagesin_total', help: 'Records appended as leader, by topic', labelNames: ['topic'], registers });
    this.#bytesIn = new Counter({ name: 'kafka_server_brokertopicmetrics_bytesin_total', help: 'Record-set bytes appended as leader, by topic', labelNames: ['topic'], registers });
    this.#messagesOut = new Counter({ name: 'kafka_server_brokertopicmetrics_messagesout_total', help: 'Records sent to consumers (not followers), by topic (ours: Kafka counts no messages out)', labelNames: ['topic'], registers });
    this.#bytesOut = new Counter({ name: 'kafka_server_brokertopicmetrics_bytesout_total', help: 'Record-set bytes sent to consumers (not followers), by topic', labelNames: ['topic'], registers });
    this.#isrShrinks = new Counter({ name: 'kafka_server_replicamanager_isrshrinks_total', help: 'ISR shrinks this broker wrote as leader', registers });
    this.#isrExpands = new Counter({ name: 'kafka_server_replicamanager_isrexpands_total', help: 'ISR expands this broker wrote as leader', registers });
    this.#zkDisconnects = new Counter({ name: 'kafka_server_sessionexpirelistener_zookeeperdisconnects_total', help: 'Times the ZooKeeper connection was lost', registers });
    this.#zkExpires = new Counter({ name: 'kafka_server_sessionexpirelistener_zookeeperexpires_total', help: 'Times the ZooKeeper session expired', registers });
    // ours: a follower's fetcher loop, fetch then append and flush (the next fetch waits for both)
    this.#fetchRound = new Histogram({
      name: 'kafka_server_replicafetcher_roundtimems',
      help: 'A follower fetch round that brought records, by phase: fetch (request sent -> response read) and append_flush (-> every partition appended and flushed here), ms',
      labelNames: ['phase'],
      buckets: MS_BUCKETS,
      registers,
    });
    this.#fetchBytes = new Counter({ name: 'kafka_server_fetcherstats_bytes_total', help: 'Record bytes this broker fetched as a follower (FetcherStats BytesPerSec)', registers });
    new Gauge({
      name: 'kafka_server_sessionexpirelistener_sessionstate',
      help: 'The ZooKeeper session state: 1 for the current one',
      labelNames: ['state'],
      registers,
      collect() {
        const now = sources.zkState?.() ?? 'connected';
        for (const st of ZK_STATES) this.set({ state: st }, st === now ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kafka_controller_kafkacontroller_offlinepartitionscount',
      help: 'Partitions without a live leader (on the controller; 0 elsewhere)',
      registers,
      collect() {
        this.set(sources.offlinePartitions?.() ?? 0);
      },
    });
    new Gauge({
      name: 'kafka_server_socket_server_metrics_connection_count',
      help: 'Open connections on the listener',
      labelNames: ['listener'],
      registers,
      collect() {
        for (const c of sources.connections?.() ?? []) this.set({ listener: c.listener }, c.count);
      },
    });
    new Gauge({
      name: 'kafka_log_log_size',
      help: 'Bytes on disk of a partition log (all its segments)',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const l of sources.logs?.() ?? []) this.set({ topic: l.topic, partition: String(l.partition) }, l.size);
      },
    });
    this.#produceRequestPartitions = new Histogram({
      name: 'kafka_server_produce_partitions_per_request',
      help: 'Partitions written by one Produce request',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    });
    const flushTime = new Histogram({ name: 'kafka_log_logflushstats_logflushrateandtimems', help: 'Time of one log flush (its fsyncs), ms', buckets: MS_BUCKETS, registers });
    const flushWait = new Histogram({ name: 'kafka_log_logflushstats_flushqueuetimems', help: 'Time a log waited for a flush slot, ms', buckets: MS_BUCKETS, registers });
    const groupSize = new Histogram({
      name: 'kafka_log_logflushstats_groupcommitsize',
      help: 'Appends made durable by one flush (group commit size)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    });
    const fsyncs = new Counter({ name: 'kafka_log_logflushstats_fsyncs_total', help: 'fdatasync calls on segment files', registers });
    const syncfs = new Counter({ name: 'kafka_log_logflushstats_syncfs_total', help: 'syncfs calls, each making a group of waiting logs durable at once', registers });
    this.#unsubscribe = sources.flushScheduler.observe((o) => {
      flushTime.observe(o.flushMs);
      flushWait.observe(o.waitMs);
      groupSize.observe(o.appends);
      fsyncs.inc(o.fsyncs);
      if (o.syncfs > 0) syncfs.inc(o.syncfs);
    });
    new Gauge({
      name: 'kafka_log_logflushstats_flushqueuelength',
      help: 'Logs waiting for a flush slot now',
      registers,
      collect() {
        this.set(sources.flushScheduler.stats.queued);
      },
    });
    // log.page.cache.retain.bytes (storage/page-cache.ts)
    new Gauge({
      name: 'kafka_log_pagecache_retainedbytes',
      help: 'Flushed log data counted as cached (log.page.cache.retain.bytes), bytes',
      registers,
      collect() {
        this.set(defaultPageCache.stats.retainedBytes);
      },
    });
    new Gauge({
      name: 'kafka_log_pagecache_droppedbytes',
      help: 'Flushed log data the broker has asked the kernel to drop from the page cache since start, bytes',
      registers,
      collect() {
        this.set(defaultPageCache.stats.droppedBytes);
      },
    });
    const leaders = () => sources.replicas()?.leaderships() ?? [];
    new Gauge({
      name: 'kafka_server_replicamanager_leadercount',
      help: 'Partitions this broker leads',
      registers,
      collect() {
        this.set(leaders().length);
      },
    });
    new Gauge({
      name: 'kafka_server_replicamanager_underreplicatedpartitions',
      help: 'Partitions this broker leads whose ISR is smaller than their replica list',
      registers,
      collect() {
        this.set(leaders().filter((p) => p.isr.length < p.replicas.length).length);
      },
    });
    new Gauge({
      name: 'kafka_controller_kafkacontroller_activecontrollercount',
      help: '1 on the broker that is the controller',
      registers,
      collect() {
        this.set(sources.isController() ? 1 : 0);
      },
    });
  }

  /** One request's handler done: its own work and its waiting on others (RequestMeta.timing). */
  requestHandled(apiKey: number, localMs: number, remoteMs: number): void {
    const request = apiName(apiKey);
    this.#localTime.observe({ request }, localMs);
    this.#remoteTime.observe({ request }, remoteMs);
  }

  /** One request answered and its response sent (SocketServer's onResponseSent). */
  responseSent(apiKey: number, t: ResponseTimes): void {
    // a SASL v0 token is a frame without a request header: no label of its own per garbage key
    const request = isKnownApi(apiKey) ? apiName(apiKey) : 'Other';
    this.#requests.inc({ request });
    this.#totalTime.observe({ request }, t.sentAt - t.readAt);
    this.#responseQueueTime.observe({ request }, t.writtenAt - t.answeredAt);
    this.#responseSendTime.observe({ request }, t.sentAt - t.writtenAt);
  }

  /** Records appended as leader to `topic`. */
  messagesIn(topic: string, records: number, bytes: number): void {
    this.#messagesIn.inc({ topic }, records);
    this.#bytesIn.inc({ topic }, bytes);
  }

  /** Records sent to a consumer from `topic` (follower fetches are not counted). */
  messagesOut(topic: string, records: number, bytes: number): void {
    if (records > 0) this.#messagesOut.inc({ topic }, records);
    this.#bytesOut.inc({ topic }, bytes);
  }

  /** A follower fetch round (ReplicaManager.onFetchRound). */
  fetchRound(r: { fetchMs: number; appendFlushMs: number; bytes: number }): void {
    this.#fetchRound.observe({ phase: 'fetch' }, r.fetchMs);
    this.#fetchRound.observe({ phase: 'append_flush' }, r.appendFlushMs);
    this.#fetchBytes.inc(r.bytes);
  }

  /** An ISR change this broker wrote as leader. */
  isrChange(from: readonly number[], to: readonly number[]): void {
    if (to.length < from.length) this.#isrShrinks.inc();
    else if (to.length > from.length) this.#isrExpands.inc();
  }

  /** A ZooKeeper session event: 'disconnected' and 'expired' are counted. */
  zkState(state: string): void {
    if (state === 'disconnected') this.#zkDisconnects.inc();
    else if (state === 'expired') this.#zkExpires.inc();
  }

  producePartitions(n: number): void {
    this.#produceRequestPartitions.observe(n);
  }

  close(): void {
    this.#unsubscribe();
    this.registry.clear();
  }
}
