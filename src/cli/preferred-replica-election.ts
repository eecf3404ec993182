/**
 * kafka-preferred-replica-election.sh --zookeeper H:P [--path-to-json-file F]
 * Asks the controller to move each partition's leadership back to its preferred replica (the
 * first of its assignment) by writing /admin/preferred_replica_election. Without a file,
 * every partition of every topic. The file holds {"partitions":[{"topic":"t","partition":0}]}.
 */
import { readFileSync } from 'node:fs';
import { NodeExistsError } from '../zk/errors.js';
import { preferredReplicaElectionPath, topicPath } from '../zk/paths.js';
import { decodePreferredReplicaElection, decodeTopicAssignment, encodePreferredReplicaElection } from '../zk/payloads.js';
import { listTopics } from '../admin/topic-admin.js';
import { describeError, fail, newProgram, runWithZooKeeper } from './common.js';

const TOOL = 'kafka-preferred-replica-election';

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-preferred-replica-election.sh', 'Move partition leadership back to the preferred replicas')
    .requiredOption('--zookeeper <hosts>', 'REQUIRED: the ZooKeeper connect string, host:port[,host:port][/chroot]')
    .option('--path-to-json-file <file>', 'the partitions to elect for, {"partitions":[{"topic":"t","partition":0}]}; default: all')
    .parse(argv)
    .opts<{ zookeeper: string; pathToJsonFile?: string }>();
  let partitions: { topic: string; partition: number }[] | undefined;
  if (o.pathToJsonFile) {
    try {
      partitions = decodePreferredReplicaElection(readFileSync(o.pathToJsonFile, 'utf8'), o.pathToJsonFile);
    } catch (err) {
      fail(TOOL, `cannot read ${o.pathToJsonFile}: ${describeError(err)}`);
    }
  }
  await runWithZooKeeper(TOOL, o.zookeeper, async (zk) => {
    if (!partitions) {
      partitions = [];
      for (const t of await listTopics(zk)) {
        const node = await zk.get(topicPath(t));
        if (node) for (const p of decodeTopicAssignment(node.data).keys()) partitions.push({ topic: t, partition: p });
      }
    }
    try {
      await zk.create(preferredReplicaElectionPath, encodePreferredReplicaElection(partitions), { parents: true });
    } catch (err) {
      if (err instanceof NodeExistsError) throw new Error('a preferred replica leader election is already in progress');
      throw err;
    }
    process.stdout.write(`Successfully started preferred replica election for ${partitions.length} partition(s)\n`);
  });
}
