/**
 * Controller election through ZooKeeper (0.8's ZookeeperLeaderElector): every broker tries to
 * create the ephemeral `/controller` with its id; the winner bumps `/controller_epoch` by
 * compare-and-set and becomes controller; the others watch `/controller` and try again when it
 * disappears. Two callbacks: `onBecomingLeader(epoch)` and `onResigning()`.
 */
import type { ZkClient } from '../../zk/client.js';
import { NodeExistsError, NoNodeError, BadVersionError } from '../../zk/errors.js';
import { controllerPath, controllerEpochPath } from '../../zk/paths.js';
import { decodeController, encodeController } from '../../zk/payloads.js';
import { Logger } from '../../common/logger.js';

export interface ElectionCallbacks {
  /** `epochZkVersion` is the zkVersion of /controller_epoch after our bump: every write we make checks it. */
  onBecomingLeader(epoch: number, epochZkVersion: number): Promise<void> | void;
  onResigning(): Promise<void> | void;
}

export class LeaderElector {
  readonly #zk: ZkClient;
  readonly #brokerId: number;
  readonly #cb: ElectionCallbacks;
  readonly #log: Logger;
  #leaderId = -1;
  #amLeader = false;
  #unwatch: (() => void) | undefined;
  #electing: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(zk: ZkClient, brokerId: number, cb: ElectionCallbacks, logger = new Logger('controller-election')) {
    this.#zk = zk;
    this.#brokerId = brokerId;
    this.#cb = cb;
    this.#log = logger;
  }

  get leaderId(): number {
    return this.#leaderId;
  }

  get isLeader(): boolean {
    return this.#amLeader;
  }

  start(): void {
    this.#unwatch = this.#zk.watchData(controllerPath, (node) => {
      if (node) {
        try {
          this.#leaderId = decodeController(node.data).brokerId;
        } catch {
          this.#leaderId = -1;
        }
        if (this.#amLeader && this.#leaderId !== this.#brokerId) void this.#resign();
      } else {
        this.#leaderId = -1;
        if (this.#amLeader) void this.#resign();
        this.elect();
      }
    });
    this.#zk.onSessionExpired(async () => {
      if (this.#amLeader) await this.#resign();
      this.elect();
    });
  }

  /** Tries to become the controller; serialized. */
  elect(): void {
    this.#electing = this.#electing.then(() => this.#elect()).catch((err: unknown) => this.#log.error('election failed', { error: err }));
  }

  async #elect(): Promise<void> {
    if (this.#stopped || this.#amLeader) return;
    try {
      await this.#zk.create(controllerPath, encodeController({ brokerId: this.#brokerId, timestamp: Date.now() }), { mode: 'ephemeral' });
    } catch (err) {
      if (err instanceof NodeExistsError) return;
      throw err;
    }
    const { epoch, version } = await this.#bumpEpoch();
    this.#amLeader = true;
    this.#leaderId = this.#brokerId;
    this.#log.info('became the controller', { brokerId: this.#brokerId, epoch });
    await this.#cb.onBecomingLeader(epoch, version);
  }

  async #bumpEpoch(): Promise<{ epoch: number; version: number }> {
    for (;;) {
      const node = await this.#zk.get(controllerEpochPath);
      if (!node) {
        try {
          await this.#zk.create(controllerEpochPath, Buffer.from('1'));
          return { epoch: 1, version: 0 };
        } catch (err) {
          if (err instanceof NodeExistsError) continue;
          throw err;
        }
      }
      const next = Number(node.data.toString('utf8').trim() || '0') + 1;
      try {
        const version = await this.#zk.set(controllerEpochPath, Buffer.from(String(next)), node.version);
        return { epoch: next, version };
      } catch (err) {
        if (err instanceof BadVersionError || err instanceof NoNodeError) continue;
        throw err;
      }
    }
  }

  async #resign(): Promise<void> {
    if (!this.#amLeader) return;
    this.#amLeader = false;
    this.#log.info('resigning as controller', { brokerId: this.#brokerId });
    await this.#cb.onResigning();
  }

  /** Stops taking part; deletes `/controller` if this broker holds it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unwatch?.();
    if (this.#amLeader) {
      await this.#resign();
      await this.#zk.delete(controllerPath).catch(() => undefined);
    }
  }
}
