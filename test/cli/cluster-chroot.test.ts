/**
 * Two clusters on one machine and one ZooKeeper ensemble, as the README shows: `cluster.sh up`
 * starts cluster A with the ensemble, `cluster.sh up --chroot /cluster-b` starts cluster B's
 * brokers under a chroot of that ensemble (nothing of B outside it), the mirror copies a topic
 * from A to B, and `down` of B stops its brokers only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { ZkClient } from '../../src/zk/client.js';
import { writeProperties } from '../helpers/mirror.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A ZooKeeper client port (with its quorum and election ports) and two broker ports, all free. */
async function freePorts(): Promise<{ zk: number; a: number; b: number }> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (;;) {
    const zk = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await Promise.all([zk, zk + 707, zk + 1707, zk + 10, zk + 20].map(free))).every(Boolean)) return { zk, a: zk + 10, b: zk + 20 };
  }
}

describe('scripts/cluster.sh --chroot: a second cluster on the same ensemble', () => {
  const dirA = mkdtempSync(path.join(tmpdir(), 'zkafka-cluster-a-'));
  const dirB = mkdtempSync(path.join(tmpdir(), 'zkafka-cluster-b-'));
  const sh = (args: string[], dir: string) => spawnSync(path.join(ROOT, 'scripts/cluster.sh'), [...args, '--dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const bin = (tool: string, args: string[], input?: string) => spawnSync(path.join(ROOT, 'bin', tool), args, { encoding: 'utf8', timeout: 60_000, input });
  afterAll(() => {
    sh(['down'], dirB);
    sh(['down'], dirA);
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it('runs cluster B under /cluster-b next to cluster A, mirrors A -> B, and stops B alone', { timeout: 240_000 }, async () => {
    const ports = await freePorts();
    const common = ['--zk-nodes', '1', '--zk-port', String(ports.zk), '--brokers', '1'];
    const upA = sh(['up', ...common, '--port', String(ports.a)], dirA);
    expect(upA.status, upA.stderr).toBe(0);
    const upB = sh(['up', ...common, '--port', String(ports.b), '--chroot', '/cluster-b'], dirB);
    expect(upB.status, upB.stderr).toBe(0);
    expect(upB.stdout).toContain(`--zookeeper 127.0.0.1:${ports.zk}/cluster-b --describe`);
    expect(sh(['status'], dirB).stdout).toContain(`ZooKeeper 127.0.0.1:${ports.zk}/cluster-b (a chroot on another cluster's ensemble)`);

    // each cluster sees its own broker and its own demo topic
    const zk = await ZkClient.connect({ connectString: `127.0.0.1:${ports.zk}` });
    try {
      expect(await zk.children('/brokers/ids')).toEqual(['1']);
      expect(await zk.children('/cluster-b/brokers/ids')).toEqual(['1']);
      expect(JSON.parse((await zk.get('/cluster-b/brokers/ids/1'))!.data.toString()).port).toBe(ports.b);
    } finally {
      await zk.close();
    }

    // the README's mirror, A -> B
    expect(bin('kafka-console-producer.sh', ['--broker-list', `127.0.0.1:${ports.a}`, '--topic', 'demo'], 'one\ntwo\nthree\n').status).toBe(0);
    const source = writeProperties(path.join(dirA, 'source.properties'), { 'zookeeper.connect': `127.0.0.1:${ports.zk}`, 'group.id': 'mirror-a-to-b' });
    const target = writeProperties(path.join(dirA, 'target.properties'), { 'bootstrap.servers': `127.0.0.1:${ports.b}` });
    const mirror = spawn(path.join(ROOT, 'bin/kafka-mirror-maker.sh'), ['--consumer.config', source, '--producer.config', target, '--whitelist', 'demo|events.*'], { stdio: 'ignore' });
    const mirrorExit = new Promise<number | null>((resolve) => mirror.once('exit', resolve));
    try {
      const copies = bin('kafka-console-consumer.sh', ['--zookeeper', `127.0.0.1:${ports.zk}/cluster-b`, '--whitelist', 'demo|events.*', '--from-beginning', '--max-messages', '3', '--timeout-ms', '30000']);
      expect(copies.status, copies.stderr).toBe(0);
      expect(copies.stdout.trim().split('\n').sort()).toEqual(['one', 'three', 'two']);
    } finally {
      mirror.kill('SIGTERM');
    }
    expect(await mirrorExit).toBe(0);

    // down for B stops its broker only: A and the ensemble go on
    expect(sh(['down'], dirB).status).toBe(0);
    const list = bin('kafka-topics.sh', ['--zookeeper', `127.0.0.1:${ports.zk}`, '--list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout.split('\n')).toContain('demo');
    expect(sh(['status'], dirA).stdout).toMatch(/broker 1 .* running/);
  });
});
