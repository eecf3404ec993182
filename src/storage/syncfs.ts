/**
 * One syncfs(2) for many files: makes every file of a filesystem durable in one call.
 *
 * Why (issue 11, measured on this machine): a produce request with keyed records over 512
 * partitions writes ~380 logs, and flush-before-expose needs each of them on disk. fdatasync of
 * different files barely overlaps here: 379 files with 2.6 KB appended each take 36-40 ms as
 * fdatasyncs (four at a time), one syncfs takes 8.5-9 ms; 64 files of 16 KB 8 ms against
 * 3.5 ms; 8 files 1.2 ms against 1.5-2 ms (so few files keep their fdatasyncs). PostgreSQL
 * chose syncfs for the same reason (recovery_init_sync_method=syncfs).
 *
 * Node has no syncfs binding. The project's own Node-API module (src/storage/syncfs.c, built by
 * scripts/build-native.sh) calls it on a libuv worker thread; where that module is not built, a
 * small helper process kept running makes the calls and answers each request with its status
 * (forking the broker's own large process per call would stall its event loop): `python3`
 * calling libc's syncfs() in a loop, else `/bin/sh` running coreutils' `sync -f DIR` per
 * request. The module saves each call two pipe writes and a wake-up of another process, and the
 * broker's start ~0.5 s (the python3 helper's start, in the probe). The shell pays a fork and
 * exec per call: 4.7 ms of wall time and 4.6 ms of CPU per `sync -f` here, where syncfs itself
 * can take 0.06 ms, on a flush path where a keyed produce request over 512 partitions waits for
 * one syncfs (~20 ms).
 * Since Linux 5.8 syncfs reports writeback errors of the filesystem, so a failure is a failed
 * flush; older kernels and systems with neither helper are refused by `FileSystemSync.probe`
 * and keep per-file fdatasync.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import { loadNativeExport } from '../common/native-module.js';

type NativeSyncfs = (dirs: string[]) => Promise<void>;

/** The built module: beside this file in dist, or dist's copy when this file runs from src (vitest). */
const CANDIDATES = ['./syncfs.node', '../../dist/src/storage/syncfs.node'];

function loadNative(): NativeSyncfs | undefined {
  if (process.env.ZKAFKA_SYNCFS === 'helper') return undefined;
  return loadNativeExport<NativeSyncfs>(import.meta.url, CANDIDATES, 'syncfs');
}

const native = loadNative();

/** Linux >= 5.8: syncfs returns the filesystem's writeback errors. */
export function kernelReportsSyncfsErrors(release = os.release()): boolean {
  if (os.platform() !== 'linux') return false;
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 5 || (major === 5 && minor >= 8);
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** What runs the syncfs calls (see the top of this file): the native module or a helper process. */
export type SyncfsHelper = 'native' | 'python3' | 'sh';

/** The helpers FileSystemSync.probe tries, in order: the native module first when it is built. */
export const SYNCFS_HELPERS: readonly SyncfsHelper[] = native ? ['native', 'python3', 'sh'] : ['python3', 'sh'];

/**
 * A JSON list of directories per line in; error lines (if any), then `|<status>` out. CDLL(None)
 * is the process's own symbols, libc's syncfs among them (glibc >= 2.14; without it the helper
 * exits and probe() moves on).
 */
const PYTHON_HELPER = [
  'import ctypes, json, os, sys',
  'syncfs = ctypes.CDLL(None, use_errno=True).syncfs',
  'while True:',
  '    line = sys.stdin.readline()',
  '    if not line:',
  '        break',
  '    status = 0',
  '    for d in json.loads(line):',
  '        try:',
  '            fd = os.open(d, os.O_RDONLY)',
  '        except OSError as e:',
  '            print("%s: %s" % (d, e.strerror))',
  '            status = 1',
  '            continue',
  '        if syncfs(fd) != 0:',
  '            print("%s: syncfs: %s" % (d, os.strerror(ctypes.get_errno())))',
  '            status = 1',
  '        os.close(fd)',
  '    print("|%d" % status, flush=True)',
].join('\n');

export class FileSystemSync {
  readonly helper: SyncfsHelper;
  #shell: ChildProcess | undefined;
  /** Answers awaited by the commands sent, in order. */
  #pending: { resolve: () => void; reject: (e: Error) => void; dirs: string[] }[] = [];
  #buffered = '';
  /** sync's error lines before the status line they belong to. */
  #errorText = '';

  constructor(helper: SyncfsHelper = 'sh') {
    this.helper = helper;
  }

  /**
   * A FileSystemSync with the first of `helpers` that syncs `dir` when the kernel reports
   * syncfs errors; undefined otherwise (the caller keeps per-file fdatasync).
   */
  static async probe(dir: string, helpers: readonly SyncfsHelper[] = SYNCFS_HELPERS): Promise<FileSystemSync | undefined> {
    if (!kernelReportsSyncfsErrors()) return undefined;
    for (const helper of helpers) {
      if (helper === 'native' && !native) continue;
      const s = new FileSystemSync(helper);
      try {
        await s.sync([dir]);
        return s;
      } catch {
        s.close();
      }
    }
    return undefined;
  }

  /** syncfs of the filesystem of each directory (one per distinct directory given). */
  sync(dirs: string[]): Promise<void> {
    const unique = [...new Set(dirs)];
    if (unique.length === 0) return Promise.resolve();
    const bad = unique.find((d) => d.includes('\n'));
    if (bad !== undefined) return Promise.reject(new Error(`cannot syncfs a path with a newline: ${JSON.stringify(bad)}`));
    if (this.helper === 'native') {
      if (!native) return Promise.reject(new Error('the native syncfs module is not built (scripts/build-native.sh)'));
      const failed = (e: Error): Promise<never> => Promise.reject(new Error(`syncfs of ${unique.join(', ')} failed: ${e.message}`));
      try {
        return native(unique).catch(failed);
      } catch (e) {
        return failed(e as Error); // refused before it started (a path with a NUL byte)
      }
    }
    return new Promise<void>((resolve, reject) => {
      const shell = this.#start();
      this.#pending.push({ resolve, reject, dirs: unique });
      // each directory's filesystem is synced; one status for all
      shell.stdin!.write(this.helper === 'python3' ? `${JSON.stringify(unique)}\n` : `${unique.map(quote).join(' ')}\n`);
    });
  }

  close(): void {
    const shell = this.#shell;
    this.#shell = undefined;
    if (shell) {
      shell.stdin?.end();
      shell.kill();
    }
    this.#failAll(new Error('syncfs helper closed'));
  }

  #start(): ChildProcess {
    if (this.#shell) return this.#shell;
    // a line of directories in; error lines (if any), then `|<status>` out
    const shell =
      this.helper === 'python3'
        ? spawn('python3', ['-I', '-c', PYTHON_HELPER], { stdio: ['pipe', 'pipe', 'ignore'] })
        : spawn('/bin/sh', ['-c', 'while IFS= read -r dirs; do eval "sync -f -- $dirs" 2>&1; echo "|$?"; done'], { stdio: ['pipe', 'pipe', 'ignore'] });
    shell.stdout!.setEncoding('utf8');
    shell.stdout!.on('data', (chunk: string) => this.#onData(chunk));
    shell.on('error', (e) => this.#onExit(shell, e));
    shell.on('exit', (code, signal) => this.#onExit(shell, new Error(`syncfs helper exited (${signal ?? code})`)));
    // a helper that stopped reading (EPIPE) fails what it was asked, like one that exited
    shell.stdin!.on('error', (e) => this.#onExit(shell, new Error(`syncfs helper stopped reading: ${e.message}`)));
    // the helper never keeps the process alive by itself
    shell.unref();
    for (const s of [shell.stdin, shell.stdout] as unknown as { unref?: () => void; _handle?: { unref?: () => void } }[]) s?._handle?.unref?.();
    this.#shell = shell;
    return shell;
  }

  #onData(chunk: string): void {
    this.#buffered += chunk;
    let i: number;
    while ((i = this.#buffered.indexOf('\n')) >= 0) {
      const line = this.#buffered.slice(0, i);
      this.#buffered = this.#buffered.slice(i + 1);
      if (!line.startsWith('|')) {
        this.#errorText = `${this.#errorText} ${line}`.trim().slice(0, 500);
        continue;
      }
      const p = this.#pending.shift();
      const error = this.#errorText;
      this.#errorText = '';
      if (!p) continue;
      const status = line.slice(1);
      if (status === '0') p.resolve();
      else p.reject(new Error(`syncfs of ${p.dirs.join(', ')} failed (${this.helper === 'sh' ? 'sync -f exit' : 'status'} ${status})${error ? `: ${error}` : ''}`));
    }
  }

  /** The helper `shell` is gone or broken: what it was asked fails, the next sync starts another. */
  #onExit(shell: ChildProcess, e: Error): void {
    if (this.#shell !== shell) return; // closed, or already replaced
    this.#shell = undefined;
    shell.kill();
    this.#buffered = '';
    this.#errorText = '';
    this.#failAll(e);
  }

  #failAll(e: Error): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject(e);
  }
}

/**
 * fsyncs of small files (checkpoints: a leader epoch file per partition that becomes leader)
 * asked for in the same turn of the event loop: with `minFiles` or more and a FileSystemSync,
 * one syncfs of their filesystems covers them all; otherwise each file gets its own fsync. A
 * broker taking over 2,500 leaderships in a controlled shutdown wrote 2,500 checkpoints with an
 * fsync each (~1,000 a second here).
 */
export class FileSyncBatcher {
  #fss: FileSystemSync | undefined;
  #minFiles: number;
  #pending: { fh: FileHandle; root: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #scheduled = false;

  constructor(fss?: FileSystemSync, minFiles = 8) {
    this.#fss = fss;
    this.#minFiles = minFiles;
  }

  /** From now on batches go through `fss` (undefined: every file its own fsync). */
  use(fss: FileSystemSync | undefined, minFiles = this.#minFiles): void {
    this.#fss = fss;
    this.#minFiles = minFiles;
  }

  /** Makes the written content of `fh` durable; `root` is a directory on its filesystem. */
  sync(fh: FileHandle, root: string): Promise<void> {
    if (!this.#fss) return fh.sync();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ fh, root, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#run());
      }
    });
  }

  #run(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    const fss = this.#fss;
    if (!fss || batch.length < this.#minFiles) {
      for (const b of batch) b.fh.sync().then(b.resolve, b.reject);
      return;
    }
    fss.sync(batch.map((b) => b.root)).then(
      () => batch.forEach((b) => b.resolve()),
      (e: unknown) => batch.forEach((b) => b.reject(e)),
    );
  }
}

/** The process's batcher for checkpoint files (the broker gives it its FileSystemSync). */
export const checkpointSync = new FileSyncBatcher();
