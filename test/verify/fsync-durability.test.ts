/**
 * An acknowledgement means fsynced, on every in-sync replica: proved from the brokers' own
 * system calls. strace (Debian's) is attached to the three brokers of a RF 3 topic while the
 * verifiable producer sends records one at a time with acks=all. For every acknowledged value
 * the trace must show, in this order:
 *   1. on each of the three brokers: the pwrite of the batch holding the value into the
 *      partition's .log, then an fdatasync of that .log that COMPLETED after it;
 *   2. on the leader: the write of the produce response to the producer's connection (the
 *      connection the request holding the value was read from),
 * with every (1) completed before (2) started (strace -ttt: one clock for all processes).
 * A SIGKILL leaves the page cache intact, so only this ordering shows that an acknowledged
 * record would survive a power cut of any two replicas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster } from '../helpers/broker-cluster.js';
import { createReplicated, state } from '../replication/helpers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');
const haveStrace = spawnSync('strace', ['-V']).status === 0;

interface Call {
  pid: number;
  name: string;
  fd: number;
  path: string;
  start: number;
  end: number;
  text: string;
}

/** Parses `strace -f -ttt -T -yy` output, joining <unfinished ...> / <... resumed> halves. */
export function parseTrace(text: string): Call[] {
  const out: Call[] = [];
  const pending = new Map<number, { ts: number; head: string }>();
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const ts = Number(m[2]);
    let rest = m[3]!;
    let start = ts;
    let end: number;
    if (rest.endsWith('<unfinished ...>')) {
      pending.set(pid, { ts, head: rest.slice(0, -'<unfinished ...>'.length) });
      continue;
    }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const p = pending.get(pid);
      if (!p) continue;
      pending.delete(pid);
      rest = p.head + resumed[2]!;
      start = p.ts;
      end = ts;
    } else {
      const t = /<(\d+\.\d+)>$/.exec(rest);
      end = ts + (t ? Number(t[1]) : 0);
    }
    const c = /^(\w+)\((\d+)<((?:TCP|UDP|UNIX):\[[^\]]*\]|[^>]*)>/.exec(rest);
    if (!c) continue;
    out.push({ pid, name: c[1]!, fd: Number(c[2]), path: c[3]!, start, end, text: rest });
  }
  return out;
}

describe.skipIf(!haveStrace)('durability: every acknowledged offset is fdatasynced on every ISR member before the acknowledgement leaves the leader', () => {
  let cluster: TestCluster;
  const tracers: { id: number; proc: ChildProcess; file: string; done: Promise<void> }[] = [];
  beforeAll(async () => {
    // the ISR stays all three (strace slows the brokers; a follower dropped for lag would make an ack without it correct)
    cluster = await new TestCluster('fsync', { 'min.insync.replicas': '2', 'replica.lag.time.max.ms': '120000' }).start(3);
    await createReplicated(cluster, 'durable', 1, 3);
  });
  afterAll(async () => {
    for (const t of tracers) t.proc.kill('SIGINT');
    await cluster?.stop();
  });

  it('shows pwrite -> fdatasync on all three replicas -> produce response, for each record', { timeout: 180_000 }, async () => {
    for (const b of cluster.brokers.values()) {
      const file = path.join(cluster.baseDir, `strace-${b.id}.txt`);
      const proc = spawn('strace', ['-f', '-ttt', '-T', '-yy', '-s', '400', '-e', 'trace=read,write,writev,pwrite64,pwritev,fdatasync,fsync,ftruncate', '-p', String(b.proc.pid), '-o', file], { stdio: 'ignore' });
      tracers.push({ id: b.id, proc, file, done: new Promise((r) => proc.once('exit', () => r())) });
    }
    await new Promise((r) => setTimeout(r, 1500)); // strace attaches to every thread
    // one request in flight: the first write on the connection after a produce request is its
    // response (with several in flight, it was the answer to the one before, sent earlier)
    const config = path.join(cluster.baseDir, 'producer.properties');
    writeFileSync(config, 'max.in.flight.requests.per.connection=1\n');
    const r = spawnSync(path.join(BIN, 'kafka-verifiable-producer.sh'), ['--broker-list', cluster.bootstrap, '--topic', 'durable', '--max-messages', '15', '--throughput', '5', '--value-prefix', '77', '--acks', '-1', '--producer.config', config], { encoding: 'utf8', timeout: 60_000 });
    const acked = r.stdout.split('\n').filter((l) => l.includes('producer_send_success')).map((l) => JSON.parse(l) as { value: string; offset: number });
    expect(acked).toHaveLength(15);
    await new Promise((res) => setTimeout(res, 500));
    for (const t of tracers) t.proc.kill('SIGINT');
    await Promise.all(tracers.map((t) => t.done));
    const leader = (await state(cluster, 'durable', 0))!.leader;
    const traces = new Map(tracers.map((t) => [t.id, parseTrace(readFileSync(t.file, 'utf8'))]));

    for (const a of acked) {
      const needle = `${a.value}\\0`; // the value, then the record's header count (0)
      // the leader: the request holding the value, then the response on that connection
      const lt = traces.get(leader)!;
      const req = lt.find((c) => c.name === 'read' && c.path.startsWith('TCP:') && c.text.includes(needle));
      expect(req, `produce request of ${a.value} on the leader`).toBeDefined();
      const resp = lt.find((c) => (c.name === 'write' || c.name === 'writev') && c.path === req!.path && c.start >= req!.end);
      expect(resp, `produce response of ${a.value}`).toBeDefined();
      for (const [id, calls] of traces) {
        const w = calls.find((c) => c.name.startsWith('pwrite') && c.path.endsWith('.log') && c.path.includes('/durable-0/') && c.text.includes(needle));
        expect(w, `broker ${id}: the pwrite of ${a.value}`).toBeDefined();
        const sync = calls.find((c) => (c.name === 'fdatasync' || c.name === 'fsync') && c.path === w!.path && c.start >= w!.start && c.text.includes('= 0'));
        expect(sync, `broker ${id}: an fdatasync of ${w!.path} after the pwrite of ${a.value}`).toBeDefined();
        if (sync!.end > resp!.start) {
          const around = (cs: Call[], from: number, to: number) => cs.filter((c) => c.start >= from - 0.001 && c.start <= to + 0.001 && (c.path.includes('.log') || c.path.startsWith('TCP:'))).map((c) => `${c.start.toFixed(6)}-${c.end.toFixed(6)} ${c.name} ${c.path} ${c.text.slice(0, 160)}`);
          const writes = calls.filter((c) => c.name.startsWith('pwrite') && c.text.includes(needle)).map((c) => `${c.start.toFixed(6)} ${c.path}`);
          const truncs = calls.filter((c) => c.name.startsWith('ftruncate') || c.name === 'truncate').map((c) => `${c.start.toFixed(6)} ${c.name} ${c.path}`);
          console.log(`broker ${id}: every pwrite of ${a.value}: ${writes.join('; ')}; truncations: ${truncs.join('; ') || 'none'}`);
          console.log(`value ${a.value}: request read ${req!.start} on ${req!.path}, response ${resp!.start}\nbroker ${id}:\n${around(calls, w!.start, sync!.end).join('\n')}\nleader ${leader}:\n${around(lt, req!.start, resp!.start).join('\n')}`);
        }
        expect(sync!.end, `broker ${id}: fdatasync of ${a.value} completed before the leader answered`).toBeLessThanOrEqual(resp!.start);
      }
    }
  });
});
