/**
 * Finding the ZooKeeper ensemble of a cluster known only by its brokers (`--bootstrap-server`):
 * the Kafka protocol has no request that returns a broker's zookeeper.connect, so the console
 * consumer looks in this order and uses the first it finds:
 *
 *   1. the `zookeeper.connect` consumer property (or --zookeeper);
 *   2. the ensemble `scripts/cluster.sh up` recorded: `cluster.env` in $KAFKA_CLUSTER_DIR, else
 *      ./data (the script's default), else <project>/data (SAVED_ZK_NODES nodes on 127.0.0.1
 *      from SAVED_ZK_PORT, under SAVED_CHROOT if the cluster has one);
 *   3. the quick-start default, 127.0.0.1:2181.
 *
 * Then it checks the answer: the ensemble must list one of the bootstrap brokers under
 * /brokers/ids (on any of its listeners: same port, same host or both loopback, or the same resolved address);
 * otherwise a clear error names the ensemble, where it came from, and the brokers it does know.
 */
import { existsSync, readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZkClient } from '../../zk/client.js';
import { ConfigError } from '../../common/errors.js';
import { parseBrokerList } from '../../network/client-connection.js';
import { readBrokerRegistrations } from '../broker-endpoints.js';
import { describeEndpoints } from '../../zk/payloads.js';

export const DEFAULT_ZOOKEEPER = '127.0.0.1:2181';

export interface ZooKeeperLocation {
  connect: string;
  /** Where it came from: "zookeeper.connect", "<path>/cluster.env" or "the default". */
  source: string;
}

/** The zookeeper.connect a cluster.env file describes, if it is one. */
export function readClusterEnv(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const vars = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Z_]+)=["']?([^"'\s]*)["']?\s*$/.exec(line);
    if (m) vars.set(m[1]!, m[2]!);
  }
  const nodes = Number(vars.get('SAVED_ZK_NODES') ?? 3);
  const port = Number(vars.get('SAVED_ZK_PORT') ?? 2181);
  if (!Number.isInteger(nodes) || nodes < 1 || !Number.isInteger(port) || port < 1) return undefined;
  const chroot = vars.get('SAVED_CHROOT') ?? ''; // a cluster under a chroot of another's ensemble
  return Array.from({ length: nodes }, (_, i) => `127.0.0.1:${port + i}`).join(',') + (/^\/[A-Za-z0-9_.-]/.test(chroot) ? chroot : '');
}

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Steps 1-3 above, without checking. */
export function candidateZooKeeper(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ZooKeeperLocation {
  if (explicit) return { connect: explicit, source: 'zookeeper.connect' };
  const dirs = [env.KAFKA_CLUSTER_DIR, path.join(cwd, 'data'), path.join(PROJECT_ROOT, 'data')].filter((d): d is string => !!d);
  for (const d of dirs) {
    const file = path.join(d, 'cluster.env');
    const connect = readClusterEnv(file);
    if (connect) return { connect, source: file };
  }
  return { connect: DEFAULT_ZOOKEEPER, source: 'the default' };
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;

async function sameHost(a: string, b: string): Promise<boolean> {
  if (a === b || (LOOPBACK.test(a) && LOOPBACK.test(b))) return true;
  try {
    const [x, y] = await Promise.all([lookup(a, { all: true }), lookup(b, { all: true })]);
    return x.some((i) => y.some((j) => i.address === j.address));
  } catch {
    return false;
  }
}

/** Finds the ensemble and checks that it knows one of the bootstrap brokers. */
export async function locateZooKeeper(bootstrap: string, explicit?: string, opts: { timeoutMs?: number } = {}): Promise<ZooKeeperLocation> {
  const loc = candidateZooKeeper(explicit);
  const wanted = parseBrokerList(bootstrap);
  const slash = loc.connect.indexOf('/');
  const hosts = slash < 0 ? loc.connect : loc.connect.slice(0, slash);
  const chroot = slash < 0 ? undefined : loc.connect.slice(slash);
  const hint = 'pass --consumer-property zookeeper.connect=host:port (or --zookeeper host:port)';
  let zk: ZkClient;
  try {
    zk = await ZkClient.connect({ connectString: hosts, chroot, connectTimeoutMs: opts.timeoutMs ?? 5000 });
  } catch (err) {
    throw new ConfigError(`cannot reach ZooKeeper ${loc.connect} (from ${loc.source}) to coordinate the group: ${(err as Error).message}; ${hint}`, { cause: err });
  }
  try {
    // the bootstrap address may be any of a broker's listeners (SSL, SASL_SSL, ...)
    const brokers = await readBrokerRegistrations(zk);
    for (const { registration: r } of brokers) {
      const addrs = r.endpoints ?? [{ host: r.host, port: r.port }];
      for (const a of addrs) for (const w of wanted) if (w.port === a.port && (await sameHost(w.host, a.host))) return loc;
    }
    const known = brokers.map((b) => `${b.id}=${describeEndpoints(b.registration)}`).join(', ') || 'none';
    throw new ConfigError(`ZooKeeper ${loc.connect} (from ${loc.source}) does not list broker ${bootstrap} (its brokers: ${known}); ${hint}`);
  } finally {
    await zk.close();
  }
}
