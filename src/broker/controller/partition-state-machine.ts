/**
 * The partition state machine (PartitionStateMachine.scala): NonExistent -> New -> Online,
 * Online <-> Offline. Every leader/ISR change is written to
 * /brokers/topics/<T>/partitions/<P>/state by compare-and-set on its zkVersion, in a ZooKeeper
 * multi that also checks /controller_epoch's zkVersion: a deposed controller's writes fail
 * (ControllerMovedError), a concurrent leader ISR change makes it re-read and retry.
 *
 * It works on many partitions at once, as Kafka 1.1's controller does: reads are pipelined
 * (sent without waiting for each answer), and writes go in multis of up to WRITE_BATCH
 * partitions behind one epoch check, pipelined too. A multi is all or nothing, so a batch that
 * meets a changed zkVersion (a leader changed that partition's ISR meanwhile) is written again
 * one partition per multi, which tells exactly which partitions to re-read and retry.
 */
import type { ZkClient, ZkOp, ZkOpResult } from '../../zk/client.js';
import { BadVersionError, NodeExistsError, NoNodeError, ZkError } from '../../zk/errors.js';
import { controllerEpochPath, partitionStatePath, topicPartitionPath, topicPartitionsPath } from '../../zk/paths.js';
import { decodePartitionState, encodePartitionState } from '../../zk/payloads.js';
import { chunked, pipelined } from '../../zk/pipeline.js';
import { ProjectError } from '../../common/errors.js';
import { Logger } from '../../common/logger.js';
import { ControllerContext, type ControllerPartitionState, type PartitionStateName } from './controller-context.js';
import { newPartitionLeader, type LeaderAndIsr } from './leader-selectors.js';

export class ControllerMovedError extends ProjectError {}

type TP = { topic: string; partition: number };

/** Partitions per multi (each a set, or two creates for a new partition): ~30-60 KB per request. */
export const WRITE_BATCH = 200;
/** Multis in flight at once. */
const MULTI_WINDOW = 16;
const ATTEMPTS = 5;

const VALID_PREVIOUS: Record<PartitionStateName, PartitionStateName[]> = {
  NonExistent: ['New', 'Online', 'Offline'],
  New: ['NonExistent'],
  Online: ['New', 'Online', 'Offline'],
  Offline: ['New', 'Online', 'Offline'],
};

type StateData = { leader: number; leaderEpoch: number; controllerEpoch: number; isr: number[] };
interface Write {
  cur: ControllerPartitionState;
  data: StateData;
  bytes: Buffer;
}

/** What a batch election did: the new states, the partitions nobody may lead, those not written (too many concurrent changes). */
export interface Elections {
  elected: ControllerPartitionState[];
  offline: TP[];
  failed: TP[];
}

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

  // ---- reads ----------------------------------------------------------------------------------

  /** Reads a partition's state znode into the context (Offline when its leader is not live). */
  async load(topic: string, partition: number): Promise<ControllerPartitionState | undefined> {
    return (await this.loadAll([{ topic, partition }]))[0];
  }

  /** load() for many partitions, pipelined; undefined where the znode does not exist. */
  async loadAll(partitions: readonly TP[]): Promise<(ControllerPartitionState | undefined)[]> {
    const nodes = await pipelined(partitions, (p) => this.#zk.get(partitionStatePath(p.topic, p.partition)));
    const live = this.#ctx.liveIds();
    return partitions.map((p, i) => {
      const node = nodes[i];
      if (!node) return undefined;
      const d = decodePartitionState(node.data);
      if (d.controllerEpoch > this.#ctx.epoch) throw new ControllerMovedError(`${p.topic}-${p.partition} was written by controller epoch ${d.controllerEpoch} > ours ${this.#ctx.epoch}`);
      const prev = this.#ctx.partitions.get(p.topic, p.partition);
      const s: ControllerPartitionState = {
        topic: p.topic,
        partition: p.partition,
        leader: d.leader,
        leaderEpoch: d.leaderEpoch,
        isr: d.isr,
        controllerEpoch: d.controllerEpoch,
        zkVersion: node.version,
        state: prev?.state ?? (live.has(d.leader) ? 'Online' : 'Offline'),
      };
      this.#ctx.partitions.set(s);
      return s;
    });
  }

  // ---- new partitions -------------------------------------------------------------------------

  /** A new partition: New, then Online with the first live replica leading (epoch 0). */
  async initialize(topic: string, partition: number): Promise<ControllerPartitionState | undefined> {
    return (await this.initializeAll([{ topic, partition }]))[0];
  }

  /**
   * initialize() for many partitions: multis of [check the controller epoch, then for each
   * partition create partitions/<P> and partitions/<P>/state]. A batch that fails on an existing
   * znode (an earlier controller got half-way, or the partition is not new) is done again one
   * partition at a time, reading what exists. undefined where no replica is live (the partition
   * stays New).
   */
  async initializeAll(partitions: readonly TP[]): Promise<(ControllerPartitionState | undefined)[]> {
    const out = new Array<ControllerPartitionState | undefined>(partitions.length);
    const live = this.#ctx.liveIds();
    const todo: { i: number; p: TP; data: StateData; bytes: Buffer }[] = [];
    partitions.forEach((p, i) => {
      const sel = newPartitionLeader(this.#ctx.replicas(p.topic, p.partition), live);
      if (!sel) {
        this.#log.warn('no live replica for a new partition; it stays New', { topic: p.topic, partition: p.partition });
        return;
      }
      const data = { leader: sel.leader, leaderEpoch: 0, controllerEpoch: this.#ctx.epoch, isr: sel.isr };
      todo.push({ i, p, data, bytes: encodePartitionState(data) });
    });
    if (todo.length === 0) return out;
    const topics = [...new Set(todo.map((x) => x.p.topic))];
    await pipelined(topics, (t) => this.#zk.create(topicPartitionsPath(t)).catch((err: unknown) => {
      if (!(err instanceof NodeExistsError) && !(err instanceof NoNodeError)) throw err; // a topic gone meanwhile fails below
    }));
    const batches = chunked(todo, WRITE_BATCH, (x) => x.bytes.length + 2 * partitionStatePath(x.p.topic, x.p.partition).length + 32);
    await pipelined(batches, async (batch) => {
      if (batch.length > 1) {
        try {
          await this.#zk.multi([
            this.#epochCheck(),
            ...batch.flatMap((x): ZkOp[] => [
              { op: 'create', path: topicPartitionPath(x.p.topic, x.p.partition) },
              { op: 'create', path: partitionStatePath(x.p.topic, x.p.partition), data: x.bytes },
            ]),
          ]);
          for (const x of batch) out[x.i] = this.#created(x.p, x.data);
          return;
        } catch (err) {
          this.#rethrowUnlessVersionOrExistence(err);
        }
      }
      const one = await pipelined(batch, (x) => this.#initializeOne(x.p, x.data, x.bytes));
      batch.forEach((x, j) => (out[x.i] = one[j]));
    }, MULTI_WINDOW);
    return out;
  }

  async #initializeOne(p: TP, data: StateData, bytes: Buffer): Promise<ControllerPartitionState | undefined> {
    const existing = await this.load(p.topic, p.partition);
    if (existing) return existing;
    await this.#zk.ensurePath(topicPartitionPath(p.topic, p.partition));
    try {
      await this.#zk.multi([this.#epochCheck(), { op: 'create', path: partitionStatePath(p.topic, p.partition), data: bytes }]);
    } catch (err) {
      if (err instanceof NodeExistsError) return this.load(p.topic, p.partition);
      throw this.#fencing(err);
    }
    return this.#created(p, data);
  }

  #created(p: TP, data: StateData): ControllerPartitionState {
    const s: ControllerPartitionState = { topic: p.topic, partition: p.partition, ...data, zkVersion: 0, state: 'New' };
    this.#transition(s, 'Online');
    this.#ctx.partitions.set(s);
    return s;
  }

  // ---- leader and ISR changes -----------------------------------------------------------------

  /**
   * Elects a leader with `select` (given the current state) and bumps the leader epoch.
   * Returns the new state, or undefined when `select` finds nobody (the partition is Offline).
   */
  async electLeader(topic: string, partition: number, select: (cur: ControllerPartitionState) => LeaderAndIsr | undefined, reason: string): Promise<ControllerPartitionState | undefined> {
    const r = await this.electLeaders([{ topic, partition }], select, reason);
    if (r.failed.length > 0) throw new ProjectError(`could not update the state of ${topic}-${partition}: too many concurrent changes`);
    return r.elected[0];
  }

  /**
   * electLeader() for many partitions. A partition without a state znode is initialized; one
   * whose state changed meanwhile is read again and elected again (up to 5 rounds).
   */
  async electLeaders(partitions: readonly TP[], select: (cur: ControllerPartitionState) => LeaderAndIsr | undefined, reason: string): Promise<Elections> {
    const res: Elections = { elected: [], offline: [], failed: [] };
    let todo: readonly TP[] = partitions;
    for (let attempt = 0; attempt < ATTEMPTS && todo.length > 0; attempt++) {
      await this.#loadMissing(todo);
      const fresh: TP[] = [];
      const writes: Write[] = [];
      for (const p of todo) {
        const cur = this.#ctx.partitionState(p.topic, p.partition);
        if (!cur) {
          fresh.push(p);
          continue;
        }
        const sel = select(cur);
        if (!sel) {
          this.#transition(cur, 'Offline');
          this.#log.warn('no replica may lead; partition offline', { topic: p.topic, partition: p.partition, reason, isr: cur.isr.join(',') });
          res.offline.push(p);
          continue;
        }
        writes.push(this.#change(cur, sel.leader, sel.isr));
      }
      if (fresh.length > 0) {
        const init = await this.initializeAll(fresh);
        fresh.forEach((p, i) => (init[i] ? res.elected.push(init[i]!) : res.offline.push(p)));
      }
      const { written, stale } = await this.#writeAll(writes);
      for (const next of written) {
        this.#log.info('elected leader', { topic: next.topic, partition: next.partition, leader: next.leader, leaderEpoch: next.leaderEpoch, isr: next.isr.join(','), reason });
        res.elected.push(next);
      }
      todo = stale;
      if (stale.length > 0) await this.loadAll(stale);
    }
    res.failed = [...todo];
    if (todo.length > 0) this.#log.error('could not update partition states: too many concurrent changes', { reason, partitions: todo.length });
    return res;
  }

  /**
   * Removes `remove` from the ISRs of these partitions (replicas died or shut down), keeping
   * each leader: the leader epoch goes up by one. Partitions led by one of `remove`, or whose
   * ISR has none of them, are left alone. Returns the new states of those changed.
   */
  async shrinkIsrs(partitions: readonly TP[], remove: readonly number[]): Promise<ControllerPartitionState[]> {
    const changed: ControllerPartitionState[] = [];
    let todo: readonly TP[] = partitions;
    for (let attempt = 0; attempt < ATTEMPTS && todo.length > 0; attempt++) {
      await this.#loadMissing(todo);
      const writes: Write[] = [];
      for (const p of todo) {
        const cur = this.#ctx.partitionState(p.topic, p.partition);
        if (!cur || remove.includes(cur.leader) || !cur.isr.some((r) => remove.includes(r))) continue;
        writes.push(this.#change(cur, cur.leader, cur.isr.filter((r) => !remove.includes(r))));
      }
      const { written, stale } = await this.#writeAll(writes);
      changed.push(...written);
      todo = stale;
      if (stale.length > 0) await this.loadAll(stale);
    }
    if (todo.length > 0) this.#log.warn('could not shrink some ISRs: too many concurrent changes', { partitions: todo.length, remove: remove.join(',') });
    return changed;
  }

  async #loadMissing(partitions: readonly TP[]): Promise<void> {
    const missing = partitions.filter((p) => !this.#ctx.partitionState(p.topic, p.partition));
    if (missing.length > 0) await this.loadAll(missing);
  }

  #change(cur: ControllerPartitionState, leader: number, isr: number[]): Write {
    const data = { leader, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.#ctx.epoch, isr };
    return { cur, data, bytes: encodePartitionState(data) };
  }

  /** Writes the changes; `stale` are the partitions whose zkVersion had moved on (not written). */
  async #writeAll(writes: readonly Write[]): Promise<{ written: ControllerPartitionState[]; stale: TP[] }> {
    const written: ControllerPartitionState[] = [];
    const stale: TP[] = [];
    const batches = chunked(writes, WRITE_BATCH, (w) => w.bytes.length + partitionStatePath(w.cur.topic, w.cur.partition).length + 24);
    await pipelined(batches, async (batch) => {
      if (batch.length > 1) {
        try {
          const res = await this.#zk.multi([this.#epochCheck(), ...batch.map((w) => this.#setOp(w))]);
          batch.forEach((w, j) => written.push(this.#adopt(w, res[j + 1])));
          return;
        } catch (err) {
          this.#rethrowUnlessVersionOrExistence(err);
        }
      }
      const one = await pipelined(batch, async (w) => {
        try {
          return this.#adopt(w, (await this.#zk.multi([this.#epochCheck(), this.#setOp(w)]))[1]);
        } catch (err) {
          if (err instanceof BadVersionError && (err as ZkError).context.opIndex === 1) return undefined;
          throw this.#fencing(err);
        }
      });
      batch.forEach((w, j) => (one[j] ? written.push(one[j]!) : stale.push({ topic: w.cur.topic, partition: w.cur.partition })));
    }, MULTI_WINDOW);
    return { written, stale };
  }

  #setOp(w: Write): ZkOp {
    return { op: 'set', path: partitionStatePath(w.cur.topic, w.cur.partition), data: w.bytes, version: w.cur.zkVersion };
  }

  #adopt(w: Write, r: ZkOpResult | undefined): ControllerPartitionState {
    const zkVersion = r && r.op === 'set' ? r.stat.version : w.cur.zkVersion + 1;
    const next: ControllerPartitionState = { ...w.cur, ...w.data, zkVersion, state: w.cur.state };
    this.#transition(next, 'Online');
    this.#ctx.partitions.set(next);
    return next;
  }

  #epochCheck(): ZkOp {
    return { op: 'check', path: controllerEpochPath, version: this.#ctx.epochZkVersion };
  }

  /** A batch that failed on a partition's version or existence is retried one by one; anything else (fencing included) is thrown. */
  #rethrowUnlessVersionOrExistence(err: unknown): void {
    const partitionOp = err instanceof ZkError && typeof err.context.opIndex === 'number' && err.context.opIndex > 0;
    if (partitionOp && (err instanceof BadVersionError || err instanceof NodeExistsError || err instanceof NoNodeError)) return;
    throw this.#fencing(err);
  }

  #fencing(err: unknown): unknown {
    if (err instanceof BadVersionError && (err as ZkError).context.opIndex === 0) {
      return new ControllerMovedError(`controller epoch ${this.#ctx.epoch} is no longer current: another controller was elected`, { cause: err });
    }
    return err;
  }
}
