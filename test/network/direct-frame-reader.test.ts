import { describe, expect, it } from 'vitest';
import { DirectFrameReader } from '../../src/network/direct-frame-reader.js';
import { FrameSizeError } from '../../src/network/frame-decoder.js';

function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Plays a socket: each read copies up to `readSize(i)` bytes of `stream` into the buffer the reader gives. */
function feed(r: DirectFrameReader, stream: Buffer, readSize: (i: number) => number): Buffer[] {
  const got: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < stream.length; i++) {
    const into = r.nextBuffer();
    expect(into.length).toBeGreaterThan(0);
    const n = Math.min(into.length, readSize(i), stream.length - at);
    stream.copy(into, 0, at, at + n);
    at += n;
    got.push(...r.onRead(n));
  }
  return got;
}

describe('DirectFrameReader', () => {
  const big = Buffer.alloc(100_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  const bodies = [Buffer.from('hello'), Buffer.alloc(0), big, Buffer.from('after the large one'), Buffer.alloc(60_000, 3), Buffer.from('end')];
  const stream = Buffer.concat(bodies.map(frame));

  it('gives the same frames whatever the reads look like', () => {
    for (const readSize of [() => 1, () => 3, () => 4096, () => 65536, (i: number) => 1 + ((i * 7919) % 70_000)]) {
      const r = new DirectFrameReader(1 << 20, undefined, 1024);
      const got = feed(r, stream, readSize);
      expect(got.map((b) => b.toString('hex'))).toEqual(bodies.map((b) => b.toString('hex')));
      expect(r.buffered).toBe(0);
    }
  });

  it('reads a frame larger than its scratch buffer straight into the buffer allocate() gave, asked for once', () => {
    const asked: number[] = [];
    const given: Buffer[] = [];
    const r = new DirectFrameReader(1 << 20, (n) => {
      asked.push(n);
      const b = Buffer.alloc(n);
      given.push(b);
      return b;
    }, 1024);
    const got = feed(r, frame(big), () => 8192);
    expect(asked).toEqual([big.length]);
    expect(got).toHaveLength(1);
    expect(got[0]).toBe(given[0]);
    expect(got[0]!.equals(big)).toBe(true);
  });

  it('hands out small frames as copies: reading on does not change a frame already given', () => {
    const r = new DirectFrameReader(1 << 20, undefined, 64);
    const first = feed(r, frame(Buffer.from('first frame')), () => 1000);
    feed(r, frame(Buffer.alloc(40, 0x78)), () => 1000);
    expect(first[0]!.toString()).toBe('first frame');
  });

  it.each([
    ['negative', -1],
    ['over the limit', 1025],
  ])('refuses a frame size that is %s as soon as the size arrives', (_name, size) => {
    const r = new DirectFrameReader(1024);
    const head = Buffer.alloc(4);
    head.writeInt32BE(size);
    head.copy(r.nextBuffer());
    expect(() => r.onRead(4)).toThrow(FrameSizeError);
  });
});
