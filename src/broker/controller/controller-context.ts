/**
 * What the controller knows (ControllerContext.scala): its epoch and the zkVersion of
 * /controller_epoch it wrote (every state write checks it, so a deposed controller's writes
 * fail), live brokers, topic assignments and each partition's leader/ISR state with the
 * zkVersion of its state znode, and the partition state machine's state.
 */
export type PartitionStateName = 'NonExistent' | 'New' | 'Online' | 'Offline';

export interface ControllerPartitionState {
  topic: string;
  partition: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  controllerEpoch: number;
  zkVersion: number;
  state: PartitionStateName;
}

export interface BrokerEndpoint {
  id: number;
  host: string;
  port: number;
  /** zxid of the registration's creation: a new value means the broker restarted. */
  czxid?: bigint;
}

export const tp = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Partition states by topic, then partition number: a lookup hashes the topic name (a string
 * V8 keeps its hash for) and a small integer, not a key string made per call (the controller
 * looks states up tens of thousands of times in one controlled shutdown at 10,000 partitions).
 */
export class PartitionStates {
  readonly #byTopic = new Map<string, Map<number, ControllerPartitionState>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(topic: string, partition: number): ControllerPartitionState | undefined {
    return this.#byTopic.get(topic)?.get(partition);
  }

  /** Keeps `s` as the state of its topic and partition. */
  set(s: ControllerPartitionState): void {
    let parts = this.#byTopic.get(s.topic);
    if (!parts) this.#byTopic.set(s.topic, (parts = new Map()));
    if (!parts.has(s.partition)) this.#size++;
    parts.set(s.partition, s);
  }

  deleteTopic(topic: string): void {
    this.#size -= this.#byTopic.get(topic)?.size ?? 0;
    this.#byTopic.delete(topic);
  }

  *values(): IterableIterator<ControllerPartitionState> {
    for (const parts of this.#byTopic.values()) yield* parts.values();
  }
}

export class ControllerContext {
  epoch = 0;
  epochZkVersion = -1;
  readonly liveBrokers = new Map<number, BrokerEndpoint>();
  readonly shuttingDown = new Set<number>();
  readonly assignments = new Map<string, Map<number, number[]>>();
  readonly partitions = new PartitionStates();
  readonly topicsBeingDeleted = new Set<string>();
  /**
   * Replicas on live brokers that cannot serve them (Kafka's replicasOnOfflineDirs): the broker
   * answered LeaderAndIsr for them with KAFKA_STORAGE_ERROR. By broker, then tp(). They are
   * left out of elections and ISRs, and get no LeaderAndIsr, until the broker restarts.
   */
  readonly offlineReplicas = new Map<number, Set<string>>();

  liveIds(): Set<number> {
    return new Set([...this.liveBrokers.keys()].filter((id) => !this.shuttingDown.has(id)));
  }

  /** Live brokers including those shutting down (they still serve until they stop). */
  reachableIds(): Set<number> {
    return new Set(this.liveBrokers.keys());
  }

  /**
   * The brokers of `live` that may serve this partition: `live` itself unless one of them has
   * its replica offline (the usual case costs nothing per partition).
   */
  onlineFor(topic: string, partition: number, live: ReadonlySet<number>): ReadonlySet<number> {
    if (this.offlineReplicas.size === 0) return live;
    const k = tp(topic, partition);
    let out: Set<number> | undefined;
    for (const [broker, tps] of this.offlineReplicas) {
      if (!live.has(broker) || !tps.has(k)) continue;
      out ??= new Set(live);
      out.delete(broker);
    }
    return out ?? live;
  }

  isReplicaOffline(broker: number, topic: string, partition: number): boolean {
    return this.offlineReplicas.get(broker)?.has(tp(topic, partition)) ?? false;
  }

  /** Marks replicas of `broker` offline; returns those that were not already. */
  markReplicasOffline(broker: number, partitions: readonly { topic: string; partition: number }[]): { topic: string; partition: number }[] {
    let set = this.offlineReplicas.get(broker);
    if (!set) this.offlineReplicas.set(broker, (set = new Set()));
    const added: { topic: string; partition: number }[] = [];
    for (const p of partitions) {
      const k = tp(p.topic, p.partition);
      if (set.has(k)) continue;
      set.add(k);
      added.push(p);
    }
    return added;
  }

  replicas(topic: string, partition: number): number[] {
    return this.assignments.get(topic)?.get(partition) ?? [];
  }

  partitionState(topic: string, partition: number): ControllerPartitionState | undefined {
    return this.partitions.get(topic, partition);
  }

  allPartitions(): { topic: string; partition: number }[] {
    const out: { topic: string; partition: number }[] = [];
    for (const [topic, parts] of this.assignments) for (const partition of parts.keys()) out.push({ topic, partition });
    return out;
  }

  partitionsOnBroker(id: number): { topic: string; partition: number }[] {
    return this.allPartitions().filter((p) => this.replicas(p.topic, p.partition).includes(id));
  }

  /** Partitions whose leader is none, not a live broker, or offline there (topics being deleted aside). */
  offlinePartitionCount(): number {
    const live = this.reachableIds();
    let n = 0;
    for (const s of this.partitions.values()) if (!this.topicsBeingDeleted.has(s.topic) && (s.leader < 0 || !live.has(s.leader) || this.isReplicaOffline(s.leader, s.topic, s.partition))) n++;
    return n;
  }

  removeTopic(topic: string): void {
    for (const set of this.offlineReplicas.values()) for (const k of set) if (k.startsWith(`${topic}\u0000`)) set.delete(k);
    this.partitions.deleteTopic(topic);
    this.assignments.delete(topic);
    this.topicsBeingDeleted.delete(topic);
  }
}
