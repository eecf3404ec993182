import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeRecordBatches, encodeRecordBatch, type KafkaRecord } from '../../src/protocol/records/record-batch.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/config.js';
import type { PartitionLog } from '../../src/storage/log.js';

/** A temporary log dir; remove it with the returned cleanup. */
export function tmpLogDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkafka-storage-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function cfg(over: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, ...over };
}

export { prng } from '../helpers/prng.js';

/** A batch of `n` records whose values are `v<first+i>` (the log assigns the real offsets). */
export function batchOf(values: string[], timestamp?: number | ((i: number) => number)): Buffer {
  return encodeRecordBatch({
    records: values.map((v, i) => ({ key: `k-${v}`, value: v, timestamp: typeof timestamp === 'function' ? timestamp(i) : timestamp })),
  });
}

export function vals(from: number, n: number, pad = 0): string[] {
  return Array.from({ length: n }, (_, i) => `v${from + i}` + 'x'.repeat(pad));
}

/** Every visible record from `from` on, by repeated reads. */
export async function readAll(log: PartitionLog, from = log.logStartOffset, maxBytes = 64 * 1024): Promise<KafkaRecord[]> {
  const out: KafkaRecord[] = [];
  let offset = from;
  while (offset < log.flushedOffset) {
    const r = await log.read(offset, maxBytes);
    if (r.records.length === 0) break;
    for (const rec of decodeRecordBatches(r.records)) if (rec.offset >= offset) out.push(rec);
    offset = r.nextOffset;
  }
  return out;
}
