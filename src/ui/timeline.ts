/**
 * The timeline of what happened in the cluster, as the cluster map saw it through its
 * ZooKeeper watches: a bounded list of events with increasing ids (the SSE event id), newest
 * last. Kinds: broker-up, broker-down, controller (a change of controller or epoch), leader,
 * isr, topic-created, topic-deleted, group-created, group-deleted, rebalance-start,
 * rebalance-done (with its duration and the owners after it), zookeeper (the map's own session:
 * disconnected, reconnected, expired).
 */

export type EventKind =
  | 'broker-up'
  | 'broker-down'
  | 'controller'
  | 'leader'
  | 'isr'
  | 'topic-created'
  | 'topic-deleted'
  | 'group-created'
  | 'group-deleted'
  | 'rebalance-start'
  | 'rebalance-done'
  | 'zookeeper';

export interface ClusterEvent {
  id: number;
  /** ms since the epoch, when the map learned it. */
  time: number;
  kind: EventKind;
  /** One line a person reads. */
  text: string;
  /** What it is about, for filtering: broker id, topic, partition, group. */
  broker?: number;
  topic?: string;
  partition?: number;
  group?: string;
  /** rebalance-done: how long the group had no complete assignment. */
  durationMs?: number;
}

export class Timeline {
  readonly #max: number;
  #events: ClusterEvent[] = [];
  #nextId = 1;
  readonly #listeners = new Set<(e: ClusterEvent) => void>();

  constructor(max = 1000) {
    this.#max = max;
  }

  add(kind: EventKind, text: string, about: Omit<ClusterEvent, 'id' | 'time' | 'kind' | 'text'> = {}, time = Date.now()): ClusterEvent {
    const e: ClusterEvent = { id: this.#nextId++, time, kind, text, ...about };
    this.#events.push(e);
    if (this.#events.length > this.#max) this.#events.splice(0, this.#events.length - this.#max);
    for (const l of this.#listeners) l(e);
    return e;
  }

  /** Events after `afterId` (all kept ones by default), oldest first. */
  since(afterId = 0): ClusterEvent[] {
    return afterId <= 0 ? [...this.#events] : this.#events.filter((e) => e.id > afterId);
  }

  onEvent(fn: (e: ClusterEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
