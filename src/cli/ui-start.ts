/**
 * bin/kafka-ui-start.sh [config/ui.properties] [--zookeeper H:P[/chroot]] [--listen HOST:PORT]
 *   [--override k=v ...]: the cluster map, a read-only web page (and JSON views) kept live from
 * ZooKeeper watches. Properties: zookeeper.connect (or --zookeeper), listeners
 * (http://127.0.0.1:8080, or --listen 127.0.0.1:8080; port 0 picks a free one),
 * zookeeper.session.timeout.ms (30000), ui.offsets.refresh.ms (1000: how often the brokers are
 * asked for log ends), ui.burrow.window (10 commits), ui.burrow.min.stop.ms (10000),
 * ui.events.max (1000 timeline events kept). Flags win over the file. SIGTERM/SIGINT stop it.
 */
import { applyOverrides, readPropertiesFile } from '../common/properties.js';
import { Logger } from '../common/logger.js';
import { ClusterMap } from '../ui/cluster-map.js';
import { UiHttp } from '../ui/http.js';
import { collect, describeError, fail, newProgram } from './common.js';

const TOOL = 'kafka-ui-start';
const KNOWN = ['zookeeper.connect', 'listeners', 'zookeeper.session.timeout.ms', 'ui.offsets.refresh.ms', 'ui.burrow.window', 'ui.burrow.min.stop.ms', 'ui.events.max'];

export interface UiSettings {
  zookeeper: string;
  host: string;
  port: number;
  sessionTimeoutMs: number;
  offsetsRefreshMs: number;
  burrowWindow: number;
  burrowMinStopMs: number;
  maxEvents: number;
}

/** Checks the properties (file, then overrides, then flags) and returns the settings, or throws a message. */
export function uiSettings(props: Map<string, string>): UiSettings {
  for (const k of props.keys()) if (!KNOWN.includes(k)) throw new Error(`unknown property ${k} (known: ${KNOWN.join(', ')})`);
  const int = (k: string, d: number, min: number): number => {
    const v = props.get(k);
    if (v === undefined) return d;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`${k} must be an integer >= ${min}, got "${v}"`);
    return Number(v);
  };
  const zookeeper = props.get('zookeeper.connect');
  if (!zookeeper) throw new Error('no ZooKeeper given: use --zookeeper host:port[/chroot] or zookeeper.connect in the properties file');
  if (!/^[^,\s/]+:\d+(,[^,\s/]+:\d+)*(\/\S*)?$/.test(zookeeper)) throw new Error(`zookeeper.connect must look like host:port[,host:port...][/chroot], got "${zookeeper}"`);
  const listener = (props.get('listeners') ?? 'http://127.0.0.1:8080').split(',')[0]!.trim();
  const m = /^(?:http:\/\/)?([^:/]*|\[[^\]]+\]):(\d+)\/?$/.exec(listener);
  if (!m) throw new Error(`the listener must look like 127.0.0.1:8080 or http://127.0.0.1:8080, got "${listener}" (https is not supported)`);
  if (Number(m[2]) > 65535) throw new Error(`the listener's port must be 0-65535, got ${m[2]}`);
  return {
    zookeeper,
    host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0',
    port: Number(m[2]),
    sessionTimeoutMs: int('zookeeper.session.timeout.ms', 30_000, 1),
    offsetsRefreshMs: int('ui.offsets.refresh.ms', 1000, 100),
    burrowWindow: int('ui.burrow.window', 10, 2),
    burrowMinStopMs: int('ui.burrow.min.stop.ms', 10_000, 0),
    maxEvents: int('ui.events.max', 1000, 1),
  };
}

export async function uiStartMain(argv: string[]): Promise<void> {
  const program = newProgram(TOOL, 'Serves the cluster map: a read-only web page of the brokers, controller, topics, ZooKeeper consumer groups and a timeline, live from ZooKeeper watches')
    .argument('[properties-file]', 'config/ui.properties')
    .option('--zookeeper <connect>', 'the ZooKeeper ensemble, host:port[,host:port...][/chroot] (zookeeper.connect)')
    .option('--listen <host:port>', 'where to serve the page (listeners; default 127.0.0.1:8080, port 0 for a free one)')
    .option('--override <key=value>', 'override a property (repeatable)', collect, [] as string[])
    .addHelpText('after', `\nProperties: ${KNOWN.join(', ')}.\nViews: / (the page), /api/cluster, /api/brokers, /api/topics[/T], /api/groups[/G], /api/events, /api/stream (SSE).`)
    .parse(argv);
  const [file] = program.args;
  const opts = program.opts<{ zookeeper?: string; listen?: string; override: string[] }>();
  let settings: UiSettings;
  try {
    let props = file ? readPropertiesFile(file) : new Map<string, string>();
    props = applyOverrides(props, opts.override);
    if (opts.zookeeper !== undefined) props.set('zookeeper.connect', opts.zookeeper);
    if (opts.listen !== undefined) props.set('listeners', opts.listen);
    settings = uiSettings(props);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  const logger = new Logger('kafka-ui');
  const map = new ClusterMap({
    zookeeper: settings.zookeeper,
    sessionTimeoutMs: settings.sessionTimeoutMs,
    offsetsRefreshMs: settings.offsetsRefreshMs,
    burrow: { window: settings.burrowWindow, minStopMs: settings.burrowMinStopMs },
    maxEvents: settings.maxEvents,
    logger,
  });
  let http: UiHttp;
  try {
    http = new UiHttp(map);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  let port: number;
  try {
    port = await http.listen(settings.host, settings.port);
  } catch (err) {
    fail(TOOL, `cannot listen on ${settings.host}:${settings.port}: ${describeError(err)}`);
  }
  // the page is served at once; ZooKeeper is joined in the background (and again after an outage)
  map.start();
  const shown = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  process.stdout.write(`Cluster map listening on http://${shown}:${port}/ (ZooKeeper ${settings.zookeeper})\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void http.close().then(() => map.close()).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
