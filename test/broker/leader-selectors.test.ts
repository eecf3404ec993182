import { describe, expect, it } from 'vitest';
import { controlledShutdownLeader, newPartitionLeader, offlinePartitionLeader, preferredReplicaLeader } from '../../src/broker/controller/leader-selectors.js';

const live = (...ids: number[]) => new Set(ids);

describe('leader selectors', () => {
  it('a new partition: the first live replica leads, every live replica is in sync', () => {
    expect(newPartitionLeader([3, 1, 2], live(1, 2, 3))).toEqual({ leader: 3, isr: [3, 1, 2] });
    expect(newPartitionLeader([3, 1, 2], live(1, 2))).toEqual({ leader: 1, isr: [1, 2] });
    expect(newPartitionLeader([3], live(1))).toBeUndefined();
  });

  it('an offline partition: the first live ISR member in assignment order; never outside the ISR unless unclean', () => {
    expect(offlinePartitionLeader([1, 2, 3], [3, 2], live(2, 3), false)).toEqual({ leader: 2, isr: [3, 2] });
    expect(offlinePartitionLeader([1, 2, 3], [1], live(2, 3), false)).toBeUndefined();
    expect(offlinePartitionLeader([1, 2, 3], [1], live(2, 3), true)).toEqual({ leader: 2, isr: [2] });
    expect(offlinePartitionLeader([1, 2, 3], [1, 3], live(1, 3), false)).toEqual({ leader: 1, isr: [1, 3] });
  });

  it('controlled shutdown: another live ISR member takes over and the broker leaves the ISR', () => {
    expect(controlledShutdownLeader([1, 2, 3], [1, 2, 3], live(1, 2, 3), 1)).toEqual({ leader: 2, isr: [2, 3] });
    expect(controlledShutdownLeader([1, 2, 3], [1], live(1, 2, 3), 1)).toBeUndefined();
  });

  it('preferred replica: only when it is live and in sync', () => {
    expect(preferredReplicaLeader([2, 1], [1, 2], live(1, 2))).toEqual({ leader: 2, isr: [1, 2] });
    expect(preferredReplicaLeader([2, 1], [1], live(1, 2))).toBeUndefined();
    expect(preferredReplicaLeader([2, 1], [1, 2], live(1))).toBeUndefined();
  });
});
