/**
 * Log append benchmark: PartitionLog.append of 16 KiB RecordBatch v2 batches (100-byte and
 * 1 KiB records, WINDOW appends in flight) against a raw sequential write of the same bytes to
 * the same disk, measured in the same run (alternating), with the same write sizes, made the same
 * way (inline-io.ts: small writes on the main thread, larger ones on the thread pool) and the
 * same fsync cadence:
 *   - write sizes: the log merges the appends that queue while a write runs into one writev (a
 *     group write, up to WINDOW batches here), so the baseline writes WINDOW x 16 KiB at a time;
 *   - "flush every message" (our default, log.flush.interval.messages=1, group-committed): the
 *     raw baseline runs fdatasync back to back while writes continue (one fsync per group);
 *   - "flushing off": no fsync until the end (one final fdatasync) for both.
 * A context line shows raw single 16 KiB writes (what the log's batches are); it is not in the
 * ratio.
 * Then the time to recover a 1 GiB unflushed segment (unclean open, full CRC scan).
 * Then encryption at rest (log.encryption.key.file, AES-256-GCM): AES-256-GCM alone on 16 KiB
 * batches (CPU only), log appends of 1 KiB records with and without encryption (flushing off, so
 * the cipher's cost is not hidden behind fsyncs; alternating runs of ENC_BYTES each), and reads
 * back through PartitionLog.read (1 MiB fetches) with and without decryption; each as a ratio.
 *
 *   npm run bench:log [-- --quick] [-- --bytes=<n>] [-- --runs=<n>] [-- --dir=<path>]   (LOG_BENCH_BYTES too)
 *   npm run bench:log -- --encryption-only [--enc-bytes=<n>]    only the encryption section (~30 s)
 * Each figure is the median of --runs (3) runs, raw and log alternating.
 * Default total per run: 2 GiB; --quick: 256 MiB. The last line is
 *   log-append/raw-write ratio: X.XX flush every message, Y.YY flushing off (1 KiB records; target >= 0.8)
 * Data is written under --dir (default: os.tmpdir()) and deleted afterwards.
 */
import { promises as fsp, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32c, crc32cImplementation } from '../src/protocol/records/crc.js';
import { encodeRecordBatch } from '../src/protocol/records/record-batch.js';
import { DEFAULT_LOG_CONFIG, NEVER, type LogConfig } from '../src/storage/config.js';
import { PartitionLog } from '../src/storage/log.js';
import { writeAllAt } from '../src/storage/inline-io.js';
import { KeyRing, encryptBatches } from '../src/storage/encryption.js';
import { randomBytes } from 'node:crypto';
import { readBatchHeader } from '../src/protocol/records/record-batch.js';
import { benchArgsOrExit, exitOnHelp, requirePositive } from './args.js';

const TOOL = 'log-bench';
const USAGE = `usage: log-bench.js [--quick] [--bytes=N] [--runs=N] [--dir=PATH]
       log-bench.js --encryption-only [--enc-bytes=N] [--runs=N] [--dir=PATH]

Run as node dist/bench/log-bench.js, or npm run bench:log -- OPTIONS (--name value works too).
Log append benchmark: PartitionLog.append of 16 KiB batches (100-byte and 1 KiB records, 4
appends in flight) against a raw sequential write of the same bytes to the same disk, flushing
every message and flushing off; then the recovery of an unflushed segment; then encryption at
rest (cipher alone, appends and reads with and without it).
  --quick             256 MiB per run and a 256 MiB recovery segment (instead of 2 GiB and 1 GiB)
  --bytes=N           bytes per run (default 2 GiB, 256 MiB with --quick; also LOG_BENCH_BYTES)
  --runs=N            runs per figure, raw and log alternating, the median printed (default 3)
  --dir=PATH          where the data is written and deleted afterwards (default the OS temp dir)
  --encryption-only   only the encryption section (~30 s)
  --enc-bytes=N       bytes per encryption run (default 256 MiB)
Prints MB/s and records/s per figure; the last line is
  log-append/raw-write ratio: X.XX flush every message, Y.YY flushing off (1 KiB records; target >= 0.8)
`;
exitOnHelp(USAGE);
const args = benchArgsOrExit(TOOL, USAGE, ['quick', 'bytes', 'runs', 'dir', 'encryption-only', 'enc-bytes']);
const quick = args.has('quick');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const totalBytes = Number(args.get('bytes') ?? process.env.LOG_BENCH_BYTES ?? (quick ? 256 * MiB : 2 * GiB));
const recoveryBytes = quick ? 256 * MiB : GiB;
const baseDir = args.get('dir') ?? os.tmpdir();
const BATCH_BYTES = 16 * 1024;
const WINDOW = 4;
const RUNS = Number(args.get('runs') ?? (quick ? 3 : 3));
const POOL = 64;
requirePositive(TOOL, USAGE, { [args.has('bytes') || !process.env.LOG_BENCH_BYTES ? '--bytes' : 'LOG_BENCH_BYTES']: totalBytes, '--runs': RUNS, '--enc-bytes': args.has('enc-bytes') ? Number(args.get('enc-bytes')) : undefined });

function makePool(recordSize: number): { batches: Buffer[]; recordsPerBatch: number } {
  const recordsPerBatch = Math.max(1, Math.floor((BATCH_BYTES - 61) / (recordSize + 12)));
  const batches: Buffer[] = [];
  for (let b = 0; b < POOL; b++) {
    const records = Array.from({ length: recordsPerBatch }, () => {
      const v = Buffer.allocUnsafe(recordSize);
      for (let i = 0; i < recordSize; i++) v[i] = 97 + ((Math.random() * 26) | 0);
      return { value: v };
    });
    batches.push(encodeRecordBatch({ records }));
  }
  return { batches, recordsPerBatch };
}

interface Result { seconds: number; bytes: number; records: number; fsyncs: number; groups: number; maxGroup: number; appends: number }

async function runLog(dir: string, pool: Buffer[], recordsPerBatch: number, config: LogConfig, keys?: KeyRing, total = totalBytes): Promise<Result> {
  const log = await PartitionLog.open(path.join(dir, 'bench-0'), config, undefined, keys ? { keys } : {});
  const n = Math.ceil(total / pool[0]!.length);
  let bytes = 0;
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (next < n) {
      const buf = pool[next++ % POOL]!;
      bytes += buf.length;
      await log.append(buf);
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  await log.flush();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const s = log.flushStats;
  await log.close();
  return { seconds, bytes, records: n * recordsPerBatch, fsyncs: s.fsyncs, groups: s.groups, maxGroup: s.maxGroup, appends: s.appends };
}

async function runRaw(dir: string, pool: Buffer[], recordsPerBatch: number, fsyncEveryGroup: boolean, segmentBytes: number, poolSize = POOL): Promise<Result> {
  const n = Math.ceil(totalBytes / pool[0]!.length);
  let fileNo = 0;
  let fh = await fsp.open(path.join(dir, `raw-${fileNo}.log`), 'w');
  let pos = 0;
  let bytes = 0;
  let next = 0;
  let dirty = false;
  let done = false;
  let fsyncs = 0;
  let groups = 0;
  let writesSinceSync = 0;
  let maxGroup = 0;
  let syncInFlight: Promise<void> | undefined;
  const t0 = process.hrtime.bigint();
  const syncer = async () => {
    while (!done) {
      if (!dirty) { await new Promise((r) => setImmediate(r)); continue; }
      dirty = false;
      maxGroup = Math.max(maxGroup, writesSinceSync);
      writesSinceSync = 0;
      syncInFlight = fh.datasync();
      await syncInFlight;
      syncInFlight = undefined;
      fsyncs++;
      groups++;
    }
  };
  const syncing = fsyncEveryGroup ? syncer() : Promise.resolve();
  let lock: Promise<void> = Promise.resolve();
  const worker = async () => {
    while (next < n) {
      const buf = pool[next++ % poolSize]!;
      const p = lock.then(async () => {
        if (pos + buf.length > segmentBytes) {
          // the next file first, so a group sync that starts now syncs it; one already running
          // on the old file is waited for before that file is closed
          const old = fh;
          fh = await fsp.open(path.join(dir, `raw-${++fileNo}.log`), 'w');
          pos = 0;
          await old.datasync();
          await syncInFlight;
          await old.close();
        }
        // the log's rule for how a write is made (inline-io.ts: small ones on the main thread)
        await writeAllAt(fh, [buf], pos);
        pos += buf.length;
        bytes += buf.length;
        dirty = true;
        writesSinceSync++;
      });
      lock = p;
      await p;
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  done = true;
  await syncing;
  await fh.datasync();
  fsyncs++;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await fh.close();
  return { seconds, bytes, records: n * recordsPerBatch, fsyncs, groups, maxGroup, appends: n };
}

function fmt(label: string, r: Result): string {
  const mbs = r.bytes / MiB / r.seconds;
  return `${label.padEnd(34)} ${mbs.toFixed(0).padStart(6)} MB/s ${(r.records / r.seconds / 1e6).toFixed(2).padStart(6)} M records/s  ${r.seconds.toFixed(2)} s  fsyncs ${r.fsyncs}  avg group ${(r.appends / Math.max(1, r.groups)).toFixed(1)} appends (max ${r.maxGroup})`;
}

function median(rs: Result[]): Result {
  return [...rs].sort((a, b) => a.seconds - b.seconds)[Math.floor(rs.length / 2)]!;
}

function fresh(): string {
  return mkdtempSync(path.join(baseDir, 'zkafka-log-bench-'));
}

async function benchCrc(pool: Buffer[]): Promise<void> {
  const big = Buffer.concat(pool);
  let sum = 0;
  const t0 = process.hrtime.bigint();
  const rounds = 200;
  for (let i = 0; i < rounds; i++) for (const b of pool) sum ^= crc32c(b);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`crc32c (${crc32cImplementation === 'native' ? 'native, crc32c.c' : '@node-rs/crc32'}) on 16 KiB batches: ${((big.length * rounds) / GiB / s).toFixed(2)} GiB/s (checksum ${sum >>> 0})`);
}

async function benchRecovery(): Promise<void> {
  const dir = fresh();
  try {
    const { batches } = makePool(1024);
    const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 2 * GiB - 1, flushIntervalMessages: NEVER, flushIntervalMs: NEVER };
    const log = await PartitionLog.open(path.join(dir, 'recover-0'), config);
    for (let b = 0; b * batches[0]!.length < recoveryBytes; b++) await log.append(batches[b % POOL]!);
    // no close, no flush: an unclean stop with everything past the recovery point
    const t0 = process.hrtime.bigint();
    const again = await PartitionLog.open(path.join(dir, 'recover-0'), config, undefined, { cleanShutdown: false, recoveryPoint: 0 });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`recovery of a ${(recoveryBytes / GiB).toFixed(2)} GiB unflushed segment: ${s.toFixed(2)} s (${(again.size / MiB / s).toFixed(0)} MB/s, ${again.logEndOffset} records, ${again.loadInfo.truncatedBytes} bytes cut)`);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ENC_BYTES = Number(args.get('enc-bytes') ?? 256 * MiB);

/** Encryption at rest: cipher alone, appends and reads with and without it (same run, ratios). */
async function benchEncryption(): Promise<void> {
  const keys = KeyRing.parse(`1:${randomBytes(32).toString('hex')}`, 'bench');
  const { batches, recordsPerBatch } = makePool(1024);
  // the cipher alone: encryptBatches on the pool
  const list = batches.map((b) => [{ at: 0, header: readBatchHeader(b) }]);
  let t0 = process.hrtime.bigint();
  let bytes = 0;
  while (bytes < 512 * MiB) for (let i = 0; i < POOL; i++) bytes += encryptBatches(keys, batches[i]!, list[i]!).buf.length;
  const cipherS = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`\nencryption at rest (AES-256-GCM, node:crypto ${process.versions.openssl ?? ''})`);
  console.log(`  cipher alone (encryptBatches, 16 KiB batches, one thread): ${(bytes / MiB / cipherS).toFixed(0)} MB/s`);
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, flushIntervalMessages: NEVER, flushIntervalMs: NEVER };
  const plain: Result[] = [];
  const enc: Result[] = [];
  const readPlain: number[] = [];
  const readEnc: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    for (const side of ['plain', 'enc'] as const) {
      const d = fresh();
      try {
        const k = side === 'enc' ? keys : undefined;
        (side === 'enc' ? enc : plain).push(await runLog(d, batches, recordsPerBatch, config, k, ENC_BYTES));
        // read it all back (1 MiB fetches), as a consumer's fetches would
        const log = await PartitionLog.open(path.join(d, 'bench-0'), config, undefined, k ? { keys: k, cleanShutdown: true, recoveryPoint: 0 } : { cleanShutdown: true, recoveryPoint: 0 });
        t0 = process.hrtime.bigint();
        let offset = 0;
        let read = 0;
        while (offset < log.logEndOffset) {
          const r = await log.read(offset, MiB, log.logEndOffset);
          read += r.records.length;
          offset = r.nextOffset;
        }
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        (side === 'enc' ? readEnc : readPlain).push(read / MiB / s);
        await log.close();
      } finally {
        rmSync(d, { recursive: true, force: true });
      }
    }
  }
  const p = median(plain);
  const e = median(enc);
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log('  ' + fmt('log append, plaintext', p));
  console.log('  ' + fmt('log append, encrypted', e));
  console.log(`  read back (PartitionLog.read, 1 MiB): plaintext ${mid(readPlain).toFixed(0)} MB/s, decrypted ${mid(readEnc).toFixed(0)} MB/s`);
  console.log(`  on disk: +32 bytes per batch (${((32 / batches[0]!.length) * 100).toFixed(2)}% at 16 KiB batches)`);
  console.log(`encryption ratio (1 KiB records, flushing off, ${(ENC_BYTES / MiB).toFixed(0)} MiB): append encrypted/plaintext ${(p.seconds / e.seconds).toFixed(2)}, read decrypted/plaintext ${(mid(readEnc) / mid(readPlain)).toFixed(2)}`);
}

async function main(): Promise<void> {
  if (args.has('encryption-only')) {
    console.log(`log-bench --encryption-only: median of ${RUNS} alternating runs, dir ${baseDir}`);
    await benchEncryption();
    return;
  }
  console.log(`log-bench: ${(totalBytes / MiB).toFixed(0)} MiB per run, median of ${RUNS} alternating runs, 16 KiB batches, ${WINDOW} appends in flight, dir ${baseDir}`);
  const last: Record<string, number> = {};
  for (const recordSize of [100, 1024]) {
    const { batches, recordsPerBatch } = makePool(recordSize);
    if (recordSize === 100) await benchCrc(batches);
    console.log(`\n${recordSize}-byte records (${recordsPerBatch} per ${batches[0]!.length}-byte batch)`);
    for (const policy of ['flush every message (default)', 'flushing off'] as const) {
      const every = policy !== 'flushing off';
      const config: LogConfig = every ? { ...DEFAULT_LOG_CONFIG } : { ...DEFAULT_LOG_CONFIG, flushIntervalMessages: NEVER, flushIntervalMs: NEVER };
      // The baseline writes what the log writes: the log merges the appends that queue while a
      // write runs into one writev (up to WINDOW batches here), so the raw side writes WINDOW x
      // 16 KiB at a time, with the same fsync cadence. Raw single 16 KiB writes are context.
      const pool4 = Array.from({ length: POOL / WINDOW }, (_, i) => Buffer.concat(batches.slice(i * WINDOW, (i + 1) * WINDOW)));
      const raws: Result[] = [];
      const logs: Result[] = [];
      const singles: Result[] = [];
      for (let run = 0; run < RUNS; run++) {
        // alternate, so drift in the disk's speed hits both sides alike
        for (const side of ['raw', 'log', 'single'] as const) {
          const d = fresh();
          try {
            if (side === 'raw') raws.push(await runRaw(d, pool4, recordsPerBatch * WINDOW, every, config.segmentBytes, POOL / WINDOW));
            else if (side === 'log') logs.push(await runLog(d, batches, recordsPerBatch, config));
            else singles.push(await runRaw(d, batches, recordsPerBatch, every, config.segmentBytes));
          } finally {
            rmSync(d, { recursive: true, force: true });
          }
        }
      }
      const raw = median(raws);
      const logR = median(logs);
      const ratio = raw.seconds / logR.seconds;
      console.log(`  ${policy}`);
      console.log('  ' + fmt(`raw write, ${WINDOW}x16 KiB at a time`, raw));
      console.log('  ' + fmt('log append, 16 KiB batches', logR));
      console.log('  ' + fmt('(context) raw, single 16 KiB writes', median(singles)));
      console.log(`  ratio log/raw: ${ratio.toFixed(2)}`);
      if (recordSize === 1024) last[policy] = ratio;
    }
  }
  console.log('');
  await benchRecovery();
  await benchEncryption();
  console.log(`log-append/raw-write ratio: ${(last['flush every message (default)'] ?? 0).toFixed(2)} flush every message, ${(last['flushing off'] ?? 0).toFixed(2)} flushing off (1 KiB records; target >= 0.8)`);
}

await main();
