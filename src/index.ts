/**
 * The package's public, typed API: the producer, the simple consumer (assigned partitions,
 * seek, never-ending iteration), the ZooKeeper consumer connector (consumer groups without a
 * master), topic administration through ZooKeeper, and the broker itself for embedding.
 */
export * from './client/producer/index.js';
export { SimpleConsumer, type ConsumedRecord, type FetchOptions } from './client/simple-consumer.js';
export { ConsumerConnector, OwnerConflictError, ConnectorClosedError, type ConnectorEvents } from './client/connector/consumer-connector.js';
export { consumerConfig, type ConsumerConfig, type ConsumerProperties } from './client/connector/config.js';
export { rangeAssign, roundRobinAssign, type AssignmentStrategy, type PartitionOwner } from './client/connector/assignors.js';
export { KafkaStream, ConsumerTimeoutError, type ConsumerRecord } from './client/connector/stream.js';
export { createTopic, deleteTopic, addPartitions, listTopics, assignReplicasToBrokers } from './admin/topic-admin.js';
export { KafkaServer } from './broker/kafka-server.js';
export { brokerConfigFromProperties, type BrokerConfig } from './broker/config.js';
export { ZkClient } from './zk/client.js';
export { KafkaError, ErrorCode, ProjectError, ConfigError, CorruptDataError, errorName } from './common/errors.js';
export { CompressionCodec } from './protocol/records/compression.js';
