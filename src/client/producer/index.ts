/** The producer's public API. */
export { Producer, BufferExhaustedError, ProducerClosedError, type ProducerMetrics } from './producer.js';
export { compressionCodecOf, producerOptionsFromProperties } from './config.js';
export { createPartitioner, murmur2, murmur2Partition, type PartitionChooser } from './partitioners.js';
export type {
  Bytes,
  CompressionType,
  Partitioner,
  PartitionerArgs,
  PartitionerFn,
  ProducerOptions,
  ProducerRecord,
  RecordMetadata,
  SendCallback,
} from './types.js';
export { Cluster, brokersFromZooKeeper } from '../cluster.js';
