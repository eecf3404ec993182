/**
 * kafka-dump-log.sh --files F[,F] [--print-data-log] [--deep-iteration] [--index-sanity-check]
 *                   [--offsets-decoder] [--max-message-size N] [--encryption-key-file F]
 * Kafka's DumpLogSegments (kafka.tools.DumpLogSegments, output as Kafka 0.11+ prints RecordBatch
 * v2). Reads segment files of a partition directory (see storage/segment.ts) without a broker:
 *
 *   <base>.log        Dumping <file> / Starting offset: <base>, then one line per batch:
 *     baseOffset: B lastOffset: L count: N baseSequence: S lastSequence: S producerId: P
 *     producerEpoch: E partitionLeaderEpoch: E isTransactional: false isControl: false
 *     position: P CreateTime|LogAppendTime: T size: S magic: 2 compresscodec: NONE|GZIP|SNAPPY|LZ4
 *     crc: C isvalid: true|false
 *   and with --deep-iteration or --print-data-log one line per record:
 *     | offset: O CreateTime: T keysize: K valuesize: V sequence: S headerKeys: [a,b]
 *   followed, with --print-data-log, by ` key: K payload: V` (UTF-8; null as `null`).
 *   --offsets-decoder (implies --print-data-log) reads the records as __consumer_offsets records
 *   (coordinator/offsets-records.ts) and prints them as Kafka 2.5+ does:
 *     key: offset_commit::group=G,partition=T-P payload: offset=O[,metadata=M]
 *     key: group_metadata::group=G payload: {"protocolType":"consumer","protocol":"range",
 *       "generationId":N,"assignment":"{member=[t-0, t-1]}"}
 *   with payload <DELETE> for a tombstone; control batches' records (transaction markers) get no
 *   key and payload, as in Kafka. A record that does not decode gets
 *   ` offsets-decoder: cannot decode: <why>` in their place (Kafka stops the tool) and the dump goes on.
 *   <base>.index / <base>.timeindex: see dump-log-index.ts.
 *
 * Encrypted batches (encryption at rest, storage/encryption.ts) end their line with
 * ` encrypted: true keyId: N`. Without --encryption-key-file (the broker's
 * log.encryption.key.file) they are listed from their clear header, `isvalid: unverified`, and
 * no record is shown; with it they are decrypted and checked (authentication tag, then CRC),
 * their records printed as usual; a wrong key or a key id the file lacks is `isvalid: false`.
 *
 * The batch line's time is the batch's maxTimestamp, its crc the stored one; isvalid says
 * whether the CRC32C (and magic, counts) check out. A batch that fails goes on being listed:
 * the scan follows length fields, not CRCs. Offsets need not be contiguous (compacted logs
 * leave gaps between batches and inside them; a batch may hold 0 records).
 *
 * Exit code (ours, Kafka's tool exits 0): 1 when any file has a problem: invalid bytes at the
 * end of a .log (a truncated file: "Found N invalid bytes at the end of <file>"), a batch that
 * fails validation, a record --offsets-decoder cannot decode, an index entry that does not match
 * its log, an unreadable or unknown file;
 * each problem is reported on stderr. 0 otherwise.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { crc32c } from '../protocol/records/crc.js';
import { ATTRIBUTES_OFFSET, CONTROL_MASK, MAGIC_V2, TIMESTAMP_TYPE_MASK, TRANSACTIONAL_MASK, codecOf, decodeRecordBatch, type RecordBatchHeader } from '../protocol/records/record-batch.js';
import { formatOffsetsRecord } from '../coordinator/offsets-records.js';
import { DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX } from '../storage/segment.js';
import { KeyRing, decryptBatch, isEncryptedAt, keyIdAt } from '../storage/encryption.js';
import { readBatchHeader } from '../protocol/records/record-batch.js';
import { describeError, fail, newProgram, positiveInt } from './common.js';
import { dumpOffsetIndex, dumpTimeIndex, type IndexDumpOptions } from './dump-log-index.js';
import { baseOffsetOfFile, scanLog, type ScannedBatch } from './segment-scan.js';
import { Output } from './stdout.js';

const TOOL = 'kafka-dump-log';
const CODEC_NAMES = ['NONE', 'GZIP', 'SNAPPY', 'LZ4', 'ZSTD'];
/** Shown for at most this many failing batches per file on stderr (isvalid: false shows them all). */
const MAX_INVALID_REPORTED = 10;

interface Options {
  files: string;
  printDataLog?: boolean;
  deepIteration?: boolean;
  indexSanityCheck?: boolean;
  offsetsDecoder?: boolean;
  maxMessageSize: number;
  encryptionKeyFile?: string;
  /** Read from encryptionKeyFile. */
  keys?: KeyRing;
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at 2^31 - 1. */
function sequenceAt(baseSequence: number, delta: number): number {
  if (baseSequence < 0) return -1;
  return baseSequence > 0x7fffffff - delta ? delta - (0x7fffffff - baseSequence) - 1 : baseSequence + delta;
}

function timestampType(h: RecordBatchHeader): string {
  return h.attributes & TIMESTAMP_TYPE_MASK ? 'LogAppendTime' : 'CreateTime';
}

function batchLine(b: ScannedBatch, valid: boolean | 'unverified', keyId?: number): string {
  const h = b.header;
  const codec = codecOf(h);
  return (
    `baseOffset: ${h.baseOffset} lastOffset: ${h.baseOffset + h.lastOffsetDelta} count: ${h.recordCount}` +
    ` baseSequence: ${h.baseSequence} lastSequence: ${sequenceAt(h.baseSequence, h.lastOffsetDelta)}` +
    ` producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} partitionLeaderEpoch: ${h.partitionLeaderEpoch}` +
    ` isTransactional: ${(h.attributes & TRANSACTIONAL_MASK) !== 0} isControl: ${(h.attributes & CONTROL_MASK) !== 0}` +
    ` position: ${b.position} ${timestampType(h)}: ${h.maxTimestamp} size: ${b.size} magic: ${h.magic}` +
    ` compresscodec: ${CODEC_NAMES[codec] ?? `UNKNOWN(${codec})`} crc: ${h.crc} isvalid: ${valid}` +
    (keyId === undefined ? '' : ` encrypted: true keyId: ${keyId}`)
  );
}

/** Why a whole batch is not valid (validateBatch's checks, worded for a file), undefined if it is. */
function batchProblem(b: ScannedBatch): string | undefined {
  const h = b.header;
  if (h.magic !== MAGIC_V2) return `magic ${h.magic}, expected ${MAGIC_V2}`;
  const crc = crc32c(b.bytes!.subarray(ATTRIBUTES_OFFSET));
  if (crc !== h.crc) return `CRC32C mismatch: stored crc ${h.crc}, computed ${crc}`;
  if (h.recordCount < 0 || h.lastOffsetDelta < 0) return `negative count ${h.recordCount} or lastOffsetDelta ${h.lastOffsetDelta}`;
  return undefined;
}

const text = (b: Buffer | null): string => (b === null ? 'null' : b.toString('utf8'));

/** How the records' keys and values are printed: not at all, as UTF-8, or as __consumer_offsets records. */
type DataFormat = 'none' | 'text' | 'offsets';

/** The records of a batch; returns the ones --offsets-decoder could not decode (offset: why). */
function printRecords(b: ScannedBatch, format: DataFormat, out: (line: string) => void): string[] {
  const h = b.header;
  const type = timestampType(h);
  const undecoded: string[] = [];
  for (const r of decodeRecordBatch(b.bytes!).records) {
    let line =
      `| offset: ${r.offset} ${type}: ${r.timestamp} keysize: ${r.key ? r.key.length : -1} valuesize: ${r.value ? r.value.length : -1}` +
      ` sequence: ${sequenceAt(h.baseSequence, r.offset - h.baseOffset)} headerKeys: [${r.headers.map((x) => x.key).join(',')}]`;
    if (format === 'text') line += ` key: ${text(r.key)} payload: ${text(r.value)}`;
    if (format === 'offsets' && (h.attributes & CONTROL_MASK) === 0) {
      try {
        const f = formatOffsetsRecord(r.key, r.value);
        line += ` key: ${f.key} payload: ${f.payload}`;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        line += ` offsets-decoder: cannot decode: ${why}`;
        undecoded.push(`offset ${r.offset}: ${why}`);
      }
    }
    out(line);
  }
  return undecoded;
}

async function dumpLog(file: string, base: number, o: Options, io: Output): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    io.out(`Starting offset: ${base}`);
    const deep = Boolean(o.deepIteration || o.printDataLog || o.offsetsDecoder);
    const format: DataFormat = o.offsetsDecoder ? 'offsets' : o.printDataLog ? 'text' : 'none';
    const invalid: string[] = [];
    const undecoded: string[] = [];
    let encryptedUnread = 0;
    const it = scanLog(fh, { maxBatchSize: o.maxMessageSize, withBytes: true });
    for (;;) {
      const r = await it.next();
      if (r.done) {
        const size = (await fh.stat()).size;
        if (r.value.position < size) io.err(`Found ${size - r.value.position} invalid bytes at the end of ${file}: ${r.value.reason}`);
        for (const line of invalid.slice(0, MAX_INVALID_REPORTED)) io.err(`${file}: ${line}`);
        if (invalid.length > MAX_INVALID_REPORTED) io.err(`${file}: ... and ${invalid.length - MAX_INVALID_REPORTED} more invalid batches`);
        for (const line of undecoded.slice(0, MAX_INVALID_REPORTED)) io.err(`${file}: --offsets-decoder cannot decode the record at ${line}`);
        if (undecoded.length > MAX_INVALID_REPORTED) io.err(`${file}: ... and ${undecoded.length - MAX_INVALID_REPORTED} more records --offsets-decoder cannot decode`);
        if (encryptedUnread > 0) io.err(`${file}: ${encryptedUnread} encrypted batches listed from their headers only (not verified, records not shown): give --encryption-key-file`);
        return r.value.position === size && invalid.length === 0 && undecoded.length === 0;
      }
      await io.pace();
      let b = r.value;
      let reason: string | undefined;
      const keyId = isEncryptedAt(b.bytes!, 0) ? keyIdAt(b.bytes!, 0) : undefined;
      if (keyId !== undefined && !o.keys) {
        // the clear header only (magic shown as the plaintext batch's)
        encryptedUnread++;
        io.out(batchLine({ ...b, header: { ...b.header, magic: MAGIC_V2 } }, 'unverified', keyId));
        if (deep) io.out(`| records not shown: encrypted with key id ${keyId} (give --encryption-key-file)`);
        continue;
      }
      if (keyId !== undefined) {
        try {
          const plain = decryptBatch(o.keys, b.bytes!, 0, file);
          b = { ...b, header: readBatchHeader(plain), bytes: plain };
        } catch (err) {
          reason = describeError(err);
          b = { ...b, header: { ...b.header, magic: MAGIC_V2 } };
        }
      }
      reason ??= batchProblem(b);
      io.out(batchLine(b, reason === undefined, keyId));
      if (deep && reason === undefined) {
        try {
          undecoded.push(...printRecords(b, format, io.out));
        } catch (err) {
          reason = `its records cannot be decoded: ${describeError(err)}`;
        }
      }
      if (reason !== undefined) {
        if (deep) io.out(`| records not shown: ${reason}`);
        invalid.push(`invalid batch at position ${b.position} (baseOffset ${b.header.baseOffset}): ${reason}`);
      }
    }
  } finally {
    await fh.close();
  }
}

async function dumpFile(file: string, o: Options, io: Output): Promise<boolean> {
  const name = path.basename(file).endsWith(DELETED_SUFFIX) ? path.basename(file).slice(0, -DELETED_SUFFIX.length) : path.basename(file);
  const suffix = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX].find((s) => name.endsWith(s));
  if (!suffix) {
    io.err(`Ignoring unknown file ${file} (only <base>.log, <base>.index and <base>.timeindex are read)`);
    return false;
  }
  const base = baseOffsetOfFile(name);
  if (base === undefined) {
    io.err(`${file}: the name does not start with a base offset (<20 digits>${suffix})`);
    return false;
  }
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a regular file');
  } catch (err) {
    io.err(`cannot read ${file}: ${describeError(err)}`);
    return false;
  }
  io.out(`Dumping ${file}`);
  try {
    if (suffix === LOG_SUFFIX) return await dumpLog(file, base, o, io);
    const logFile = path.join(path.dirname(file), name.slice(0, -suffix.length) + LOG_SUFFIX);
    const io2: IndexDumpOptions = { sanityOnly: Boolean(o.indexSanityCheck), maxBatchSize: o.maxMessageSize, out: io.out, err: io.err };
    return suffix === INDEX_SUFFIX ? await dumpOffsetIndex(file, logFile, base, io2) : await dumpTimeIndex(file, logFile, base, io2);
  } catch (err) {
    io.err(`cannot read ${file}: ${describeError(err)}`);
    return false;
  }
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-dump-log.sh', "Print the batches and records of log segment files and their indexes (Kafka's DumpLogSegments)")
    .requiredOption('--files <files>', 'REQUIRED: comma-separated segment files: <base>.log, <base>.index, <base>.timeindex')
    .option('--print-data-log', 'print every record with its key and payload (UTF-8); implies --deep-iteration')
    .option('--deep-iteration', 'print every record of every batch (offset, timestamp, sizes, sequence, header keys)')
    .option('--offsets-decoder', 'decode the records as __consumer_offsets records (offset commits, group metadata) and print them as Kafka does; implies --print-data-log')
    .option('--index-sanity-check', 'for index files: only check every entry against the log next to it, print "<file> passed sanity check." or the problems')
    .option('--encryption-key-file <file>', "the broker's log.encryption.key.file: decrypt and check encrypted batches, print their records")
    .option('--max-message-size <bytes>', 'largest batch believed; a longer length field is reported as corrupt', positiveInt(TOOL, '--max-message-size'), 5 * 1024 * 1024)
    .addHelpText(
      'after',
      '\nExit code: 0 when every file is whole and valid; 1 (unlike Kafka, which exits 0) when a .log ends with invalid bytes\n' +
        '(a truncated file: "Found N invalid bytes at the end of <file>"), holds a batch that fails its CRC (isvalid: false,\n' +
        'the dump goes on), holds a record --offsets-decoder cannot decode (the dump goes on), an index entry does not match\n' +
        'its log, or a file is unknown or unreadable. Problems go to stderr.',
    )
    .parse(argv)
    .opts<Options>();
  if (o.encryptionKeyFile !== undefined) {
    try {
      o.keys = KeyRing.load(o.encryptionKeyFile);
    } catch (err) {
      fail(TOOL, describeError(err));
    }
  }
  const files = o.files.split(',').map((f) => f.trim()).filter((f) => f.length > 0);
  if (files.length === 0) fail(TOOL, '--files names no file');
  const io = new Output(TOOL);
  let ok = true;
  for (const f of files) if (!(await dumpFile(f, o, io))) ok = false;
  await io.exit(ok ? 0 : 1);
}
