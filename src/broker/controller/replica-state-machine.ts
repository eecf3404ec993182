/**
 * The replica state machine (ReplicaStateMachine.scala): the controller's record of every
 * replica (topic, partition, broker) and the only way it changes, one legal transition at a
 * time. The actions that go with a transition (ISR shrink on failure, StopReplica on deletion)
 * are the controller's; this keeps the states honest and tells what it saw.
 *
 *   NonExistent -> New -> Online <-> Offline -> DeletionStarted -> DeletionSuccessful -> NonExistent
 */
import { Logger } from '../../common/logger.js';

export type ReplicaState = 'NonExistentReplica' | 'NewReplica' | 'OnlineReplica' | 'OfflineReplica' | 'ReplicaDeletionStarted' | 'ReplicaDeletionSuccessful';

const VALID_PREVIOUS: Record<ReplicaState, ReplicaState[]> = {
  NonExistentReplica: ['ReplicaDeletionSuccessful'],
  NewReplica: ['NonExistentReplica'],
  OnlineReplica: ['NewReplica', 'OnlineReplica', 'OfflineReplica'],
  OfflineReplica: ['NewReplica', 'OnlineReplica', 'OfflineReplica'],
  ReplicaDeletionStarted: ['OnlineReplica', 'OfflineReplica'],
  ReplicaDeletionSuccessful: ['ReplicaDeletionStarted'],
};

export interface ReplicaRef {
  topic: string;
  partition: number;
  broker: number;
}

const key = (r: ReplicaRef): string => `${r.topic}\u0000${r.partition}\u0000${r.broker}`;

export class ReplicaStateMachine {
  readonly #states = new Map<string, ReplicaState>();
  readonly #log: Logger;

  constructor(log = new Logger('replica-state-machine')) {
    this.#log = log;
  }

  state(r: ReplicaRef): ReplicaState {
    return this.#states.get(key(r)) ?? 'NonExistentReplica';
  }

  /** Moves replicas to `target`; an illegal transition is refused (and logged), the rest proceed. Returns those moved. */
  handleStateChanges(replicas: readonly ReplicaRef[], target: ReplicaState): ReplicaRef[] {
    const moved: ReplicaRef[] = [];
    for (const r of replicas) {
      const from = this.state(r);
      if (!VALID_PREVIOUS[target].includes(from)) {
        this.#log.debug('illegal replica state transition refused', { topic: r.topic, partition: r.partition, broker: r.broker, from, to: target });
        continue;
      }
      if (target === 'NonExistentReplica') this.#states.delete(key(r));
      else this.#states.set(key(r), target);
      moved.push(r);
    }
    return moved;
  }

  /** Every replica of the partitions (optionally only those on `brokers`), per the assignment. */
  static refs(assignment: (topic: string, partition: number) => number[], partitions: readonly { topic: string; partition: number }[], brokers?: readonly number[]): ReplicaRef[] {
    return partitions.flatMap((p) => assignment(p.topic, p.partition).filter((b) => !brokers || brokers.includes(b)).map((broker) => ({ topic: p.topic, partition: p.partition, broker })));
  }

  /** Replicas in a given state. */
  replicasIn(state: ReplicaState): ReplicaRef[] {
    const out: ReplicaRef[] = [];
    for (const [k, s] of this.#states) {
      if (s !== state) continue;
      const [topic, partition, broker] = k.split('\u0000');
      out.push({ topic: topic!, partition: Number(partition), broker: Number(broker) });
    }
    return out;
  }
}
