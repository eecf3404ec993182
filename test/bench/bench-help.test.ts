/**
 * Every benchmark program (bench/*.ts with a main) answers `--help` with its usage on stdout and
 * exit code 0 at once, before it starts anything, and refuses an option it does not take with
 * exit code 2 and a message naming it (a typo must not run a multi-minute bench with its
 * defaults). None of these runs a benchmark: each spawn is killed after 10 s, so a program that
 * ignored --help fails here instead of running.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The programs; bench/args.ts and bench/cleanup.ts are helpers without a main. */
const BENCHES = [
  'broker-metrics',
  'cleaner-bench',
  'e2e-latency',
  'fsync-latency',
  'group-bench',
  'kafkajs-producer',
  'log-bench',
  'mirror-bench',
  'rebalance-bench',
  'replication-bench',
  'rest-bench',
  'scale-cluster-bench',
  'ui-bench',
];
const HELPERS = ['args', 'cleanup'];

function run(name: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(ROOT, 'dist/bench', `${name}.js`), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 10_000,
    killSignal: 'SIGKILL',
  });
}

describe('bench programs: --help and unknown options', () => {
  it('covers every program in bench/', () => {
    const programs = readdirSync(path.join(ROOT, 'bench'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .filter((f) => !HELPERS.includes(f));
    expect(programs.sort()).toEqual([...BENCHES].sort());
  });

  it.each(BENCHES)('%s --help prints its usage and exits 0 at once', { timeout: 20_000 }, (name) => {
    const r = run(name, ['--help']);
    expect(r.signal, `${name} --help did not exit within 10 s`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: ${name}\\.js`, 'm'));
    expect(r.stdout).toContain(`dist/bench/${name}.js`);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stderr).toBe('');
  });

  it.each(['log-bench', 'replication-bench', 'e2e-latency'])('%s -h is --help', { timeout: 20_000 }, (name) => {
    const r = run(name, ['-h']);
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: ${name}\\.js`, 'm'));
  });

  it.each(BENCHES)('%s refuses an unknown option with exit code 2', { timeout: 20_000 }, (name) => {
    const r = run(name, ['--no-such-option', '1']);
    expect(r.signal, `${name} --no-such-option did not exit within 10 s`).toBeNull();
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${name}: unknown option --no-such-option`));
    expect(r.stderr).toMatch(new RegExp(`^usage: ${name}\\.js`, 'm'));
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(r.stdout).toBe('');
  });

  it('names the options a typo missed', () => {
    const r = run('replication-bench', ['--record', '10']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --record (known options: --records, --runs, --session-ms, --e2e-runs)');
  });

  it('refuses a missing required option or a value that is not a number with exit code 2', () => {
    const missing = run('group-bench', ['--zookeeper', '127.0.0.1:1']);
    expect([missing.status, missing.stderr.split('\n')[0]]).toEqual([2, 'group-bench: --broker is required']);
    const nan = run('mirror-bench', ['--zookeeper', '127.0.0.1:1', '--broker', '127.0.0.1:1', '--records', 'many']);
    expect([nan.status, nan.stderr.split('\n')[0]]).toEqual([2, 'mirror-bench: --records must be a positive number']);
    const positional = run('log-bench', ['--quick', '--bytes=1024', 'extra']);
    expect([positional.status, positional.stderr.split('\n')[0]]).toEqual([2, 'log-bench: unexpected argument extra']);
  });
});
