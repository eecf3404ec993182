/**
 * The cluster map's model: one ZooKeeper session, read-only, whose watches keep the brokers,
 * the controller, the topics and the consumer groups current (cluster-state.ts,
 * group-state.ts), the log ends the brokers report (log-ends.ts) and the timeline.
 *
 * ZooKeeper away: the map keeps what it last saw and says so (`zookeeperView().state`); it
 * connects by itself when ZooKeeper comes back (a first connection is retried every second;
 * after that ZkClient reconnects, opens a new session after an expiry and re-arms every watch,
 * whose first delivery brings the map up to date). `change` events name the view that moved.
 */
import { EventEmitter } from 'node:events';
import { ZkClient } from '../zk/client.js';
import type { Logger } from '../common/logger.js';
import { DEFAULT_BURROW, type BurrowOptions } from './burrow.js';
import { ClusterState, type BrokerView, type ControllerView, type Section, type TopicView } from './cluster-state.js';
import { GroupState, type GroupView } from './group-state.js';
import { LogEnds } from './log-ends.js';
import { Timeline, type ClusterEvent } from './timeline.js';
import { WatchTree } from './watch-tree.js';

export interface ClusterMapOptions {
  /** host:port[,host:port...][/chroot] */
  zookeeper: string;
  sessionTimeoutMs?: number;
  /** How often the brokers are asked for log ends (lag). Default 1000. */
  offsetsRefreshMs?: number;
  burrow?: BurrowOptions;
  maxEvents?: number;
  logger: Logger;
}

export type ZooKeeperState = 'connecting' | 'connected' | 'disconnected' | 'expired' | 'closed';

export interface ZooKeeperView {
  connect: string;
  state: ZooKeeperState;
  /** Since when it is in that state (ms). */
  since: number;
  server: string | undefined;
  sessionTimeoutMs: number | undefined;
  /** The last reason a connection failed, while not connected. */
  error: string | undefined;
}

export interface ClusterSnapshot {
  zookeeper: ZooKeeperView;
  controller: ControllerView;
  brokers: BrokerView[];
  topics: TopicView[];
  groups: GroupView[];
  events: ClusterEvent[];
}

export class ClusterMap extends EventEmitter<{ change: [Section] }> {
  readonly timeline: Timeline;
  readonly #opts: ClusterMapOptions;
  readonly #log: Logger;
  readonly #logEnds: LogEnds;
  #zk: ZkClient | undefined;
  #tree: WatchTree | undefined;
  #cluster: ClusterState | undefined;
  #groups: GroupState | undefined;
  #zkView: ZooKeeperView;
  #closed = false;
  #statusSignature = '';
  #connected: () => void = () => undefined;
  /** Resolves once the first ZooKeeper session is connected and the watches are set. */
  readonly ready: Promise<void>;

  constructor(opts: ClusterMapOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger;
    this.timeline = new Timeline(opts.maxEvents ?? 1000);
    this.#zkView = { connect: opts.zookeeper, state: 'connecting', since: Date.now(), server: undefined, sessionTimeoutMs: undefined, error: undefined };
    this.ready = new Promise((resolve) => (this.#connected = resolve));
    this.#logEnds = new LogEnds(
      {
        partitions: () => this.#groups?.partitionsOfInterest() ?? [],
        leaderOf: (t, p) => this.#cluster?.leaderOf(t, p) ?? -1,
        endpoint: (id) => this.#cluster?.endpoint(id),
      },
      opts.offsetsRefreshMs ?? 1000,
      (changed) => this.#afterLogEnds(changed),
    );
  }

  start(): void {
    void this.#connectLoop();
  }

  async #connectLoop(): Promise<void> {
    while (!this.#closed) {
      try {
        const zk = await ZkClient.connect({ connectString: this.#opts.zookeeper, sessionTimeoutMs: this.#opts.sessionTimeoutMs ?? 30_000, connectTimeoutMs: 5000, operationTimeoutMs: 10_000 });
        if (this.#closed) {
          await zk.close();
          return;
        }
        this.#attach(zk);
        return;
      } catch (err) {
        this.#zkView = { ...this.#zkView, error: err instanceof Error ? err.message : String(err) };
        this.emit('change', 'zookeeper');
        this.#log.warn('cannot connect to ZooKeeper; retrying', { zookeeper: this.#opts.zookeeper, error: err });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  #attach(zk: ZkClient): void {
    this.#zk = zk;
    zk.on('error', (err) => this.#log.warn('watch failed', { error: err }));
    zk.on('state', (s) => this.#onZkState(s));
    const changed = (s: Section): void => void this.emit('change', s);
    const tree = (this.#tree = new WatchTree(zk));
    const cluster = (this.#cluster = new ClusterState(tree, this.timeline, changed));
    this.#groups = new GroupState(
      tree,
      this.timeline,
      changed,
      { partitionsOf: (t) => cluster.partitionsOf(t), topicNames: () => cluster.topicNames(), logEnd: (t, p) => this.#logEnds.get(t, p) },
      this.#opts.burrow ?? DEFAULT_BURROW,
    );
    this.#onZkState('connected');
    cluster.start();
    this.#groups.start();
    this.#logEnds.start();
    this.#log.info('watching ZooKeeper', { zookeeper: this.#opts.zookeeper, server: zk.server });
    this.#connected();
  }

  #onZkState(s: string): void {
    const zk = this.#zk;
    if (!zk || this.#closed) return;
    const state: ZooKeeperState = s === 'connected' || s === 'disconnected' || s === 'expired' || s === 'closed' ? s : 'disconnected';
    if (state === this.#zkView.state) return;
    const before = this.#zkView.state;
    this.#zkView = { ...this.#zkView, state, since: Date.now(), server: zk.server, sessionTimeoutMs: zk.sessionTimeoutMs, error: undefined };
    const text =
      state === 'connected'
        ? before === 'connecting'
          ? `connected to ZooKeeper ${zk.server ?? ''}`
          : `ZooKeeper is back (${zk.server ?? ''}); the map is live again`
        : state === 'expired'
          ? 'the ZooKeeper session expired; opening a new one (watches are set again)'
          : 'ZooKeeper is unreachable; the map shows what it last saw';
    this.timeline.add('zookeeper', text);
    this.emit('change', 'zookeeper');
  }

  #afterLogEnds(changed: boolean): void {
    const sig = this.groupsView()
      .map((g) => `${g.group}:${g.status}`)
      .join(',');
    if (changed || sig !== this.#statusSignature) {
      this.#statusSignature = sig;
      this.emit('change', 'groups');
    }
  }

  // ---- views --------------------------------------------------------------------------------

  zookeeperView(): ZooKeeperView {
    return { ...this.#zkView };
  }
  controllerView(): ControllerView {
    return this.#cluster?.controllerView() ?? { brokerId: undefined, epoch: undefined, since: undefined };
  }
  brokersView(): BrokerView[] {
    return this.#cluster?.brokersView() ?? [];
  }
  topicsView(): TopicView[] {
    return this.#cluster?.topicsView() ?? [];
  }
  topicView(topic: string): TopicView | undefined {
    return this.#cluster?.topicView(topic);
  }
  groupsView(): GroupView[] {
    return this.#groups?.groupsView() ?? [];
  }
  groupView(group: string): GroupView | undefined {
    return this.#groups?.groupView(group);
  }
  snapshot(): ClusterSnapshot {
    return {
      zookeeper: this.zookeeperView(),
      controller: this.controllerView(),
      brokers: this.brokersView(),
      topics: this.topicsView(),
      groups: this.groupsView(),
      events: this.timeline.since(0),
    };
  }

  /** How many ZooKeeper watches the map holds (one per path it follows). */
  get watchCount(): number {
    return this.#tree?.size ?? 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connected();
    await this.#logEnds.close();
    this.#tree?.close();
    await this.#zk?.close();
  }
}
