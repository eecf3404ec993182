/**
 * The cluster map in a real browser: Debian's Chromium driven by playwright-core, against a real
 * 3-broker cluster, a real ZooKeeper and real consumer processes. The page is loaded once and
 * never reloaded: everything it shows after that came over its Server-Sent Events stream.
 *
 *   - it shows the 3 brokers and the controller (and /api/brokers agrees);
 *   - SIGKILL of a broker turns it dead and moves its leaderships, without a reload;
 *   - a ZooKeeper consumer group of 3 processes shows 3 owners; after one is killed, the
 *     rebalance (with its duration) and the 2 new owners;
 *   - lag appears while a producer runs ahead of a paused (SIGSTOP) consumer, and returns to 0;
 *   - ZooKeeper away (a proxy in between is cut): the page says so, the server keeps serving,
 *     and it recovers by itself (a topic created meanwhile appears).
 *
 * Screenshots go to a temporary folder, printed at the start.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestCluster } from '../helpers/broker-cluster.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { startUi, type UiProcess } from '../helpers/ui-process.js';
import { startConsumer, type ConsumerProcess } from '../helpers/consumer-process.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Producer } from '../../src/client/producer/producer.js';
import { controllerPath } from '../../src/zk/paths.js';
import { decodeController } from '../../src/zk/payloads.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = mkdtempSync(path.join(os.tmpdir(), 'zkafka-ui-shots-'));
const WAIT = { timeout: 30_000 };

describe('the cluster map in Chromium', () => {
  let cluster: TestCluster;
  let proxy: TcpProxy;
  let ui: UiProcess;
  let browser: Browser;
  let page: Page;
  const consumers: ConsumerProcess[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium package)`);
    console.log(`cluster map screenshots: ${SHOTS}`);
    cluster = await new TestCluster('ui', { 'zookeeper.session.timeout.ms': '4000' }).start(3);
    await createTopic(cluster.zk, 'map', { partitions: 3, replicationFactor: 2, assignment: [[1, 2], [2, 3], [3, 1]] });
    await createTopic(cluster.zk, 'grp', { partitions: 3, replicationFactor: 2, assignment: [[1, 3], [3, 1], [1, 3]] });
    await createTopic(cluster.zk, 'lag', { partitions: 1, replicationFactor: 2, assignment: [[3, 1]] });
    proxy = await new TcpProxy(inject('zkConnect')).start();
    ui = await startUi([
      '--zookeeper', `127.0.0.1:${proxy.port}${cluster.chroot}`,
      '--listen', '127.0.0.1:0',
      '--override', 'ui.offsets.refresh.ms=300',
      '--override', 'zookeeper.session.timeout.ms=20000',
    ]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(ui.url);
    await page.evaluate(() => void ((window as unknown as { __loadedOnce: boolean }).__loadedOnce = true));
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(consumers.map((c) => (c.kill('SIGCONT'), c.stop())));
    await ui?.stop();
    await proxy?.close();
    await cluster?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
  const notReloaded = () => page.evaluate(() => (window as unknown as { __loadedOnce?: boolean }).__loadedOnce === true);

  it('shows the 3 brokers and the controller', async () => {
    const controller = decodeController((await cluster.zk.get(controllerPath))!.data).brokerId;
    await page.waitForFunction(
      (c) => document.querySelectorAll('[data-broker][data-alive="true"]').length === 3 && document.getElementById('controller')?.dataset.controller === String(c),
      controller,
      WAIT,
    );
    expect(await page.locator('[data-broker]').count()).toBe(3);
    expect(await page.locator(`[data-broker="${controller}"]`).getAttribute('data-controller')).toBe('true');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('tr[data-partition^="map/"]')].filter((r) => Number(r.dataset.leader) > 0).length === 3, undefined, WAIT);
    expect(await page.locator('#stream').getAttribute('data-stream')).toBe('open');
    await shot('1-brokers.png');
    const api = (await (await fetch(new URL('/api/brokers', ui.url))).json()) as { controller: { brokerId: number; epoch: number }; brokers: { id: number; alive: boolean; host: string }[] };
    expect(api.controller.brokerId).toBe(controller);
    expect(api.controller.epoch).toBeGreaterThanOrEqual(1);
    expect(api.brokers.map((b) => [b.id, b.alive, b.host])).toEqual([[1, true, '127.0.0.1'], [2, true, '127.0.0.1'], [3, true, '127.0.0.1']]);
  });

  it('turns a SIGKILLed broker dead and moves its leaderships, without a reload', async () => {
    const victim = 2; // the preferred leader of map-1
    await page.waitForFunction(() => document.querySelector<HTMLElement>('tr[data-partition="map/1"]')?.dataset.leader === '2', undefined, WAIT);
    await cluster.stopBroker(victim, 'SIGKILL');
    await page.waitForFunction((v) => document.querySelector(`[data-broker="${v}"]`)?.getAttribute('data-alive') === 'false', victim, WAIT);
    await page.waitForFunction(
      (v) => {
        const rows = [...document.querySelectorAll<HTMLElement>('tr[data-partition^="map/"]')];
        return rows.length === 3 && rows.every((r) => r.dataset.leader !== String(v) && Number(r.dataset.leader) > 0) && rows.filter((r) => r.dataset.underReplicated === 'true').length === 2;
      },
      victim,
      WAIT,
    );
    expect(await page.locator('tr[data-partition="map/1"]').getAttribute('data-leader')).toBe('3');
    expect(await page.locator('#timeline li[data-event="broker-down"]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#timeline li[data-event="leader"]').count()).toBeGreaterThanOrEqual(1);
    expect(await notReloaded()).toBe(true);
    await shot('2-broker-dead.png');
    await cluster.startBroker(victim);
    await page.waitForFunction((v) => document.querySelector(`[data-broker="${v}"]`)?.getAttribute('data-alive') === 'true', victim, WAIT);
    expect(await page.locator('#timeline li[data-event="broker-up"]').count()).toBeGreaterThanOrEqual(1);
  });


  it('shows a group of 3 consumer processes with 3 owners, then the rebalance and the new owners after one is killed', async () => {
    const group = 'ui-g';
    for (let i = 0; i < 3; i++) consumers.push(startConsumer({ zk: cluster.zkConnect, group, topics: ['grp'] }));
    const mine = consumers.slice(-3);
    const ids = await Promise.all(mine.map((c) => c.started));
    const before = await page.waitForFunction(
      (g) => {
        const el = document.querySelector<HTMLElement>(`[data-group="${g}"]`);
        const owners = [...(el?.querySelectorAll<HTMLElement>('tr[data-group-partition^="grp/"]') ?? [])].map((r) => (r.dataset.owner ?? '').replace(/-\d+$/, ''));
        // the owners seen when the condition held (the page may move on before a second read)
        return el?.dataset.state === 'Stable' && el.dataset.members === '3' && owners.length === 3 && owners.every(Boolean) && new Set(owners).size === 3 && owners;
      },
      group,
      WAIT,
    );
    expect(new Set(await before.jsonValue())).toEqual(new Set(ids));
    await shot('3-group-of-3.png');

    const killedAt = Date.now();
    const dead = mine[0]!;
    dead.kill('SIGKILL');
    await dead.exited;
    const survivors = new Set(ids.slice(1));
    const after = await page.waitForFunction(
      ({ g, alive }) => {
        const el = document.querySelector<HTMLElement>(`[data-group="${g}"]`);
        const owners = [...(el?.querySelectorAll<HTMLElement>('tr[data-group-partition^="grp/"]') ?? [])].map((r) => (r.dataset.owner ?? '').replace(/-\d+$/, ''));
        // the owners seen when the condition held: another rebalance round may start right after
        // (a survivor that saw the change later), and a second read caught an owner released ("")
        return el?.dataset.state === 'Stable' && el.dataset.members === '2' && owners.length === 3 && owners.every((o) => alive.includes(o)) && owners;
      },
      { g: group, alive: [...survivors] },
      WAIT,
    );
    expect(new Set(await after.jsonValue())).toEqual(survivors);
    const events = await page.evaluate(() => (window as unknown as { __clusterMap: { events: { kind: string; group?: string; time: number; durationMs?: number; text: string }[] } }).__clusterMap.events);
    const rebalances = events.filter((e) => e.group === group && e.time >= killedAt);
    expect(rebalances.some((e) => e.kind === 'rebalance-start')).toBe(true);
    const done = rebalances.find((e) => e.kind === 'rebalance-done');
    expect(done?.durationMs).toBeGreaterThanOrEqual(0);
    expect(done?.text).toContain(ids[1]!);
    expect(await page.locator(`#timeline li[data-event="rebalance-done"][data-event-group="${group}"]`).count()).toBeGreaterThanOrEqual(2);
    expect(await notReloaded()).toBe(true);
    await shot('4-rebalanced.png');
    await Promise.all(mine.slice(1).map((c) => c.stop()));
  });

  it('shows lag while a producer runs ahead of a paused consumer, and 0 again once it catches up', async () => {
    const group = 'ui-lag';
    const lagOf = () => page.evaluate((g) => document.querySelector<HTMLElement>(`[data-group="${g}"] tr[data-group-partition="lag/0"]`)?.dataset.lag, group);
    const producer = new Producer({ brokers: cluster.bootstrap, acks: 1 });
    try {
      await producer.sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic: 'lag', value: `a${i}` })));
      const c = startConsumer({ zk: cluster.zkConnect, group, topics: ['lag'], props: { 'zookeeper.session.timeout.ms': '30000' } });
      consumers.push(c);
      await c.started;
      await page.waitForFunction((g) => document.querySelector<HTMLElement>(`[data-group="${g}"] tr[data-group-partition="lag/0"]`)?.dataset.lag === '0', group, WAIT);
      c.kill('SIGSTOP');
      await producer.sendBatch(Array.from({ length: 200 }, (_, i) => ({ topic: 'lag', value: `b${i}` })));
      // the consumer is stopped before the first of the 200 records is sent: all of them are lag
      await page.waitForFunction((g) => Number(document.querySelector<HTMLElement>(`[data-group="${g}"] tr[data-group-partition="lag/0"]`)?.dataset.lag) === 200, group, WAIT);
      expect(Number(await page.locator(`[data-group="${group}"]`).getAttribute('data-total-lag'))).toBe(200);
      expect(await page.locator(`[data-group="${group}"] tr[data-group-partition="lag/0"] td`).nth(4).textContent()).toBe('210');
      await shot('5-lag.png');
      c.kill('SIGCONT');
      await page.waitForFunction((g) => document.querySelector<HTMLElement>(`[data-group="${g}"] tr[data-group-partition="lag/0"]`)?.dataset.lag === '0', group, WAIT);
      expect(await lagOf()).toBe('0');
      await c.stop();
    } finally {
      await producer.close();
    }
  });

  it('keeps serving while ZooKeeper is away, says so, and recovers by itself', async () => {
    await proxy.cut();
    await page.waitForFunction(() => {
      const b = document.getElementById('banner');
      return b !== null && !b.hidden && b.dataset.zkAway === 'true';
    }, undefined, WAIT);
    expect(await page.locator('#banner').textContent()).toMatch(/ZooKeeper is away/);
    const r = await fetch(new URL('/api/brokers', ui.url));
    expect(r.status).toBe(200);
    expect(((await r.json()) as { brokers: unknown[] }).brokers).toHaveLength(3);
    const z = (await (await fetch(new URL('/api/zookeeper', ui.url))).json()) as { state: string };
    expect(z.state).toBe('disconnected');
    await shot('6-zookeeper-away.png');
    await createTopic(cluster.zk, 'while-away', { partitions: 1, replicationFactor: 1, assignment: [[1]] });
    await proxy.restore();
    await page.waitForFunction(() => document.getElementById('zk')?.dataset.zkState === 'connected' && document.getElementById('banner')?.hidden === true && document.querySelector('[data-topic="while-away"]') !== null, undefined, WAIT);
    expect(await notReloaded()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
