/**
 * The benchmarks' command line. Every bench has a usage text: `--help` (or `-h`) prints it and
 * exits 0 before the bench does anything, and a bad command line (an unknown option, a missing
 * or malformed argument) prints `<tool>: <what is wrong>` and the usage on stderr and exits 2,
 * instead of running a multi-minute bench with its defaults or dying with a stack trace.
 */

/** A bad command line: what is wrong with it, for usageError(). */
export class UsageError extends Error {}

/**
 * The benchmarks' command line: `--name value`, `--name=value`, or a bare `--flag` (true).
 * With `known`, an option not in it is a UsageError naming it and the known ones (a typo such as
 * `--record 10` must not run the bench with its defaults).
 */
export function benchArgs(argv: readonly string[] = process.argv.slice(2), known?: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) throw new UsageError(`unexpected argument ${argv[i]}`);
    if (known && !known.includes(m[1]!)) throw unknownOption(`--${m[1]!}`, known);
    args.set(m[1]!, m[2] ?? (argv[i + 1]?.startsWith('--') ? 'true' : argv[++i] ?? 'true'));
  }
  return args;
}

/** The UsageError for an option the bench does not take, listing the ones it does. */
export function unknownOption(option: string, known: readonly string[]): UsageError {
  if (known.length === 0) return new UsageError(`unknown option ${option} (this bench takes no options)`);
  return new UsageError(`unknown option ${option} (known options: ${known.map((k) => `--${k}`).join(', ')})`);
}

/** `--name=value` as `--name value`: for the benches that parse options among positional arguments. */
export function splitOptionValues(argv: readonly string[]): string[] {
  return argv.flatMap((a) => {
    const m = /^(--[^=]+)=(.*)$/.exec(a);
    return m ? [m[1]!, m[2]!] : [a];
  });
}

/** With `--help` or `-h` in `argv`: prints `usage` on stdout and exits 0. Call it before anything else. */
export function exitOnHelp(usage: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
  process.exit(0);
}

/**
 * A bad command line: `<tool>: <message>` and the usage's synopsis (its text up to the first
 * blank line, the rest being what --help adds) on stderr, exit code 2.
 */
export function usageError(tool: string, message: string, usage: string): never {
  const synopsis = usage.trimEnd().split(/\n\s*\n/)[0]!;
  const more = synopsis === usage.trimEnd() ? '' : `(--help: the options and what it prints)\n`;
  process.stderr.write(`${tool}: ${message}\n${synopsis}\n${more}`);
  process.exit(2);
}

/** benchArgs() with `known`, a bad command line reported by usageError(). */
export function benchArgsOrExit(tool: string, usage: string, known: readonly string[], argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  try {
    return benchArgs(argv, known);
  } catch (err) {
    if (err instanceof UsageError) usageError(tool, err.message, usage);
    throw err;
  }
}

/** A usage error unless each of `names` was given a value (a bare `--name` is 'true': not one). */
export function requireOptions(tool: string, usage: string, args: Map<string, string>, names: readonly string[]): void {
  for (const name of names) {
    const v = args.get(name);
    if (v === undefined || v === '' || v === 'true') usageError(tool, `--${name} is required`, usage);
  }
}

/**
 * A usage error unless every value (option name -> value; undefined: not given) is a positive
 * number: `--runs x` or a bare `--records` must not run the bench with NaN.
 */
export function requirePositive(tool: string, usage: string, values: Record<string, number | undefined>): void {
  for (const [name, v] of Object.entries(values)) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) usageError(tool, `${name} must be a positive number`, usage);
  }
}
