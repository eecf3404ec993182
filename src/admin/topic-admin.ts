/**
 * Topic administration through ZooKeeper, as Kafka 0.8's AdminUtils does it: what
 * `kafka-topics.sh --zookeeper` and the broker's CreateTopics/DeleteTopics handlers write.
 *   create:  /config/topics/<T> (the overrides), then /brokers/topics/<T> (the assignment)
 *   alter:   a new /brokers/topics/<T> with the added partitions (existing ones unchanged)
 *   delete:  /admin/delete_topics/<T>; the controller deletes the topic, then that node
 */
import type { ZkClient } from '../zk/client.js';
import { NodeExistsError } from '../zk/errors.js';
import { brokerIdsPath, deleteTopicPath, topicConfigPath, topicPath, brokerTopicsPath } from '../zk/paths.js';
import { decodeTopicAssignment, encodeTopicAssignment, encodeTopicConfig } from '../zk/payloads.js';
import { ErrorCode, KafkaError } from '../common/errors.js';
import { topicOverridesFromConfig } from '../storage/topic-config.js';

export type Assignment = Map<number, number[]>;

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_LENGTH = 249;

/** Throws INVALID_TOPIC_EXCEPTION for a name Kafka would refuse. */
export function validateTopicName(topic: string): void {
  const bad = (why: string) => new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name "${topic}": ${why}`, { context: { topic } });
  if (topic.length === 0) throw bad('it is empty');
  if (topic === '.' || topic === '..') throw bad('"." and ".." are not allowed');
  if (topic.length > MAX_TOPIC_LENGTH) throw bad(`it is longer than ${MAX_TOPIC_LENGTH} characters`);
  if (!LEGAL_TOPIC.test(topic)) throw bad('legal characters are ASCII letters, digits, ".", "_" and "-"');
}

/**
 * Kafka's replica placement (AdminUtils.assignReplicasToBrokers): the first replica of each
 * partition goes round-robin over the brokers from a start index; the followers are shifted
 * by an amount that grows every time the partitions wrap around the broker list.
 */
export function assignReplicasToBrokers(
  brokerIds: readonly number[],
  partitions: number,
  replicationFactor: number,
  opts: { startIndex?: number; replicaShift?: number; startPartitionId?: number } = {},
): Assignment {
  const brokers = [...brokerIds].sort((a, b) => a - b);
  const n = brokers.length;
  if (partitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `number of partitions must be larger than 0, got ${partitions}`);
  if (replicationFactor <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be larger than 0, got ${replicationFactor}`);
  if (replicationFactor > n) {
    throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${replicationFactor} is larger than the ${n} live broker(s)`);
  }
  const startIndex = opts.startIndex ?? Math.floor(Math.random() * n);
  let shift = opts.replicaShift ?? Math.floor(Math.random() * n);
  let pid = Math.max(0, opts.startPartitionId ?? 0);
  const out: Assignment = new Map();
  for (let i = 0; i < partitions; i++) {
    if (pid > 0 && pid % n === 0) shift += 1;
    const first = (pid + startIndex) % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) {
      const s = 1 + ((shift + j) % (n - 1));
      replicas.push(brokers[(first + s) % n]!);
    }
    out.set(pid, replicas);
    pid++;
  }
  return out;
}

export async function liveBrokerIds(zk: ZkClient): Promise<number[]> {
  const ids = (await zk.children(brokerIdsPath)) ?? [];
  return ids.map(Number).filter((n) => Number.isInteger(n)).sort((a, b) => a - b);
}

export interface CreateTopicOptions {
  partitions: number;
  replicationFactor: number;
  config?: Record<string, string>;
  /** An explicit assignment (partition -> replicas) instead of Kafka's placement. */
  assignment?: Assignment;
}

export async function createTopic(zk: ZkClient, topic: string, opts: CreateTopicOptions): Promise<Assignment> {
  validateTopicName(topic);
  try {
    topicOverridesFromConfig(opts.config ?? {});
  } catch (err) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, `invalid config for topic "${topic}": ${(err as Error).message}`, { context: { topic } });
  }
  const assignment = opts.assignment ?? assignReplicasToBrokers(await liveBrokerIds(zk), opts.partitions, opts.replicationFactor);
  if (await zk.exists(topicPath(topic))) {
    throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${topic}" already exists`, { context: { topic } });
  }
  await zk.create(topicConfigPath(topic), encodeTopicConfig(opts.config ?? {}), { parents: true }).catch(async (err: unknown) => {
    if (!(err instanceof NodeExistsError)) throw err;
    await zk.set(topicConfigPath(topic), encodeTopicConfig(opts.config ?? {}));
  });
  try {
    await zk.create(topicPath(topic), encodeTopicAssignment(assignment), { parents: true });
  } catch (err) {
    if (err instanceof NodeExistsError) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${topic}" already exists`, { context: { topic } });
    }
    throw err;
  }
  return assignment;
}

export async function readAssignment(zk: ZkClient, topic: string): Promise<{ assignment: Assignment; version: number } | undefined> {
  const node = await zk.get(topicPath(topic));
  if (!node) return undefined;
  return { assignment: decodeTopicAssignment(node.data), version: node.version };
}

/** Adds partitions to a topic (never removes any), placing new replicas as Kafka does. */
export async function addPartitions(zk: ZkClient, topic: string, newCount: number): Promise<Assignment> {
  const current = await readAssignment(zk, topic);
  if (!current) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" does not exist`, { context: { topic } });
  const have = current.assignment.size;
  if (newCount <= have) {
    throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `topic "${topic}" has ${have} partitions; the number of partitions can only be increased`, {
      context: { topic },
    });
  }
  const rf = current.assignment.get(0)?.length ?? 1;
  const brokers = await liveBrokerIds(zk);
  const first = current.assignment.get(0)?.[0] ?? brokers[0]!;
  const added = assignReplicasToBrokers(brokers, newCount - have, rf, { startIndex: Math.max(0, brokers.indexOf(first)), startPartitionId: have });
  const next: Assignment = new Map([...current.assignment, ...added]);
  await zk.set(topicPath(topic), encodeTopicAssignment(next), current.version);
  return next;
}

/** Marks a topic for deletion; the controller deletes it. */
export async function deleteTopic(zk: ZkClient, topic: string): Promise<void> {
  if (!(await zk.exists(topicPath(topic)))) {
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" does not exist`, { context: { topic } });
  }
  try {
    await zk.create(deleteTopicPath(topic), Buffer.alloc(0), { parents: true });
  } catch (err) {
    if (!(err instanceof NodeExistsError)) throw err;
  }
}

export async function listTopics(zk: ZkClient): Promise<string[]> {
  return ((await zk.children(brokerTopicsPath)) ?? []).sort();
}
