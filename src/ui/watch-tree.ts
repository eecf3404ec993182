/**
 * The cluster map's ZooKeeper watches, by path: ZkClient's self-re-arming watches
 * (watchData / watchChildren) set once per path, and dropped with everything under a path when
 * that path goes away (a topic deleted, a group gone), so the map never polls ZooKeeper and
 * never leaks watches.
 */
import type { ZkClient, ZkNode } from '../zk/client.js';

export class WatchTree {
  readonly #zk: ZkClient;
  readonly #unwatch = new Map<string, () => void>();

  constructor(zk: ZkClient) {
    this.#zk = zk;
  }

  /** Calls `fn` with the data of `path` (undefined while absent), now and on every change. */
  data(path: string, fn: (node: ZkNode | undefined) => void): void {
    const key = `d ${path}`;
    if (this.#unwatch.has(key)) return;
    this.#unwatch.set(key, this.#zk.watchData(path, fn));
  }

  /** Calls `fn` with the sorted children of `path` (undefined while absent), now and on every change. */
  children(path: string, fn: (children: string[] | undefined) => void): void {
    const key = `c ${path}`;
    if (this.#unwatch.has(key)) return;
    this.#unwatch.set(key, this.#zk.watchChildren(path, fn));
  }

  /** Stops the watches on `path` and on every path under it. */
  drop(path: string): void {
    for (const [key, unwatch] of this.#unwatch) {
      const p = key.slice(2);
      if (p === path || p.startsWith(`${path}/`)) {
        unwatch();
        this.#unwatch.delete(key);
      }
    }
  }

  get size(): number {
    return this.#unwatch.size;
  }

  close(): void {
    for (const unwatch of this.#unwatch.values()) unwatch();
    this.#unwatch.clear();
  }
}

/** What was added to and removed from a set of names. */
export function diffNames(before: ReadonlySet<string>, after: readonly string[]): { added: string[]; removed: string[] } {
  const next = new Set(after);
  return { added: after.filter((n) => !before.has(n)), removed: [...before].filter((n) => !next.has(n)) };
}
