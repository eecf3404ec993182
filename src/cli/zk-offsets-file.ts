/**
 * The file of 0.8's ExportZkOffsets and ImportZkOffsets: one committed offset a line,
 *
 *   /consumers/<G>/offsets/<T>/<P>:<offset>
 *
 * the znode path (docs/reference.md section 2) and the decimal text it holds. Reading checks
 * the whole file before anything is written: every line must be such a path (a legal topic
 * name, a partition number) with an integer offset (-1 or more); blank lines are skipped; a
 * path given twice is an error. Problems name their line numbers.
 */
import type { ZkClient } from '../zk/client.js';
import { ZkPayloadError } from '../zk/errors.js';
import { consumerOffsetsPath, consumerOffsetsRootPath, offsetPath, segment } from '../zk/paths.js';
import { decodeOffset } from '../zk/payloads.js';
import { validateTopicName } from '../admin/topic-admin.js';
import { describeError } from './common.js';

export interface OffsetEntry {
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

/** The file has bad lines: `problems` holds one message per line ("line 3: ..."). */
export class OffsetFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} bad line(s), nothing was written:\n  ${problems.join('\n  ')}`);
  }
}

export function formatOffsetLine(e: OffsetEntry): string {
  return `${offsetPath(e.group, e.topic, e.partition)}:${e.offset}`;
}

const LINE = /^\/consumers\/([^/]+)\/offsets\/([^/]+)\/([^/]+)$/;

/** One line to an entry, or the reason it is not one. */
function parseLine(line: string): OffsetEntry | string {
  const colon = line.lastIndexOf(':');
  if (colon < 0) return 'expected /consumers/<group>/offsets/<topic>/<partition>:<offset>, found no ":"';
  const path = line.slice(0, colon);
  const value = line.slice(colon + 1).trim();
  const m = LINE.exec(path.trim());
  if (!m) return `"${path}" is not a path /consumers/<group>/offsets/<topic>/<partition>`;
  const [, group, topic, part] = m as unknown as [string, string, string, string];
  try {
    segment('group', group);
    validateTopicName(topic);
  } catch (err) {
    return describeError(err);
  }
  if (!/^(0|[1-9]\d{0,9})$/.test(part) || Number(part) > 2 ** 31 - 1) return `bad partition "${part}": expected a number 0 or more`;
  if (!/^(-1|0|[1-9]\d*)$/.test(value)) return `bad offset "${value}": expected an integer, -1 or more`;
  const offset = Number(value);
  if (!Number.isSafeInteger(offset)) return `offset ${value} is too large`;
  return { group, topic, partition: Number(part), offset };
}

/** Parses a whole file; OffsetFileError naming every bad line (up to 20) when any is bad. */
export function parseOffsetFile(text: string, file: string): OffsetEntry[] {
  const out: OffsetEntry[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const e = parseLine(line);
    if (typeof e === 'string') {
      problems.push(`line ${n}: ${e}`);
      return;
    }
    const key = offsetPath(e.group, e.topic, e.partition);
    const first = seen.get(key);
    if (first !== undefined) problems.push(`line ${n}: ${key} was already given on line ${first}`);
    else seen.set(key, n);
    out.push(e);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    if (problems.length > 20) shown.push(`... and ${problems.length - 20} more`);
    throw new OffsetFileError(file, shown);
  }
  return out;
}

/**
 * The committed offsets of one group, topics and partitions in order. Offsets an import
 * would refuse (not decimal text, below -1) are skipped with a warning.
 */
export async function readGroupOffsets(zk: ZkClient, group: string, warn: (msg: string) => void): Promise<OffsetEntry[]> {
  const out: OffsetEntry[] = [];
  for (const topic of (await zk.children(consumerOffsetsRootPath(group))) ?? []) {
    const parts = ((await zk.children(consumerOffsetsPath(group, topic))) ?? []).filter((p) => /^(0|[1-9]\d*)$/.test(p)).map(Number);
    for (const partition of parts.sort((a, b) => a - b)) {
      const path = offsetPath(group, topic, partition);
      const node = await zk.get(path);
      if (!node) continue; // deleted meanwhile
      let offset: bigint;
      try {
        offset = decodeOffset(node.data, path);
      } catch (err) {
        if (!(err instanceof ZkPayloadError)) throw err;
        warn(`skipping ${path}: ${err.message}`);
        continue;
      }
      if (offset < -1n || offset > BigInt(Number.MAX_SAFE_INTEGER)) warn(`skipping ${path}: offset ${offset} is out of range`);
      else out.push({ group, topic, partition, offset: Number(offset) });
    }
  }
  return out;
}
