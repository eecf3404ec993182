/**
 * bin/kafka-ui-start.sh as a process against a real ZooKeeper, fed by znodes this test writes
 * with the exact 0.8 layout (no brokers needed): the tool's --help and errors; the JSON views
 * and their errors; a broker's registration vanishing, pushed over Server-Sent Events; a
 * group's rebalance seen from its owner znodes, with its duration; and a map that starts while
 * ZooKeeper cannot be reached, serves anyway and says so.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { ZkClient } from '../../src/zk/client.js';
import { brokerIdPath, consumerIdPath, controllerEpochPath, controllerPath, offsetPath, ownerPath, partitionStatePath, topicPath } from '../../src/zk/paths.js';
import {
  encodeBrokerRegistration,
  encodeConsumerRegistration,
  encodeController,
  encodeControllerEpoch,
  encodeOffset,
  encodeOwner,
  encodePartitionState,
  encodeTopicAssignment,
} from '../../src/zk/payloads.js';
import { readSse, type SseMessage } from '../../src/ui/sse-client.js';
import { startUi, UI_MAIN, type UiProcess } from '../helpers/ui-process.js';
import { until } from '../helpers/broker-cluster.js';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [UI_MAIN, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Opens the stream, runs `then` once its snapshot arrived, and returns the first later message `pred` accepts. */
async function waitForMessage(url: string, then: () => Promise<unknown>, pred: (m: SseMessage) => boolean, timeoutMs = 15_000): Promise<SseMessage> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    for await (const m of readSse(new URL('/api/stream', url), ac.signal)) {
      if (m.event === 'snapshot') await then();
      else if (pred(m)) return m;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  throw new Error(`no matching message on ${url}api/stream within ${timeoutMs} ms`);
}

describe('kafka-ui-start', () => {
  const chroot = `/ui-server-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  let zk: ZkClient;
  let ui: UiProcess;

  beforeAll(async () => {
    zk = await ZkClient.connect({ connectString: inject('zkConnect'), chroot });
    await zk.create(controllerEpochPath, encodeControllerEpoch(4));
    await zk.create(controllerPath, encodeController({ brokerId: 7 }), { mode: 'ephemeral' });
    await zk.create(brokerIdPath(7), encodeBrokerRegistration({ host: '127.0.0.7', port: 9097 }), { mode: 'ephemeral', parents: true });
    await zk.create(topicPath('syn'), encodeTopicAssignment({ 0: [7, 8], 1: [8, 7] }), { parents: true });
    await zk.create(partitionStatePath('syn', 0), encodePartitionState({ leader: 7, leaderEpoch: 0, controllerEpoch: 4, isr: [7, 8] }), { parents: true });
    await zk.create(partitionStatePath('syn', 1), encodePartitionState({ leader: 8, leaderEpoch: 0, controllerEpoch: 4, isr: [8] }), { parents: true });
    ui = await startUi(['--zookeeper', `${inject('zkConnect')}${chroot}`, '--listen', '127.0.0.1:0']);
  });

  afterAll(async () => {
    await ui?.stop();
    await zk?.close();
    const root = await ZkClient.connect({ connectString: inject('zkConnect') });
    await root.deleteRecursive(chroot).catch(() => undefined);
    await root.close();
  });

  const get = async (p: string) => {
    const r = await fetch(new URL(p, ui.url));
    return { status: r.status, type: r.headers.get('content-type'), body: (r.headers.get('content-type') ?? '').includes('json') ? ((await r.json()) as any) : await r.text() };
  };

  it('has --help, and refuses bad input with a clear message and exit 1', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--zookeeper/);
    expect(help.stdout).toMatch(/--listen/);
    const none = await run([]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/kafka-ui-start: no ZooKeeper given/);
    const badListen = await run(['--zookeeper', '127.0.0.1:2181', '--listen', 'everywhere']);
    expect(badListen.code).toBe(1);
    expect(badListen.stderr).toMatch(/listener must look like 127\.0\.0\.1:8080/);
    const badKey = await run(['--zookeeper', '127.0.0.1:2181', '--override', 'ui.colour=blue']);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/unknown property ui\.colour/);
    const badZk = await run(['--zookeeper', 'localhost']);
    expect(badZk.code).toBe(1);
    expect(badZk.stderr).toMatch(/zookeeper\.connect must look like host:port/);
    const missingFile = await run(['/nonexistent/ui.properties']);
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr).toMatch(/ENOENT/);
  });

  it('serves the page and answers every view as JSON, with JSON errors', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain('<script src="/app.js">');
    expect((await get('/app.js')).status).toBe(200);
    await until('the map to read the znodes', async () => (await get('/api/topics')).body[0]?.partitions?.length === 2);
    const topics = (await get('/api/topics')).body;
    expect(topics).toEqual([
      {
        topic: 'syn',
        underReplicated: 1,
        offline: 1,
        partitions: [
          { partition: 0, replicas: [7, 8], leader: 7, isr: [7, 8], leaderEpoch: 0, controllerEpoch: 4, underReplicated: false, offline: false },
          { partition: 1, replicas: [8, 7], leader: 8, isr: [8], leaderEpoch: 0, controllerEpoch: 4, underReplicated: true, offline: true },
        ],
      },
    ]);
    const brokers = (await get('/api/brokers')).body;
    expect(brokers.controller).toMatchObject({ brokerId: 7, epoch: 4 });
    expect(brokers.brokers.map((b: any) => [b.id, b.alive, b.host, b.port, b.controller, b.leaderCount])).toEqual([
      [7, true, '127.0.0.7', 9097, true, 1],
      [8, false, undefined, undefined, false, 1],
    ]);
    expect((await get('/api/topics/syn')).body.topic).toBe('syn');
    expect((await get('/api/topics/nope')).status).toBe(404);
    expect((await get('/api/groups/nope')).body.error).toMatch(/no consumer group nope/);
    expect((await get('/api/nothing')).status).toBe(404);
    expect((await get('/api/events?since=x')).status).toBe(400);
    expect((await get('/api/zookeeper')).body.state).toBe('connected');
    const post = await fetch(new URL('/api/topics', ui.url), { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { error: string }).error).toMatch(/read-only/);
  });

  it("pushes a broker's vanished registration over SSE, keeps it as dead and notes it in the timeline", async () => {
    await until('broker 7 alive', async () => (await get('/api/brokers')).body.brokers.find((b: any) => b.id === 7)?.alive === true);
    await waitForMessage(
      ui.url,
      () => zk.delete(brokerIdPath(7)),
      (m) => m.event === 'brokers' && (JSON.parse(m.data) as { brokers: { id: number; alive: boolean }[] }).brokers.some((b) => b.id === 7 && !b.alive),
    );
    const events = (await get('/api/events')).body as { kind: string; broker?: number; id: number }[];
    expect(events.filter((e) => e.kind === 'broker-down' && e.broker === 7)).toHaveLength(1);
    expect((await get(`/api/events?since=${events[events.length - 1]!.id}`)).body).toEqual([]);
    expect((await get('/api/topics/syn')).body.partitions[0].offline).toBe(true);
    await zk.create(brokerIdPath(7), encodeBrokerRegistration({ host: '127.0.0.7', port: 9097 }), { mode: 'ephemeral' });
    await until('broker 7 back', async () => (await get('/api/events')).body.some((e: any) => e.kind === 'broker-up' && e.broker === 7));
  });

  it("sees a group's rebalance from its registries: members, owners, offsets and the duration", async () => {
    const g = 'sg';
    const m1 = 'sg_host-1-00000001';
    const m2 = 'sg_host-2-00000002';
    await zk.create(consumerIdPath(g, m1), encodeConsumerRegistration({ subscription: { syn: 1 } }), { mode: 'ephemeral', parents: true });
    await zk.create(ownerPath(g, 'syn', 0), encodeOwner(`${m1}-0`), { mode: 'ephemeral', parents: true });
    await zk.create(ownerPath(g, 'syn', 1), encodeOwner(`${m1}-0`), { mode: 'ephemeral', parents: true });
    await zk.create(offsetPath(g, 'syn', 0), encodeOffset(5), { parents: true });
    await until('the group stable with 1 member', async () => (await get(`/api/groups/${g}`)).body.state === 'Stable');
    await zk.create(consumerIdPath(g, m2), encodeConsumerRegistration({ subscription: { syn: 1 } }), { mode: 'ephemeral' });
    await until('the rebalance to start', async () => (await get(`/api/groups/${g}`)).body.state === 'Rebalancing');
    await new Promise((r) => setTimeout(r, 300));
    await zk.delete(ownerPath(g, 'syn', 1));
    await zk.create(ownerPath(g, 'syn', 1), encodeOwner(`${m2}-0`), { mode: 'ephemeral' });
    await until('the rebalance to end', async () => (await get(`/api/groups/${g}`)).body.state === 'Stable');
    const view = (await get(`/api/groups/${g}`)).body;
    expect(view.members.map((m: any) => [m.id, m.owned])).toEqual([[m1, 1], [m2, 1]]);
    expect(view.partitions.map((p: any) => [p.topic, p.partition, p.owner, p.offset])).toEqual([['syn', 0, `${m1}-0`, 5], ['syn', 1, `${m2}-0`, undefined]]);
    expect(view.lastRebalance.durationMs).toBeGreaterThanOrEqual(300);
    const done = ((await get('/api/events')).body as { kind: string; group?: string; durationMs?: number; text: string }[]).filter((e) => e.kind === 'rebalance-done' && e.group === g);
    expect(done[done.length - 1]!.text).toContain(`${m2}-0: syn-1`);
  });

  it('serves while ZooKeeper cannot be reached, and says so', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const lonely = await startUi(['--zookeeper', `127.0.0.1:${port}`, '--listen', '127.0.0.1:0']);
    try {
      const r = await fetch(new URL('/api/zookeeper', lonely.url));
      expect(r.status).toBe(200);
      expect(((await r.json()) as { state: string }).state).toBe('connecting');
      expect((await fetch(new URL('/api/brokers', lonely.url))).status).toBe(200);
      expect((await fetch(lonely.url)).status).toBe(200);
    } finally {
      expect(await lonely.stop()).toBe(0);
    }
  });
});
