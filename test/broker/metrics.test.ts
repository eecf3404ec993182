/**
 * The broker's /metrics (metrics.port): Prometheus text whose values move with the traffic:
 * records and bytes in and out per topic, produce and fetch requests and their latency (split as
 * Kafka's RequestMetrics: local, remote, response queue and send), fsyncs
 * and group commits of the flush scheduler, bytes on disk per partition, connections, the
 * ZooKeeper session state, leader count; a follower's fetch rounds and bytes; under-replicated partitions, ISR shrinks and expands
 * and offline partitions when a broker dies and returns; the page cache kept and dropped
 * (log.page.cache.retain.bytes). Off by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { cachedBytes } from '../helpers/page-cache.js';
import { statSync } from 'node:fs';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Producer } from '../../src/client/producer/producer.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { partitionStatePath } from '../../src/zk/paths.js';
import { decodePartitionState } from '../../src/zk/payloads.js';

/** The value of one sample line (`name{labels} value`), summed over lines that match. */
function sample(text: string, name: string, labels = ''): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name || !(m[2] ?? '').includes(labels)) continue;
    sum += Number(m[3]);
    found = true;
  }
  if (!found) throw new Error(`no sample ${name}${labels} in:\n${text.slice(0, 2000)}`);
  return sum;
}

const MiB = 1 << 20;

describe('broker metrics', () => {
  let cluster: TestCluster;
  const urls = new Map<number, string>();
  beforeAll(async () => {
    cluster = await new TestCluster('metrics', { 'metrics.port': '0', 'replica.lag.time.max.ms': '1500', 'log.page.cache.retain.bytes': String(2 * MiB) }).start(2);
    for (const [id, b] of cluster.brokers) {
      urls.set(id, await until(`broker ${id} to log its metrics url`, () => /serving metrics url=(\S+)/.exec(b.output())?.[1]));
    }
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const scrape = async (id: number): Promise<string> => {
    const r = await fetch(urls.get(id)!);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    return r.text();
  };

  it('counts records in, produce requests, fsyncs and group commits as traffic flows', async () => {
    await createTopic(cluster.zk, 'm-in', { partitions: 1, replicationFactor: 1, assignment: [[1]] });
    const before = await scrape(1);
    expect(() => sample(before, 'kafka_server_brokertopicmetrics_messagesin_total', 'topic="m-in"')).toThrow(/no sample/);
    const fsyncsBefore = sample(before, 'kafka_log_logflushstats_fsyncs_total');
    const producer = new Producer({ brokers: cluster.bootstrap, acks: 1 });
    await producer.sendBatch(Array.from({ length: 500 }, (_, i) => ({ topic: 'm-in', value: `v${i}` })));
    await producer.close();
    const after = await scrape(1);
    expect(sample(after, 'kafka_server_brokertopicmetrics_messagesin_total', 'topic="m-in"')).toBe(500);
    expect(sample(after, 'kafka_server_brokertopicmetrics_bytesin_total', 'topic="m-in"')).toBeGreaterThan(500 * 2);
    expect(sample(after, 'kafka_network_requestmetrics_requests_total', 'request="Produce"')).toBeGreaterThan(0);
    expect(sample(after, 'kafka_network_requestmetrics_totaltimems_count', 'request="Produce"')).toBeGreaterThan(0);
    expect(sample(after, 'kafka_log_logflushstats_fsyncs_total')).toBeGreaterThan(fsyncsBefore);
    expect(sample(after, 'kafka_log_logflushstats_groupcommitsize_sum')).toBeGreaterThanOrEqual(sample(before, 'kafka_log_logflushstats_groupcommitsize_sum') + 1);
    expect(sample(after, 'kafka_server_replicamanager_leadercount')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(sample(after, 'kafka_controller_kafkacontroller_activecontrollercount') + sample(await scrape(2), 'kafka_controller_kafkacontroller_activecontrollercount')).toBe(1);
    expect(sample(after, 'kafka_log_log_size', 'topic="m-in",partition="0"')).toBeGreaterThan(500 * 2);
    expect(sample(after, 'kafka_server_sessionexpirelistener_sessionstate', 'state="connected"')).toBe(1);
    expect(sample(after, 'kafka_server_sessionexpirelistener_sessionstate', 'state="expired"')).toBe(0);
    expect(sample(after, 'kafka_controller_kafkacontroller_offlinepartitionscount')).toBe(0);
  });

  it('keeps log.page.cache.retain.bytes of flushed data in the page cache, drops the older, and still serves it all', async () => {
    await createTopic(cluster.zk, 'm-pc', { partitions: 1, replicationFactor: 1, assignment: [[1]] });
    const producer = new Producer({ brokers: cluster.bootstrap, acks: 1 });
    const value = Buffer.alloc(10_000, 'p');
    const n = 1200; // ~12 MiB
    for (let i = 0; i < n; i++) producer.produce({ topic: 'm-pc', value });
    await producer.flush();
    await producer.close();
    const m = await scrape(1);
    expect(sample(m, 'kafka_log_pagecache_droppedbytes')).toBeGreaterThanOrEqual(8 * MiB);
    expect(sample(m, 'kafka_log_pagecache_retainedbytes')).toBeLessThanOrEqual(2 * MiB);
    const segment = path.join(cluster.brokers.get(1)!.dir, 'logs', 'm-pc-0', '00000000000000000000.log');
    expect(statSync(segment).size).toBeGreaterThan(n * 10_000);
    // flushed data beyond the newest ~2 MiB (plus what is not counted yet, under 1 MiB) has left the page cache
    await until('the older pages to leave the page cache', () => cachedBytes(segment) <= 4 * MiB);
    const client = new Cluster({ brokers: cluster.bootstrap });
    const consumer = new SimpleConsumer(client);
    try {
      await consumer.seek('m-pc', 0, 'earliest');
      const got: number[] = [];
      while (got.length < n) for (const r of await consumer.poll()) got.push(r.value!.equals(value) ? r.offset : -1);
      expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    } finally {
      client.close();
    }
  });

  it('counts records and bytes out to consumers, fetch latency and open connections', async () => {
    const before = await scrape(1);
    expect(() => sample(before, 'kafka_server_brokertopicmetrics_messagesout_total', 'topic="m-in"')).toThrow(/no sample/);
    let fetchesBefore = 0; // none yet when no follower fetches from broker 1
    try {
      fetchesBefore = sample(before, 'kafka_network_requestmetrics_totaltimems_count', 'request="Fetch"');
    } catch {
      /* no Fetch served yet */
    }
    const client = new Cluster({ brokers: cluster.bootstrap });
    const consumer = new SimpleConsumer(client);
    try {
      await consumer.seek('m-in', 0, 'earliest');
      let got = 0;
      while (got < 500) got += (await consumer.poll()).length;
      const after = await scrape(1);
      expect(sample(after, 'kafka_server_brokertopicmetrics_messagesout_total', 'topic="m-in"')).toBe(500);
      expect(sample(after, 'kafka_server_brokertopicmetrics_bytesout_total', 'topic="m-in"')).toBeGreaterThan(500 * 2);
      expect(sample(after, 'kafka_network_requestmetrics_totaltimems_count', 'request="Fetch"')).toBeGreaterThan(fetchesBefore);
      expect(sample(after, 'kafka_network_requestmetrics_totaltimems_bucket', 'le="+Inf",request="Fetch"')).toBeGreaterThan(fetchesBefore);
      expect(sample(after, 'kafka_server_socket_server_metrics_connection_count', 'listener="PLAINTEXT"')).toBeGreaterThanOrEqual(1);
    } finally {
      client.close();
    }
  });

  it("splits a request's time as Kafka's RequestMetrics do: local, remote (a produce's flush, a fetch's long poll), response queue and send", async () => {
    await createTopic(cluster.zk, 'm-times', { partitions: 1, replicationFactor: 1, assignment: [[1]] });
    const names = ['totaltimems', 'localtimems', 'remotetimems', 'responsequeuetimems', 'responsesendtimems'];
    const read = (text: string, request: string, what: 'sum' | 'count'): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const n of names) {
        try {
          out[n] = sample(text, `kafka_network_requestmetrics_${n}_${what}`, `request="${request}"`);
        } catch {
          out[n] = 0; // none of that request yet
        }
      }
      return out;
    };
    const before = await scrape(1);
    const producer = new Producer({ brokers: cluster.bootstrap, acks: 1 });
    await producer.sendBatch(Array.from({ length: 50 }, (_, i) => ({ topic: 'm-times', value: `t${i}` })));
    await producer.close();
    const afterProduce = await scrape(1);
    const n0 = read(before, 'Produce', 'count');
    const n1 = read(afterProduce, 'Produce', 'count');
    const s0 = read(before, 'Produce', 'sum');
    const s1 = read(afterProduce, 'Produce', 'sum');
    const produced = n1.totaltimems! - n0.totaltimems!;
    expect(produced).toBeGreaterThan(0);
    for (const n of names) expect(n1[n]! - n0[n]!, n).toBe(produced); // every answered request in each
    const ms = (n: string): number => s1[n]! - s0[n]!;
    expect(ms('remotetimems')).toBeGreaterThan(0); // acks=1 waits for the flush
    expect(ms('totaltimems') + 1e-6).toBeGreaterThanOrEqual(ms('localtimems') + ms('remotetimems') + ms('responsequeuetimems') + ms('responsesendtimems'));

    // a fetch with nothing to read waits out its maxWaitMs: remote time
    const client = new Cluster({ brokers: cluster.bootstrap });
    const consumer = new SimpleConsumer(client, { maxWaitMs: 400, minBytes: 1 });
    try {
      await consumer.seek('m-times', 0, 'latest');
      const f0 = read(await scrape(1), 'Fetch', 'sum');
      const started = performance.now();
      expect(await consumer.poll()).toEqual([]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(350);
      const f1 = read(await scrape(1), 'Fetch', 'sum');
      expect(f1.remotetimems! - f0.remotetimems!).toBeGreaterThanOrEqual(350);
    } finally {
      client.close();
    }
  });

  it('shows an under-replicated partition, an ISR shrink and an offline partition after a broker dies, and 0 again with an ISR expand after it returns', async () => {
    await createTopic(cluster.zk, 'm-urp', { partitions: 1, replicationFactor: 2, assignment: [[1, 2]] });
    await createTopic(cluster.zk, 'm-off', { partitions: 1, replicationFactor: 1, assignment: [[2]] });
    // both partitions led (m-urp by broker 1, with both replicas in its ISR; m-off by broker 2) before broker 2 dies
    const state = async (t: string) => {
      const n = await cluster.zk.get(partitionStatePath(t, 0));
      return n ? decodePartitionState(n.data) : undefined;
    };
    await until('m-urp and m-off to have their leaders', async () => (await state('m-urp'))?.isr.length === 2 && (await state('m-off'))?.leader === 2);
    await until('broker 1 to lead m-urp', async () => sample(await scrape(1), 'kafka_server_replicamanager_leadercount') >= 2);
    await until('the partition to be fully replicated', async () => sample(await scrape(1), 'kafka_server_replicamanager_underreplicatedpartitions') === 0);
    const before = await scrape(1);
    const shrinks = sample(before, 'kafka_server_replicamanager_isrshrinks_total');
    const expands = sample(before, 'kafka_server_replicamanager_isrexpands_total');
    await cluster.stopBroker(2, 'SIGKILL');
    await until('leader 1 to report 1 under-replicated partition', async () => sample(await scrape(1), 'kafka_server_replicamanager_underreplicatedpartitions') === 1, 30_000);
    const down = await scrape(1);
    expect(sample(down, 'kafka_server_replicamanager_isrshrinks_total')).toBeGreaterThanOrEqual(shrinks + 1);
    // broker 1, the only one left, is the controller: m-off (only on broker 2) has no leader
    await until('the controller to count 1 offline partition', async () => sample(await scrape(1), 'kafka_controller_kafkacontroller_offlinepartitionscount') === 1, 30_000);
    await cluster.startBroker(2);
    await until('the follower to rejoin the ISR', async () => sample(await scrape(1), 'kafka_server_replicamanager_underreplicatedpartitions') === 0, 30_000);
    const up = await scrape(1);
    expect(sample(up, 'kafka_server_replicamanager_isrexpands_total')).toBeGreaterThanOrEqual(expands + 1);
    await until('no offline partition once broker 2 leads m-off again', async () => sample(await scrape(1), 'kafka_controller_kafkacontroller_offlinepartitionscount') === 0, 30_000);
  });

  it('times the fetch rounds of a follower (fetch, then append and flush) and counts the bytes it fetched', async () => {
    // broker 2 was restarted by the test before, on a new metrics port: its last announced url
    const b2 = cluster.brokers.get(2)!;
    urls.set(2, await until('broker 2 to log its metrics url', () => [...b2.output().matchAll(/serving metrics url=(\S+)/g)].at(-1)?.[1]));
    await createTopic(cluster.zk, 'm-rep', { partitions: 1, replicationFactor: 2, assignment: [[1, 2]] });
    await until('m-rep to be led by broker 1 with both replicas in its ISR', async () => {
      const n = await cluster.zk.get(partitionStatePath('m-rep', 0));
      const st = n ? decodePartitionState(n.data) : undefined;
      return st?.leader === 1 && st.isr.length === 2;
    });
    const count = (text: string, phase: string): number => {
      try {
        return sample(text, 'kafka_server_replicafetcher_roundtimems_count', `phase="${phase}"`);
      } catch {
        return 0; // no round with records yet
      }
    };
    const before = await scrape(2);
    const bytesBefore = sample(before, 'kafka_server_fetcherstats_bytes_total');
    const producer = new Producer({ brokers: cluster.bootstrap, acks: -1 });
    await producer.sendBatch(Array.from({ length: 300 }, (_, i) => ({ topic: 'm-rep', value: `replicated-${i}` })));
    await producer.close();
    // acks=all answered: broker 2 fetched every record and flushed it, and its next fetch said so
    const after = await scrape(2);
    const rounds = count(after, 'fetch') - count(before, 'fetch');
    expect(rounds).toBeGreaterThan(0);
    expect(count(after, 'append_flush') - count(before, 'append_flush')).toBe(rounds);
    expect(sample(after, 'kafka_server_replicafetcher_roundtimems_sum', 'phase="append_flush"')).toBeGreaterThan(0);
    const leaderLog = sample(await scrape(1), 'kafka_log_log_size', 'topic="m-rep",partition="0"');
    expect(sample(after, 'kafka_server_fetcherstats_bytes_total') - bytesBefore).toBeGreaterThanOrEqual(leaderLog);
    // the leader fetches nothing as a follower of m-rep
    expect(count(await scrape(1), 'fetch')).toBe(0);
  });

  it('answers 404 for any other path', async () => {
    const r = await fetch(urls.get(1)!.replace('/metrics', '/other'));
    expect(r.status).toBe(404);
  });
});
