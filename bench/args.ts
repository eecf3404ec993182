/**
 * The benchmarks' command line: `--name value`, `--name=value`, or a bare `--flag` (true).
 */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    args.set(m[1]!, m[2] ?? (argv[i + 1]?.startsWith('--') ? 'true' : argv[++i] ?? 'true'));
  }
  return args;
}
