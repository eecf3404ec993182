/**
 * The Producer's public types: what a record is, what an acknowledgement carries, and the
 * options (Kafka's producer configs, camel-cased; `producerOptionsFromProperties` maps the
 * dotted names).
 */
import type { Bytes } from '../../protocol/records/record-batch.js';
import type { CompressionCodec } from '../../protocol/records/compression.js';
import type { Cluster } from '../cluster.js';
import type { ClientSecurity } from '../../network/client-security.js';

export type { Bytes };

export interface ProducerRecord {
  topic: string;
  /** Explicit partition; otherwise the partitioner chooses. */
  partition?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: { key: string; value: Bytes }[] | Record<string, Bytes>;
  /** CreateTime in ms; Date.now() when omitted. */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1 with acks=0 (no answer). */
  offset: number;
  /** The broker's append time when the topic uses LogAppendTime, else -1. */
  logAppendTime: number;
}

export type SendCallback = (err: Error | null, metadata: RecordMetadata | undefined) => void;

export interface PartitionerArgs {
  topic: string;
  key: Bytes;
  value: Bytes;
  /** The partition count of the topic. */
  partitionCount: number;
  /** Partitions that have a leader now, ascending. */
  availablePartitions: readonly number[];
}
/** Returns a partition in [0, partitionCount). */
export type PartitionerFn = (args: PartitionerArgs) => number;

/**
 * - 'default': explicit partition, else murmur2(key) (the Java client's and kafkajs' choice),
 *   else a sticky partition (KIP-480): one partition with a leader until its batch is full.
 * - 'round-robin': explicit partition, else round-robin (keys ignored).
 * - 'random': explicit partition, else a random partition (keys ignored).
 * - a function: called for every record without an explicit partition.
 */
export type Partitioner = 'default' | 'round-robin' | 'random' | PartitionerFn;

export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | CompressionCodec;

export interface ProducerOptions {
  /** Bootstrap brokers, "host:port,host:port" or a list (bootstrap.servers / metadata.broker.list). */
  brokers?: string | { host: string; port: number }[];
  /** Bootstrap from ZooKeeper instead: "host:port[,host:port][/chroot]" (reads /brokers/ids, as 0.7's producer did). */
  zookeeper?: string;
  /** Use an existing Cluster (not closed by close()). */
  cluster?: Cluster;
  /** TLS / SASL to the brokers (security.protocol, ssl.*, sasl.* properties); absent = PLAINTEXT. */
  security?: ClientSecurity;
  clientId?: string;
  /** Serve Prometheus /metrics on 127.0.0.1 at this port (0: a free one, see metricsUrl()); property metrics.port. */
  metricsPort?: number;
  /** 0 (no answer), 1 (the leader has it, flushed) or -1 / 'all' (all in-sync replicas). Default 1. */
  acks?: 0 | 1 | -1 | 'all';
  /** compression.type: default 'none'. */
  compression?: CompressionType;
  /** batch.size: bytes of records per partition batch (uncompressed). Default 16384. */
  batchSize?: number;
  /** linger.ms: how long a partly filled batch may wait for more records. Default 0. */
  lingerMs?: number;
  /** buffer.memory: bytes of batches the producer may hold. Default 33554432. */
  bufferMemory?: number;
  /** max.block.ms: how long a record may wait for buffer space or topic metadata. Default 60000. */
  maxBlockMs?: number;
  /** max.request.size: largest record, and largest produce request. Default 1048576. */
  maxRequestSize?: number;
  /**
   * max.in.flight.requests.per.connection. Default 5. With idempotence this many requests may
   * carry one partition's batches at once; without it, one (so a retry cannot reorder).
   */
  maxInFlight?: number;
  /**
   * enable.idempotence (KIP-98): a producer id from the cluster and a sequence number on every
   * batch, so the partition leader refuses a gap and drops a resent duplicate; that lets several
   * requests per partition be in flight without a retry reordering records. Default true (with
   * acks 1 or all; acks=0 has no answers to check). Kafka requires acks=all for it; here the
   * sequences keep their ordering promise with acks=1 too.
   */
  idempotence?: boolean;
  /** retries of a batch after a retriable error. Default 2147483647 (bounded by deliveryTimeoutMs). */
  retries?: number;
  /** retry.backoff.ms. Default 100. */
  retryBackoffMs?: number;
  /** request.timeout.ms. Default 30000. */
  requestTimeoutMs?: number;
  /** delivery.timeout.ms: a batch fails this long after it was created. Default 120000. */
  deliveryTimeoutMs?: number;
  partitioner?: Partitioner;
}
