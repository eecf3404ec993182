/**
 * The controller (KafkaController.scala): one broker, elected through /controller, manages
 * partition leadership for the cluster. Its ZooKeeper watches only queue events; one loop
 * handles them in order, each handler named after its event:
 *   onControllerFailover       this broker was elected: load everything, elect missing leaders,
 *                              tell every broker (LeaderAndIsr, UpdateMetadata), then drop
 *                              brokers that died unseen from the ISRs
 *   onBrokerStartup            brokers joined: give them their partitions, revive offline ones
 *   onBrokerFailure            brokers left: elect new leaders from the ISR, shrink ISRs
 *   onNewTopicCreation         topics appeared: initialize their partitions
 *   onPartitionCountChange     a topic got more partitions
 *   onTopicDeletion            /admin/delete_topics: stop and delete replicas, then the znodes
 *   onIsrChange                a leader changed an ISR: refresh metadata everywhere
 *   onReplicasOffline          a broker answered LeaderAndIsr with KAFKA_STORAGE_ERROR: those
 *                              replicas are failed (new leaders, smaller ISRs) until it restarts
 *   onLogDirFailure            /log_dir_event_notification: a broker's storage failed; it is sent
 *                              LeaderAndIsr for all its replicas, to learn which (above)
 *   onControlledShutdown       a broker asks to hand over its leaderships before it stops
 *   onPreferredReplicaElection /admin/preferred_replica_election, and the periodic rebalance
 * Every request carries the controller epoch; every state write checks /controller_epoch's
 * zkVersion (partition-state-machine.ts), so a deposed controller changes nothing.
 * Handlers work on all their partitions at once: ZooKeeper reads pipelined, state writes in
 * batched multis (partition-state-machine.ts), one LeaderAndIsr per broker and batch of
 * partitions, so an event costs a few round trips, not a few per partition (Kafka 1.1).
 */
import type { ClientSecurity } from '../../network/client-security.js';
import type { ZkClient } from '../../zk/client.js';
import {
  brokerIdsPath,
  brokerTopicsPath,
  deleteTopicPath,
  deleteTopicsPath,
  preferredReplicaElectionPath,
  reassignPartitionsPath,
  topicConfigPath,
  topicPath,
} from '../../zk/paths.js';
import { decodePreferredReplicaElection, decodeTopicAssignment } from '../../zk/payloads.js';
import { pipelined } from '../../zk/pipeline.js';
import { LeaderElector } from './leader-elector.js';
import { ControllerChannelManager } from './channel-manager.js';
import { ControllerContext } from './controller-context.js';
import { ControllerMovedError, PartitionStateMachine } from './partition-state-machine.js';
import { electOfflineLeaders, onBrokerFailure, onBrokerStartup, onReplicasOffline, refreshBrokers, shrinkIsrsOfDeadBrokers, type BrokerChangeDeps } from './broker-changes.js';
import { electPreferredLeaders, imbalancedPartitions, moveLeadershipsAway, type LeadershipDeps } from './leadership-moves.js';
import { ISR_CHANGE_PATH, readIsrChanges } from './isr-change.js';
import { LOG_DIR_EVENT_PATH, readLogDirFailures } from './log-dir-events.js';
import { PartitionReassigner } from './reassignment.js';
import { BrokerRequests } from './broker-requests.js';
import { ReplicaStateMachine, type ReplicaRef } from './replica-state-machine.js';
import { Logger } from '../../common/logger.js';

export interface ControllerConfig {
  brokerId: number;
  uncleanLeaderElectionEnable: boolean;
  autoLeaderRebalanceEnable: boolean;
  leaderImbalanceCheckIntervalMs: number;
  /** The listener brokers reach each other on (inter.broker.listener.name; default PLAINTEXT). */
  interBrokerListener?: string;
  /** How the controller connects to it (TLS, SASL); undefined = PLAINTEXT. */
  interBrokerSecurity?: ClientSecurity;
}

type TP = { topic: string; partition: number };

/** How long a controlled shutdown waits for the new leaders to take over before it answers. */
const CONTROLLED_SHUTDOWN_WAIT_MS = 15_000;

export class KafkaController {
  readonly #zk: ZkClient;
  readonly #cfg: ControllerConfig;
  readonly #log: Logger;
  readonly elector: LeaderElector;
  #ctx = new ControllerContext();
  #psm: PartitionStateMachine;
  #channels = new ControllerChannelManager();
  #reassigner: PartitionReassigner | undefined;
  #rsm = new ReplicaStateMachine();
  #requests = new BrokerRequests(0, this.#ctx, this.#channels);
  #unwatch: (() => void)[] = [];
  #events: Promise<void> = Promise.resolve();
  readonly #waiting = new Set<string>();
  #active = false;
  #rebalanceTimer: NodeJS.Timeout | undefined;

  constructor(zk: ZkClient, cfg: ControllerConfig, logger = new Logger('controller')) {
    this.#zk = zk;
    this.#cfg = cfg;
    this.#log = logger;
    this.#psm = new PartitionStateMachine(zk, this.#ctx, logger);
    this.elector = new LeaderElector(zk, cfg.brokerId, {
      onBecomingLeader: (epoch, version) => this.#enqueue('failover', () => this.onControllerFailover(epoch, version)),
      onResigning: () => this.onControllerResignation(),
    }, logger);
  }

  get epoch(): number {
    return this.#ctx.epoch;
  }
  get isActive(): boolean {
    return this.#active;
  }

  /** Partitions without a live leader (Kafka's OfflinePartitionsCount); 0 unless this broker is the controller. */
  offlinePartitionCount(): number {
    return this.#active ? this.#ctx.offlinePartitionCount() : 0;
  }

  start(): void {
    this.elector.start();
    this.elector.elect();
  }

  async stop(): Promise<void> {
    await this.elector.stop();
  }

  /**
   * Queues an event. With `coalesce`, an event of that name already waiting (not yet started)
   * stands for this one too: its handler reads the current state when it runs.
   */
  #enqueue(name: string, handler: () => Promise<void>, coalesce = false): Promise<void> {
    if (coalesce) {
      if (this.#waiting.has(name)) return this.#events;
      this.#waiting.add(name);
    }
    const run = this.#events.then(async () => {
      if (coalesce) this.#waiting.delete(name);
      if (!this.#active && name !== 'failover') return;
      try {
        await handler();
      } catch (err) {
        if (err instanceof ControllerMovedError) {
          this.#log.warn('another controller was elected; resigning', { event: name });
          this.onControllerResignation();
          return;
        }
        this.#log.error('controller event failed', { event: name, error: err });
      }
    });
    this.#events = run;
    return run;
  }

  // ---- election ---------------------------------------------------------------------------

  async onControllerFailover(epoch: number, epochZkVersion: number): Promise<void> {
    this.#ctx = new ControllerContext();
    this.#ctx.epoch = epoch;
    this.#ctx.epochZkVersion = epochZkVersion;
    this.#psm = new PartitionStateMachine(this.#zk, this.#ctx, this.#log);
    this.#channels.shutdown();
    this.#channels = new ControllerChannelManager(this.#log, this.#cfg.interBrokerSecurity);
    this.#requests = new BrokerRequests(this.#cfg.brokerId, this.#ctx, this.#channels, this.#log, (broker, partitions) => {
      void this.#enqueue('replicas-offline', () => onReplicasOffline(this.#brokerChanges(), broker, partitions));
    });
    this.#rsm = new ReplicaStateMachine(this.#log);
    this.#active = true;
    this.#reassigner = new PartitionReassigner(this.#zk, this.#ctx, this.#psm, {
      sendLeaderAndIsr: (tps) => this.#requests.sendLeaderAndIsr(tps),
      sendUpdateMetadata: () => this.#requests.sendUpdateMetadata(),
      stopReplicas: (broker, partitions) => this.#requests.stopReplicas(broker, partitions, true),
    }, this.#log);
    const t0 = Date.now();
    await this.#refreshBrokers();
    await this.#loadTopics((await this.#zk.children(brokerTopicsPath)) ?? []);
    const partitions = this.#ctx.allPartitions();
    const states = await this.#psm.loadAll(partitions);
    const fresh = partitions.filter((_, i) => !states[i]);
    if (fresh.length > 0) await this.#psm.initializeAll(fresh);
    const loadMs = Date.now() - t0;
    const live = this.#ctx.liveIds();
    const offline = partitions.filter((p) => {
      const s = this.#ctx.partitionState(p.topic, p.partition);
      return s !== undefined && !live.has(s.leader);
    });
    const elections = await electOfflineLeaders(this.#brokerChanges(), offline, 'controller failover');
    const all = this.#replicaRefs(partitions);
    this.#rsm.handleStateChanges(all, 'NewReplica');
    this.#rsm.handleStateChanges(all.filter((r) => this.#ctx.liveBrokers.has(r.broker)), 'OnlineReplica');
    this.#rsm.handleStateChanges(all.filter((r) => !this.#ctx.liveBrokers.has(r.broker)), 'OfflineReplica');
    this.#requests.sendLeaderAndIsr(this.#ctx.allPartitions());
    this.#requests.sendUpdateMetadata();
    // every partition has its leader now; then the dead brokers leave the other ISRs
    const shrunk = await shrinkIsrsOfDeadBrokers(this.#brokerChanges(), partitions);
    this.#watch();
    this.#log.info('controller ready', {
      epoch,
      brokers: [...this.#ctx.liveBrokers.keys()].join(','),
      partitions: this.#ctx.partitions.size,
      elected: elections.elected.length,
      isrShrunk: shrunk,
      loadMs,
      ms: Date.now() - t0,
    });
    if (this.#cfg.autoLeaderRebalanceEnable) {
      this.#rebalanceTimer = setInterval(() => void this.#enqueue('auto-rebalance', () => this.#autoRebalance()), this.#cfg.leaderImbalanceCheckIntervalMs);
      this.#rebalanceTimer.unref();
    }
  }

  onControllerResignation(): void {
    this.#active = false;
    for (const u of this.#unwatch) u();
    this.#unwatch = [];
    clearInterval(this.#rebalanceTimer);
    this.#channels.shutdown();
  }

  #watch(): void {
    this.#unwatch.push(
      this.#zk.watchChildren(brokerIdsPath, () => void this.#enqueue('brokers', () => this.#onBrokersChanged(), true)),
      this.#zk.watchChildren(brokerTopicsPath, (topics) => void this.#enqueue('topics', () => this.#onTopicsChanged(topics ?? []))),
      this.#zk.watchChildren(deleteTopicsPath, (topics) => void this.#enqueue('delete-topics', () => this.onTopicDeletion(topics ?? []))),
      this.#zk.watchChildren(ISR_CHANGE_PATH, (kids) => {
        if (kids && kids.length > 0) void this.#enqueue('isr-change', () => this.onIsrChange(), true);
      }),
      this.#zk.watchChildren(LOG_DIR_EVENT_PATH, (kids) => {
        if (kids && kids.length > 0) void this.#enqueue('log-dir-event', () => this.onLogDirFailure(), true);
      }),
      this.#zk.watchData(reassignPartitionsPath, (node) => {
        if (node) void this.#enqueue('reassignment', () => this.#reassigner!.onReassignmentRequest(node.data));
      }),
      this.#zk.watchData(preferredReplicaElectionPath, (node) => {
        if (node) void this.#enqueue('preferred-election', () => this.onPreferredReplicaElection(decodePreferredReplicaElection(node.data), true));
      }),
    );
  }

  // ---- brokers ----------------------------------------------------------------------------

  #refreshBrokers(): Promise<{ added: number[]; removed: number[] }> {
    return refreshBrokers(this.#zk, this.#ctx, this.#channels, this.#cfg.interBrokerListener);
  }

  async #onBrokersChanged(): Promise<void> {
    const { added, removed } = await this.#refreshBrokers();
    if (removed.length > 0) {
      // a bounced broker is failed first (as if absent), then started again
      const back = removed.map((id) => this.#ctx.liveBrokers.get(id)).filter((b) => b !== undefined);
      for (const b of back) this.#ctx.liveBrokers.delete(b.id);
      await this.onBrokerFailure(removed);
      for (const b of back) this.#ctx.liveBrokers.set(b.id, b);
    }
    if (added.length > 0) await this.onBrokerStartup(added);
  }

  #replicaRefs(partitions: TP[], brokers?: number[]): ReplicaRef[] {
    return ReplicaStateMachine.refs((t, p) => this.#ctx.replicas(t, p), partitions, brokers);
  }

  onBrokerStartup(ids: number[]): Promise<void> {
    return onBrokerStartup(this.#brokerChanges(), ids);
  }

  onBrokerFailure(ids: number[]): Promise<void> {
    return onBrokerFailure(this.#brokerChanges(), ids);
  }

  #brokerChanges(): BrokerChangeDeps {
    return { zk: this.#zk, ctx: this.#ctx, psm: this.#psm, rsm: this.#rsm, requests: this.#requests, log: this.#log, uncleanLeaderElectionEnable: this.#cfg.uncleanLeaderElectionEnable };
  }

  // ---- topics -----------------------------------------------------------------------------

  /** Reads the topics' assignments (pipelined) into the context; returns their partitions not known before. */
  async #loadTopics(topics: string[]): Promise<{ topic: string; partition: number }[]> {
    const nodes = await pipelined(topics, (t) => this.#zk.get(topicPath(t)));
    const added: { topic: string; partition: number }[] = [];
    for (const [i, topic] of topics.entries()) {
      const node = nodes[i];
      if (!node) continue;
      const assignment = decodeTopicAssignment(node.data);
      const known = this.#ctx.assignments.get(topic);
      this.#ctx.assignments.set(topic, assignment);
      for (const partition of assignment.keys()) if (!known?.has(partition)) added.push({ topic, partition });
    }
    return added;
  }

  async #onTopicsChanged(topics: string[]): Promise<void> {
    const fresh = topics.filter((t) => !this.#ctx.assignments.has(t));
    for (const gone of [...this.#ctx.assignments.keys()].filter((t) => !topics.includes(t))) this.#ctx.removeTopic(gone);
    if (fresh.length > 0) await this.onNewTopicCreation(fresh);
    for (const t of fresh) {
      this.#unwatch.push(this.#zk.watchData(topicPath(t), (node) => {
        if (node) void this.#enqueue('partition-count', () => this.onPartitionCountChange(t));
      }));
    }
  }

  async onNewTopicCreation(topics: string[]): Promise<void> {
    const t0 = Date.now();
    const fresh = await this.#loadTopics(topics);
    const states = await this.#psm.initializeAll(fresh);
    const created = fresh.filter((_, i) => states[i] !== undefined);
    this.#onNewReplicas(created);
    this.#log.info('new topics', { topics: topics.join(','), partitions: created.length, ms: Date.now() - t0 });
    this.#requests.sendLeaderAndIsr(created);
    this.#requests.sendUpdateMetadata();
  }

  #onNewReplicas(partitions: TP[]): void {
    const refs = this.#replicaRefs(partitions);
    this.#rsm.handleStateChanges(refs, 'NewReplica');
    this.#rsm.handleStateChanges(refs.filter((r) => this.#ctx.liveBrokers.has(r.broker)), 'OnlineReplica');
  }

  async onPartitionCountChange(topic: string): Promise<void> {
    const added = await this.#loadTopics([topic]);
    const states = await this.#psm.initializeAll(added);
    const created = added.filter((_, i) => states[i] !== undefined);
    if (created.length === 0) return;
    this.#onNewReplicas(created);
    this.#requests.sendLeaderAndIsr(created);
    this.#requests.sendUpdateMetadata();
  }

  async onTopicDeletion(topics: string[]): Promise<void> {
    for (const topic of topics) {
      if (!this.#ctx.assignments.has(topic)) {
        await this.#loadTopics([topic]);
        if (!this.#ctx.assignments.has(topic)) {
          await this.#zk.deleteRecursive(deleteTopicPath(topic));
          continue;
        }
      }
      this.#log.info('deleting topic', { topic });
      this.#ctx.topicsBeingDeleted.add(topic);
      const byBroker = new Map<number, TP[]>();
      for (const [partition, replicas] of this.#ctx.assignments.get(topic)!) {
        for (const r of replicas) {
          const list = byBroker.get(r);
          if (list) list.push({ topic, partition });
          else byBroker.set(r, [{ topic, partition }]);
        }
      }
      const refs = this.#replicaRefs([...this.#ctx.assignments.get(topic)!.keys()].map((partition) => ({ topic, partition })));
      this.#rsm.handleStateChanges(refs, 'ReplicaDeletionStarted');
      const rsm = this.#rsm;
      for (const [broker, partitions] of byBroker) {
        this.#requests.stopReplicas(broker, partitions, true, (stopped) => {
          const done = stopped.map((p) => ({ ...p, broker }));
          rsm.handleStateChanges(rsm.handleStateChanges(done, 'ReplicaDeletionSuccessful'), 'NonExistentReplica');
        });
      }
      await this.#zk.deleteRecursive(topicPath(topic));
      await this.#zk.deleteRecursive(topicConfigPath(topic));
      this.#ctx.removeTopic(topic);
      await this.#zk.deleteRecursive(deleteTopicPath(topic));
    }
    this.#requests.sendUpdateMetadata();
  }

  /** Reads (and deletes) the ISR change notifications there are now, and refreshes those partitions. */
  async onIsrChange(): Promise<void> {
    const notifications = (await this.#zk.children(ISR_CHANGE_PATH)) ?? [];
    if (notifications.length === 0) return;
    const changed = await readIsrChanges(this.#zk, notifications);
    const seen = new Set<string>();
    const known = changed.filter((p) => {
      const k = `${p.topic}\u0000${p.partition}`;
      if (seen.has(k) || !this.#ctx.assignments.get(p.topic)?.has(p.partition)) return false;
      seen.add(k);
      return true;
    });
    await this.#psm.loadAll(known);
    if (this.#reassigner && this.#reassigner.pending > 0) await this.#reassigner.checkProgress();
    else this.#requests.sendUpdateMetadata();
  }

  /**
   * Reads (and deletes) the log dir event notifications there are now; each live broker they
   * name is sent LeaderAndIsr for every replica it hosts (KafkaController.onBrokerLogDirFailure).
   * It answers KAFKA_STORAGE_ERROR for those it took offline, which onReplicasOffline fails over.
   */
  async onLogDirFailure(): Promise<void> {
    const notifications = (await this.#zk.children(LOG_DIR_EVENT_PATH)) ?? [];
    if (notifications.length === 0) return;
    const brokers = (await readLogDirFailures(this.#zk, notifications)).filter((id) => this.#ctx.liveBrokers.has(id));
    for (const id of brokers) {
      this.#log.info(`broker ${id} reported a storage failure: asking it which of its replicas are offline`);
      void this.#requests.sendLeaderAndIsr(this.#ctx.partitionsOnBroker(id), new Set([id]));
    }
  }

  // ---- controlled shutdown and preferred leaders (leadership-moves.ts) -------------------------

  /**
   * Moves leadership away from `brokerId`; returns the partitions it still leads, once the new
   * leaders lead and every broker's metadata says so (at most CONTROLLED_SHUTDOWN_WAIT_MS, and
   * without holding up the controller's other events): the broker may stop then.
   */
  onControlledShutdown(brokerId: number): Promise<TP[]> {
    return new Promise<TP[]>((resolve, reject) => {
      let handled = false;
      void this.#enqueue('controlled-shutdown', async () => {
        handled = true;
        let moves: Awaited<ReturnType<typeof moveLeadershipsAway>>;
        try {
          moves = await moveLeadershipsAway(this.#moves(), brokerId);
        } catch (err) {
          reject(err);
          throw err;
        }
        const { remaining, applied } = moves;
        let timer: NodeJS.Timeout | undefined;
        void Promise.race([applied, new Promise((r) => (timer = setTimeout(r, CONTROLLED_SHUTDOWN_WAIT_MS)))]).then(() => {
          clearTimeout(timer);
          resolve(remaining);
        });
      }).then(() => {
        if (!handled) reject(new ControllerMovedError('this broker is not the controller'));
      }, reject);
    });
  }

  async onPreferredReplicaElection(partitions: TP[], fromAdmin: boolean): Promise<void> {
    await electPreferredLeaders(this.#moves(), partitions);
    if (fromAdmin) await this.#zk.delete(preferredReplicaElectionPath).catch(() => undefined);
  }

  async #autoRebalance(): Promise<void> {
    const imbalanced = imbalancedPartitions(this.#ctx);
    if (imbalanced.length > 0) await this.onPreferredReplicaElection(imbalanced, false);
  }

  #moves(): LeadershipDeps {
    return { ctx: this.#ctx, psm: this.#psm, requests: this.#requests, log: this.#log };
  }
}
