/** Bytes of `file` in the page cache now (util-linux `fincore`). */
import { execFileSync } from 'node:child_process';

export function cachedBytes(file: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--raw', '--noheadings', '--output', 'RES', file]).toString().trim());
}
