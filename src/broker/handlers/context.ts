/** What every request handler may use: the broker's parts, passed explicitly. */
import type { BrokerConfig } from '../config.js';
import type { MetadataCache } from '../metadata-cache.js';
import type { ReplicaManager } from '../replica-manager.js';
import type { KafkaController } from '../controller/controller.js';
import type { ZkClient } from '../../zk/client.js';
import type { ProducerIdManager } from '../producer-ids.js';
import type { Logger } from '../../common/logger.js';
import type { GroupCoordinator } from '../../coordinator/group-coordinator.js';
import type { GroupCoordinatorConfig } from '../../coordinator/config.js';
import { ErrorCode, KafkaError } from '../../common/errors.js';
import type { BrokerMetrics } from '../metrics.js';
import type { AclAuthorizer } from '../authorizer.js';

export interface BrokerContext {
  readonly config: BrokerConfig;
  /** Counts for /metrics (metrics.ts). */
  readonly metrics: BrokerMetrics;
  readonly zk: ZkClient;
  readonly metadata: MetadataCache;
  readonly replicas: ReplicaManager;
  /** Hands out producer ids (InitProducerId). */
  readonly producerIds: ProducerIdManager;
  readonly logger: Logger;
  /** The cluster id from `/cluster/id` (Metadata v2+). */
  readonly clusterId: string;
  /** The id of the current controller, or -1. */
  controllerId(): number;
  /** Creates a topic with the broker's defaults (auto.create.topics.enable). */
  autoCreateTopic(topic: string): Promise<void>;
  /** The controller, when this broker runs the election (ControlledShutdown is answered by it). */
  controller: KafkaController;
  /** The ACL authorizer (authorizer.class.name); undefined: every request is allowed. */
  readonly authorizer?: AclAuthorizer;
  /** Each live broker's endpoint on a listener other than the inter-broker one (Metadata on that listener). */
  endpointsFor?(listener: string): Promise<Map<number, { host: string; port: number }>>;
  /** The group coordinator of the __consumer_offsets partitions this broker leads, and its settings. */
  readonly groups: { readonly coordinator: GroupCoordinator; readonly config: GroupCoordinatorConfig };
}

/** Who sent a request: its header's client id and the connection's remote host ("/127.0.0.1", as Kafka prints it). */
export interface RequestMeta {
  clientId: string;
  clientHost: string;
  /** The listener the request came in on. */
  listener: string;
  /** `User:ANONYMOUS`, `User:<DN>` (TLS client certificate) or `User:<SASL name>`. */
  principal: string;
  /** True on a SASL listener. */
  sasl: boolean;
  /** What the handler spent waiting on others (flush, ISR, long poll): RemoteTimeMs (metrics.ts). */
  timing: { waitedMs: number };
  /**
   * Set by a handler whose response holds buffers it lends (Fetch: log reads into reused
   * buffers): called once the response has been handed to the kernel, when they may be reused.
   */
  afterSend?: () => void;
}

/** The Kafka error code of anything a handler caught. */
export function errorCodeOf(err: unknown): number {
  return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN;
}

/**
 * The error code of a produce or fetch of one partition: a failed system call on its log (a
 * full disk, EIO...) is KAFKA_STORAGE_ERROR, retriable, which clients know from Produce v4 and
 * Fetch v6; older ones get NOT_LEADER_FOR_PARTITION instead, as Kafka answers them, which they
 * retry too.
 */
export function partitionErrorCodeOf(err: unknown, knowsStorageError: boolean): number {
  const code = err instanceof KafkaError ? err.code : typeof (err as NodeJS.ErrnoException | undefined)?.syscall === 'string' ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN;
  return code === ErrorCode.KAFKA_STORAGE_ERROR && !knowsStorageError ? ErrorCode.NOT_LEADER_FOR_PARTITION : code;
}
