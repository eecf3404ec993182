/**
 * CRC32C (Castagnoli), the checksum of RecordBatch v2 (magic 2): every appended batch is checked,
 * every produced batch and every fetched one (check.crcs) summed, so it runs on native code, never
 * a JavaScript table loop:
 *   - `native`: crc32c.c, built by scripts/build-native.sh into dist beside this file (SSE4.2's
 *     crc32 instruction over three interleaved streams: 21.5 GiB/s on 16 KiB batches here);
 *   - `node-rs`: the @node-rs/crc32 binding (one stream: 5.8 GiB/s), where the native module was
 *     not built (no C compiler, not x86-64) or the CPU lacks SSE4.2, or with ZKAFKA_CRC32C=node-rs.
 */
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import { loadNativeExport } from '../../common/native-module.js';

type Crc32c = (buf: Uint8Array, initial?: number) => number;

/** The built module: beside this file in dist, or dist's copy when this file runs from src (vitest). */
const CANDIDATES = ['./crc32c.node', '../../../dist/src/protocol/records/crc32c.node'];

function loadNative(): Crc32c | undefined {
  if (process.env.ZKAFKA_CRC32C === 'node-rs') return undefined;
  return loadNativeExport<Crc32c>(import.meta.url, CANDIDATES, 'crc32c');
}

const native = loadNative();
const impl: Crc32c = native ?? ((buf, initial) => nodeRsCrc32c(buf, initial) >>> 0);

/** Which implementation runs: `native` or `node-rs`. */
export const crc32cImplementation: 'native' | 'node-rs' = native ? 'native' : 'node-rs';

/** CRC32C of `buf` as an unsigned 32-bit number; `initial` continues an earlier CRC. */
export function crc32c(buf: Uint8Array, initial?: number): number {
  return impl(buf, initial);
}
