/**
 * Writing a tool's stdout so that none of it is lost: when stdout is a pipe, Node writes it
 * asynchronously, and process.exit() drops what is still queued (a dump piped into `wc -l`
 * lost most of its lines). Lines are buffered and written in large pieces, waiting for 'drain'
 * when the reader is slower than the tool; exitWhenWritten() exits once everything is out.
 * A reader that goes away (`| head`) ends the tool quietly with exit code 0, as `cat` does.
 */
import { once } from 'node:events';

export class Output {
  #lines: string[] = [];
  #blocked = false;

  constructor(private readonly tool: string) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      process.stderr.write(`${this.tool}: cannot write to stdout: ${err.message}\n`);
      process.exit(1);
    });
  }

  /** Queues one line of stdout. */
  out = (line: string): void => {
    this.#lines.push(line);
    if (this.#lines.length >= 1000) this.#write();
  };

  /** One line of stderr, prefixed with the tool's name, after the stdout queued before it. */
  err = (line: string): void => {
    this.#write();
    process.stderr.write(`${this.tool}: ${line}\n`);
  };

  /** Writes the queued lines now (for reports that must show up when made). */
  flush(): void {
    this.#write();
  }

  #write(): void {
    if (this.#lines.length === 0) return;
    if (!process.stdout.write(this.#lines.join('\n') + '\n')) this.#blocked = true;
    this.#lines = [];
  }

  /** Waits while the reader is behind (call it in loops that print a lot). */
  async pace(): Promise<void> {
    if (!this.#blocked) return;
    this.#blocked = false;
    await once(process.stdout, 'drain');
  }

  /** Writes what is queued, waits until stdout has taken all of it, then exits. */
  async exit(code: number): Promise<never> {
    this.#write();
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(code);
  }
}
