import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import { crc32c, crc32cImplementation } from '../../../src/protocol/records/crc.js';

/** An independent bitwise CRC32C (Castagnoli, reflected 0x82F63B78). */
function bitwise(buf: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function hasCompiler(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "${CC:-cc}"'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('crc32c', () => {
  it('runs on the native module where scripts/build-native.sh can build it (x86-64 with a C compiler)', () => {
    if (process.arch === 'x64' && hasCompiler()) expect(crc32cImplementation).toBe('native');
    else expect(['native', 'node-rs']).toContain(crc32cImplementation);
  });

  it('gives the check value and the test vectors of RFC 3720 (iSCSI), B.4', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('agrees with a bitwise CRC and with @node-rs/crc32 at every length around its block sizes, aligned or not', () => {
    const data = randomBytes(3 * 4096 * 2 + 3 * 256 * 3 + 64);
    // the three-stream blocks are 3 x 4096 and 3 x 256 bytes; the head up to an 8-byte boundary is done byte by byte
    const lengths = [...Array.from({ length: 80 }, (_, i) => i), 767, 768, 769, 775, 776, 1543, 1544, 12287, 12288, 12289, 12296, 13056, 24576, 24576 + 768 + 7, data.length - 8];
    for (const len of lengths) {
      for (const start of [0, 1, 3, 7]) {
        const buf = data.subarray(start, start + len);
        const expected = nodeRsCrc32c(buf) >>> 0;
        expect(crc32c(buf), `length ${len} at +${start}`).toBe(expected);
        if (len < 2000) expect(expected).toBe(bitwise(buf));
      }
    }
  });

  it('continues from an earlier CRC: crc32c(b, crc32c(a)) is the CRC of a then b', () => {
    for (let i = 0; i < 200; i++) {
      const whole = randomBytes(1 + Math.floor(Math.random() * 30000));
      const cut = Math.floor(Math.random() * whole.length);
      const a = whole.subarray(0, cut);
      const b = whole.subarray(cut);
      expect(crc32c(b, crc32c(a))).toBe(crc32c(whole));
      expect(crc32c(b, 0xdeadbeef)).toBe(nodeRsCrc32c(b, 0xdeadbeef) >>> 0);
    }
  });

  it('loads in a worker thread too, with the same results', async () => {
    if (crc32cImplementation !== 'native') return;
    const mod = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/src/protocol/records/crc32c.node');
    const worker = new Worker(`const m = require(${JSON.stringify(mod)}); require('node:worker_threads').parentPort.postMessage(m.crc32c(Buffer.alloc(40000, 7)));`, { eval: true });
    const fromWorker = await new Promise<number>((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    expect(fromWorker).toBe(crc32c(Buffer.alloc(40000, 7)));
  });

  it('refuses what is not bytes with a TypeError', () => {
    expect(() => crc32c('123456789' as unknown as Uint8Array)).toThrow(TypeError);
  });

  describe('with ZKAFKA_CRC32C=node-rs', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.resetModules();
    });

    it('uses @node-rs/crc32, with the same results', async () => {
      vi.stubEnv('ZKAFKA_CRC32C', 'node-rs');
      vi.resetModules();
      const fallback = await import('../../../src/protocol/records/crc.js');
      expect(fallback.crc32cImplementation).toBe('node-rs');
      const buf = randomBytes(16384);
      expect(fallback.crc32c(buf)).toBe(crc32c(buf));
      expect(fallback.crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    });
  });
});
