/**
 * The cluster map's HTTP face. Read-only: GET (and HEAD) only.
 *
 *   /                         the page (public/index.html, app.js, app.css: plain files, no build)
 *   /api/cluster              everything below in one object
 *   /api/zookeeper            the map's own ZooKeeper session: state, since, server
 *   /api/brokers              {controller, brokers: [...]} (dead ones included, alive=false)
 *   /api/topics[/<T>]         topics with every partition's replicas, leader, ISR, flags
 *   /api/groups[/<G>]         ZooKeeper groups: members, owners, offsets, log ends, lag, status
 *   /api/events[?since=ID]    the timeline, oldest first
 *   /api/stream               Server-Sent Events: `snapshot` first (the whole /api/cluster),
 *                             then `zookeeper`, `brokers`, `topics`, `groups` with that view
 *                             whenever it moves, and `timeline` (id: the event id) per event
 *
 * Pushes are coalesced per view over `pushDelayMs` (default 20 ms), so a broker failure that
 * moves a thousand leaders sends a handful of messages, not a thousand.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterMap } from './cluster-map.js';
import type { Section } from './cluster-state.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The page's files: next to this module when run from src/, in src/ui/public when run from dist/. */
const PUBLIC_DIRS = [path.join(HERE, 'public'), path.resolve(HERE, '../../../src/ui/public')];

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

function readAsset(file: string): Buffer {
  let last: unknown;
  for (const dir of PUBLIC_DIRS) {
    try {
      return readFileSync(path.join(dir, file));
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`the page's file ${file} is missing (looked in ${PUBLIC_DIRS.join(', ')})`, { cause: last });
}

export interface UiHttpOptions {
  pushDelayMs?: number;
  keepAliveMs?: number;
}

export class UiHttp {
  readonly server: http.Server;
  readonly #map: ClusterMap;
  readonly #streams = new Set<http.ServerResponse>();
  readonly #pending = new Set<Section>();
  readonly #pushDelayMs: number;
  #pushTimer: NodeJS.Timeout | undefined;
  readonly #keepAlive: NodeJS.Timeout;
  readonly #assets = new Map<string, Buffer>();
  readonly #unsubscribe: () => void;
  readonly #onChange = (s: Section): void => this.#schedule(s);

  constructor(map: ClusterMap, opts: UiHttpOptions = {}) {
    this.#map = map;
    this.#pushDelayMs = opts.pushDelayMs ?? 20;
    for (const a of new Set(Object.values(ASSETS).map((x) => x.file))) this.#assets.set(a, readAsset(a));
    this.server = http.createServer((req, res) => this.#handle(req, res));
    map.on('change', this.#onChange);
    this.#unsubscribe = map.timeline.onEvent((e) => this.#broadcast('timeline', e, e.id));
    this.#keepAlive = setInterval(() => {
      for (const s of this.#streams) s.write(': keep-alive\n\n');
    }, opts.keepAliveMs ?? 15_000);
    this.#keepAlive.unref();
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  #schedule(s: Section): void {
    this.#pending.add(s);
    this.#pushTimer ??= setTimeout(() => {
      this.#pushTimer = undefined;
      const sections = [...this.#pending];
      this.#pending.clear();
      if (this.#streams.size === 0) return;
      for (const section of sections) this.#broadcast(section, this.#view(section));
    }, this.#pushDelayMs);
  }

  #view(s: Section): unknown {
    const m = this.#map;
    switch (s) {
      case 'zookeeper':
        return m.zookeeperView();
      case 'brokers':
        return { controller: m.controllerView(), brokers: m.brokersView() };
      case 'topics':
        return m.topicsView();
      case 'groups':
        return m.groupsView();
    }
  }

  #broadcast(event: string, data: unknown, id?: number): void {
    if (this.#streams.size === 0) return;
    const text = `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const s of this.#streams) s.write(text);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.#json(res, 405, { error: `${req.method} is not allowed: the cluster map is read-only (GET only)` }, { Allow: 'GET, HEAD' });
    }
    const asset = ASSETS[url.pathname];
    if (asset) {
      const body = this.#assets.get(asset.file)!;
      res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    if (parts[0] !== 'api' || parts.length > 3) return this.#json(res, 404, { error: `no such page: ${url.pathname} (try / or /api/cluster)` });
    const m = this.#map;
    const [, what, name] = parts;
    switch (parts.length === 3 ? `${what}/` : what) {
      case 'stream':
        return this.#stream(res);
      case 'cluster':
        return this.#json(res, 200, m.snapshot());
      case 'zookeeper':
        return this.#json(res, 200, m.zookeeperView());
      case 'brokers':
        return this.#json(res, 200, { controller: m.controllerView(), brokers: m.brokersView() });
      case 'topics':
        return this.#json(res, 200, m.topicsView());
      case 'topics/': {
        const t = m.topicView(name!);
        return t ? this.#json(res, 200, t) : this.#json(res, 404, { error: `no topic ${name}` });
      }
      case 'groups':
        return this.#json(res, 200, m.groupsView());
      case 'groups/': {
        const g = m.groupView(name!);
        return g ? this.#json(res, 200, g) : this.#json(res, 404, { error: `no consumer group ${name} under /consumers` });
      }
      case 'events': {
        const since = url.searchParams.get('since') ?? '0';
        if (!/^\d+$/.test(since)) return this.#json(res, 400, { error: `since must be an event id (a non-negative integer), got "${since}"` });
        return this.#json(res, 200, m.timeline.since(Number(since)));
      }
      default:
        return this.#json(res, 404, { error: `no such view: ${url.pathname} (views: /api/cluster, /api/zookeeper, /api/brokers, /api/topics, /api/groups, /api/events, /api/stream)` });
    }
  }

  #json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache', ...headers });
    res.end(text);
  }

  #stream(res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.socket?.setNoDelay(true);
    const snapshot = this.#map.snapshot();
    const lastId = snapshot.events[snapshot.events.length - 1]?.id;
    res.write(`retry: 1000\n${lastId !== undefined ? `id: ${lastId}\n` : ''}event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
    this.#streams.add(res);
    const done = (): void => void this.#streams.delete(res);
    res.on('close', done); // the connection went (req's 'close' only means its body was read)
    res.on('error', done);
  }

  async close(): Promise<void> {
    this.#map.off('change', this.#onChange);
    this.#unsubscribe();
    clearInterval(this.#keepAlive);
    clearTimeout(this.#pushTimer);
    for (const s of this.#streams) s.end();
    this.#streams.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
