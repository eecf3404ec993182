/**
 * The brokers, the controller and the topics as ZooKeeper holds them, kept current by watches
 * (never by polling):
 *
 *   /brokers/ids                               children: who is alive; data of each: its endpoint
 *   /controller, /controller_epoch             data: the active controller and its epoch
 *   /brokers/topics                            children: the topics
 *   /brokers/topics/<T>                        data: partition -> replicas
 *   /brokers/topics/<T>/partitions/<P>/state   data: leader, leader epoch, ISR
 *
 * A broker that was registered and is no longer is kept as dead (so the page can show it), as
 * is a broker named in a replica list that never registered. Changes after the first reading
 * of each path go to the timeline (broker up/down, controller, leader, ISR, topic created or
 * deleted); `changed` is told which view moved.
 */
import { brokerIdPath, brokerIdsPath, brokerTopicsPath, controllerEpochPath, controllerPath, partitionStatePath, topicPath } from '../zk/paths.js';
import { decodeBrokerRegistration, decodeController, decodeControllerEpoch, decodePartitionState, decodeTopicAssignment, type PartitionState } from '../zk/payloads.js';
import type { ZkNode } from '../zk/client.js';
import type { Timeline } from './timeline.js';
import { diffNames, type WatchTree } from './watch-tree.js';

export type Section = 'zookeeper' | 'brokers' | 'topics' | 'groups';

export interface BrokerView {
  id: number;
  host: string | undefined;
  port: number | undefined;
  alive: boolean;
  /** When it came up or went down, as the map saw it (undefined: before the map started). */
  since: number | undefined;
  /** The registration's timestamp (ms). */
  registeredAt: number | undefined;
  controller: boolean;
  /** Partitions it leads, and partitions it holds a replica of. */
  leaderCount: number;
  replicaCount: number;
}

export interface ControllerView {
  brokerId: number | undefined;
  epoch: number | undefined;
  since: number | undefined;
}

export interface PartitionView {
  partition: number;
  replicas: number[];
  /** -1 when there is none (or no state yet). */
  leader: number;
  isr: number[];
  leaderEpoch: number | undefined;
  controllerEpoch: number | undefined;
  underReplicated: boolean;
  /** No leader, or a leader that is not alive. */
  offline: boolean;
}

export interface TopicView {
  topic: string;
  partitions: PartitionView[];
  underReplicated: number;
  offline: number;
}

interface BrokerEntry {
  host?: string;
  port?: number;
  alive: boolean;
  since: number | undefined;
  registeredAt?: number;
}

interface TopicEntry {
  assignment: Map<number, number[]>;
  states: Map<number, PartitionState>;
}

export class ClusterState {
  readonly #tree: WatchTree;
  readonly #timeline: Timeline;
  readonly #changed: (s: Section) => void;
  readonly #brokers = new Map<number, BrokerEntry>();
  #brokersLoaded = false;
  #controller: ControllerView = { brokerId: undefined, epoch: undefined, since: undefined };
  #controllerLoaded = false;
  readonly #topics = new Map<string, TopicEntry>();
  #topicsLoaded = false;

  constructor(tree: WatchTree, timeline: Timeline, changed: (s: Section) => void) {
    this.#tree = tree;
    this.#timeline = timeline;
    this.#changed = changed;
  }

  start(): void {
    this.#tree.children(brokerIdsPath, (ids) => this.#onBrokerIds(ids ?? []));
    this.#tree.data(controllerPath, (node) => this.#onController(node));
    this.#tree.data(controllerEpochPath, (node) => this.#onControllerEpoch(node));
    this.#tree.children(brokerTopicsPath, (topics) => this.#onTopics(topics ?? []));
  }

  // ---- brokers ------------------------------------------------------------------------------

  #onBrokerIds(children: string[]): void {
    const now = Date.now();
    const ids = children.filter((c) => /^\d+$/.test(c)).map(Number);
    const live = new Set(ids);
    for (const id of ids) {
      const b = this.#brokers.get(id);
      if (b?.alive) continue;
      this.#brokers.set(id, { ...b, alive: true, since: this.#brokersLoaded ? now : undefined });
      this.#tree.data(brokerIdPath(id), (node) => this.#onBroker(id, node));
      if (this.#brokersLoaded) this.#timeline.add('broker-up', `broker ${id} registered`, { broker: id }, now);
    }
    for (const [id, b] of this.#brokers) if (b.alive && !live.has(id)) this.#brokerDown(id, now);
    this.#brokersLoaded = true;
    this.#changed('brokers');
    this.#changed('topics');
  }

  #onBroker(id: number, node: ZkNode | undefined): void {
    const b = this.#brokers.get(id);
    if (!b) return;
    if (!node) {
      // its registration vanished (the data watch may fire before the children watch)
      if (b.alive && b.registeredAt !== undefined) {
        this.#brokerDown(id, Date.now());
        this.#changed('brokers');
        this.#changed('topics');
      }
      return;
    }
    try {
      const r = decodeBrokerRegistration(node.data, brokerIdPath(id));
      Object.assign(b, { host: r.host, port: r.port, registeredAt: r.timestamp || node.stat.ctime });
    } catch {
      b.registeredAt = node.stat.ctime; // unreadable registration: alive, endpoint unknown
    }
    this.#changed('brokers');
  }

  #brokerDown(id: number, now: number): void {
    const b = this.#brokers.get(id)!;
    b.alive = false;
    b.since = now;
    this.#tree.drop(brokerIdPath(id));
    this.#timeline.add('broker-down', `broker ${id} is gone (its registration vanished)`, { broker: id }, now);
  }

  isAlive(id: number): boolean {
    return this.#brokers.get(id)?.alive === true;
  }

  /** Address of a live broker. */
  endpoint(id: number): { host: string; port: number } | undefined {
    const b = this.#brokers.get(id);
    return b?.alive && b.host !== undefined && b.port !== undefined ? { host: b.host, port: b.port } : undefined;
  }

  // ---- controller ---------------------------------------------------------------------------

  #onController(node: ZkNode | undefined): void {
    let id: number | undefined;
    try {
      id = node ? decodeController(node.data).brokerId : undefined;
    } catch {
      id = undefined;
    }
    const before = this.#controller.brokerId;
    const now = Date.now();
    this.#controller = { ...this.#controller, brokerId: id, since: this.#controllerLoaded ? now : this.#controller.since };
    if (this.#controllerLoaded && before !== id) {
      const text = id === undefined ? `no controller (broker ${before} resigned or died)` : `broker ${id} is the controller${before !== undefined ? ` (was ${before})` : ''}`;
      this.#timeline.add('controller', text, id === undefined ? {} : { broker: id }, now);
    }
    this.#controllerLoaded = true;
    this.#changed('brokers');
  }

  #onControllerEpoch(node: ZkNode | undefined): void {
    try {
      this.#controller = { ...this.#controller, epoch: node ? decodeControllerEpoch(node.data) : undefined };
    } catch {
      /* unreadable epoch: keep the last */
    }
    this.#changed('brokers');
  }

  // ---- topics -------------------------------------------------------------------------------

  #onTopics(children: string[]): void {
    const { added, removed } = diffNames(new Set(this.#topics.keys()), children);
    for (const t of added) {
      this.#topics.set(t, { assignment: new Map(), states: new Map() });
      this.#tree.data(topicPath(t), (node) => this.#onAssignment(t, node));
      if (this.#topicsLoaded) this.#timeline.add('topic-created', `topic ${t} created`, { topic: t });
    }
    for (const t of removed) {
      this.#topics.delete(t);
      this.#tree.drop(topicPath(t));
      this.#timeline.add('topic-deleted', `topic ${t} deleted`, { topic: t });
    }
    this.#topicsLoaded = true;
    this.#changed('topics');
    this.#changed('brokers');
  }

  #onAssignment(topic: string, node: ZkNode | undefined): void {
    const t = this.#topics.get(topic);
    if (!t || !node) return;
    try {
      t.assignment = decodeTopicAssignment(node.data, topicPath(topic));
    } catch {
      return;
    }
    for (const p of t.assignment.keys()) this.#tree.data(partitionStatePath(topic, p), (n) => this.#onState(topic, p, n));
    this.#changed('topics');
    this.#changed('brokers');
  }

  #onState(topic: string, partition: number, node: ZkNode | undefined): void {
    const t = this.#topics.get(topic);
    if (!t || !node) return;
    let s: PartitionState;
    try {
      s = decodePartitionState(node.data, partitionStatePath(topic, partition));
    } catch {
      return;
    }
    const before = t.states.get(partition);
    t.states.set(partition, s);
    if (before) {
      const about = { topic, partition };
      if (before.leader !== s.leader) {
        const to = s.leader < 0 ? 'no leader (offline)' : `leader ${s.leader}`;
        this.#timeline.add('leader', `${topic}-${partition}: ${to}, was ${before.leader < 0 ? 'none' : before.leader} (epoch ${s.leaderEpoch}), ISR [${s.isr.join(',')}]`, { ...about, broker: s.leader });
      } else if (before.isr.join(',') !== s.isr.join(',')) {
        const how = s.isr.length < before.isr.length ? 'shrank' : s.isr.length > before.isr.length ? 'grew' : 'changed';
        this.#timeline.add('isr', `${topic}-${partition}: ISR ${how} [${before.isr.join(',')}] -> [${s.isr.join(',')}]`, about);
      }
    }
    this.#changed('topics');
    this.#changed('brokers');
  }

  /** The partitions of a topic (undefined for an unknown topic). */
  partitionsOf(topic: string): number[] | undefined {
    const t = this.#topics.get(topic);
    return t ? [...t.assignment.keys()].sort((a, b) => a - b) : undefined;
  }

  topicNames(): string[] {
    return [...this.#topics.keys()].sort();
  }

  leaderOf(topic: string, partition: number): number {
    return this.#topics.get(topic)?.states.get(partition)?.leader ?? -1;
  }

  // ---- views --------------------------------------------------------------------------------

  controllerView(): ControllerView {
    return { ...this.#controller };
  }

  topicView(topic: string): TopicView | undefined {
    const t = this.#topics.get(topic);
    if (!t) return undefined;
    const partitions = [...t.assignment].sort((a, b) => a[0] - b[0]).map(([partition, replicas]): PartitionView => {
      const s = t.states.get(partition);
      const leader = s?.leader ?? -1;
      const isr = s?.isr ?? [];
      return {
        partition,
        replicas,
        leader,
        isr,
        leaderEpoch: s?.leaderEpoch,
        controllerEpoch: s?.controllerEpoch,
        underReplicated: s !== undefined && isr.length < replicas.length,
        offline: leader < 0 || !this.isAlive(leader),
      };
    });
    return { topic, partitions, underReplicated: partitions.filter((p) => p.underReplicated).length, offline: partitions.filter((p) => p.offline).length };
  }

  topicsView(): TopicView[] {
    return this.topicNames().map((t) => this.topicView(t)!);
  }

  brokersView(): BrokerView[] {
    const leaders = new Map<number, number>();
    const replicas = new Map<number, number>();
    for (const t of this.#topics.values()) {
      for (const [p, rs] of t.assignment) {
        for (const r of rs) replicas.set(r, (replicas.get(r) ?? 0) + 1);
        const l = t.states.get(p)?.leader;
        if (l !== undefined && l >= 0) leaders.set(l, (leaders.get(l) ?? 0) + 1);
      }
    }
    const ids = new Set([...this.#brokers.keys(), ...replicas.keys()]);
    return [...ids]
      .sort((a, b) => a - b)
      .map((id) => {
        const b = this.#brokers.get(id);
        return {
          id,
          host: b?.host,
          port: b?.port,
          alive: b?.alive === true,
          since: b?.since,
          registeredAt: b?.registeredAt,
          controller: this.#controller.brokerId === id,
          leaderCount: leaders.get(id) ?? 0,
          replicaCount: replicas.get(id) ?? 0,
        };
      });
  }
}
