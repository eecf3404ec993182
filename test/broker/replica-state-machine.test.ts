import { describe, expect, it } from 'vitest';
import { ReplicaStateMachine } from '../../src/broker/controller/replica-state-machine.js';

describe('replica state machine', () => {
  it('allows only the legal transitions', () => {
    const rsm = new ReplicaStateMachine();
    const r = { topic: 't', partition: 0, broker: 1 };
    expect(rsm.state(r)).toBe('NonExistentReplica');
    expect(rsm.handleStateChanges([r], 'OnlineReplica')).toEqual([]); // must be New first
    expect(rsm.handleStateChanges([r], 'NewReplica')).toEqual([r]);
    expect(rsm.handleStateChanges([r], 'OnlineReplica')).toEqual([r]);
    expect(rsm.handleStateChanges([r], 'ReplicaDeletionSuccessful')).toEqual([]); // deletion not started
    expect(rsm.handleStateChanges([r], 'OfflineReplica')).toEqual([r]);
    expect(rsm.handleStateChanges([r], 'OnlineReplica')).toEqual([r]);
    expect(rsm.replicasIn('OnlineReplica')).toEqual([r]);
    expect(rsm.handleStateChanges([r], 'ReplicaDeletionStarted')).toEqual([r]);
    expect(rsm.handleStateChanges([r], 'OnlineReplica')).toEqual([]);
    expect(rsm.handleStateChanges([r], 'ReplicaDeletionSuccessful')).toEqual([r]);
    expect(rsm.handleStateChanges([r], 'NonExistentReplica')).toEqual([r]);
    expect(rsm.state(r)).toBe('NonExistentReplica');
  });

  it('lists the replicas of partitions from an assignment', () => {
    const a = (_t: string, p: number) => (p === 0 ? [1, 2] : [2, 3]);
    expect(ReplicaStateMachine.refs(a, [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }], [2])).toEqual([
      { topic: 't', partition: 0, broker: 2 },
      { topic: 't', partition: 1, broker: 2 },
    ]);
  });
});
