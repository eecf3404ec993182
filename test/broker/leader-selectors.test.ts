import { describe, expect, it } from 'vitest';
import { ControllerContext } from '../../src/broker/controller/controller-context.js';
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

  it('a replica offline on a live broker (KAFKA_STORAGE_ERROR) takes no part, for that partition only, until its broker is cleared', () => {
    const ctx = new ControllerContext();
    const all = live(1, 2, 3);
    expect(ctx.onlineFor('t', 0, all)).toBe(all); // nothing offline: the same set, no copy
    expect(ctx.markReplicasOffline(2, [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }])).toHaveLength(2);
    expect(ctx.markReplicasOffline(2, [{ topic: 't', partition: 1 }, { topic: 'u', partition: 0 }])).toEqual([{ topic: 'u', partition: 0 }]);
    expect([...ctx.onlineFor('t', 0, all)].sort()).toEqual([1, 3]);
    expect(ctx.onlineFor('t', 2, all)).toBe(all);
    expect([...ctx.onlineFor('t', 0, live(2))]).toEqual([]);
    expect(ctx.isReplicaOffline(2, 'u', 0)).toBe(true);
    // its partitions elect around it, and preferred election does not move leadership back to it
    expect(offlinePartitionLeader([2, 1, 3], [2, 1, 3], ctx.onlineFor('t', 0, all), false)).toEqual({ leader: 1, isr: [1, 3] });
    expect(offlinePartitionLeader([2], [2], ctx.onlineFor('t', 0, all), false)).toBeUndefined();
    expect(preferredReplicaLeader([2, 1], [1, 2], ctx.onlineFor('t', 0, all))).toBeUndefined();
    ctx.removeTopic('t');
    expect(ctx.onlineFor('t', 0, all)).toBe(all);
    expect(ctx.isReplicaOffline(2, 'u', 0)).toBe(true);
  });
});
