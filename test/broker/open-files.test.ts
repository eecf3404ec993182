/**
 * A broker out of file descriptors (ulimit -n) says so, once, with what to do: LeaderAndIsr
 * for more partitions than the limit allows logs one line naming how many partitions failed
 * and the limit, serves the partitions it could open, and a restart that cannot open every log
 * exits 1 with the same advice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { BROKER_MAIN, TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Producer } from '../../src/client/producer/index.js';
import { brokerNodeArgs } from '../../src/broker/heap-opts.js';
import { isOutOfFiles, openFiles, outOfFilesHint } from '../../src/common/open-files.js';

const LIMIT = 200;
const PARTITIONS = 300;

describe('out of file descriptors', () => {
  it('names the limit and the way out for EMFILE, and nothing for other errors', () => {
    const emfile = Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    const n = openFiles()!;
    expect(n.open).toBeGreaterThan(2);
    expect(isOutOfFiles(emfile)).toBe(true);
    expect(outOfFilesHint(emfile)).toMatch(new RegExp(`open now, limit ${n.limit}\\).*ulimit -Hn`));
    expect(outOfFilesHint(Object.assign(new Error('no'), { code: 'ENOENT' }))).toBeUndefined();
    expect(outOfFilesHint(new Error('plain'))).toBeUndefined();
  });

  describe('a broker under ulimit -n ' + LIMIT, () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await new TestCluster('open-files').start(0);
      await cluster.startBroker(1, {}, { fileLimit: LIMIT });
      await cluster.waitForMetadata();
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('logs one line for every partition it could not open, with the limit, and serves the others', async () => {
      const b = cluster.brokers.get(1)!;
      await createTopic(cluster.zk, 'wide', { partitions: PARTITIONS, replicationFactor: 1 });
      const line = await until('the failure line', () => /LeaderAndIsr failed for (\d+) of (\d+) partitions.*/.exec(b.output()) ?? undefined, 60_000);
      expect(Number(line[2])).toBe(PARTITIONS);
      expect(Number(line[1])).toBeGreaterThan(0);
      expect(Number(line[1])).toBeLessThan(PARTITIONS);
      expect(line[0]).toMatch(/EMFILE/);
      expect(line[0]).toMatch(new RegExp(`limit ${LIMIT}\\).*ulimit -Hn`));
      expect(b.output().match(/LeaderAndIsr failed/g)).toHaveLength(1);
      // the controller (this broker) hears it in the answer, and says which partitions
      const told = await until('the controller to report the failed partitions', () => /broker 1 could not take up (\d+) partitions it was sent \(KAFKA_STORAGE_ERROR\)/.exec(b.output()) ?? undefined);
      expect(told[1]).toBe(line[1]);
      // the first partitions were opened before the descriptors ran out: they are served
      const producer = new Producer({ brokers: cluster.bootstrap, acks: 1 });
      try {
        const r = await producer.send({ topic: 'wide', partition: 0, value: 'still here' });
        expect(r.offset).toBe(0);
      } finally {
        await producer.close();
      }
    });

    it('a restart that cannot open every log exits 1 and says what to do', async () => {
      expect(await cluster.stopBroker(1)).toBe(0);
      const file = path.join(cluster.baseDir, 'server-1.properties');
      const r = spawnSync('/bin/bash', ['-c', `ulimit -n ${LIMIT} && exec "$0" "$@"`, process.execPath, ...brokerNodeArgs(), BROKER_MAIN, file], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/failed to start: EMFILE/);
      expect(r.stderr).toMatch(/out of file descriptors .*limit 200\).*ulimit -Hn/);
    });
  });
});
