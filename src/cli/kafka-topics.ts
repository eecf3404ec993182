/**
 * kafka-topics.sh --zookeeper H:P (--create | --list | --describe | --alter | --delete) ...
 * Writes and reads the 0.8 znodes directly, as Kafka's own tool does.
 */
import type { ZkClient } from '../zk/client.js';
import { partitionStatePath, topicConfigPath } from '../zk/paths.js';
import { decodePartitionState, decodeTopicConfig } from '../zk/payloads.js';
import { addPartitions, assignReplicasToBrokers, createTopic, deleteTopic, liveBrokerIds, listTopics, readAssignment, type Assignment } from '../admin/topic-admin.js';
import { alteredConfig, readEntityConfig, writeEntityConfig } from '../admin/config-admin.js';
import { collect, fail, newProgram, parseKeyValues, positiveInt, runWithZooKeeper } from './common.js';
import { ErrorCode, KafkaError } from '../common/errors.js';

const TOOL = 'kafka-topics';

interface Opts {
  zookeeper?: string;
  create?: boolean;
  list?: boolean;
  describe?: boolean;
  alter?: boolean;
  delete?: boolean;
  topic?: string;
  partitions?: number;
  replicationFactor?: number;
  config: string[];
  deleteConfig: string[];
  replicaAssignment?: string;
  ifNotExists?: boolean;
  ifExists?: boolean;
  underReplicatedPartitions?: boolean;
  unavailablePartitions?: boolean;
}

export async function main(argv: string[]): Promise<void> {
  const program = newProgram('kafka-topics.sh', 'Create, delete, describe, or change a topic (through ZooKeeper)')
    .option('--zookeeper <hosts>', 'REQUIRED: the ZooKeeper connect string, host:port[,host:port][/chroot]')
    .option('--create', 'create a new topic')
    .option('--list', 'list all available topics')
    .option('--describe', 'list details for the given topics (all when --topic is absent)')
    .option('--alter', 'add partitions to a topic (--partitions) and/or change its config overrides (--config, --delete-config)')
    .option('--delete', 'delete a topic (the controller performs it)')
    .option('--topic <topic>', 'the topic to create, alter, describe or delete')
    .option('--partitions <n>', 'the number of partitions for the topic being created or altered', positiveInt(TOOL, '--partitions'))
    .option('--replication-factor <n>', 'the replication factor for each partition of the topic being created', positiveInt(TOOL, '--replication-factor'))
    .option('--config <name=value>', 'with --create or --alter: a topic configuration override (repeatable)', collect, [])
    .option('--delete-config <name>', 'with --alter: a topic configuration override to remove (repeatable)', collect, [])
    .option('--replica-assignment <list>', 'manual assignment: broker_id_for_part1_replica1:broker_id_for_part1_replica2,...')
    .option('--if-not-exists', 'with --create: do nothing if the topic exists')
    .option('--if-exists', 'with --alter/--delete/--describe: do nothing if the topic does not exist')
    .option('--under-replicated-partitions', 'with --describe: only partitions whose ISR is smaller than the replicas')
    .option('--unavailable-partitions', 'with --describe: only partitions whose leader is not available')
    .parse(argv);
  const o = program.opts<Opts>();
  const actions = ['create', 'list', 'describe', 'alter', 'delete'].filter((a) => o[a as keyof Opts]);
  if (actions.length !== 1) fail(TOOL, 'exactly one of --create, --list, --describe, --alter or --delete is required (see --help)');
  if (!o.zookeeper) fail(TOOL, 'missing required argument --zookeeper');
  const action = actions[0]!;
  if ((action === 'create' || action === 'alter' || action === 'delete') && !o.topic) fail(TOOL, `--${action} requires --topic`);
  if (o.config.length > 0 && action !== 'create' && action !== 'alter') fail(TOOL, '--config is only for --create and --alter');
  if (o.deleteConfig.length > 0 && action !== 'alter') fail(TOOL, '--delete-config is only for --alter');
  if (o.replicationFactor !== undefined && action !== 'create') fail(TOOL, '--replication-factor is only for --create');

  await runWithZooKeeper(TOOL, o.zookeeper, async (zk) => {
    switch (action) {
      case 'create':
        return create(zk, o);
      case 'list':
        for (const t of await listTopics(zk)) process.stdout.write(`${t}\n`);
        return;
      case 'describe':
        return describe(zk, o);
      case 'alter':
        return alter(zk, o);
      case 'delete':
        return remove(zk, o);
    }
  });
}

function parseAssignment(text: string): Assignment {
  const out: Assignment = new Map();
  text.split(',').forEach((part, p) => {
    const replicas = part.split(':').map((s) => Number(s.trim()));
    if (replicas.some((r) => !Number.isInteger(r) || r < 0)) fail(TOOL, `bad --replica-assignment entry "${part}"`);
    if (new Set(replicas).size !== replicas.length) fail(TOOL, `duplicate replica in --replica-assignment entry "${part}"`);
    out.set(p, replicas);
  });
  return out;
}

async function create(zk: ZkClient, o: Opts): Promise<void> {
  const topic = o.topic!;
  const assignment = o.replicaAssignment ? parseAssignment(o.replicaAssignment) : undefined;
  if (!assignment && (o.partitions === undefined || o.replicationFactor === undefined)) {
    fail(TOOL, '--create requires --partitions and --replication-factor (or --replica-assignment)');
  }
  const config = parseKeyValues(TOOL, o.config, '--config');
  try {
    await createTopic(zk, topic, { partitions: o.partitions ?? assignment!.size, replicationFactor: o.replicationFactor ?? assignment!.get(0)!.length, config, assignment });
  } catch (err) {
    if (o.ifNotExists && err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) return;
    throw err;
  }
  process.stdout.write(`Created topic "${topic}".\n`);
}

/**
 * 0.8's TopicCommand.alterTopic: config overrides first (printing `Updated config for topic "T".`),
 * then partitions. Everything is checked before anything is written: a bad config or a
 * partition count that does not grow changes nothing.
 */
async function alter(zk: ZkClient, o: Opts): Promise<void> {
  const topic = o.topic!;
  const changesConfig = o.config.length > 0 || o.deleteConfig.length > 0;
  if (o.partitions === undefined && !changesConfig) fail(TOOL, '--alter requires --partitions (the new, larger count) and/or --config / --delete-config');
  const add = parseKeyValues(TOOL, o.config, '--config');
  const remove = o.deleteConfig.map((k) => k.trim());
  if (remove.some((k) => k === '' || k.includes('='))) fail(TOOL, '--delete-config takes a config name, without a value');
  const current = await readAssignment(zk, topic);
  if (!current) {
    if (o.ifExists) return;
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" does not exist`);
  }
  const config = changesConfig ? alteredConfig('topics', topic, await readEntityConfig(zk, 'topics', topic), add, remove) : undefined;
  if (o.partitions !== undefined) {
    const have = current.assignment.size;
    if (o.partitions <= have) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `topic "${topic}" has ${have} partitions; the number of partitions can only be increased`);
    // the placement addPartitions will make, tried first: too few live brokers fails before any write
    assignReplicasToBrokers(await liveBrokerIds(zk), o.partitions - have, current.assignment.get(0)?.length ?? 1);
  }
  if (config) {
    await writeEntityConfig(zk, 'topics', topic, config);
    process.stdout.write(`Updated config for topic "${topic}".\n`);
  }
  if (o.partitions !== undefined) {
    await addPartitions(zk, topic, o.partitions);
    process.stdout.write(`Adding partitions succeeded!\n`);
  }
}

async function remove(zk: ZkClient, o: Opts): Promise<void> {
  try {
    await deleteTopic(zk, o.topic!);
  } catch (err) {
    if (o.ifExists && err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return;
    throw err;
  }
  process.stdout.write(`Topic ${o.topic} is marked for deletion.\n`);
}

async function describe(zk: ZkClient, o: Opts): Promise<void> {
  const topics = o.topic ? [o.topic] : await listTopics(zk);
  const live = new Set(await liveBrokerIds(zk));
  for (const topic of topics) {
    const a = await readAssignment(zk, topic);
    if (!a) {
      if (o.ifExists) continue;
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" does not exist`);
    }
    const cfgNode = await zk.get(topicConfigPath(topic));
    const configs = cfgNode ? Object.entries(decodeTopicConfig(cfgNode.data)).map(([k, v]) => `${k}=${v}`).join(',') : '';
    const parts = [...a.assignment.entries()].sort((x, y) => x[0] - y[0]);
    const rows: string[] = [];
    for (const [p, replicas] of parts) {
      const { leader, isr } = await partitionLeadership(zk, topic, p, replicas, live);
      if (o.underReplicatedPartitions && isr.length >= replicas.length) continue;
      if (o.unavailablePartitions && leader >= 0 && live.has(leader)) continue;
      rows.push(`\tTopic: ${topic}\tPartition: ${p}\tLeader: ${leader}\tReplicas: ${replicas.join(',')}\tIsr: ${isr.join(',')}\n`);
    }
    if (!o.underReplicatedPartitions && !o.unavailablePartitions) {
      process.stdout.write(`Topic:${topic}\tPartitionCount:${parts.length}\tReplicationFactor:${parts[0]?.[1].length ?? 0}\tConfigs:${configs}\n`);
    }
    for (const r of rows) process.stdout.write(r);
  }
}

/** Leader and ISR from the partition's state znode when the controller wrote one, else as the brokers compute it. */
async function partitionLeadership(zk: ZkClient, topic: string, partition: number, replicas: number[], live: Set<number>): Promise<{ leader: number; isr: number[] }> {
  const node = await zk.get(partitionStatePath(topic, partition));
  if (node) {
    const s = decodePartitionState(node.data);
    // an offline partition keeps its last leader in the znode; a dead broker leads nothing
    return { leader: live.has(s.leader) ? s.leader : -1, isr: s.isr };
  }
  const leader = replicas.find((r) => live.has(r)) ?? -1;
  return { leader, isr: leader >= 0 ? [leader] : [] };
}
