/**
 * The package's public, typed API: the producer, the simple consumer (assigned partitions,
 * seek, never-ending iteration), the ZooKeeper consumer connector (consumer groups without a
 * master, with wildcard subscriptions), the group consumer and coordinator client (groups the brokers coordinate, 0.9+), MirrorMaker, topic administration through ZooKeeper, and the broker itself for embedding.
 */
export * from './client/producer/index.js';
export { SimpleConsumer, type ConsumedRecord, type FetchOptions } from './client/simple-consumer.js';
export {
  ConsumerConnector,
  OwnerConflictError,
  ConnectorClosedError,
  TopicFilter,
  type ConnectorEvents,
  type ConnectorOptions,
  type ConsumerRebalanceListener,
} from './client/connector/consumer-connector.js';
export { consumerConfig, type ConsumerConfig, type ConsumerProperties } from './client/connector/config.js';
export { rangeAssign, roundRobinAssign, type AssignmentStrategy, type PartitionOwner } from './client/connector/assignors.js';
export { KafkaStream, ConsumerTimeoutError, type ConsumerRecord } from './client/connector/stream.js';
export {
  GroupConsumer,
  CommitFailedError,
  NoOffsetForPartitionError,
  type AssignedEvent,
  type RevokedEvent,
  type StartPosition,
  type GroupConsumerOptions,
} from './client/group/group-consumer.js';
export { groupConsumerConfig, type GroupConsumerConfig, type GroupConsumerProperties } from './client/group/config.js';
export { rangeAssignor, roundRobinAssignor, type ConsumerAssignor } from './client/group/assignors.js';
export {
  CoordinatorClient,
  OffsetCommitError,
  type CoordinatorNode,
  type TopicPartition,
  type OffsetToCommit,
  type CommittedOffset,
  type GroupDescription,
  type GroupMemberDescription,
  type ListGroupsResult,
} from './client/group/coordinator-client.js';
export { MirrorMaker, MirrorSendError, type MirrorMakerOptions, type MirrorStats } from './mirror/mirror-maker.js';
export { loadMessageHandler, type MessageHandler, type TargetRecord } from './mirror/message-handler.js';
export { createTopic, deleteTopic, addPartitions, listTopics, assignReplicasToBrokers } from './admin/topic-admin.js';
export { KafkaServer } from './broker/kafka-server.js';
export { brokerConfigFromProperties, type BrokerConfig } from './broker/config.js';
export { ZkClient } from './zk/client.js';
// Security: how clients connect (TLS, SASL), SCRAM users and ACLs in ZooKeeper.
export { clientSecurityFromProperties, type ClientSecurity, type SaslCredentials, type SaslMechanism } from './network/client-security.js';
export { SaslAuthenticationError } from './network/sasl-client.js';
export { NoListenerError } from './client/broker-endpoints.js';
export { alterScramUser, describeScramUser } from './admin/scram-users.js';
export { addAcls, removeAcls, listAcls, type Acl, type Resource, type Operation, type ResourceType } from './admin/acls.js';
export { KafkaError, ErrorCode, ProjectError, ConfigError, CorruptDataError, errorName } from './common/errors.js';
export { CompressionCodec } from './protocol/records/compression.js';
// Schemas: serdes by key.serializer / value.serializer (Avro in Confluent's wire format), and the schema registry.
export * from './client/serde/index.js';
export { SchemaStore } from './registry/store.js';
export { RegistryHttp } from './registry/http.js';
