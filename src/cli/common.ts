/** Helpers every command-line tool shares: failing with a clear message and exit code 1. */
import { Command } from 'commander';
import { KafkaError, errorName } from '../common/errors.js';

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
