/**
 * kafka-reassign-partitions.sh --zookeeper H:P
 *   --generate --topics-to-move-json-file F --broker-list 1,2,3   proposes an assignment
 *   --execute  --reassignment-json-file F                          starts it (/admin/reassign_partitions)
 *   --verify   --reassignment-json-file F                          reports progress
 * Files: {"topics":[{"topic":"t"}],"version":1} and {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}.
 */
import { readFileSync } from 'node:fs';
import type { ZkClient } from '../zk/client.js';
import { NodeExistsError } from '../zk/errors.js';
import { reassignPartitionsPath, topicPath } from '../zk/paths.js';
import { decodeReassignment, decodeTopicAssignment, encodeReassignment, type PartitionReassignment } from '../zk/payloads.js';
import { assignReplicasToBrokers } from '../admin/topic-admin.js';
import { describeError, fail, newProgram, runWithZooKeeper } from './common.js';

const TOOL = 'kafka-reassign-partitions';

interface Opts {
  zookeeper: string;
  generate?: boolean;
  execute?: boolean;
  verify?: boolean;
  topicsToMoveJsonFile?: string;
  reassignmentJsonFile?: string;
  brokerList?: string;
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-reassign-partitions.sh', 'Move partitions between brokers')
    .requiredOption('--zookeeper <hosts>', 'REQUIRED: the ZooKeeper connect string')
    .option('--generate', 'propose an assignment of the topics in --topics-to-move-json-file over --broker-list')
    .option('--execute', 'start the reassignment in --reassignment-json-file')
    .option('--verify', 'report the progress of the reassignment in --reassignment-json-file')
    .option('--topics-to-move-json-file <file>', 'with --generate: {"topics":[{"topic":"t"}],"version":1}')
    .option('--reassignment-json-file <file>', 'with --execute/--verify: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}')
    .option('--broker-list <ids>', 'with --generate: the brokers to spread over, e.g. 1,2,3')
    .parse(argv)
    .opts<Opts>();
  const actions = (['generate', 'execute', 'verify'] as const).filter((a) => o[a]);
  if (actions.length !== 1) fail(TOOL, 'exactly one of --generate, --execute or --verify is required');
  const action = actions[0]!;
  await runWithZooKeeper(TOOL, o.zookeeper, async (zk) => {
    if (action === 'generate') return generate(zk, o);
    if (action === 'execute') return execute(zk, o);
    return verify(zk, o);
  });
}

async function currentAssignment(zk: ZkClient, topics: string[]): Promise<PartitionReassignment[]> {
  const out: PartitionReassignment[] = [];
  for (const topic of topics) {
    const node = await zk.get(topicPath(topic));
    if (!node) throw new Error(`topic "${topic}" does not exist`);
    for (const [partition, replicas] of [...decodeTopicAssignment(node.data)].sort((a, b) => a[0] - b[0])) out.push({ topic, partition, replicas });
  }
  return out;
}

function readJson(file: string | undefined, flag: string): unknown {
  if (!file) fail(TOOL, `${flag} is required`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(TOOL, `cannot read ${file}: ${describeError(err)}`);
  }
}

async function generate(zk: ZkClient, o: Opts): Promise<void> {
  const spec = readJson(o.topicsToMoveJsonFile, '--topics-to-move-json-file') as { topics?: { topic?: unknown }[] };
  const topics = (spec.topics ?? []).map((t) => t.topic).filter((t): t is string => typeof t === 'string');
  if (topics.length === 0) fail(TOOL, 'the topics file names no topic');
  if (!o.brokerList) fail(TOOL, '--generate requires --broker-list');
  const brokers = o.brokerList.split(',').map((s) => Number(s.trim()));
  if (brokers.some((b) => !Number.isInteger(b) || b < 0)) fail(TOOL, `bad --broker-list "${o.brokerList}"`);
  const current = await currentAssignment(zk, topics);
  const proposed: PartitionReassignment[] = [];
  for (const topic of topics) {
    const parts = current.filter((p) => p.topic === topic);
    const rf = parts[0]?.replicas.length ?? 1;
    const a = assignReplicasToBrokers(brokers, parts.length, rf);
    for (const [partition, replicas] of a) proposed.push({ topic, partition, replicas });
  }
  process.stdout.write(`Current partition replica assignment\n\n${encodeReassignment(current).toString()}\n\n`);
  process.stdout.write(`Proposed partition reassignment configuration\n\n${encodeReassignment(proposed).toString()}\n`);
}

async function execute(zk: ZkClient, o: Opts): Promise<void> {
  const wanted = decodeReassignment(JSON.stringify(readJson(o.reassignmentJsonFile, '--reassignment-json-file')), o.reassignmentJsonFile);
  const current = await currentAssignment(zk, [...new Set(wanted.map((p) => p.topic))]);
  for (const w of wanted) {
    if (!current.some((c) => c.topic === w.topic && c.partition === w.partition)) throw new Error(`partition ${w.topic}-${w.partition} does not exist`);
  }
  process.stdout.write(`Current partition replica assignment\n\n${encodeReassignment(current.filter((c) => wanted.some((w) => w.topic === c.topic && w.partition === c.partition))).toString()}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  try {
    await zk.create(reassignPartitionsPath, encodeReassignment(wanted), { parents: true });
  } catch (err) {
    if (err instanceof NodeExistsError) throw new Error('there is an existing assignment running');
    throw err;
  }
  process.stdout.write(`Successfully started reassignment of partitions ${encodeReassignment(wanted).toString()}\n`);
}

async function verify(zk: ZkClient, o: Opts): Promise<number> {
  const wanted = decodeReassignment(JSON.stringify(readJson(o.reassignmentJsonFile, '--reassignment-json-file')), o.reassignmentJsonFile);
  const inProgressNode = await zk.get(reassignPartitionsPath);
  const inProgress = inProgressNode ? decodeReassignment(inProgressNode.data) : [];
  const current = await currentAssignment(zk, [...new Set(wanted.map((p) => p.topic))]);
  process.stdout.write('Status of partition reassignment:\n');
  let failed = 0;
  for (const w of wanted) {
    const name = `[${w.topic},${w.partition}]`;
    const cur = current.find((c) => c.topic === w.topic && c.partition === w.partition);
    if (inProgress.some((p) => p.topic === w.topic && p.partition === w.partition)) {
      process.stdout.write(`Reassignment of partition ${name} is still in progress\n`);
    } else if (cur && cur.replicas.length === w.replicas.length && cur.replicas.every((r, i) => r === w.replicas[i])) {
      process.stdout.write(`Reassignment of partition ${name} completed successfully\n`);
    } else {
      process.stdout.write(`Reassignment of partition ${name} failed\n`);
      failed++;
    }
  }
  return failed > 0 ? 1 : 0;
}
