/**
 * Our clients' Prometheus metrics, asked for with the client property metrics.port: a real
 * broker, a producer and a ZooKeeper consumer connector, their /metrics scraped over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Producer } from '../../src/client/producer/producer.js';
import { producerOptionsFromProperties } from '../../src/client/producer/index.js';
import { ConsumerConnector } from '../../src/client/connector/consumer-connector.js';

/** The value of `name{...labels...}` in a Prometheus text page (sum over matching lines). */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let found: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([\w:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) continue;
    found = (found ?? 0) + Number(m[3]);
  }
  return found;
}

const scrape = async (url: string): Promise<string> => (await fetch(url)).text();

describe('client metrics (metrics.port)', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('client-metrics').start(1);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a producer counts what it sent and a consumer connector what it processed, its lag and its rebalances', async () => {
    const topic = 'cm';
    await createTopic(cluster.zk, topic, { partitions: 2, replicationFactor: 1 });
    const producer = new Producer(producerOptionsFromProperties({ 'bootstrap.servers': cluster.bootstrap, 'client.id': 'cm-producer', 'metrics.port': '0' }));
    const url = (await producer.metricsUrl())!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    for (let i = 0; i < 300; i++) producer.produce({ topic, key: `k${i}`, value: `v${i}` });
    await producer.flush();
    let text = await scrape(url);
    expect(value(text, 'kafka_producer_producer_metrics_record_send_total', { client_id: 'cm-producer' })).toBe(300);
    expect(value(text, 'kafka_producer_producer_metrics_record_error_total', { client_id: 'cm-producer' })).toBe(0);
    expect(value(text, 'kafka_producer_producer_metrics_buffer_total_bytes')).toBeGreaterThan(0);

    const connector = await ConsumerConnector.create({
      'zookeeper.connect': cluster.zkConnect,
      'group.id': 'cm-group',
      'client.id': 'cm-consumer',
      'auto.offset.reset': 'smallest',
      'metrics.port': '0',
    });
    try {
      const [stream] = (await connector.createMessageStreams({ [topic]: 1 })).get(topic)!;
      let n = 0;
      while (n < 250) {
        await stream!.next();
        n++;
      }
      const cUrl = connector.metricsUrl!;
      expect(cUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      await until('249 records counted as processed', async () => value(await scrape(cUrl), 'kafka_consumer_consumertopicmetrics_messages_total', { clientId: 'cm-consumer', topic }) === 249, 10_000);
      text = await scrape(cUrl);
      // 250 taken, the 250th not yet processed (0.8's semantics: a record counts when the next is asked for)
      expect(value(text, 'kafka_consumer_fetcherlagmetrics_consumerlag', { clientId: 'cm-consumer', topic })).toBe(300 - 249);
      expect(value(text, 'kafka_consumer_consumerfetchermanager_maxlag', { clientId: 'cm-consumer' })).toBeGreaterThan(0);
      expect(value(text, 'kafka_consumer_zookeeperconsumerconnector_ownedpartitionscount', { clientId: 'cm-consumer' })).toBe(2);
      expect(value(text, 'kafka_consumer_zookeeperconsumerconnector_rebalancerateandtime_count', { clientId: 'cm-consumer' })).toBe(1);
    } finally {
      await connector.close();
      await producer.close();
    }
    // closed: nothing serves any more
    await expect(fetch(url)).rejects.toThrow();
  });
});
