/** Helpers every command-line tool shares: failing with a clear message and exit code 1. */
import { Command } from 'commander';
import { KafkaError, errorName } from '../common/errors.js';
import { ZkClient } from '../zk/client.js';

export function fail(tool: string, message: string, code = 1): never {
  process.stderr.write(`${tool}: ${message}\n`);
  process.exit(code);
}

export function describeError(err: unknown): string {
  if (err instanceof KafkaError) return `${err.message} (${errorName(err.code)})`;
  return err instanceof Error ? err.message : String(err);
}

/** Repeatable option collector: `--config a=1 --config b=2`. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Parses `key=value` pairs into a record, failing with the tool's name on a malformed one. */
export function parseKeyValues(tool: string, pairs: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) fail(tool, `${what} "${p}" must be of the form key=value`);
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

export function positiveInt(tool: string, flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) <= 0) fail(tool, `${flag} must be a positive integer, got "${v}"`);
    return Number(v);
  };
}

export function newProgram(name: string, description: string): Command {
  return new Command(name).description(description).showHelpAfterError().configureOutput({
    outputError: (str, write) => write(str),
  });
}

/**
 * Connects to ZooKeeper (a chroot suffix allowed), runs `fn`, closes the session and exits:
 * 0, or what `fn` returns, or 1 with the error on stderr.
 */
export async function runWithZooKeeper(tool: string, connectString: string, fn: (zk: ZkClient) => Promise<number | void>): Promise<never> {
  const slash = connectString.indexOf('/');
  let zk: ZkClient;
  try {
    zk = await ZkClient.connect({
      connectString: slash < 0 ? connectString : connectString.slice(0, slash),
      chroot: slash < 0 ? undefined : connectString.slice(slash),
      connectTimeoutMs: 15_000,
      sessionTimeoutMs: 30_000,
    });
  } catch (err) {
    fail(tool, `cannot connect to ZooKeeper at ${connectString}: ${describeError(err)}`);
  }
  let code = 0;
  try {
    code = (await fn(zk)) ?? 0;
  } catch (err) {
    process.stderr.write(`${tool}: ${describeError(err)}\n`);
    code = 1;
  } finally {
    await zk.close();
  }
  process.exit(code);
}
