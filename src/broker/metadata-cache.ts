/**
 * The broker's view of the cluster as the controller last described it (UpdateMetadata):
 * live brokers and every partition's replicas, leader and ISR. Every broker answers Metadata
 * from here. Each UpdateMetadata is a full snapshot and replaces the previous one.
 */
import { EventEmitter } from 'node:events';
import type { UpdateMetadataRequest } from '../protocol/apis/update-metadata.js';

export interface BrokerEndpoint {
  id: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  topic: string;
  partition: number;
  replicas: number[];
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

export class MetadataCache extends EventEmitter {
  #brokers = new Map<number, BrokerEndpoint>();
  #topics = new Map<string, Map<number, PartitionMetadata>>();
  #controllerId = -1;
  #controllerEpoch = 0;

  get controllerId(): number {
    return this.#controllerId;
  }

  get controllerEpoch(): number {
    return this.#controllerEpoch;
  }

  apply(req: UpdateMetadataRequest): void {
    this.#controllerId = req.controllerId;
    this.#controllerEpoch = req.controllerEpoch;
    this.#brokers = new Map(req.liveBrokers.map((b) => [b.id, { id: b.id, host: b.host, port: b.port }]));
    const topics = new Map<string, Map<number, PartitionMetadata>>();
    for (const s of req.partitionStates) {
      let parts = topics.get(s.topic);
      if (!parts) topics.set(s.topic, (parts = new Map()));
      parts.set(s.partition, { topic: s.topic, partition: s.partition, replicas: s.replicas, leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr });
    }
    this.#topics = topics;
    this.emit('change');
  }

  brokers(): BrokerEndpoint[] {
    return [...this.#brokers.values()].sort((a, b) => a.id - b.id);
  }

  broker(id: number): BrokerEndpoint | undefined {
    return this.#brokers.get(id);
  }

  isAlive(id: number): boolean {
    return this.#brokers.has(id);
  }

  topics(): string[] {
    return [...this.#topics.keys()].sort();
  }

  hasTopic(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** The partitions of a topic in partition order, or undefined when the topic is unknown. */
  partitions(topic: string): PartitionMetadata[] | undefined {
    const parts = this.#topics.get(topic);
    if (!parts) return undefined;
    return [...parts.values()].sort((a, b) => a.partition - b.partition).map((p) => this.#live(p));
  }

  partition(topic: string, partition: number): PartitionMetadata | undefined {
    const p = this.#topics.get(topic)?.get(partition);
    return p && this.#live(p);
  }

  /** A leader that is not a live broker is reported as none. */
  #live(p: PartitionMetadata): PartitionMetadata {
    return this.#brokers.has(p.leader) ? p : { ...p, leader: -1 };
  }
}
