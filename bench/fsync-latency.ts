/**
 * This machine's own floor under end-to-end latency: a broker exposes a record only once it is
 * flushed, so no record's end-to-end latency is below one fdatasync, and the fdatasync's tail is
 * a tail the e2e figures cannot beat. Appends 100 bytes and fdatasyncs, one after another, for
 * SECONDS (default 5), in DIR (default the OS temp dir: use the log dir's disk), and prints
 *   `fdatasync of a 100-byte append: N calls, p50 X ms, p99 Y ms, p99.9 Z ms, max M ms`
 *
 *   node dist/bench/fsync-latency.js [SECONDS] [DIR]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const seconds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(path.join(process.argv[3] ?? os.tmpdir(), 'zkafka-fsync-'));
try {
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
  times.sort((a, b) => a - b);
  const pct = (p: number): string => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2);
  console.log(`fdatasync of a 100-byte append: ${times.length} calls, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, p99.9 ${pct(0.999)} ms, max ${times[times.length - 1]!.toFixed(2)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
