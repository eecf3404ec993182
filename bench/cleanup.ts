/**
 * What a bench started (ZooKeeper, brokers, a proxy, a tool) is stopped when the bench ends
 * before stopping it itself: its main failed and exited, an exception nobody caught, Ctrl-C or
 * SIGTERM, or the reader of its stdout went away (`node dist/bench/replication-bench.js | head
 * -1`: the next write fails with EPIPE). The stops run from the process's 'exit' event, so they must be
 * synchronous: a signal to a child process by its pid (ChildProcess.kill), execFileSync of
 * `scripts/zk-ensemble.sh stop --dir DIR` (which signals the pids it recorded), rmSync.
 */

const stops = new Set<() => void>();
let hooked = false;

/**
 * Runs `stop` when this process exits, unless the function returned is called first (once the
 * bench has stopped the thing itself).
 */
export function stopAtExit(stop: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      // newest first: a broker before the ZooKeeper it uses
      for (const s of [...stops].reverse()) {
        try {
          s();
        } catch {
          /* stopped already, or cannot be: the others still run */
        }
      }
      stops.clear();
    });
    // Ctrl-C or a SIGTERM to the bench's pid: exit through the same stops (a signal's default
    // action would end the process without its 'exit' event), with the shell's 128 + signal
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(143));
  }
  stops.add(stop);
  return () => void stops.delete(stop);
}

/**
 * When the reader of stdout goes away (EPIPE, as with `| head -1`): exits 0 at once, quietly
 * (as the project's tools do), which runs the stops of stopAtExit(), instead of an unhandled
 * 'error' event. Any other error writing stdout: a message on stderr and exit code 1.
 */
export function exitWhenStdoutCloses(tool: string): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`${tool}: cannot write to stdout: ${err.message}\n`);
    process.exit(1);
  });
}
