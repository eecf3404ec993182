/**
 * The partition state machine (PartitionStateMachine.scala): NonExistent -> New -> Online,
 * Online <-> Offline. Every leader/ISR change is written to
 * /brokers/topics/<T>/partitions/<P>/state by compare-and-set on its zkVersion, in one ZooKeeper
 * multi with a check of /controller_epoch's zkVersion: a deposed controller's writes fail
 * (ControllerMovedError), a concurrent leader ISR change makes it re-read and retry.
 */
import type { ZkClient } from '../../zk/client.js';
import { BadVersionError, NodeExistsError, ZkError } from '../../zk/errors.js';
import { controllerEpochPath, partitionStatePath, topicPartitionPath } from '../../zk/paths.js';
import { decodePartitionState, encodePartitionState } from '../../zk/payloads.js';
import { ProjectError } from '../../common/errors.js';
import { Logger } from '../../common/logger.js';
import { ControllerContext, tp, type ControllerPartitionState, type PartitionStateName } from './controller-context.js';
import { newPartitionLeader, type LeaderAndIsr } from './leader-selectors.js';

export class ControllerMovedError extends ProjectError {}

const VALID_PREVIOUS: Record<PartitionStateName, PartitionStateName[]> = {
  NonExistent: ['New', 'Online', 'Offline'],
  New: ['NonExistent'],
  Online: ['New', 'Online', 'Offline'],
  Offline: ['New', 'Online', 'Offline'],
};

export class PartitionStateMachine {
  readonly #zk: ZkClient;
  readonly #ctx: ControllerContext;
  readonly #log: Logger;

  constructor(zk: ZkClient, ctx: ControllerContext, log = new Logger('partition-state-machine')) {
    this.#zk = zk;
    this.#ctx = ctx;
    this.#log = log;
  }

  #transition(s: ControllerPartitionState, to: PartitionStateName): void {
    if (!VALID_PREVIOUS[to].includes(s.state)) {
      this.#log.warn('illegal partition state transition', { topic: s.topic, partition: s.partition, from: s.state, to });
    }
    s.state = to;
  }

  /** Reads a partition's state znode into the context (Offline when its leader is not live). */
  async load(topic: string, partition: number): Promise<ControllerPartitionState | undefined> {
    const node = await this.#zk.get(partitionStatePath(topic, partition));
    if (!node) return undefined;
    const d = decodePartitionState(node.data);
    if (d.controllerEpoch > this.#ctx.epoch) throw new ControllerMovedError(`${topic}-${partition} was written by controller epoch ${d.controllerEpoch} > ours ${this.#ctx.epoch}`);
    const prev = this.#ctx.partitions.get(tp(topic, partition));
    const s: ControllerPartitionState = {
      topic,
      partition,
      leader: d.leader,
      leaderEpoch: d.leaderEpoch,
      isr: d.isr,
      controllerEpoch: d.controllerEpoch,
      zkVersion: node.version,
      state: prev?.state ?? (this.#ctx.liveIds().has(d.leader) ? 'Online' : 'Offline'),
    };
    this.#ctx.partitions.set(tp(topic, partition), s);
    return s;
  }

  /** A new partition: New, then Online with the first live replica leading (epoch 0). */
  async initialize(topic: string, partition: number): Promise<ControllerPartitionState | undefined> {
    const existing = await this.load(topic, partition);
    if (existing) return existing;
    const sel = newPartitionLeader(this.#ctx.replicas(topic, partition), this.#ctx.liveIds());
    if (!sel) {
      this.#log.warn('no live replica for a new partition; it stays New', { topic, partition });
      return undefined;
    }
    const state = { leader: sel.leader, leaderEpoch: 0, controllerEpoch: this.#ctx.epoch, isr: sel.isr };
    await this.#zk.ensurePath(topicPartitionPath(topic, partition));
    try {
      const res = await this.#zk.multi([
        { op: 'check', path: controllerEpochPath, version: this.#ctx.epochZkVersion },
        { op: 'create', path: partitionStatePath(topic, partition), data: encodePartitionState(state) },
      ]);
      void res;
    } catch (err) {
      if (err instanceof NodeExistsError) return this.load(topic, partition);
      throw this.#fencing(err);
    }
    const s: ControllerPartitionState = { topic, partition, ...state, zkVersion: 0, state: 'New' };
    this.#transition(s, 'Online');
    this.#ctx.partitions.set(tp(topic, partition), s);
    return s;
  }

  /**
   * Elects a leader with `select` (given the current state) and bumps the leader epoch.
   * Returns the new state, or undefined when `select` finds nobody (the partition is Offline).
   */
  async electLeader(topic: string, partition: number, select: (cur: ControllerPartitionState) => LeaderAndIsr | undefined, reason: string): Promise<ControllerPartitionState | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = this.#ctx.partitionState(topic, partition) ?? (await this.load(topic, partition));
      if (!cur) return this.initialize(topic, partition);
      const sel = select(cur);
      if (!sel) {
        this.#transition(cur, 'Offline');
        this.#log.warn('no replica may lead; partition offline', { topic, partition, reason, isr: cur.isr.join(',') });
        return undefined;
      }
      const next = await this.#write(cur, sel.leader, sel.isr);
      if (next) {
        this.#log.info('elected leader', { topic, partition, leader: next.leader, leaderEpoch: next.leaderEpoch, isr: next.isr.join(','), reason });
        return next;
      }
      await this.load(topic, partition);
    }
    throw new ProjectError(`could not update the state of ${topic}-${partition}: too many concurrent changes`);
  }

  /** Writes a new ISR keeping the leader (a replica died or shuts down): the leader epoch goes up by one. */
  async shrinkIsr(topic: string, partition: number, remove: number): Promise<ControllerPartitionState | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = this.#ctx.partitionState(topic, partition) ?? (await this.load(topic, partition));
      if (!cur || !cur.isr.includes(remove) || cur.leader === remove) return cur;
      const next = await this.#write(cur, cur.leader, cur.isr.filter((r) => r !== remove));
      if (next) return next;
      await this.load(topic, partition);
    }
    return undefined;
  }

  async #write(cur: ControllerPartitionState, leader: number, isr: number[]): Promise<ControllerPartitionState | undefined> {
    const data = { leader, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.#ctx.epoch, isr };
    try {
      const res = await this.#zk.multi([
        { op: 'check', path: controllerEpochPath, version: this.#ctx.epochZkVersion },
        { op: 'set', path: partitionStatePath(cur.topic, cur.partition), data: encodePartitionState(data), version: cur.zkVersion },
      ]);
      const r = res[1];
      const zkVersion = r && r.op === 'set' ? r.stat.version : cur.zkVersion + 1;
      const next: ControllerPartitionState = { ...cur, ...data, zkVersion, state: cur.state };
      this.#transition(next, 'Online');
      this.#ctx.partitions.set(tp(cur.topic, cur.partition), next);
      return next;
    } catch (err) {
      if (err instanceof BadVersionError && (err as ZkError).context.opIndex === 1) return undefined;
      throw this.#fencing(err);
    }
  }

  #fencing(err: unknown): unknown {
    if (err instanceof BadVersionError && (err as ZkError).context.opIndex === 0) {
      return new ControllerMovedError(`controller epoch ${this.#ctx.epoch} is no longer current: another controller was elected`, { cause: err });
    }
    return err;
  }
}
