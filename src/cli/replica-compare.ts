/**
 * The comparison kafka-replica-verification makes each round, for one partition: every
 * replica's answer to a Fetch from the same offset (whole RecordBatches v2, maybe ending in a
 * partial one), compared batch by batch as far as every replica has batches.
 *
 * Two replicas agree on a batch when its baseOffset, lastOffset, size and stored CRC are equal
 * (Kafka's tool compares offsets and message checksums the same way); each copy must also pass
 * its own CRC32C check, so a replica whose bytes rotted under an intact CRC field is caught too.
 * Followers copy the leader's batches byte for byte, so boundaries line up; offsets may jump
 * between and inside batches (compaction), which does not matter here. A replica that
 * compacted its copy on its own would differ from the others and be reported: that is what
 * this tool is for.
 *
 * The first replica given is the reference (the tool passes the assignment order). The result
 * says up to which offset everything matched (`nextOffset`: the fetch offset of the next round)
 * and, at the first difference, which offset and which replicas.
 */
import { crc32c } from '../protocol/records/crc.js';
import { ATTRIBUTES_OFFSET, LOG_OVERHEAD, splitBatches, type BatchPosition } from '../protocol/records/record-batch.js';
import { describeError } from './common.js';

export interface ReplicaAnswer {
  replicaId: number;
  /** The record set the replica returned (RecordBatches, maybe with a partial batch at the end). */
  records: Buffer;
}

export interface Mismatch {
  /** The first offset that is not known to be the same everywhere. */
  offset: number;
  /** The replicas that disagree (two; one when a copy fails its own CRC or cannot be read). */
  replicas: number[];
  message: string;
}

export interface CompareResult {
  /** Every batch below this offset matched in all replicas. */
  nextOffset: number;
  /** Batches compared and found equal. */
  batches: number;
  mismatch?: Mismatch;
}

interface Batch {
  base: number;
  last: number;
  size: number;
  crc: number;
  /** The CRC32C computed over the bytes, when it differs from the stored one. */
  badCrc?: number;
}

function batchesOf(records: Buffer, fetchOffset: number): Batch[] {
  const out: Batch[] = [];
  for (const b of splitBatches(records) as BatchPosition[]) {
    const h = b.header;
    const last = h.baseOffset + h.lastOffsetDelta;
    if (last < fetchOffset) continue; // wholly before the fetch offset: not this round's business
    const size = h.batchLength + LOG_OVERHEAD;
    const crc = crc32c(records.subarray(b.at + ATTRIBUTES_OFFSET, b.at + size));
    out.push({ base: h.baseOffset, last, size, crc: h.crc, badCrc: crc === h.crc ? undefined : crc });
  }
  return out;
}

/** Compares the replicas' answers for partition `tp` ("[T,P]") fetched from `fetchOffset`. */
export function compareReplicas(tp: string, fetchOffset: number, answers: readonly ReplicaAnswer[]): CompareResult {
  const lists: Batch[][] = [];
  for (const a of answers) {
    try {
      lists.push(batchesOf(a.records, fetchOffset));
    } catch (err) {
      return { nextOffset: fetchOffset, batches: 0, mismatch: { offset: fetchOffset, replicas: [a.replicaId], message: `partition ${tp}: replica ${a.replicaId} sent unreadable data from offset ${fetchOffset}: ${describeError(err)}` } };
    }
  }
  const common = lists.length === 0 ? 0 : Math.min(...lists.map((l) => l.length));
  let next = fetchOffset;
  for (let i = 0; i < common; i++) {
    const ref = lists[0]![i]!;
    const refId = answers[0]!.replicaId;
    for (let r = 0; r < lists.length; r++) {
      const b = lists[r]![i]!;
      const id = answers[r]!.replicaId;
      if (b.badCrc !== undefined) {
        return { nextOffset: next, batches: i, mismatch: { offset: b.base, replicas: [id], message: `partition ${tp}: replica ${id}'s batch at offsets ${b.base}..${b.last} fails its CRC check (stored checksum ${b.crc}, computed ${b.badCrc})` } };
      }
      if (r === 0) continue;
      if (b.base !== ref.base || b.last !== ref.last || b.size !== ref.size) {
        const message = `partition ${tp}: replica ${id}'s batch at offset ${Math.min(b.base, ref.base)} (offsets ${b.base}..${b.last}, ${b.size} bytes) doesn't match replica ${refId}'s (offsets ${ref.base}..${ref.last}, ${ref.size} bytes)`;
        return { nextOffset: next, batches: i, mismatch: { offset: Math.min(b.base, ref.base), replicas: [refId, id], message } };
      }
      if (b.crc !== ref.crc) {
        const message = `partition ${tp} has unmatched checksum at offset ${b.last}; replica ${refId}'s checksum ${ref.crc}; replica ${id}'s checksum ${b.crc}`;
        return { nextOffset: next, batches: i, mismatch: { offset: b.base, replicas: [refId, id], message } };
      }
    }
    next = ref.last + 1;
  }
  return { nextOffset: next, batches: common };
}
