/**
 * Many ZooKeeper calls at once, as Kafka 1.1's controller makes them: requests are sent without
 * waiting for each answer (ZooKeeper answers one session's requests in order), instead of one
 * awaited round trip per partition; and writes are grouped into multi transactions of bounded
 * size (one request, one transaction log entry).
 */

/** Calls in flight at most: bounds memory, and leaves room for the session's pings and watch reads. */
export const PIPELINE_WINDOW = 1000;

/** ZooKeeper refuses a request over jute.maxbuffer (1 MiB by default): multis stay well under. */
export const MULTI_MAX_BYTES = 256 * 1024;

/**
 * Runs `call` over `items` with up to `window` calls in flight; the results in input order.
 * After a failure no new call starts; the first error is thrown once those in flight are done.
 */
export async function pipelined<T, R>(items: readonly T[], call: (item: T, index: number) => Promise<R>, window = PIPELINE_WINDOW): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await call(items[i]!, i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, worker));
  if (failed) throw failed.err;
  return out;
}

/** Splits `items` into groups of at most `count` items and (by `size`) `maxBytes` bytes. */
export function chunked<T>(items: readonly T[], count: number, size: (item: T) => number = () => 0, maxBytes = MULTI_MAX_BYTES): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const b = size(item);
    if (cur.length > 0 && (cur.length >= count || bytes + b > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += b;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
