/**
 * This machine's own floor under end-to-end latency: a broker exposes a record only once it is
 * flushed, so no record's end-to-end latency is below one fdatasync, and the fdatasync's tail is
 * a tail the e2e figures cannot beat. Two measurements, in DIR (default the OS temp dir: use the
 * log dir's disk), for SECONDS each (default 5):
 *   - back to back: append 100 bytes, fdatasync, again, and print
 *       `fdatasync of a 100-byte append: N calls, p50 X ms, p99 Y ms, p99.9 Z ms, max M ms`
 *   - with `--rate R`, also a group commit at R appends/s, the way a broker's log flushes: each
 *     append written on the main thread as it arrives (a 1 ms timer paces them), one fdatasync
 *     at a time on the thread pool covering everything written before it started, an append
 *     durable when such an fdatasync ends. What it prints,
 *       `group commit at R appends/s: N appends, F fdatasyncs, write->durable p50 X ms, p99 Y ms, p99.9 Z ms, max M ms`
 *     is the floor under the e2e figure at that rate: with no network, no broker and no client,
 *     an append that arrives while an fdatasync runs waits for it and for its own.
 *
 *   node dist/bench/fsync-latency.js [SECONDS] [DIR] [--rate R]
 */
import { mkdtempSync, rmSync, writeSync, fdatasync } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exitOnHelp, requirePositive, splitOptionValues, unknownOption, usageError } from './args.js';

const TOOL = 'fsync-latency';
const USAGE = `usage: fsync-latency.js [SECONDS] [DIR] [--rate R]

Run as node dist/bench/fsync-latency.js (scripts/bench.sh runs it for the e2e section).
This machine's floor under end-to-end latency (a broker exposes a record once it is flushed):
  SECONDS     how long each measurement lasts (default 5)
  DIR         where the probe files are written, then deleted: use the log dir's disk
              (default the OS temp dir)
  --rate R    also a group commit at R appends per second (> 0), the way a broker's log flushes
Prints
  fdatasync of a 100-byte append: N calls, p50 X ms, p99 Y ms, p99.9 Z ms, max M ms
and with --rate
  group commit at R appends/s: N appends, F fdatasyncs, write->durable p50 X ms, p99 Y ms, p99.9 Z ms, max M ms
`;
exitOnHelp(USAGE);

const argv = splitOptionValues(process.argv.slice(2));
const rateAt = argv.indexOf('--rate');
const rate = rateAt >= 0 ? Number(argv[rateAt + 1]) : undefined;
if (rateAt >= 0) argv.splice(rateAt, 2);
if (rate !== undefined && !(rate > 0)) usageError(TOOL, '--rate must be a positive number (appends per second)', USAGE);
const unknown = argv.find((a) => a.startsWith('-'));
if (unknown) usageError(TOOL, unknownOption(unknown, ['rate']).message, USAGE);
if (argv.length > 2) usageError(TOOL, `unexpected argument ${argv[2]}`, USAGE);
requirePositive(TOOL, USAGE, { SECONDS: Number(argv[0] ?? 5) });
const seconds = Number(argv[0] ?? 5);
const dir = mkdtempSync(path.join(argv[1] ?? os.tmpdir(), 'zkafka-fsync-'));

function percentiles(times: number[]): string {
  times.sort((a, b) => a - b);
  const pct = (p: number): string => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2);
  return `p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, p99.9 ${pct(0.999)} ms, max ${times[times.length - 1]!.toFixed(2)} ms`;
}

async function backToBack(): Promise<void> {
  const fh = await fsp.open(path.join(dir, 'probe.log'), 'a');
  const buf = Buffer.alloc(100, 7);
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await fh.write(buf);
    await fh.datasync();
    times.push(performance.now() - t);
  }
  await fh.close();
  console.log(`fdatasync of a 100-byte append: ${times.length} calls, ${percentiles(times)}`);
}

async function groupCommit(r: number): Promise<void> {
  const fh = await fsp.open(path.join(dir, 'group.log'), 'w');
  const buf = Buffer.alloc(100, 7);
  const latencies: number[] = [];
  const pending: number[] = []; // write times of appends not yet durable, in order
  let position = 0;
  let written = 0;
  let durable = 0;
  let syncing = false;
  let fsyncs = 0;
  let settle: () => void = () => undefined;
  const kick = (): void => {
    if (syncing || written === durable) return;
    syncing = true;
    const target = written;
    fdatasync(fh.fd, (err) => {
      if (err) throw err;
      fsyncs++;
      const now = performance.now();
      for (let i = durable; i < target; i++) latencies.push(now - pending[i - durable]!);
      pending.splice(0, target - durable);
      durable = target;
      syncing = false;
      kick();
      if (!syncing) settle();
    });
  };
  const total = Math.round(r * seconds);
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * r) / 1000));
      while (written < due) {
        const t = performance.now();
        writeSync(fh.fd, buf, 0, buf.length, position);
        position += buf.length;
        pending.push(t);
        written++;
      }
      kick();
      if (written < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  if (durable < written) await new Promise<void>((resolve) => (settle = resolve));
  await fh.close();
  console.log(`group commit at ${r} appends/s: ${latencies.length} appends, ${fsyncs} fdatasyncs, write->durable ${percentiles(latencies)}`);
}

try {
  await backToBack();
  if (rate !== undefined) await groupCommit(rate);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
