/**
 * `node dist/bench/broker-metrics.js URL [BEFORE.json]`: scrapes a broker's /metrics and prints
 * the flush path's counters as JSON; given the JSON of an earlier scrape, prints what happened
 * in between instead, one line: produce requests, partitions per request, fsyncs and syncfs
 * (grouped flushes) per request,
 * appends per fsync (group commit), mean flush and queue times.
 */
import { readFileSync } from 'node:fs';
import { exitOnHelp, unknownOption, usageError } from './args.js';

const TOOL = 'broker-metrics';
const USAGE = `usage: broker-metrics.js URL [BEFORE.json]

Run as node dist/bench/broker-metrics.js (scripts/bench.sh runs it around its producer runs).
Scrapes a broker's /metrics at URL (http://HOST:PORT/metrics, its metrics.port) and prints the
flush path's counters as one line of JSON. Given BEFORE.json (that JSON from an earlier scrape),
prints what happened in between instead, one line: produce requests, partitions per request,
fsyncs and syncfs per request, appends per flush (group commit), mean flush and queue times and
mean produce time. No options.
`;
exitOnHelp(USAGE);

const NAMES = {
  requests: ['kafka_network_requestmetrics_requests_total', 'request="Produce"'],
  partitions: ['kafka_server_produce_partitions_per_request_sum', ''],
  fsyncs: ['kafka_log_logflushstats_fsyncs_total', ''],
  syncfs: ['kafka_log_logflushstats_syncfs_total', ''],
  appends: ['kafka_log_logflushstats_groupcommitsize_sum', ''],
  flushes: ['kafka_log_logflushstats_groupcommitsize_count', ''],
  flushMs: ['kafka_log_logflushstats_logflushrateandtimems_sum', ''],
  waitMs: ['kafka_log_logflushstats_flushqueuetimems_sum', ''],
  produceMs: ['kafka_network_requestmetrics_totaltimems_sum', 'request="Produce"'],
} as const;
type Snapshot = Record<keyof typeof NAMES, number>;

function value(text: string, name: string, labels: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([\w:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3]);
  }
  return sum;
}

const argv = process.argv.slice(2);
const option = argv.find((a) => a.startsWith('-') && a !== '-');
if (option) usageError(TOOL, unknownOption(option, []).message, USAGE);
if (argv.length > 2) usageError(TOOL, `unexpected argument ${argv[2]}`, USAGE);
const [url, beforeFile] = argv;
if (!url) usageError(TOOL, 'missing URL', USAGE);
if (!URL.canParse(url)) usageError(TOOL, `not a URL: ${url}`, USAGE);
const text = await fetch(url).then(
  (r) => r.text(),
  (err: unknown) => {
    process.stderr.write(`${TOOL}: cannot scrape ${url}: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
const now = Object.fromEntries(Object.entries(NAMES).map(([k, [n, l]]) => [k, value(text, n, l)])) as Snapshot;
if (!beforeFile) {
  process.stdout.write(JSON.stringify(now) + '\n');
} else {
  const b = JSON.parse(readFileSync(beforeFile, 'utf8')) as Snapshot;
  const d = Object.fromEntries(Object.keys(NAMES).map((k) => [k, now[k as keyof Snapshot] - b[k as keyof Snapshot]])) as Snapshot;
  const per = (a: number, c: number, digits = 2) => (c > 0 ? (a / c).toFixed(digits) : 'n/a');
  process.stdout.write(
    `${d.requests} produce requests, ${per(d.partitions, d.requests, 1)} partitions/request, ${per(d.fsyncs, d.requests)} fsyncs/request, ` +
      `${per(d.syncfs, d.requests)} syncfs/request, ` +
      `${per(d.appends, d.flushes, 1)} appends/flush, flush ${per(d.flushMs, d.flushes)} ms + queue ${per(d.waitMs, d.flushes)} ms, produce ${per(d.produceMs, d.requests)} ms\n`,
  );
}
