import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameSizeError } from '../../src/network/frame-decoder.js';

function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(body.length);
  return Buffer.concat([head, body]);
}

describe('FrameDecoder', () => {
  const bodies = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('a much longer frame body than the others')];
  const stream = Buffer.concat(bodies.map(frame));

  it('splits a stream cut at every point into the same frames', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder(1024);
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(got.map((b) => b.toString())).toEqual(bodies.map((b) => b.toString()));
      expect(d.buffered).toBe(0);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const d = new FrameDecoder(1024);
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
    expect(got.map((b) => b.toString())).toEqual(bodies.map((b) => b.toString()));
  });

  it.each([
    ['2^31-1', 0x7fffffff],
    ['negative', -1],
    ['limit+1', 1025],
  ])('refuses a frame size of %s as soon as the size arrives', (_name, size) => {
    const d = new FrameDecoder(1024);
    const head = Buffer.alloc(4);
    head.writeInt32BE(size);
    expect(() => d.push(head)).toThrow(FrameSizeError);
  });

  it('accepts a frame of exactly the limit', () => {
    const d = new FrameDecoder(16);
    expect(d.push(frame(Buffer.alloc(16, 7)))).toHaveLength(1);
  });

  it('holds no more than the partial frame it is assembling', () => {
    const d = new FrameDecoder(1 << 20);
    const f = frame(Buffer.alloc(1000, 1));
    d.push(f.subarray(0, 500));
    expect(d.buffered).toBe(496);
  });
});
