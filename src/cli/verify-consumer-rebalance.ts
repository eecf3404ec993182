/**
 * kafka-verify-consumer-rebalance.sh --zookeeper H:P --group G: Kafka 0.8's
 * VerifyConsumerRebalance. After a rebalance every partition of every topic the group's live
 * members subscribe to must be owned, and each owner znode (/consumers/G/owners/T/P, holding
 * a thread id `<consumerId>-<n>`) must name a consumer thread of a live member
 * (/consumers/G/ids) subscribed to T with more than n streams.
 *
 * Prints one line per problem, as 0.8 did (without its log4j prefix):
 *   No owners for any partitions for topic T
 *   No owner for partition [T,P]
 *   Owner X for partition [T,P] is not a valid member of consumer group G
 * then "Rebalance operation successful !" (exit 0) or "Rebalance operation failed !" (exit 1).
 *
 * Where it differs from 0.8: a topic a member subscribes to that does not exist has no
 * partition to own and is not a failure (0.8 reported "No owners for any partitions"); a bare
 * member id as owner, as kafka-node writes, is accepted when that member subscribes to the
 * topic (registrations of other clients are read leniently, registry.ts); a group that does
 * not exist is an error (exit 1).
 */
import type { ZkClient } from '../zk/client.js';
import { consumerGroupPath } from '../zk/paths.js';
import { threadIds } from '../client/connector/assignors.js';
import { readMembers, readOwners, readTopicPartitions } from '../client/connector/registry.js';
import { fail, newProgram, runWithZooKeeper } from './common.js';

const TOOL = 'kafka-verify-consumer-rebalance';

export interface RebalanceReport {
  ok: boolean;
  /** One line per problem found. */
  problems: string[];
  /** Topics checked: topic -> partitions. */
  topics: Map<string, number[]>;
}

/** Checks the ownership of every subscribed partition of `group` (0.8's validateRebalancingOperation). */
export async function verifyRebalance(zk: ZkClient, group: string, warn: (msg: string) => void = () => {}): Promise<RebalanceReport> {
  const members = await readMembers(zk, group, warn);
  // topic -> the owner values that are valid for it: each subscribed member's thread ids (and its bare id)
  const validOwners = new Map<string, Set<string>>();
  for (const m of members) {
    for (const [topic, streams] of Object.entries(m.subscription)) {
      let valid = validOwners.get(topic);
      if (!valid) validOwners.set(topic, (valid = new Set()));
      for (const t of threadIds(m.consumerId, streams)) valid.add(t);
      if (m.registration?.pattern !== 'static') valid.add(m.consumerId); // kafka-node writes its bare id
    }
  }
  const topics = await readTopicPartitions(zk, [...validOwners.keys()].sort());
  const problems: string[] = [];
  for (const [topic, partitions] of [...topics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const owners = await readOwners(zk, group, topic);
    if (owners.size === 0 && partitions.length > 0) problems.push(`No owners for any partitions for topic ${topic}`);
    const valid = validOwners.get(topic)!;
    for (const p of partitions) {
      const owner = owners.get(p);
      if (owner === undefined || owner === '') problems.push(`No owner for partition [${topic},${p}]`);
      else if (!valid.has(owner)) problems.push(`Owner ${owner} for partition [${topic},${p}] is not a valid member of consumer group ${group}`);
    }
  }
  return { ok: problems.length === 0, problems, topics };
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-verify-consumer-rebalance.sh', "Check that every partition a consumer group subscribes to is owned by one of its live members' threads")
    .option('--zookeeper <connect>', 'REQUIRED: host:port[,host:port...][/chroot]')
    .option('--zookeeper.connect <connect>', "the same (0.8's name)")
    .option('--group <group>', 'REQUIRED: the consumer group')
    .addHelpText('after', '\nExit status: 0 when the rebalance succeeded, 1 when it failed or the check could not be made.')
    .parse(argv)
    .opts<Record<string, string | undefined>>();
  const zookeeper = o.zookeeper ?? o['zookeeper.connect'];
  if (!zookeeper) fail(TOOL, 'missing required argument --zookeeper');
  if (!o.group) fail(TOOL, 'missing required argument --group');
  const group = o.group;

  await runWithZooKeeper(TOOL, zookeeper, async (zk) => {
    if (!(await zk.exists(consumerGroupPath(group)))) {
      process.stderr.write(`${TOOL}: consumer group "${group}" does not exist\n`);
      return 1;
    }
    const report = await verifyRebalance(zk, group, (m) => process.stderr.write(`${TOOL}: ${m}\n`));
    if (report.topics.size === 0) process.stderr.write(`${TOOL}: consumer group "${group}" has no live member subscribed to an existing topic: nothing to verify\n`);
    for (const line of report.problems) process.stdout.write(`${line}\n`);
    process.stdout.write(report.ok ? 'Rebalance operation successful !\n' : 'Rebalance operation failed !\n');
    return report.ok ? 0 : 1;
  });
}
