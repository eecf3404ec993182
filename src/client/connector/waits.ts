/**
 * The waits of the connector's rebalance loop: a sleep that can be ended early, a watch for the
 * first change of a znode, and the back-off after a failed attempt (rebalance.backoff.ms, ended
 * early when the owner znodes that made the attempt fail are gone, or when a registration it
 * waited for changes). Nothing is held while waiting.
 */
import type { ZkClient, ZkNode } from '../../zk/client.js';

/** One sleep at a time, which `wake()` ends at once. */
export class WakeableSleep {
  #wake: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  wake(): void {
    this.#wake?.();
  }
}

/**
 * Calls `onChange` each time the znode's version differs from the first one this watch saw (it
 * was written, deleted or created again); returns the unwatch function.
 */
export function watchForChange(zk: ZkClient, path: string, onChange: (node: ZkNode | undefined) => void): () => void {
  let first: number | undefined;
  return zk.watchData(path, (node) => {
    const version = node ? node.version : -1;
    if (first === undefined) first = version;
    else if (version !== first) onChange(node);
  });
}

/**
 * Sleeps `ms` on `sleeper`, ended early once every znode in `blockers` is deleted (their owners
 * released them) or any znode in `changing` changes.
 */
export async function backOff(zk: ZkClient, sleeper: WakeableSleep, ms: number, blockers: readonly string[], changing: readonly string[]): Promise<void> {
  if (blockers.length === 0 && changing.length === 0) return sleeper.sleep(ms);
  const present = new Set(blockers);
  const unwatch: (() => void)[] = [];
  const sleeping = sleeper.sleep(ms);
  for (const path of blockers) {
    unwatch.push(
      zk.watchData(path, (node) => {
        if (node) return;
        present.delete(path);
        if (present.size === 0) sleeper.wake();
      }),
    );
  }
  for (const path of changing) unwatch.push(watchForChange(zk, path, () => sleeper.wake()));
  try {
    await sleeping;
  } finally {
    for (const u of unwatch) u();
  }
}
