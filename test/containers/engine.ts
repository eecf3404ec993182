/**
 * The container engine for tests, through testcontainers 11:
 *  - containerEngine(): is a Docker engine answering? (testcontainers' own probe: without one,
 *    getContainerRuntimeClient() throws within milliseconds). Tests skip, and say why, without it.
 *  - ensureImages(): builds zkafka/zookeeper and zkafka/broker once per suite run
 *    (scripts/docker-images.sh, with the layer cache) under a lock shared by the test workers.
 *  - isolatedNetwork(): an `internal` bridge network with a subnet of its own: its containers
 *    reach each other and this machine (which reaches them at their addresses) and nothing else.
 *  - removeContainers(): removes containers by id, with their anonymous volumes.
 *
 * Ryuk, testcontainers' reaper, is an image no registry here can give: it is disabled
 * (TESTCONTAINERS_RYUK_DISABLED=true) and the tests remove what they start, by id.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { ContainerRuntimeClient } from 'testcontainers';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ZK_IMAGE = process.env.ZKAFKA_ZK_IMAGE ?? 'zkafka/zookeeper:latest';
export const BROKER_IMAGE = process.env.ZKAFKA_BROKER_IMAGE ?? 'zkafka/broker:latest';
/** Every container and network a test makes carries this label (value: its run's id). */
export const RUN_LABEL = 'org.zkafka.test-run';

export type Engine = { available: true; client: ContainerRuntimeClient } | { available: false; reason: string };

let engine: Promise<Engine> | undefined;

export function containerEngine(): Promise<Engine> {
  engine ??= (async (): Promise<Engine> => {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      const client = await getContainerRuntimeClient();
      return { available: true, client };
    } catch (err) {
      return { available: false, reason: (err as Error).message.split('\n')[0]! };
    }
  })();
  return engine;
}

export async function runtime(): Promise<ContainerRuntimeClient> {
  const e = await containerEngine();
  if (!e.available) throw new Error(`no container engine: ${e.reason}`);
  return e.client;
}

function sh(file: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Builds the images once per suite run (`runId`, from the global setup): the first worker to
 * get the lock builds, the others wait for it and then find the marker. A build that fails is
 * an error for every caller (never a skip). Returns how long this call waited or built.
 */
export async function ensureImages(runId: string, opts: { only?: 'zookeeper' | 'broker'; timeoutMs?: number } = {}): Promise<number> {
  const started = Date.now();
  const dir = path.join(ROOT, 'tmp', 'containers');
  mkdirSync(dir, { recursive: true });
  const marker = path.join(dir, `images-${opts.only ?? 'all'}-${runId}.ok`);
  const allMarker = path.join(dir, `images-all-${runId}.ok`);
  const failed = path.join(dir, `images-${opts.only ?? 'all'}-${runId}.failed`);
  const lock = path.join(dir, 'images.lock');
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  for (;;) {
    if (existsSync(marker) || existsSync(allMarker)) return Date.now() - started;
    if (existsSync(failed)) throw new Error(`building the images failed earlier in this run:\n${readFileSync(failed, 'utf8')}`);
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        // the owner has made the directory but not written its pid yet
      }
      if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the image build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  try {
    if (existsSync(marker) || existsSync(allMarker)) return Date.now() - started;
    const args = ['--quiet', ...(opts.only ? ['--only', opts.only] : [])];
    const { code, out } = await sh(path.join(ROOT, 'scripts/docker-images.sh'), args, Math.max(1000, deadline - Date.now()));
    if (code !== 0) {
      writeFileSync(failed, out.slice(-8000));
      throw new Error(`scripts/docker-images.sh ${args.join(' ')} exited ${code}:\n${out.slice(-4000)}`);
    }
    writeFileSync(marker, `${new Date().toISOString()} ${Date.now() - started} ms\n`);
    // markers of runs older than a day are of no use to anyone
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f);
      if (/^images-.*\.(ok|failed)$/.test(f) && !f.includes(runId) && Date.now() - statSync(p).mtimeMs > 86_400_000) rmSync(p, { force: true });
    }
    return Date.now() - started;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface IsolatedNetwork {
  name: string;
  id: string;
  subnet: string;
  gateway: string;
  remove(): Promise<void>;
}

/**
 * An internal bridge network: no route out of it (no NAT), so its containers reach only each
 * other and this machine, which reaches them at their addresses on Linux. The subnet is set
 * explicitly (one Docker picked as free) so a container can be reconnected at its old address
 * (`docker network connect --ip`, allowed only on networks with a configured subnet).
 */
export async function isolatedNetwork(runId: string, label = 'net'): Promise<IsolatedNetwork> {
  const client = await runtime();
  const docker = client.container.dockerode;
  let lastErr: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const name = `zkafka-${label}-${randomBytes(4).toString('hex')}`;
    const probe = await docker.createNetwork({ Name: `${name}-probe`, Driver: 'bridge', Internal: true, Labels: { [RUN_LABEL]: runId } });
    let subnet: string;
    let gateway: string;
    try {
      const info = await probe.inspect();
      const cfg = info.IPAM?.Config?.[0];
      if (!cfg?.Subnet) throw new Error(`docker gave network ${name}-probe no IPv4 subnet`);
      subnet = cfg.Subnet;
      gateway = cfg.Gateway ?? subnet.replace(/\d+\/\d+$/, '1');
    } finally {
      await probe.remove();
    }
    try {
      const net = await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Internal: true,
        CheckDuplicate: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gateway }] },
        Labels: { [RUN_LABEL]: runId },
      });
      return {
        name,
        id: net.id,
        subnet,
        gateway,
        remove: async () => {
          await net.remove().catch((err: { statusCode?: number }) => {
            if (err.statusCode !== 404) throw err;
          });
        },
      };
    } catch (err) {
      lastErr = err; // another worker took that subnet between the probe and the create
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
    }
  }
  throw new Error(`could not create an isolated network: ${(lastErr as Error)?.message}`);
}

/** Removes containers by id (running or not) with their anonymous volumes; missing ones are fine. */
export async function removeContainers(ids: Iterable<string>): Promise<void> {
  const client = await runtime();
  await Promise.all(
    [...ids].map(async (id) => {
      try {
        await client.container.dockerode.getContainer(id).remove({ force: true, v: true });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
    }),
  );
}

/** Ids of the containers (running or not) that carry `RUN_LABEL=runId`. */
export async function containersOfRun(runId: string): Promise<{ id: string; name: string; state: string }[]> {
  const client = await runtime();
  const list = await client.container.dockerode.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
  return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State }));
}

/** The last `lines` lines a container wrote (stdout and stderr). */
export async function containerLogs(id: string, lines = 40): Promise<string> {
  const client = await runtime();
  try {
    const buf = (await client.container.dockerode.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demux(buf);
  } catch (err) {
    return `(no logs: ${(err as Error).message})`;
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) as text. */
function demux(buf: Buffer): string {
  let out = '';
  let p = 0;
  while (p + 8 <= buf.length && (buf[p] === 1 || buf[p] === 2) && buf[p + 1] === 0) {
    const n = buf.readUInt32BE(p + 4);
    out += buf.subarray(p + 8, p + 8 + n).toString('utf8');
    p += 8 + n;
  }
  return p === 0 ? buf.toString('utf8') : out;
}

/** A fresh id for the containers and networks of one test module. */
export function newRunId(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
