/**
 * GroupConsumers run in a poll loop for the broker-coordinated group tests:
 *
 *   const m = startMember('a', props, ['t']);
 *   await until('a owns something', () => m.owned().length > 0);
 *   await m.stop();               // stop polling, close (commit + LeaveGroup)
 *   await m.kill();               // stop polling, drop the connections: no commit, no LeaveGroup
 */
import { GroupConsumer, type AssignedEvent, type RevokedEvent } from '../../src/client/group/group-consumer.js';
import type { GroupConsumerProperties } from '../../src/client/group/config.js';

export interface Consumed {
  member: string;
  topic: string;
  partition: number;
  offset: number;
  value: string | null;
  t: number;
}

export interface Member {
  readonly name: string;
  readonly consumer: GroupConsumer;
  readonly records: Consumed[];
  readonly assigned: (AssignedEvent & { t: number })[];
  readonly revoked: (RevokedEvent & { t: number })[];
  /** The partitions of the last assignment ('t-0' ...), [] after a revocation. */
  owned(): string[];
  /** The loop's error, if poll() threw. */
  error(): unknown;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export function startMember(name: string, props: GroupConsumerProperties, topics: string[]): Member {
  const consumer = new GroupConsumer({ 'client.id': name, ...props });
  const records: Consumed[] = [];
  const assigned: Member['assigned'] = [];
  const revoked: Member['revoked'] = [];
  let owned: string[] = [];
  let stopped = false;
  let failure: unknown;
  consumer.on('assigned', (e) => {
    assigned.push({ ...e, t: Date.now() });
    owned = e.partitions.map((p) => `${p.topic}-${p.partition}`);
  });
  consumer.on('revoked', (e) => {
    revoked.push({ ...e, t: Date.now() });
    owned = [];
  });
  consumer.subscribe(topics);
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const r of await consumer.poll(200)) {
          records.push({ member: name, topic: r.topic, partition: r.partition, offset: r.offset, value: r.value?.toString() ?? null, t: Date.now() });
        }
      } catch (err) {
        failure = err;
        return;
      }
    }
  })();
  return {
    name,
    consumer,
    records,
    assigned,
    revoked,
    owned: () => owned,
    error: () => failure,
    async stop() {
      stopped = true;
      await loop;
      await consumer.close();
    },
    async kill() {
      stopped = true;
      await loop;
      await consumer.close({ commit: false, leaveGroup: false });
    },
  };
}
