/**
 * A 3-node ZooKeeper ensemble and 3 brokers, each in a container (zkafka/zookeeper,
 * zkafka/broker), started through testcontainers on an isolated network of their own
 * (engine.ts: internal, no route out; this machine reaches the containers at their addresses).
 * Every container has a fixed address in that network, so a restarted or reconnected container
 * comes back where it was: brokers advertise it, and tests on this machine use it.
 *
 *   const c = await ContainerCluster.start({ name: 'faults', runId });
 *   c.bootstrap / c.zkConnect          addresses reachable from this machine
 *   c.broker(2), c.zk(1)               a container: name, id, ip
 *   await c.zkLeader()                  the ensemble's leader (srvr over TCP)
 *   await c.kill(node) / c.start(node) / c.restart(node) / c.disconnect(node) / c.reconnect(node)
 *   await c.stop()                      removes every container (by id) and the network
 *
 * Start-up waits for Docker's health checks (the images' own commands, polled more often here).
 * A container that exits or is not healthy in time fails start() with an error naming it and
 * the end of its log; start() then removes everything it made before throwing.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import type { GenericContainer as GenericContainerType } from 'testcontainers';
import { BROKER_IMAGE, RUN_LABEL, ZK_IMAGE, containerLogs, isolatedNetwork, removeContainers, runtime, type IsolatedNetwork } from './engine.js';

export interface Node {
  kind: 'zk' | 'broker';
  /** 1-based: ZooKeeper myid or broker.id. */
  n: number;
  /** The container's name (also its DNS name inside the network). */
  name: string;
  id: string;
  ip: string;
}

export interface ClusterOptions {
  /** Used in container and network names. */
  name: string;
  /** The label value put on everything started (engine.RUN_LABEL). */
  runId: string;
  zkNodes?: number;
  brokers?: number;
  /** Extra KAFKA_* variables for every broker. */
  brokerEnv?: Record<string, string>;
  /** The ZOO_* variables of node n, given the defaults and the network's subnet. */
  zkEnv?: (n: number, defaults: Record<string, string>, subnet: string) => Record<string, string>;
  /** How long each container may take to become healthy (default 60 s). */
  startupTimeoutMs?: number;
}

/** host:port -> the 4-letter word's answer ('' when nothing answers). */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = net.connect({ host, port });
    s.setTimeout(timeoutMs, () => s.destroy());
    s.on('connect', () => s.write(word));
    s.on('data', (d) => (out += d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => resolve(out));
  });
}

/** The n-th address of an IPv4 subnet ("172.18.0.0/16", 11 -> "172.18.0.11"). */
export function addressIn(subnet: string, n: number): string {
  const [base] = subnet.split('/');
  const v = base!.split('.').reduce((a, o) => a * 256 + Number(o), 0) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
}

async function genericContainer(image: string): Promise<GenericContainerType> {
  const { GenericContainer } = await import('testcontainers');
  return new GenericContainer(image);
}

export class ContainerCluster {
  readonly opts: Required<Omit<ClusterOptions, 'zkEnv' | 'brokerEnv'>> & Pick<ClusterOptions, 'zkEnv' | 'brokerEnv'>;
  network!: IsolatedNetwork;
  readonly zks: Node[] = [];
  readonly brokers: Node[] = [];
  /** Milliseconds from the first container's start to every container healthy. */
  startupMs = 0;
  /** Milliseconds from the first container's start to the ensemble healthy. */
  zkStartupMs = 0;
  #stopped = false;
  readonly #onExit = () => this.stopSync();

  private constructor(opts: ClusterOptions) {
    this.opts = { zkNodes: 3, brokers: 3, startupTimeoutMs: 60_000, ...opts };
  }

  static async start(opts: ClusterOptions): Promise<ContainerCluster> {
    const c = new ContainerCluster(opts);
    process.once('exit', c.#onExit);
    try {
      await c.#start();
      return c;
    } catch (err) {
      await c.stop().catch((e: Error) => console.error(`[containers] cleanup after a failed start: ${e.message}`));
      throw err;
    }
  }

  get zkConnect(): string {
    return this.zks.map((z) => `${z.ip}:2181`).join(',');
  }
  get bootstrap(): string {
    return this.brokers.map((b) => `${b.ip}:9092`).join(',');
  }
  zk(n: number): Node {
    return this.zks.find((z) => z.n === n)!;
  }
  broker(n: number): Node {
    return this.brokers.find((b) => b.n === n)!;
  }
  all(): Node[] {
    return [...this.zks, ...this.brokers];
  }

  async #start(): Promise<void> {
    const { name, runId, zkNodes, brokers } = this.opts;
    this.network = await isolatedNetwork(runId, name);
    const t0 = Date.now();
    const zkName = (n: number) => `${this.network.name}-zk${n}`;
    const servers = Array.from({ length: zkNodes }, (_, i) => `server.${i + 1}=${zkName(i + 1)}:2888:3888;2181`).join(' ');
    const zkStarts = Array.from({ length: zkNodes }, (_, i) => {
      const n = i + 1;
      const defaults: Record<string, string> = {
        ZOO_MY_ID: String(n),
        ZOO_SERVERS: zkNodes > 1 ? servers : '',
        ZOO_TICK_TIME: '1000',
        ZOO_INIT_LIMIT: '10',
        ZOO_SYNC_LIMIT: '3',
        ZOO_CFG_EXTRA: 'minSessionTimeout=1000 maxSessionTimeout=60000',
        ZOO_CNX_TIMEOUT_MS: '1000',
      };
      const env = this.opts.zkEnv ? this.opts.zkEnv(n, defaults, this.network.subnet) : defaults;
      return this.#run({ kind: 'zk', n, name: zkName(n), ip: addressIn(this.network.subnet, 10 + n) }, ZK_IMAGE, env, ['CMD', 'zookeeper-healthcheck.sh']);
    });
    await this.#settle(zkStarts, this.zks);
    this.zkStartupMs = Date.now() - t0;
    const zkConnect = this.zks.map((z) => `${z.name}:2181`).join(',');
    const brokerStarts = Array.from({ length: brokers }, (_, i) => {
      const n = i + 1;
      const env = {
        KAFKA_BROKER_ID: String(n),
        KAFKA_ZOOKEEPER_CONNECT: zkConnect,
        KAFKA_ZOOKEEPER_SESSION_TIMEOUT_MS: '4000',
        KAFKA_REPLICA_LAG_TIME_MAX_MS: '4000',
        KAFKA_REPLICA_FETCH_WAIT_MAX_MS: '100',
        KAFKA_CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS: '200',
        KAFKA_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS: '3600',
        KAFKA_NUM_PARTITIONS: '1',
        ...this.opts.brokerEnv,
      };
      return this.#run({ kind: 'broker', n, name: `${this.network.name}-broker${n}`, ip: addressIn(this.network.subnet, 20 + n) }, BROKER_IMAGE, env, ['CMD', 'node', '/opt/zkafka/docker/broker-healthcheck.mjs']);
    });
    await this.#settle(brokerStarts, this.brokers);
    this.startupMs = Date.now() - t0;
  }

  /** Waits for every start; any failure fails the whole (after all have settled, so none is left half-made). */
  async #settle(starts: Promise<Node>[], into: Node[]): Promise<void> {
    const results = await Promise.allSettled(starts);
    for (const r of results) if (r.status === 'fulfilled') into.push(r.value);
    into.sort((a, b) => a.n - b.n);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) throw failed.length === 1 ? failed[0]!.reason : new Error(failed.map((f) => (f.reason as Error).message).join('\n\n'));
  }

  readonly #created = new Map<string, string>(); // id -> name, everything ever created

  async #run(node: Omit<Node, 'id'>, image: string, env: Record<string, string>, test: ['CMD', ...string[]]): Promise<Node> {
    const container = await genericContainer(image);
    const networkName = this.network.name;
    // testcontainers has no builder for a fixed address: set the endpoint config before create.
    const created = this.#created;
    Object.assign(container, {
      beforeContainerCreated: async function (this: { createOpts: Record<string, unknown> }) {
        this.createOpts.NetworkingConfig = { EndpointsConfig: { [networkName]: { IPAMConfig: { IPv4Address: node.ip } } } };
      },
      containerCreated: async (id: string) => void created.set(id, node.name),
    });
    const { Wait } = await import('testcontainers');
    const started = await container
      .withName(node.name)
      .withHostname(node.name)
      .withNetworkMode(networkName)
      .withLabels({ [RUN_LABEL]: this.opts.runId, 'org.zkafka.node': `${node.kind}${node.n}` })
      .withEnvironment(env)
      // the images' own checks, run more often than their 2 s while a test waits on them
      .withHealthCheck({ test, interval: node.kind === 'zk' ? 500 : 1000, timeout: 3000, retries: 3, startPeriod: 60_000 })
      // nothing to wait for inside testcontainers: #waitHealthy watches exits and health itself
      .withWaitStrategy(Wait.forListeningPorts())
      .start();
    const id = started.getId();
    await this.waitHealthy({ ...node, id }, this.opts.startupTimeoutMs);
    return { ...node, id };
  }

  /** Polls the container until Docker calls it healthy; fails at once if it exits. */
  async waitHealthy(node: Node, timeoutMs = 60_000): Promise<void> {
    const client = await runtime();
    const c = client.container.dockerode.getContainer(node.id);
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const info = await c.inspect();
      const health = info.State.Health;
      if (!info.State.Running && info.State.Status !== 'created' && info.State.Status !== 'restarting') {
        throw new Error(`${this.#label(node)} exited with code ${info.State.ExitCode} before it was healthy; its log ends:\n${await containerLogs(node.id, 30)}`);
      }
      if (health?.Status === 'healthy') return;
      last = health?.Log?.at(-1)?.Output?.trim() ?? '';
      if (Date.now() > deadline) {
        throw new Error(
          `${this.#label(node)} did not become healthy within ${Math.round(timeoutMs / 1000)} s ` +
            `(health: ${health?.Status ?? 'none'}${last ? `, last check: "${last}"` : ''}); its log ends:\n${await containerLogs(node.id, 30)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  #label(node: Omit<Node, 'ip'>): string {
    return `${node.kind === 'zk' ? 'ZooKeeper' : 'broker'} container ${node.kind}${node.n} (${node.name}, ${node.id.slice(0, 12)})`;
  }

  /** The node whose `srvr` says leader (or standalone), if any. */
  async zkLeader(): Promise<Node | undefined> {
    for (const z of this.zks) {
      const out = await fourLetterWord(z.ip, 2181, 'srvr');
      if (/^Mode: (leader|standalone)/m.test(out)) return z;
    }
    return undefined;
  }

  async #container(node: Node) {
    return (await runtime()).container.dockerode.getContainer(node.id);
  }

  /** `docker kill -s SIGKILL`: no clean shutdown. */
  async kill(node: Node): Promise<void> {
    await (await this.#container(node)).kill({ signal: 'SIGKILL' });
    await (await this.#container(node)).wait();
  }
  /** `docker start`, then waits for health. */
  async start(node: Node): Promise<void> {
    await (await this.#container(node)).start();
    await this.waitHealthy(node);
  }
  /** `docker restart` (SIGTERM, up to 10 s, then start), then waits for health. */
  async restart(node: Node): Promise<void> {
    await (await this.#container(node)).restart({ t: 10 });
    await this.waitHealthy(node);
  }
  /** `docker network disconnect`: the container keeps running with no network but loopback. */
  async disconnect(node: Node): Promise<void> {
    const docker = (await runtime()).container.dockerode;
    await docker.getNetwork(this.network.id).disconnect({ Container: node.id, Force: true });
  }
  /** `docker network connect --ip <its address>`. */
  async reconnect(node: Node): Promise<void> {
    const docker = (await runtime()).container.dockerode;
    await docker.getNetwork(this.network.id).connect({ Container: node.id, EndpointConfig: { IPAMConfig: { IPv4Address: node.ip } } });
  }
  async logs(node: Node, lines = 50): Promise<string> {
    return containerLogs(node.id, lines);
  }

  /** Removes every container it created (by id, with anonymous volumes), then the network. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    process.off('exit', this.#onExit);
    await removeContainers(this.#created.keys());
    await this.network?.remove();
  }

  /** The same from an 'exit' handler (synchronous: the docker CLI). */
  stopSync(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      if (this.#created.size > 0) execFileSync('docker', ['rm', '-f', '-v', ...this.#created.keys()], { stdio: 'ignore', timeout: 30_000 });
      if (this.network) execFileSync('docker', ['network', 'rm', this.network.id], { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // best effort at exit
    }
  }
}
