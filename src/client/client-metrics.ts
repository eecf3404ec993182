/**
 * Prometheus metrics of our clients, served at `/metrics` on 127.0.0.1:`metrics.port` when that
 * client property is set (0: a free port, logged), named as the Prometheus JMX exporter renders
 * the Java clients' beans:
 *
 * Producer (kafka.producer:type=producer-metrics,client-id=X):
 *   kafka_producer_producer_metrics_record_send_total, _record_error_total, _batch_total
 *   kafka_producer_producer_metrics_buffer_total_bytes, _buffer_available_bytes,
 *   _requests_in_flight, _records_waiting                                  {client_id}
 * ZooKeeper consumer connector (0.8's kafka.consumer beans, clientId=X):
 *   kafka_consumer_consumertopicmetrics_messages_total          {clientId, topic} records processed
 *   kafka_consumer_fetcherlagmetrics_consumerlag                {clientId, topic, partition}
 *   kafka_consumer_consumerfetchermanager_maxlag                {clientId}
 *   kafka_consumer_zookeeperconsumerconnector_rebalancerateandtime (histogram, ms) {clientId}
 *   kafka_consumer_zookeeperconsumerconnector_ownedpartitionscount {clientId}   (ours)
 *
 * Every value is read from the client when scraped (counters from its own running totals), so
 * nothing is added to the per-record path.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProducerMetrics } from './producer/producer.js';
import type { PartitionTopicInfo } from './connector/stream.js';

/** A counter that follows a running total read at scrape time. */
function totalCounter(name: string, help: string, labelNames: string[], registers: Registry[], read: () => { labels: Record<string, string>; value: number }[]): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      for (const { labels, value } of read()) {
        const k = JSON.stringify(labels);
        const delta = value - (last.get(k) ?? 0);
        if (delta > 0) this.inc(labels, delta);
        else if (!last.has(k)) this.inc(labels, 0);
        last.set(k, Math.max(value, last.get(k) ?? 0));
      }
    },
  });
}

export function producerRegistry(clientId: string, read: () => ProducerMetrics): Registry {
  const registry = new Registry();
  const registers = [registry];
  const labels = { client_id: clientId };
  const p = 'kafka_producer_producer_metrics_';
  totalCounter(`${p}record_send_total`, 'Records acknowledged by the brokers', ['client_id'], registers, () => [{ labels, value: read().recordsSent }]);
  totalCounter(`${p}record_error_total`, 'Records that failed', ['client_id'], registers, () => [{ labels, value: read().recordsFailed }]);
  totalCounter(`${p}batch_total`, 'Batches finished', ['client_id'], registers, () => [{ labels, value: read().batchesSent }]);
  const gauge = (name: string, help: string, value: (m: ProducerMetrics) => number): void => {
    new Gauge({
      name: `${p}${name}`,
      help,
      labelNames: ['client_id'],
      registers,
      collect() {
        this.set(labels, value(read()));
      },
    });
  };
  gauge('buffer_total_bytes', 'buffer.memory', (m) => m.bufferTotalBytes);
  gauge('buffer_available_bytes', 'Buffer memory not in use', (m) => m.bufferTotalBytes - m.bufferUsedBytes);
  gauge('requests_in_flight', 'Produce requests awaiting an answer', (m) => m.requestsInFlight);
  gauge('records_waiting', 'Records waiting for metadata or memory', (m) => m.recordsWaiting);
  return registry;
}

export interface ConnectorMetricsSource {
  clientId: string;
  /** The partitions owned now, with their positions. */
  partitions(): readonly PartitionTopicInfo[];
  /** Records processed so far, by topic (running totals). */
  consumedByTopic(): ReadonlyMap<string, number>;
}

export interface ConnectorMetrics {
  registry: Registry;
  /** Called after each successful rebalance with its duration. */
  rebalanced(durationMs: number): void;
}

export function connectorMetrics(src: ConnectorMetricsSource): ConnectorMetrics {
  const registry = new Registry();
  const registers = [registry];
  const clientId = src.clientId;
  totalCounter('kafka_consumer_consumertopicmetrics_messages_total', 'Records processed by the application', ['clientId', 'topic'], registers, () =>
    [...src.consumedByTopic()].map(([topic, value]) => ({ labels: { clientId, topic }, value })),
  );
  const lagOf = (i: PartitionTopicInfo): number | undefined => (i.highWatermark >= 0 && i.consumedOffset >= 0 ? Math.max(0, i.highWatermark - i.consumedOffset) : undefined);
  new Gauge({
    name: 'kafka_consumer_fetcherlagmetrics_consumerlag',
    help: 'High watermark of the last fetch minus the next offset to consume, per owned partition',
    labelNames: ['clientId', 'topic', 'partition'],
    registers,
    collect() {
      this.reset();
      for (const i of src.partitions()) {
        const lag = lagOf(i);
        if (lag !== undefined) this.set({ clientId, topic: i.topic, partition: String(i.partition) }, lag);
      }
    },
  });
  new Gauge({
    name: 'kafka_consumer_consumerfetchermanager_maxlag',
    help: 'The largest lag over the owned partitions',
    labelNames: ['clientId'],
    registers,
    collect() {
      let max = 0;
      for (const i of src.partitions()) max = Math.max(max, lagOf(i) ?? 0);
      this.set({ clientId }, max);
    },
  });
  new Gauge({
    name: 'kafka_consumer_zookeeperconsumerconnector_ownedpartitionscount',
    help: 'Partitions this consumer owns now',
    labelNames: ['clientId'],
    registers,
    collect() {
      this.set({ clientId }, src.partitions().length);
    },
  });
  const rebalances = new Histogram({
    name: 'kafka_consumer_zookeeperconsumerconnector_rebalancerateandtime',
    help: 'Successful rebalances and their time, ms',
    labelNames: ['clientId'],
    buckets: [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000],
    registers,
  });
  return { registry, rebalanced: (ms) => rebalances.observe({ clientId }, ms) };
}
