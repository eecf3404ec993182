/**
 * The Produce request the sender writes: Produce v4 (RecordBatch v2; v3 on the wire, which
 * tells the broker this client knows KAFKA_STORAGE_ERROR, so a broker that cannot write its log
 * says so rather than NOT_LEADER_FOR_PARTITION), each partition's sealed batches passed to the
 * socket as they are, without copying them into the request.
 */
import { Writer } from '../../protocol/writer.js';

/** The Produce version the sender speaks (RecordBatch v2). */
export const PRODUCE_VERSION = 4;

/**
 * A Produce v3/v4 request body as `head` (written into the request's Writer) plus chunks: the
 * same bytes as encodeProduceRequest, with each partition's sealed batches passed through
 * instead of copied (each partition's record set is its batches back to back):
 *   transactional_id acks timeout [topic [partition record_set_size record_set]]
 */
export function produceRequestChunks(acks: number, timeoutMs: number, entries: readonly { q: { topic: string; partition: number }; batches: readonly { sealed: Buffer | undefined }[] }[]): { head: (w: Writer) => void; chunks: Buffer[] } {
  const byTopic = new Map<string, (typeof entries)[number][]>();
  for (const e of entries) {
    let list = byTopic.get(e.q.topic);
    if (!list) byTopic.set(e.q.topic, (list = []));
    list.push(e);
  }
  const chunks: Buffer[] = [];
  const w = new Writer(64);
  let from = 0;
  w.int32(byTopic.size);
  for (const [topic, list] of byTopic) {
    w.string(topic).int32(list.length);
    for (const e of list) {
      let size = 0;
      for (const b of e.batches) size += b.sealed!.length;
      w.int32(e.q.partition).int32(size);
      chunks.push(w.view(from, w.length));
      from = w.length;
      for (const b of e.batches) chunks.push(b.sealed!);
    }
  }
  if (w.length > from) chunks.push(w.view(from, w.length));
  return { head: (h) => void h.string(null).int16(acks).int32(timeoutMs), chunks };
}

