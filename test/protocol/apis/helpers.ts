/**
 * Helpers for the wire codec tests: hex fixtures, kafkajs / kafka-node encoders and decoders
 * (CommonJS, loaded with createRequire), and the split/bounds checks every codec must pass.
 */
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { CorruptDataError } from '../../../src/common/errors.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

export const require = createRequire(import.meta.url);

/** A buffer from hex with spaces, newlines and `#` comments allowed. */
export function hex(s: string): Buffer {
  const clean = s
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex fixture: ${clean}`);
  return Buffer.from(clean, 'hex');
}

export function encode(fn: (w: Writer) => unknown): Buffer {
  const w = new Writer(8);
  fn(w);
  return Buffer.from(w.finish());
}

/** Decodes `buf` and checks that every byte was consumed. */
export function decode<T>(buf: Buffer, fn: (r: Reader) => T): T {
  const r = new Reader(buf);
  const out = fn(r);
  expect(r.remaining, 'bytes left after decoding').toBe(0);
  return out;
}

interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode: () => Promise<{ buffer: Buffer }>;
}

/** The body kafkajs writes for `requests/<api>/v<N>/request.js` called with `args`. */
export async function kafkajsRequestBody(api: string, version: number, args: unknown): Promise<Buffer> {
  const factory = require(`kafkajs/src/protocol/requests/${api}/v${version}/request`) as (a: unknown) => KafkajsRequest;
  const req = factory(args);
  expect(req.apiVersion).toBe(version);
  return Buffer.from((await req.encode()).buffer);
}

/** kafkajs' `decode` (no error parsing) of a response body for `requests/<api>/v<N>/response.js`. */
export async function kafkajsDecodeResponse(api: string, version: number, body: Buffer): Promise<any> {
  const mod = require(`kafkajs/src/protocol/requests/${api}/v${version}/response`) as {
    decode: (b: Buffer) => Promise<unknown>;
  };
  return mod.decode(body);
}

/** kafkajs' `decode` then `parse` (throws a KafkaJS error for an error code). */
export async function kafkajsParseResponse(api: string, version: number, body: Buffer): Promise<any> {
  const mod = require(`kafkajs/src/protocol/requests/${api}/v${version}/response`) as {
    decode: (b: Buffer) => Promise<unknown>;
    parse: (d: unknown) => Promise<unknown>;
  };
  return mod.parse(await mod.decode(body));
}

function expectCorrupt(fn: () => unknown, what: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${what}: expected a CorruptDataError`).toBeInstanceOf(CorruptDataError);
}

/** Every strict prefix of `buf` fails to decode with CorruptDataError, and nothing else. */
export function expectEveryTruncationThrows(buf: Buffer, fn: (r: Reader) => unknown): void {
  for (let len = 0; len < buf.length; len++) {
    const cut = Buffer.from(buf.subarray(0, len));
    expectCorrupt(() => fn(new Reader(cut)), `prefix of ${len}/${buf.length} bytes`);
  }
}

/**
 * Overwrites every 4-byte window of `buf` with a hostile int32 (huge, or negative) and decodes:
 * the result is either a clean decode or a CorruptDataError, never another exception (a
 * RangeError from a huge allocation, a TypeError, ...).
 */
export function expectHostileInt32sAreSafe(buf: Buffer, fn: (r: Reader) => unknown): void {
  for (const hostile of [0x7fffffff, 0x10000000, -2, -0x7fffffff]) {
    for (let at = 0; at + 4 <= buf.length; at++) {
      const b = Buffer.from(buf);
      b.writeInt32BE(hostile, at);
      try {
        fn(new Reader(b));
      } catch (e) {
        expect(e, `int32 ${hostile} at ${at}`).toBeInstanceOf(CorruptDataError);
      }
    }
  }
}

/** A hostile count at `countAt` (an array count known to be there) throws CorruptDataError. */
export function expectHostileCountThrows(buf: Buffer, countAt: number, fn: (r: Reader) => unknown): void {
  const b = Buffer.from(buf);
  b.writeInt32BE(0x7fffffff, countAt);
  expectCorrupt(() => fn(new Reader(b)), `count 0x7fffffff at ${countAt}`);
  b.writeInt32BE(-5, countAt);
  expectCorrupt(() => fn(new Reader(b)), `count -5 at ${countAt}`);
}

/** All three bounds checks at once. */
export function expectBoundsChecked(buf: Buffer, fn: (r: Reader) => unknown, countAt: number): void {
  expectEveryTruncationThrows(buf, fn);
  expectHostileCountThrows(buf, countAt, fn);
  expectHostileInt32sAreSafe(buf, fn);
}
