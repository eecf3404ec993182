/**
 * REST produce benchmark: records/s through the REST proxy (bin/kafka-rest-start.sh, its own
 * process) in batched requests of 100 records of 100 bytes, as a ratio to our producer writing
 * the same records straight to the broker in the same run.
 *
 *   node dist/bench/rest-bench.js --zookeeper H:P --broker H:P [--records 100000] [--runs 3] [--batch 100]
 *
 * The proxy is started on a free port against the given cluster (producer bootstrap --broker,
 * its defaults: acks=1) and stopped (by pid) at the end, also on Ctrl-C. Each run writes to a
 * fresh 1-partition topic:
 *   binary c=1   POST /topics/T, application/vnd.kafka.binary.v2+json (base64 values), one
 *                request at a time (each waits for its acknowledgements)
 *   binary c=8   the same, 8 requests in flight (keep-alive connections)
 *   json c=8     application/vnd.kafka.json.v2+json (the values are JSON strings), 8 in flight
 *   producer     our Producer, acks=1, the same records (the baseline)
 * Numbers only, never pass/fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZkClient } from '../src/zk/client.js';
import { createTopic, deleteTopic } from '../src/admin/topic-admin.js';
import { Producer } from '../src/client/producer/index.js';
import { benchArgsOrExit, exitOnHelp, requireOptions, requirePositive } from './args.js';
import { exitWhenStdoutCloses, stopAtExit } from './cleanup.js';

const TOOL = 'rest-bench';
const USAGE = `usage: rest-bench.js --zookeeper H:P --broker H:P [--records 100000] [--runs 3] [--batch 100]

Run as node dist/bench/rest-bench.js, from the repository root.
REST produce benchmark: records/s through the REST proxy (bin/kafka-rest-start.sh, started by
the bench on a free port against the given cluster and stopped at the end) in batched requests
of 100-byte records, as a ratio to our producer writing the same records straight to the broker.
  --zookeeper H:P[/chroot]   the cluster's ZooKeeper (required)
  --broker H:P               a broker of it, the proxy's bootstrap server (required)
  --records N                records per run and mode (default 100000)
  --runs N                   runs, the median printed (default 3)
  --batch N                  records per request (default 100)
Prints each run's records/s for binary c=1, binary c=8, json c=8 (requests in flight) and the
producer, then the medians with their ratios to the producer's. Numbers only, never pass/fail.
`;
exitOnHelp(USAGE);

process.env.KAFKA_LOG_LEVEL ??= 'error';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const args = benchArgsOrExit(TOOL, USAGE, ['zookeeper', 'broker', 'records', 'runs', 'batch']);
requireOptions(TOOL, USAGE, args, ['zookeeper', 'broker']);
const ZK = args.get('zookeeper')!;
const BROKER = args.get('broker')!;
const RECORDS = Number(args.get('records') ?? 100_000);
const RUNS = Number(args.get('runs') ?? 3);
const BATCH = Number(args.get('batch') ?? 100);
requirePositive(TOOL, USAGE, { '--records': RECORDS, '--runs': RUNS, '--batch': BATCH });
exitWhenStdoutCloses(TOOL);
const VALUE = Buffer.alloc(100, 'r');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

let proxy: ChildProcess | undefined;
const stopProxy = (): Promise<void> =>
  new Promise((resolve) => {
    if (!proxy || proxy.exitCode !== null || proxy.signalCode !== null) return resolve();
    proxy.once('exit', () => resolve());
    proxy.kill('SIGTERM');
  });
process.on('SIGINT', () => void stopProxy().then(() => process.exit(130)));
// if this process ends with the proxy still running (stdout closed: EPIPE; an uncaught error)
stopAtExit(() => {
  if (proxy && proxy.exitCode === null && proxy.signalCode === null) proxy.kill('SIGTERM');
});

async function startProxy(): Promise<string> {
  const main = path.join(ROOT, 'dist/src/bin/kafka-rest-start.js');
  proxy = spawn(process.execPath, [main, '--zookeeper', ZK, '--bootstrap-server', BROKER, '--listeners', 'http://127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: 'warn' } });
  let out = '';
  proxy.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proxy.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) return m[1]!;
    if (proxy.exitCode !== null || Date.now() > deadline) throw new Error(`the REST proxy did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function post(agent: http.Agent, url: URL, contentType: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': body.length, Accept: 'application/vnd.kafka.v2+json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200 || text.includes('"error_code":1') || text.includes('"error_code":2')) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          else resolve(text);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function restRun(base: string, topic: string, format: 'binary' | 'json', concurrency: number): Promise<number> {
  const records = Array.from({ length: BATCH }, () => ({ value: format === 'binary' ? VALUE.toString('base64') : VALUE.toString('latin1') }));
  const body = Buffer.from(JSON.stringify({ records }));
  const url = new URL(`${base}/topics/${topic}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const requests = Math.ceil(RECORDS / BATCH);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        await post(agent, url, `application/vnd.kafka.${format}.v2+json`, body);
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  agent.destroy();
  return (requests * BATCH) / secs;
}

async function producerRun(topic: string): Promise<number> {
  const p = new Producer({ brokers: BROKER, acks: 1 });
  await p.partitionsFor(topic);
  const start = performance.now();
  for (let i = 0; i < RECORDS; i++) if (!p.produce({ topic, value: VALUE })) await p.ready();
  await p.flush();
  const secs = (performance.now() - start) / 1000;
  await p.close();
  return RECORDS / secs;
}

async function main(): Promise<void> {
  const zk = await ZkClient.connect({ connectString: ZK.split('/')[0]!, chroot: ZK.includes('/') ? ZK.slice(ZK.indexOf('/')) : undefined });
  const base = await startProxy();
  const modes: { name: string; run: (topic: string) => Promise<number> }[] = [
    { name: 'binary c=1', run: (t) => restRun(base, t, 'binary', 1) },
    { name: 'binary c=8', run: (t) => restRun(base, t, 'binary', 8) },
    { name: 'json c=8', run: (t) => restRun(base, t, 'json', 8) },
    { name: 'producer', run: (t) => producerRun(t) },
  ];
  const results = new Map<string, number[]>(modes.map((m) => [m.name, []]));
  const topics: string[] = [];
  console.log(`REST produce: ${RECORDS} records of ${VALUE.length} bytes per run, ${BATCH} records per request, 1 partition, acks=1`);
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const m of modes) {
        const topic = `rest-bench-${Date.now()}-${run}-${m.name.replace(/[^a-z0-9]+/g, '')}`;
        await createTopic(zk, topic, { partitions: 1, replicationFactor: 1 });
        topics.push(topic);
        const r = await m.run(topic);
        results.get(m.name)!.push(r);
        console.log(`run ${run} ${m.name.padEnd(11)} ${Math.round(r).toLocaleString('en-US')} records/s`);
      }
    }
    const prod = median(results.get('producer')!);
    for (const m of modes) {
      const med = median(results.get(m.name)!);
      const ratio = m.name === 'producer' ? '' : `  (${(med / prod).toFixed(2)} of the producer's)`;
      console.log(`median ${m.name.padEnd(11)} ${Math.round(med).toLocaleString('en-US')} records/s${ratio}`);
    }
  } finally {
    await stopProxy();
    for (const t of topics) await deleteTopic(zk, t).catch(() => undefined);
    await zk.close();
  }
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(`rest-bench: ${(err as Error).message}`);
    await stopProxy();
    process.exit(1);
  },
);
