/**
 * One JSON object per stdout line, as Kafka's verifiable tools print them
 * ({"timestamp":<ms>,"name":"<event>",...}), written at once so that a reader (a test, or
 * kafka-verify.sh) sees each event as it happens, and flushed before the process exits.
 */
export function emit(name: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ timestamp: Date.now(), name, ...fields }) + '\n');
}

/** Resolves once everything written to stdout so far has gone out. */
export function stdoutDrained(): Promise<void> {
  return new Promise((resolve) => process.stdout.write('', () => resolve()));
}

/** Kafka prints `class <JavaException>`; here the error's class name. */
export function exceptionName(err: unknown): string {
  return `class ${err instanceof Error ? err.constructor.name : 'Error'}`;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});
