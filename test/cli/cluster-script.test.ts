/**
 * The quick start's cluster command, on free ports and a temporary directory: `up` starts a
 * ZooKeeper ensemble and brokers and creates a replicated demo topic, `status` shows them,
 * `kill-broker`/`start-broker` take one broker down and bring it back (the ISR shrinks and
 * grows back), and `down` stops everything it started.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { until } from '../helpers/broker-cluster.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function freeRange(n: number): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all(Array.from({ length: n }, (_, i) => new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
}

describe('scripts/cluster.sh', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zkafka-cluster-script-'));
  const sh = (args: string[]) => spawnSync(path.join(ROOT, 'scripts/cluster.sh'), [...args, '--dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  afterAll(() => {
    sh(['down']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings a cluster up, survives a killed broker, and takes everything down', { timeout: 240_000 }, async () => {
    const zkPort = await freeRange(3);
    const port = await freeRange(3);
    const up = sh(['up', '--zk-port', String(zkPort), '--port', String(port)]);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain('Cluster up');
    const zk = `127.0.0.1:${zkPort}`;
    const describe = () => spawnSync(path.join(ROOT, 'bin/kafka-topics.sh'), ['--zookeeper', zk, '--describe', '--topic', 'demo'], { encoding: 'utf8' }).stdout;
    expect(describe()).toContain('ReplicationFactor:3');

    const status = sh(['status']);
    expect(status.stdout).toMatch(/leader: \d/);
    expect(status.stdout.match(/running/g)).toHaveLength(3);
    const pids = [1, 2, 3].map((k) => Number(readFileSync(path.join(dir, `broker-${k}`, 'broker.pid'), 'utf8')));

    expect(sh(['kill-broker', '2']).status).toBe(0);
    await until('broker 2 to leave every ISR', () => describe().split('\n').filter((l) => l.includes('Isr:')).every((l) => !/Isr: .*2/.test(l)), 30_000, 500);
    expect(sh(['start-broker', '2']).status).toBe(0);
    await until('broker 2 back in every ISR', () => describe().split('\n').filter((l) => l.includes('Isr:')).every((l) => /Isr: .*2/.test(l)), 40_000, 500);

    const down = sh(['down']);
    expect(down.status).toBe(0);
    for (const pid of [pids[0]!, pids[2]!]) expect(() => process.kill(pid, 0)).toThrow();
    expect(sh(['status']).stdout).not.toContain('running');
  });
});
