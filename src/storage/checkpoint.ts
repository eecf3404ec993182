/**
 * Offset checkpoint files, Kafka's text format (OffsetCheckpoint.scala), one per log dir:
 *
 *   0                      <- version
 *   2                      <- number of entries
 *   my-topic 0 1234        <- topic partition offset, one line each
 *   my-topic 1 99
 *
 * `recovery-point-offset-checkpoint`: per partition, the offset below which everything is
 * fsynced (recovery after an unclean stop starts there). `replication-offset-checkpoint`: the
 * high watermarks. Written atomically: a `.tmp` file, fsync, rename, fsync of the directory.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CorruptDataError } from '../common/errors.js';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const REPLICATION_CHECKPOINT = 'replication-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

/** Key of a partition in checkpoint maps: `topic-partition` (the partition is the part after the last '-'). */
export type TopicPartitionKey = string;
export function tpKey(topic: string, partition: number): TopicPartitionKey {
  return `${topic}-${partition}`;
}
export function parseTpKey(key: TopicPartitionKey): { topic: string; partition: number } {
  const i = key.lastIndexOf('-');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

export function formatCheckpoint(entries: Map<TopicPartitionKey, number>): string {
  const lines = ['0', String(entries.size)];
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, off] of sorted) {
    const { topic, partition } = parseTpKey(k);
    lines.push(`${topic} ${partition} ${off}`);
  }
  return lines.join('\n') + '\n';
}

export function parseCheckpoint(text: string, file = 'checkpoint'): Map<TopicPartitionKey, number> {
  const lines = text.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
  if (lines[0]?.trim() !== '0') throw new CorruptDataError(`${file}: unsupported version line "${lines[0] ?? ''}"`);
  const n = Number(lines[1]);
  if (!Number.isInteger(n) || n < 0 || lines.length !== n + 2) {
    throw new CorruptDataError(`${file}: count line "${lines[1] ?? ''}" does not match ${lines.length - 2} entries`);
  }
  const out = new Map<TopicPartitionKey, number>();
  for (const line of lines.slice(2)) {
    const m = /^(\S+) (\d+) (-?\d+)$/.exec(line.trim());
    if (!m) throw new CorruptDataError(`${file}: malformed line "${line}"`);
    out.set(tpKey(m[1]!, Number(m[2])), Number(m[3]));
  }
  return out;
}

export async function readCheckpoint(file: string): Promise<Map<TopicPartitionKey, number>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  return parseCheckpoint(text, file);
}

export async function writeCheckpoint(file: string, entries: Map<TopicPartitionKey, number>): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(formatCheckpoint(entries));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  await syncDir(path.dirname(file));
}

/** fsync a directory so a rename or a new file survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on a directory; nothing more to do
  } finally {
    await fh?.close();
  }
}
