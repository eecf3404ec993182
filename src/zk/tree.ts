/**
 * Whole-tree helpers for the operator tools (zookeeper-shell's `ls -R`, the offset export):
 * ZooKeeper's own path rules (PathUtils.validatePath) and a depth-first walk of a subtree in
 * the order zkCli prints it (ZKUtil.visitSubTreeDFS: the node, then each child's subtree,
 * children sorted).
 */
import type { ZkClient } from './client.js';
import { childPath } from './paths.js';

/**
 * Checks a znode path as ZooKeeper's PathUtils.validatePath does and returns undefined, or
 * the reason it is invalid (in ZooKeeper's words).
 */
export function invalidPathReason(path: string): string | undefined {
  if (path.length === 0) return 'Path length must be > 0';
  if (path[0] !== '/') return 'Path must start with / character';
  if (path.length === 1) return undefined;
  if (path.endsWith('/')) return 'Path must not end with / character';
  const parts = path.split('/');
  let at = 0;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    at += 1;
    if (part.length === 0) return `Invalid path string "${path}" caused by empty node name specified @${at}`;
    if (part === '.' || part === '..') return `Invalid path string "${path}" caused by relative paths not allowed @${at}`;
    for (let j = 0; j < part.length; j++) {
      const c = part.charCodeAt(j); // UTF-16 units, as Java's String.charAt
      if (c === 0) return `Invalid path string "${path}" caused by null character not allowed @${at + j}`;
      if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0) {
        return `Invalid path string "${path}" caused by invalid character @${at + j}`;
      }
    }
    at += part.length;
  }
  return undefined;
}

/**
 * Every path of the subtree under `path` (itself first), depth first with children sorted;
 * nodes deleted during the walk are skipped. Undefined when `path` does not exist.
 */
export async function walkTree(zk: ZkClient, path: string): Promise<string[] | undefined> {
  const top = await zk.children(path);
  if (top === undefined) return undefined;
  const out: string[] = [path];
  const visit = async (p: string, kids: string[]): Promise<void> => {
    for (const k of kids) {
      const c = childPath(p, k);
      const grand = await zk.children(c);
      if (grand === undefined) continue; // deleted meanwhile
      out.push(c);
      await visit(c, grand);
    }
  };
  await visit(path, top);
  return out;
}
