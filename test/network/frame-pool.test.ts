import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/network/frame-decoder.js';
import { FramePool } from '../../src/network/frame-pool.js';

function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Feeds `bytes` in chunks of `chunk` bytes; returns the frames completed. */
function feed(d: FrameDecoder, bytes: Buffer, chunk: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunk) out.push(...d.push(bytes.subarray(at, at + chunk)));
  return out;
}

describe('FramePool', () => {
  const big = (fill: number, n = 200_000): Buffer => Buffer.alloc(n, fill);

  it('assembles a frame that spans chunks in a pooled buffer, used again once released', () => {
    const pool = new FramePool(64 * 1024, 2);
    const d = new FrameDecoder(1 << 20, (n) => pool.allocate(n));
    const [first] = feed(d, frame(big(1)), 65536);
    expect(first!.equals(big(1))).toBe(true);
    // not released yet: the next frame gets a buffer of its own, and the first is untouched
    const [second] = feed(d, frame(big(2)), 65536);
    expect(second!.buffer).not.toBe(first!.buffer);
    expect(first!.equals(big(1))).toBe(true);
    pool.release(first!);
    pool.release(second!);
    expect(pool.kept).toBe(2);
    // a smaller frame reuses a kept buffer, with its own bytes and length
    const [third] = feed(d, frame(big(3, 150_000)), 65536);
    expect([first!.buffer, second!.buffer]).toContain(third!.buffer);
    expect(third!.length).toBe(150_000);
    expect(third!.equals(big(3, 150_000))).toBe(true);
  });

  it('leaves small frames, frames it did not lend and second releases alone', () => {
    const pool = new FramePool(64 * 1024, 2);
    const d = new FrameDecoder(1 << 20, (n) => pool.allocate(n));
    const [small] = feed(d, frame(Buffer.from('small frame')), 3);
    expect(small!.toString()).toBe('small frame');
    pool.release(small!);
    pool.release(Buffer.alloc(100_000));
    expect(pool.kept).toBe(0);
    const [a] = feed(d, frame(big(4)), 65536);
    pool.release(a!);
    pool.release(a!); // a second release must not let two frames share one buffer
    const [b] = feed(d, frame(big(5)), 65536);
    const [c] = feed(d, frame(big(6)), 65536);
    expect(b!.buffer).not.toBe(c!.buffer);
    expect(b!.equals(big(5))).toBe(true);
    expect(c!.equals(big(6))).toBe(true);
  });

  it('keeps at most `keep` buffers, the largest', () => {
    const pool = new FramePool(1000, 1);
    const a = pool.allocate(5000);
    const b = pool.allocate(9000);
    pool.release(a);
    pool.release(b);
    expect(pool.allocate(7000).buffer).toBe(b.buffer);
    expect(pool.allocate(2000).buffer).not.toBe(a.buffer);
  });
});
