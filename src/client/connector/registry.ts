/**
 * Reading a consumer group's registries (docs/reference.md section 2) for the connector and
 * the tools:
 *
 *   /consumers/<G>/ids/<consumerId>     members and their subscriptions (ephemeral)
 *   /consumers/<G>/owners/<T>/<P>       the thread that owns a partition (ephemeral)
 *   /consumers/<G>/offsets/<T>/<P>      committed offsets (offsets.ts)
 *   /brokers/ids/<id>, /brokers/topics/<T>
 *
 * Registrations are read leniently: any key order, kafka-node's `"pattern":"white_list"`
 * (whose keys are topic names, or regular expressions as 0.8's wildcard consumers wrote
 * them), `black_list`. A registration that does not parse is reported and counted as a member
 * with no subscription: it is given no partition, and it can never make us own a partition
 * twice, since ownership is only ever taken by creating the owner znode. (The connector first
 * gives such a registration a few rebalance attempts to be written: kafka-node creates its
 * znode empty and fills it a moment later.)
 */
import type { ZkClient } from '../../zk/client.js';
import { ZkPayloadError } from '../../zk/errors.js';
import { brokerTopicsPath, consumerIdPath, consumerIdsPath, consumerOwnersPath, consumersPath, ownerPath, topicPath } from '../../zk/paths.js';
import { decodeConsumerRegistration, decodeOwner, decodeTopicAssignment, type ConsumerRegistration } from '../../zk/payloads.js';
import { TopicFilter } from './topic-filter.js';
import { brokerAddresses, readBrokerRegistrations } from '../broker-endpoints.js';

export type Subscription = Record<string, number>;

export interface GroupMember {
  consumerId: string;
  /** The registration as stored (undefined when it did not parse). */
  registration: ConsumerRegistration | undefined;
  /** Topic -> streams, wildcards resolved against the existing topics. */
  subscription: Subscription;
}

/** The group's members, sorted by id. `warn` hears about registrations that do not parse. */
export async function readMembers(zk: ZkClient, group: string, warn: (msg: string) => void = () => {}, opts: { excludeInternalTopics?: boolean } = {}): Promise<GroupMember[]> {
  const ids = (await zk.children(consumerIdsPath(group))) ?? [];
  const nodes = await Promise.all(ids.map(async (id) => ({ id, node: await zk.get(consumerIdPath(group, id)) })));
  let allTopics: string[] | undefined;
  const out: GroupMember[] = [];
  for (const { id, node } of nodes) {
    if (!node) continue; // gone meanwhile
    let reg: ConsumerRegistration | undefined;
    try {
      reg = decodeConsumerRegistration(node.data, consumerIdPath(group, id));
    } catch (err) {
      if (!(err instanceof ZkPayloadError)) throw err;
      warn(`ignoring the subscription of ${id}: ${err.message}`);
      out.push({ consumerId: id, registration: undefined, subscription: {} });
      continue;
    }
    let subscription: Subscription = {};
    if (reg.pattern === 'static') subscription = { ...reg.subscription };
    else {
      allTopics ??= (await zk.children(brokerTopicsPath)) ?? [];
      subscription = expandWildcard(reg, allTopics, (m) => warn(`${id}: ${m}`), opts.excludeInternalTopics ?? true);
    }
    out.push({ consumerId: id, registration: reg, subscription });
  }
  return out.sort((a, b) => (a.consumerId < b.consumerId ? -1 : a.consumerId > b.consumerId ? 1 : 0));
}

/**
 * white_list: topics matching a key (a topic name or a regular expression, topic-filter.ts);
 * black_list: the others. Internal topics are left out unless `excludeInternalTopics` is false
 * (as 0.8 read a wildcard registration with its own exclude.internal.topics).
 */
export function expandWildcard(reg: ConsumerRegistration, topics: readonly string[], warn: (msg: string) => void = () => {}, excludeInternalTopics = true): Subscription {
  const out: Subscription = {};
  if (reg.pattern === 'static') return { ...reg.subscription };
  for (const [pattern, streams] of Object.entries(reg.subscription)) {
    let filter: TopicFilter;
    try {
      filter = new TopicFilter(reg.pattern, pattern);
    } catch {
      warn(`bad ${reg.pattern} pattern ${JSON.stringify(pattern)}`);
      continue;
    }
    for (const t of filter.select(topics, excludeInternalTopics)) out[t] = streams;
  }
  return out;
}

/**
 * Broker id -> address, from the ephemeral registrations (unparsable ones are skipped): the
 * endpoint of the listener whose security protocol is `protocol` (default PLAINTEXT; see
 * broker-endpoints.ts); brokers without one are left out.
 */
export async function readBrokers(zk: ZkClient, protocol?: string): Promise<Map<number, { host: string; port: number }>> {
  return brokerAddresses(await readBrokerRegistrations(zk), protocol ?? 'PLAINTEXT');
}

/** Topic -> sorted partition ids, for the topics that exist. */
export async function readTopicPartitions(zk: ZkClient, topics: Iterable<string>): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  await Promise.all(
    [...new Set(topics)].map(async (t) => {
      const node = await zk.get(topicPath(t));
      if (!node) return;
      out.set(t, [...decodeTopicAssignment(node.data, topicPath(t)).keys()].sort((a, b) => a - b));
    }),
  );
  return out;
}

/** Partition -> owner (a thread id, or another client's own value) of one topic. */
export async function readOwners(zk: ZkClient, group: string, topic: string): Promise<Map<number, string>> {
  const parts = ((await zk.children(consumerOwnersPath(group, topic))) ?? []).filter((p) => /^\d+$/.test(p));
  const out = new Map<number, string>();
  await Promise.all(
    parts.map(async (p) => {
      const node = await zk.get(ownerPath(group, topic, Number(p)));
      if (!node) return;
      try {
        out.set(Number(p), decodeOwner(node.data));
      } catch {
        out.set(Number(p), '');
      }
    }),
  );
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** The groups registered under /consumers. */
export async function listGroups(zk: ZkClient): Promise<string[]> {
  return (await zk.children(consumersPath)) ?? [];
}

/**
 * What a rebalance depends on, as one string: the members, the brokers, and each subscribed
 * topic's partitions. The connector compares what its watches see with what the last successful
 * rebalance read.
 */
export function groupViewKey(ids: readonly string[], brokers: readonly string[], topics: ReadonlyMap<string, string>): string {
  const t = [...topics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  return `${ids.join(',')}|${brokers.join(',')}|${t.join(';')}`;
}
