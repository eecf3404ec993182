/**
 * inline-io: small writes and recent small reads run on the calling thread, the rest on the
 * thread pool; both paths must write and read the same bytes (positional, partial at EOF).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INLINE_READ_MAX, INLINE_WRITE_MAX, RECENT_BYTES, readAt, writeAllAt } from '../../src/storage/inline-io.js';

const dir = mkdtempSync(path.join(tmpdir(), 'inline-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe('inline-io', () => {
  it('writes small and large buffer lists at their positions, byte for byte', async () => {
    const file = path.join(dir, 'w.log');
    const fh = await open(file, 'w+');
    const small = [bytes(100, 1), bytes(4000, 2)];
    const large = [bytes(INLINE_WRITE_MAX, 3), bytes(5000, 4)]; // over the limit: the pool
    await writeAllAt(fh, small, 0);
    await writeAllAt(fh, large, 4100);
    await writeAllAt(fh, [bytes(10, 5)], 50); // an overwrite inside the first write
    await writeAllAt(fh, [], 999_999); // nothing to write: no hole
    await fh.close();
    const want = Buffer.concat([...small, ...large]);
    bytes(10, 5).copy(want, 50);
    expect(readFileSync(file).equals(want)).toBe(true);
  });

  it('reads the same bytes inline (recent, small) and on the pool (old or large), short at the end', async () => {
    const file = path.join(dir, 'r.log');
    const fh = await open(file, 'w+');
    const size = RECENT_BYTES + 3 * INLINE_READ_MAX;
    const data = bytes(size, 7);
    await fh.write(data, 0, size, 0);
    const cases: [number, number][] = [
      [0, 1000], // old: the pool
      [size - 5000, 5000], // recent and small: inline
      [size - 2 * INLINE_READ_MAX, INLINE_READ_MAX + 1], // recent but large: the pool
      [size - 100, 1000], // past the end: the bytes that exist
      [size, 10], // at the end: nothing
    ];
    for (const [pos, len] of cases) {
      const got = await readAt(fh, pos, len, size);
      expect(got.equals(data.subarray(pos, Math.min(size, pos + len))), `read ${len} at ${pos}`).toBe(true);
    }
    await fh.close();
  });
});
