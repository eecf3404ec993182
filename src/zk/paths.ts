/**
 * Every znode path of Kafka 0.8 (ZkUtils.scala), in one place: constants for the fixed nodes and
 * small builders for the rest. docs/reference.md section 2 is the source; test/zk/paths.test.ts
 * pins each string.
 *
 *   /brokers/ids/<id>                                    ephemeral   broker registration
 *   /brokers/topics/<T>                                  persistent  partition -> replicas
 *   /brokers/topics/<T>/partitions/<P>/state             persistent  leader, epoch, ISR
 *   /controller                                          ephemeral   the active controller
 *   /controller_epoch                                    persistent  integer text
 *   /consumers/<G>/ids/<consumerId>                      ephemeral   consumer registration
 *   /consumers/<G>/owners/<T>/<P>                        ephemeral   owning consumer thread
 *   /consumers/<G>/offsets/<T>/<P>                       persistent  next offset, decimal text
 *   /admin/delete_topics/<T>                             persistent  empty
 *   /admin/reassign_partitions                           persistent  reassignment JSON
 *   /admin/preferred_replica_election                    persistent  election JSON
 *   /config/topics/<T>                                   persistent  topic config overrides
 *   /config/brokers/<id>|<default>                       persistent  dynamic broker config overrides
 *   /config/changes/config_change_<seq>                  persistent sequential, what changed
 *   /latest_producer_id_block                            persistent  last producer id block (Kafka 0.11+)
 *   /cluster/id                                          persistent  the cluster id (Kafka 0.10.1+)
 */

export const brokersPath = '/brokers';
export const brokerIdsPath = '/brokers/ids';
export const brokerTopicsPath = '/brokers/topics';
export const controllerPath = '/controller';
export const controllerEpochPath = '/controller_epoch';
export const consumersPath = '/consumers';
export const adminPath = '/admin';
export const deleteTopicsPath = '/admin/delete_topics';
export const reassignPartitionsPath = '/admin/reassign_partitions';
export const preferredReplicaElectionPath = '/admin/preferred_replica_election';
export const configPath = '/config';
export const configTopicsPath = '/config/topics';
export const configChangesPath = '/config/changes';
export const configBrokersPath = '/config/brokers';
/** The entity name of the cluster-wide dynamic broker config (`--entity-default`). */
export const DEFAULT_BROKER_ENTITY = '<default>';
/** The last block of producer ids handed out (Kafka 0.11's ProducerIdBlockZNode). */
export const latestProducerIdBlockPath = '/latest_producer_id_block';
/** The cluster id (Kafka 0.10.1's ClusterIdZNode), written once by the first broker to start. */
export const clusterIdPath = '/cluster/id';
/** Name prefix of the persistent-sequential change notifications under configChangesPath. */
export const configChangeSeqPrefix = 'config_change_';

/** The persistent parents a broker ensures at startup (ZkUtils.setupCommonPaths). */
export const persistentZkPaths: readonly string[] = [
  consumersPath,
  brokerIdsPath,
  brokerTopicsPath,
  configChangesPath,
  configTopicsPath,
  deleteTopicsPath,
];

/** Checks a name used as one path segment: non-empty, no '/', not '.' or '..'. */
export function segment(kind: string, value: string | number): string {
  const s = String(value);
  if (s.length === 0 || s.includes('/') || s === '.' || s === '..' || s.includes('\u0000')) {
    throw new RangeError(`invalid ${kind} for a znode name: ${JSON.stringify(s)}`);
  }
  return s;
}

function partitionSegment(partition: number): string {
  if (!Number.isInteger(partition) || partition < 0) throw new RangeError(`invalid partition: ${partition}`);
  return String(partition);
}

function brokerSegment(id: number): string {
  if (!Number.isInteger(id) || id < 0) throw new RangeError(`invalid broker id: ${id}`);
  return String(id);
}

export const brokerIdPath = (id: number): string => `${brokerIdsPath}/${brokerSegment(id)}`;
export const topicPath = (topic: string): string => `${brokerTopicsPath}/${segment('topic', topic)}`;
export const topicPartitionsPath = (topic: string): string => `${topicPath(topic)}/partitions`;
export const topicPartitionPath = (topic: string, partition: number): string =>
  `${topicPartitionsPath(topic)}/${partitionSegment(partition)}`;
export const partitionStatePath = (topic: string, partition: number): string =>
  `${topicPartitionPath(topic, partition)}/state`;

export const consumerGroupPath = (group: string): string => `${consumersPath}/${segment('group', group)}`;
export const consumerIdsPath = (group: string): string => `${consumerGroupPath(group)}/ids`;
export const consumerIdPath = (group: string, consumerId: string): string =>
  `${consumerIdsPath(group)}/${segment('consumer id', consumerId)}`;
export const consumerOwnersRootPath = (group: string): string => `${consumerGroupPath(group)}/owners`;
export const consumerOwnersPath = (group: string, topic: string): string =>
  `${consumerOwnersRootPath(group)}/${segment('topic', topic)}`;
export const ownerPath = (group: string, topic: string, partition: number): string =>
  `${consumerOwnersPath(group, topic)}/${partitionSegment(partition)}`;
export const consumerOffsetsRootPath = (group: string): string => `${consumerGroupPath(group)}/offsets`;
export const consumerOffsetsPath = (group: string, topic: string): string =>
  `${consumerOffsetsRootPath(group)}/${segment('topic', topic)}`;
export const offsetPath = (group: string, topic: string, partition: number): string =>
  `${consumerOffsetsPath(group, topic)}/${partitionSegment(partition)}`;

export const deleteTopicPath = (topic: string): string => `${deleteTopicsPath}/${segment('topic', topic)}`;
export const topicConfigPath = (topic: string): string => `${configTopicsPath}/${segment('topic', topic)}`;
export const brokerConfigPath = (entity: string): string => `${configBrokersPath}/${segment('broker entity', entity)}`;
/** The path prefix to create a config change notification with mode persistent_sequential. */
export const configChangePrefixPath = `${configChangesPath}/${configChangeSeqPrefix}`;

/** The parent of a path ('/' for a top-level node). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The last segment of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a parent path and a child name. */
export function childPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The sequence number ZooKeeper appended to a sequential node's name (10 digits), or undefined. */
export function sequenceOf(name: string, prefix = configChangeSeqPrefix): number | undefined {
  const base = baseName(name);
  if (!base.startsWith(prefix)) return undefined;
  const digits = base.slice(prefix.length);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}
