/**
 * kafka-dump-log's index part: prints a segment's `.index` or `.timeindex` and checks every
 * entry against the segment's `.log` next to it (same base name).
 *
 *   .index      8-byte entries: int32 relative offset, int32 position (storage/offset-index.ts).
 *               An entry says "the batch whose BASE offset is base+rel starts at position":
 *               printed `offset: O position: P`; checked: entries strictly increasing, the
 *               position inside the log and the start of a batch whose baseOffset is O.
 *   .timeindex  12-byte entries: int64 timestamp, int32 relative offset (storage/time-index.ts):
 *               the largest batch maxTimestamp so far and the base offset of the batch that
 *               raised it: printed `timestamp: T offset: O`; checked: timestamps strictly
 *               increasing, offsets not decreasing, O the base offset of a batch whose
 *               maxTimestamp is T.
 *
 * A file that is not a whole number of entries is reported (the broker cuts such a torn tail
 * when it opens the index). With `sanityOnly` (--index-sanity-check) entries are not printed;
 * a good index prints `<file> passed sanity check.` as Kafka's tool does. Every problem is one
 * line on stderr; the functions return false when there was one.
 */
import { open } from 'node:fs/promises';
import { OFFSET_INDEX_ENTRY_SIZE } from '../storage/offset-index.js';
import { TIME_INDEX_ENTRY_SIZE } from '../storage/time-index.js';
import { scanLog, type ScanEnd } from './segment-scan.js';

export interface IndexDumpOptions {
  sanityOnly: boolean;
  maxBatchSize: number;
  out: (line: string) => void;
  err: (line: string) => void;
}

interface LogView {
  size: number;
  /** baseOffset and maxTimestamp of the batch starting at each position. */
  byPosition: Map<number, { baseOffset: number; maxTimestamp: number }>;
  /** maxTimestamp of the batch with each base offset. */
  byBaseOffset: Map<number, number>;
  nextOffset: number;
  end: ScanEnd;
}

async function readLogView(logFile: string, maxBatchSize: number): Promise<LogView | undefined> {
  const fh = await open(logFile, 'r').catch(() => undefined);
  if (!fh) return undefined;
  try {
    const view: LogView = { size: (await fh.stat()).size, byPosition: new Map(), byBaseOffset: new Map(), nextOffset: -1, end: { position: 0 } };
    const it = scanLog(fh, { maxBatchSize, withBytes: false });
    for (;;) {
      const r = await it.next();
      if (r.done) {
        view.end = r.value;
        return view;
      }
      const h = r.value.header;
      view.byPosition.set(r.value.position, { baseOffset: h.baseOffset, maxTimestamp: h.maxTimestamp });
      view.byBaseOffset.set(h.baseOffset, h.maxTimestamp);
      view.nextOffset = h.baseOffset + h.lastOffsetDelta + 1;
    }
  } finally {
    await fh.close();
  }
}

async function readEntries(file: string, entrySize: number, err: (line: string) => void): Promise<{ data: Buffer; torn: number }> {
  const fh = await open(file, 'r');
  try {
    const buf = await fh.readFile();
    const torn = buf.length % entrySize;
    if (torn !== 0) err(`${file}: ${torn} trailing bytes are not a whole ${entrySize}-byte entry (a torn write; the broker cuts them when it opens the index)`);
    return { data: buf.subarray(0, buf.length - torn), torn };
  } finally {
    await fh.close();
  }
}

async function withLog(file: string, logFile: string, o: IndexDumpOptions): Promise<LogView | undefined> {
  const log = await readLogView(logFile, o.maxBatchSize);
  if (!log) o.err(`${file}: ${logFile} is missing or unreadable: the entries cannot be checked against the log`);
  return log;
}

function batchAtProblem(log: LogView, position: number): string | undefined {
  if (position >= log.size) return `position ${position} is past the end of the log (${log.size} bytes)`;
  if (position >= log.end.position) return `position ${position} lies in the invalid tail of the log (from position ${log.end.position})`;
  if (!log.byPosition.has(position)) return `position ${position} does not start a batch`;
  return undefined;
}

/** Prints (or only checks) an offset index; false when a problem was found. */
export async function dumpOffsetIndex(file: string, logFile: string, base: number, o: IndexDumpOptions): Promise<boolean> {
  const { data, torn } = await readEntries(file, OFFSET_INDEX_ENTRY_SIZE, o.err);
  const log = await withLog(file, logFile, o);
  let problems = torn === 0 ? 0 : 1;
  const problem = (i: number, offset: number, position: number, what: string): void => {
    problems++;
    o.err(`${file}: Index entry ${i} (offset: ${offset} position: ${position}): ${what}`);
  };
  let prevRel = -1;
  let prevPos = -1;
  for (let i = 0, at = 0; at < data.length; i++, at += OFFSET_INDEX_ENTRY_SIZE) {
    const rel = data.readInt32BE(at);
    const position = data.readInt32BE(at + 4);
    const offset = base + rel;
    if (!o.sanityOnly) o.out(`offset: ${offset} position: ${position}`);
    if (rel < 0 || position < 0) problem(i, offset, position, 'a negative relative offset or position');
    else if (i > 0 && (rel <= prevRel || position <= prevPos)) problem(i, offset, position, `not above the previous entry (offset: ${base + prevRel} position: ${prevPos})`);
    else if (log) {
      const where = batchAtProblem(log, position);
      const found = log.byPosition.get(position);
      if (where) problem(i, offset, position, where);
      else if (found!.baseOffset !== offset) problem(i, offset, position, `Index position ${position} does not match log offset: the batch there has baseOffset ${found!.baseOffset}`);
    }
    prevRel = rel;
    prevPos = position;
  }
  return finish(file, problems, log !== undefined, o);
}

/** Prints (or only checks) a time index; false when a problem was found. */
export async function dumpTimeIndex(file: string, logFile: string, base: number, o: IndexDumpOptions): Promise<boolean> {
  const { data, torn } = await readEntries(file, TIME_INDEX_ENTRY_SIZE, o.err);
  const log = await withLog(file, logFile, o);
  let problems = torn === 0 ? 0 : 1;
  const problem = (i: number, ts: number, offset: number, what: string): void => {
    problems++;
    o.err(`${file}: Time index entry ${i} (timestamp: ${ts} offset: ${offset}): ${what}`);
  };
  let prevTs = -Infinity;
  let prevRel = -1;
  for (let i = 0, at = 0; at < data.length; i++, at += TIME_INDEX_ENTRY_SIZE) {
    const ts = data.readInt32BE(at) * 4294967296 + data.readUInt32BE(at + 4);
    const rel = data.readInt32BE(at + 8);
    const offset = base + rel;
    if (!o.sanityOnly) o.out(`timestamp: ${ts} offset: ${offset}`);
    if (rel < 0) problem(i, ts, offset, 'a negative relative offset');
    else if (i > 0 && (ts <= prevTs || rel < prevRel)) problem(i, ts, offset, `not above the previous entry (timestamp: ${prevTs} offset: ${base + prevRel})`);
    else if (log) {
      const maxTs = log.byBaseOffset.get(offset);
      if (maxTs === undefined) problem(i, ts, offset, `offset ${offset} is not the base offset of a batch in the log${offset >= log.nextOffset ? ` (the log ends at offset ${log.nextOffset})` : ''}`);
      else if (maxTs !== ts) problem(i, ts, offset, `the batch at offset ${offset} has maxTimestamp ${maxTs}, not ${ts}`);
    }
    prevTs = ts;
    prevRel = rel;
  }
  return finish(file, problems, log !== undefined, o);
}

function finish(file: string, problems: number, checked: boolean, o: IndexDumpOptions): boolean {
  if (problems > 0) {
    o.err(`${file}: ${problems} problem(s) found`);
    return false;
  }
  if (!checked) return !o.sanityOnly; // a plain dump without its log only warns; a sanity check fails
  if (o.sanityOnly) o.out(`${file} passed sanity check.`);
  return true;
}
