/**
 * RecordAccumulator: per-partition queues of batches waiting to be sent, as in Kafka's Java
 * client. Each partition has at most one open batch (being filled) and a queue of closed,
 * sealed batches in creation order (`seq`). Batch memory comes from the BufferPool; when it is
 * used up `append` returns false and the producer parks the record until memory is released.
 * Batches of different flush() generations (`epoch`) never share a batch, so flush() can wait
 * for exactly the records accepted before it.
 */
import { BufferPool } from './buffer-pool.js';
import { BATCH_HEADER_SIZE, ProducerBatch, recordSize, type EncodedHeader } from './producer-batch.js';
import type { CompressionCodec } from '../../protocol/records/compression.js';
import type { Bytes } from '../../protocol/records/record-batch.js';
import type { SendCallback } from './types.js';

/** Enough for every batch of a full default buffer.memory (32 MiB / 16 KiB batches). */
const MAX_POOLED_CALLBACK_ARRAYS = 2048;

export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  leader = -1;
  /** Closed, sealed batches in `seq` order, not in flight. */
  readonly batches: ProducerBatch[] = [];
  open: ProducerBatch | undefined;
  /** Requests in flight that carry batches of this partition (at most 1 without sequence numbers: that keeps order). */
  inFlight = 0;
  /** After a retriable error: one batch per request until a batch succeeds. */
  retrying = false;
  /** After MESSAGE_TOO_LARGE on a record set of several batches: one batch per request. */
  singleBatch = false;
  nextSeq = 0;
  /** Idempotence: the next sequence number, and the producer id it counts for. */
  nextSequence = 0;
  sequencePid = -1;
  /** The producer id and leader of the last acknowledged request: pipelining is safe only while both are current. */
  confirmedPid = -1;
  confirmedLeader = -1;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** Puts a batch back (a retry or a split) in `seq` order. */
  reinsert(b: ProducerBatch): void {
    let i = this.batches.length;
    while (i > 0 && this.batches[i - 1]!.seq > b.seq) i--;
    this.batches.splice(i, 0, b);
  }
}

export class RecordAccumulator {
  readonly pool: BufferPool;
  readonly batchSize: number;
  readonly codec: CompressionCodec;
  /** Partitions that have an open batch or queued batches. */
  readonly nonEmpty = new Set<PartitionQueue>();
  /** Called when a batch of `q` is closed (the sender may want to run). */
  onBatchClosed: (q: PartitionQueue) => void = () => undefined;
  /** Called when a batch of `q` is opened (the sender may want to send it, or time its linger). */
  onBatchOpened: (q: PartitionQueue) => void = () => undefined;
  /** Callback arrays of finished batches, cleared, for reuse (a batch of ~150 records would otherwise grow a new one). */
  readonly #callbackArrays: (SendCallback | undefined)[][] = [];

  constructor(opts: { bufferMemory: number; batchSize: number; codec: CompressionCodec }) {
    this.pool = new BufferPool(opts.bufferMemory, opts.batchSize);
    this.batchSize = opts.batchSize;
    this.codec = opts.codec;
  }

  /**
   * Appends a record to the partition's open batch, closing it and opening another when it is
   * full. False when no memory is left for a new batch (nothing is written then). With
   * `abortOnNewBatch`, 'new-batch' instead of opening one (the full batch is closed).
   */
  append(
    q: PartitionQueue,
    epoch: number,
    /** undefined: now (read by the batch, see recordClock) */
    timestamp: number | undefined,
    key: Bytes,
    keyLen: number,
    value: Bytes,
    valueLen: number,
    headers: { list: EncodedHeader[]; size: number } | undefined,
    cb: SendCallback | undefined,
    abortOnNewBatch = false,
  ): boolean | 'new-batch' {
    const open = q.open;
    if (open !== undefined) {
      if (open.epoch === epoch && open.tryAppend(timestamp, key, keyLen, value, valueLen, headers, cb)) return true;
      this.close(q);
    }
    // a sticky partitioner moves on instead of opening a batch here (KIP-480)
    if (abortOnNewBatch) return 'new-batch';
    const need = BATCH_HEADER_SIZE + recordSize(0, 0, keyLen, valueLen, headers ? headers.size : 1);
    const size = need > this.batchSize ? need : this.batchSize;
    const buf = this.pool.tryAllocate(size);
    if (buf === undefined) return false;
    const b = new ProducerBatch(q.topic, q.partition, q.nextSeq++, epoch, buf, size, Date.now());
    b.spareCallbacks = this.#callbackArrays.pop();
    q.open = b;
    this.nonEmpty.add(q);
    b.tryAppend(timestamp, key, keyLen, value, valueLen, headers, cb);
    this.onBatchOpened(q);
    return true;
  }

  /** Seals the open batch and queues it for sending. */
  close(q: PartitionQueue): void {
    const b = q.open;
    if (!b) return;
    q.open = undefined;
    if (b.count === 0) {
      this.release(b);
      return;
    }
    const sealed = b.seal(this.codec, (buf, reserved) => this.pool.release(buf, reserved));
    // A batch closed while far from full (linger 0: whatever came since the last send; many
    // partitions: a few records each) keeps only its bytes, and its batch.size buffer goes back
    // to the pool at once. Otherwise buffer.memory is counted in mostly empty batches: with
    // keyed records over 512 partitions a request carried ~400 batches of 2-3 records, each
    // holding 16 KiB until answered, five requests used up the 32 MiB, and the producer,
    // waiting for memory, could only ever send batches of 2-3 records (50 k records/s instead
    // of 600 k, a state it did not leave). Kafka's client holds the whole buffer.
    if (b.reserved === this.batchSize && sealed.buffer === b.buf.buffer && sealed.length <= this.batchSize >>> 1) {
      this.#shrink(b, sealed);
    }
    q.batches.push(b);
    this.onBatchClosed(q);
  }

  /** Moves a sealed uncompressed batch's bytes to a buffer of their size, counted in the pool. */
  #shrink(b: ProducerBatch, sealed: Buffer): void {
    const big = b.buf;
    this.pool.release(big, b.reserved);
    // the release made room for at least batch.size bytes, so this reservation always succeeds
    if (!this.pool.reserve(sealed.length)) throw new Error('buffer pool: no room after a release');
    const copy = Buffer.allocUnsafe(sealed.length);
    sealed.copy(copy);
    b.replaceSealed(copy, sealed.length);
  }

  /** Returns a batch's memory to the pool (once), and its callback array once its records are completed. */
  release(b: ProducerBatch): void {
    if (b.reserved > 0) {
      this.pool.release(b.noReuse ? undefined : b.buf, b.reserved);
      b.reserved = 0;
    }
    if (b.done || b.count === 0) {
      const cbs = b.takeCallbackArray();
      if (cbs !== undefined && this.#callbackArrays.length < MAX_POOLED_CALLBACK_ARRAYS) this.#callbackArrays.push(cbs);
    }
  }
}
