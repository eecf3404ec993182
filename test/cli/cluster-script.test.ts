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
import { DEFAULT_KAFKA_HEAP_OPTS } from '../../src/broker/heap-opts.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A base below the ephemeral range with ZooKeeper's client, quorum and election ports, the brokers' (base+10..12) and their metrics ports (base+20..22) free. */
async function freeBase(): Promise<number> {
  const offsets = [0, 1, 2, 707, 708, 709, 1707, 1708, 1709, 10, 11, 12, 20, 21, 22];
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    const ok = await Promise.all(offsets.map((o) => new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(base + o, '127.0.0.1', () => s.close(() => resolve(true)));
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
    const zkPort = await freeBase();
    const port = zkPort + 10;
    const up = sh(['up', '--zk-port', String(zkPort), '--port', String(port), '--metrics-port', String(zkPort + 20), '--override', 'log.retention.check.interval.ms=5000']);
    expect(up.status, up.stderr).toBe(0);
    // --metrics-port: broker K serves /metrics on P+K-1
    const metrics = await (await fetch(`http://127.0.0.1:${zkPort + 22}/metrics`)).text();
    expect(metrics).toContain('kafka_server_replicamanager_leadercount');
    expect(up.stdout).toContain('Cluster up');
    const zk = `127.0.0.1:${zkPort}`;
    const describe = () => spawnSync(path.join(ROOT, 'bin/kafka-topics.sh'), ['--zookeeper', zk, '--describe', '--topic', 'demo'], { encoding: 'utf8' }).stdout;
    expect(describe()).toContain('ReplicationFactor:3');

    const status = sh(['status']);
    expect(status.stdout).toMatch(/leader: \d/);
    expect(status.stdout.match(/running/g)).toHaveLength(3);
    const pids = [1, 2, 3].map((k) => Number(readFileSync(path.join(dir, `broker-${k}`, 'broker.pid'), 'utf8')));
    // the pid file names node itself (bin/kafka-server-start.sh execs it), with KAFKA_HEAP_OPTS' default
    const cmdline = readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toContain(DEFAULT_KAFKA_HEAP_OPTS);
    expect(cmdline.some((a) => a.endsWith('dist/src/bin/kafka-server-start.js'))).toBe(true);
    // and with malloc on huge pages (bin/_malloc.sh), which its starting log line reports
    expect(readFileSync(`/proc/${pids[0]}/environ`, 'utf8').split('\0').find((e) => e.startsWith('GLIBC_TUNABLES='))).toMatch(/[=:]glibc\.malloc\.hugetlb=1(:|$)/);
    expect(readFileSync(path.join(dir, 'broker-1', 'broker.log'), 'utf8')).toMatch(/ starting .*mallocHugePages=true/);

    expect(sh(['kill-broker', '2']).status).toBe(0);
    const isr = () => describe().split('\n').filter((l) => l.includes('Isr:'));
    await until('broker 2 to leave every ISR', () => {
      const l = isr();
      return l.length === 3 && l.every((x) => !/Isr: .*2/.test(x));
    }, 30_000, 500);
    expect(sh(['start-broker', '2']).status).toBe(0);
    pids[1] = Number(readFileSync(path.join(dir, 'broker-2', 'broker.pid'), 'utf8'));
    // a broker started later keeps the cluster's settings (saved by `up`)
    const props = readFileSync(path.join(dir, 'broker-2', 'server.properties'), 'utf8');
    expect(props).toContain(`metrics.port=${zkPort + 21}`);
    expect(props).toContain('log.retention.check.interval.ms=5000');
    await until('broker 2 back in every ISR', () => {
      const l = isr();
      return l.length === 3 && l.every((x) => /Isr: .*2/.test(x));
    }, 40_000, 500);

    const down = sh(['down']);
    expect(down.status).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(sh(['status']).stdout).not.toContain('running');
  });
});
