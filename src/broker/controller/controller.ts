/**
 * The controller's work in the one-replica cluster: it is elected through `/controller`
 * (LeaderElector) and, while it leads, performs topic deletions requested under
 * `/admin/delete_topics` (onTopicDeletion): it removes `/brokers/topics/<T>` and
 * `/config/topics/<T>`, which every broker sees through its watches and answers by deleting
 * its local logs, then removes the request node. Leadership of partitions and the ISR
 * machinery (LeaderAndIsr, UpdateMetadata) belong to the replication work.
 */
import type { ZkClient } from '../../zk/client.js';
import { deleteTopicsPath, deleteTopicPath, topicPath, topicConfigPath } from '../../zk/paths.js';
import { LeaderElector } from './leader-elector.js';
import { Logger } from '../../common/logger.js';

export class KafkaController {
  readonly #zk: ZkClient;
  readonly #log: Logger;
  readonly elector: LeaderElector;
  #epoch = 0;
  #unwatchDeletes: (() => void) | undefined;
  #work: Promise<void> = Promise.resolve();

  constructor(zk: ZkClient, brokerId: number, logger = new Logger('controller')) {
    this.#zk = zk;
    this.#log = logger;
    this.elector = new LeaderElector(zk, brokerId, {
      onBecomingLeader: (epoch) => this.onControllerFailover(epoch),
      onResigning: () => this.onControllerResignation(),
    });
  }

  get epoch(): number {
    return this.#epoch;
  }

  start(): void {
    this.elector.start();
    this.elector.elect();
  }

  async stop(): Promise<void> {
    await this.elector.stop();
  }

  /** This broker became the controller: read the state it must act on and start watching. */
  onControllerFailover(epoch: number): void {
    this.#epoch = epoch;
    this.#unwatchDeletes = this.#zk.watchChildren(deleteTopicsPath, (topics) => {
      for (const t of topics ?? []) this.#enqueue(() => this.onTopicDeletion(t));
    });
  }

  onControllerResignation(): void {
    this.#unwatchDeletes?.();
    this.#unwatchDeletes = undefined;
  }

  async onTopicDeletion(topic: string): Promise<void> {
    if (!this.elector.isLeader) return;
    this.#log.info('deleting topic', { topic });
    await this.#zk.deleteRecursive(topicPath(topic));
    await this.#zk.deleteRecursive(topicConfigPath(topic));
    await this.#zk.deleteRecursive(deleteTopicPath(topic));
  }

  #enqueue(task: () => Promise<void>): void {
    this.#work = this.#work.then(task).catch((err: unknown) => this.#log.error('controller task failed', { error: err }));
  }
}
