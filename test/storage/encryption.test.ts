/**
 * Encryption at rest (storage/encryption.ts) on real PartitionLogs in temporary directories:
 * round trips through close/reopen, no plaintext in the .log files, tamper detection (a flipped
 * ciphertext byte, a header moved to another offset), recovery after an unclean stop, mixed
 * plaintext and encrypted segments, key rotation, a missing key, timestamp lookup, fetch sizes,
 * and compaction (the real cleaner worker from dist/).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, readdirSync, writeFileSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../src/common/errors.js';
import { LOG_OVERHEAD, decodeRecordBatches, encodeRecordBatch, splitBatches } from '../../src/protocol/records/record-batch.js';
import { DEFAULT_CLEANER_CONFIG } from '../../src/storage/cleaner/config.js';
import { ENCRYPTED_MAGIC, ENCRYPTION_OVERHEAD, KeyRing, MissingKeyError, decryptBatch, encryptBatches } from '../../src/storage/encryption.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { PartitionLog } from '../../src/storage/log.js';
import { until } from '../helpers/broker-cluster.js';
import { batchOf, cfg, readAll, tmpLogDir, vals } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function partitionDir(): string {
  const t = tmpLogDir();
  cleanups.push(t.cleanup);
  return path.join(t.dir, 'secret-0');
}

const hexKey = (): string => randomBytes(32).toString('hex');
function ring(...ids: number[]): { ring: KeyRing; text: string } {
  const text = ids.map((id) => `${id}:${hexKey()}`).join('\n') + '\n';
  return { ring: KeyRing.parse(text, 'test'), text };
}
/** A ring holding some of `full`'s keys (same bytes), the last id listed current. */
function subset(full: { text: string }, ...ids: number[]): KeyRing {
  const lines = full.text.trim().split('\n');
  return KeyRing.parse(ids.map((id) => lines.find((l) => l.startsWith(`${id}:`))!).join('\n'), 'test');
}

function logFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Every stored batch of a .log: position, magic, key id (0 for plaintext), on-disk size. */
function storedBatches(file: string): { position: number; magic: number; keyId: number; size: number; baseOffset: number }[] {
  const buf = readFileSync(file);
  const out = [];
  let at = 0;
  while (at + LOG_OVERHEAD <= buf.length) {
    const size = buf.readInt32BE(at + 8) + LOG_OVERHEAD;
    const magic = buf[at + 16]!;
    out.push({ position: at, magic, keyId: magic === ENCRYPTED_MAGIC ? buf.readInt32BE(at + 61) : 0, size, baseOffset: Number(buf.readBigInt64BE(at)) });
    at += size;
  }
  return out;
}

const secret = (i: number): string => `top-secret-value-${i}-${'s'.repeat(20)}`;

async function appendSecrets(log: PartitionLog, from: number, batches: number, perBatch = 5): Promise<string[]> {
  const written: string[] = [];
  for (let b = 0; b < batches; b++) {
    const values = Array.from({ length: perBatch }, (_, i) => secret(from + b * perBatch + i));
    await log.append(batchOf(values, 1_700_000_000_000 + from + b));
    written.push(...values);
  }
  await log.flush();
  return written;
}

const valuesOf = async (log: PartitionLog, maxBytes?: number): Promise<string[]> => (await readAll(log, log.logStartOffset, maxBytes)).map((r) => r.value!.toString());

describe('key file', () => {
  it('parses ids and keys, skips comments and blank lines; the last key is current', () => {
    const k1 = hexKey();
    const k2 = hexKey();
    const r = KeyRing.parse(`# keys\n\n7:${k1}\n  3 : ${k2.toUpperCase()}  \n`, 'f');
    expect(r.currentId).toBe(3);
    expect(r.ids.sort()).toEqual([3, 7]);
    expect(r.key(7)!.toString('hex')).toBe(k1);
    expect(r.key(3)!.toString('hex')).toBe(k2);
    // never the key bytes in its printed forms
    expect(String(r) + JSON.stringify({ r })).not.toContain(k1.slice(0, 16));
  });

  it.each([
    ['1:abc', /line 1: key 1 has 3 hex chars/],
    [`# c\n1:${'z'.repeat(64)}`, /line 2: key 1 is not hexadecimal/],
    [`1:${'a'.repeat(64)}\n1:${'b'.repeat(64)}`, /line 2: key id 1 is listed twice/],
    [`0:${'a'.repeat(64)}`, /line 1: key id 0 is out of range/],
    [`2147483648:${'a'.repeat(64)}`, /line 1: key id 2147483648 is out of range/],
    ['just garbage', /line 1: not a key line/],
    ['# nothing\n', /no key in the file/],
  ])('refuses %j', (text, why) => {
    expect(() => KeyRing.parse(text, 'keys.txt')).toThrow(why);
    expect(() => KeyRing.parse(text, 'keys.txt')).toThrow(/log\.encryption\.key\.file keys\.txt/);
  });

  it('load: a missing file names the property; a group-readable file is flagged', () => {
    const dir = path.dirname(partitionDir());
    expect(() => KeyRing.load(path.join(dir, 'nope'))).toThrow(/log\.encryption\.key\.file .*nope: cannot read it/);
    const f = path.join(dir, 'keys');
    writeFileSync(f, `1:${hexKey()}\n`);
    chmodSync(f, 0o600);
    expect(KeyRing.load(f).looseMode).toBeUndefined();
    chmodSync(f, 0o640);
    expect(KeyRing.load(f).looseMode).toBe(0o640);
  });
});

describe('encrypted segments', () => {
  it('round-trips through close and reopen; no plaintext value in the .log, every batch under the current key', async () => {
    const dir = partitionDir();
    const { ring: keys } = ring(1, 5);
    const log = await PartitionLog.open(dir, cfg({ segmentBytes: 2000 }), undefined, { keys });
    const written = await appendSecrets(log, 0, 30);
    expect(await valuesOf(log)).toEqual(written);
    await log.close();

    const files = logFiles(dir);
    expect(files.length).toBeGreaterThan(3); // several segments (rolled by size)
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const v of written) expect(bytes.includes(Buffer.from(v))).toBe(false);
      expect(bytes.includes(Buffer.from('top-secret'))).toBe(false);
      for (const b of storedBatches(f)) expect([b.magic, b.keyId]).toEqual([ENCRYPTED_MAGIC, 5]);
    }
    const again = await PartitionLog.open(dir, cfg({ segmentBytes: 2000 }), undefined, { keys, cleanShutdown: true, recoveryPoint: log.logEndOffset });
    expect(again.logEndOffset).toBe(written.length);
    expect(await valuesOf(again)).toEqual(written);
    // the plaintext batches are byte-identical to what was appended (their CRC checks out)
    const r = await again.read(0, 1 << 20);
    expect(decodeRecordBatches(r.records).map((x) => x.offset)).toEqual(Array.from({ length: decodeRecordBatches(r.records).length }, (_, i) => i));
    await again.close();
  });

  it('without keys the same appends are plaintext (the test above would see them)', async () => {
    const dir = partitionDir();
    const log = await PartitionLog.open(dir, cfg());
    const written = await appendSecrets(log, 0, 2);
    await log.close();
    const bytes = readFileSync(logFiles(dir)[0]!);
    expect(bytes.includes(Buffer.from(written[0]!))).toBe(true);
  });

  it('fetch: whole plaintext batches, maxBytes counted on plaintext sizes, at least one batch', async () => {
    const dir = partitionDir();
    const { ring: keys } = ring(1);
    const log = await PartitionLog.open(dir, cfg(), undefined, { keys });
    await appendSecrets(log, 0, 20);
    const one = await log.read(0, 1 << 20);
    const batches = splitBatches(one.records);
    expect(batches.length).toBe(20);
    const sizes = batches.map((b) => b.header.batchLength + LOG_OVERHEAD);
    expect(new Set(sizes).size).toBeGreaterThan(1); // the values grow: later batches are larger
    const firstThree = sizes[0]! + sizes[1]! + sizes[2]!;
    // exactly three plaintext batches fit (on disk they are 3 x 32 bytes larger)
    const three = await log.read(0, firstThree);
    expect(splitBatches(three.records).length).toBe(3);
    expect(three.records.length).toBe(firstThree);
    expect(three.nextOffset).toBe(15);
    expect(splitBatches((await log.read(0, firstThree - 1)).records).length).toBe(2);
    // the estimate from the first (small) batch falls short for larger later ones: still filled
    const many = sizes.slice(0, 15).reduce((a, b) => a + b, 0);
    const fifteen = await log.read(0, many);
    expect(splitBatches(fifteen.records).length).toBe(15);
    expect(fifteen.records.equals(one.records.subarray(0, many))).toBe(true);
    // a limit below one batch still returns one whole batch
    const tiny = await log.read(7, 10);
    expect(splitBatches(tiny.records).length).toBe(1);
    expect(decodeRecordBatches(tiny.records).map((r) => r.offset)).toEqual([5, 6, 7, 8, 9]);
    expect(tiny.nextOffset).toBe(10);
    // from the middle of the log, across index entries
    const mid = await log.read(52, sizes[10]! + sizes[11]! + 5);
    expect(decodeRecordBatches(mid.records)[0]!.offset).toBe(50);
    expect(mid.nextOffset).toBe(60);
    await log.close();
  });

  it('a flipped ciphertext byte fails the read clearly; after an unclean stop recovery truncates at that batch', async () => {
    const dir = partitionDir();
    const { ring: keys } = ring(1);
    const log = await PartitionLog.open(dir, cfg(), undefined, { keys });
    const written = await appendSecrets(log, 0, 10);
    await log.close();
    const file = logFiles(dir)[0]!;
    const victim = storedBatches(file)[6]!;
    const bytes = readFileSync(file);
    bytes[victim.position + 77 + 3]! ^= 0x01; // inside the ciphertext
    writeFileSync(file, bytes);

    const clean = await PartitionLog.open(dir, cfg(), undefined, { keys, cleanShutdown: true, recoveryPoint: 50 });
    expect((await clean.read(0, 1 << 20)).nextOffset).toBe(30); // stops before the bad batch
    const err = await clean.read(30, 1 << 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptDataError);
    expect(String((err as Error).message)).toMatch(/base offset 30, key id 1\) fails authentication/);
    await clean.close();

    const recovered = await PartitionLog.open(dir, cfg(), undefined, { keys, cleanShutdown: false, recoveryPoint: 0 });
    expect(recovered.logEndOffset).toBe(30);
    expect(recovered.loadInfo.truncatedBytes).toBe(bytes.length - victim.position);
    expect(await valuesOf(recovered)).toEqual(written.slice(0, 30));
    // it takes new appends after the cut
    await appendSecrets(recovered, 100, 1);
    expect((await valuesOf(recovered)).length).toBe(35);
    await recovered.close();
  });

  it('a ciphertext moved to another batch (same length, other header) fails authentication', async () => {
    const dir = partitionDir();
    const { ring: keys } = ring(1);
    const log = await PartitionLog.open(dir, cfg(), undefined, { keys });
    const written = await appendSecrets(log, 0, 5);
    await log.close();
    const file = logFiles(dir)[0]!;
    const bytes = readFileSync(file);
    const [, , b2, b3] = storedBatches(file);
    expect(b2!.size).toBe(b3!.size);
    // swap everything after the clear header and key id (nonce, ciphertext, tag) of batches 2 and 3
    const body2 = Buffer.from(bytes.subarray(b2!.position + 65, b2!.position + b2!.size));
    bytes.copy(bytes, b2!.position + 65, b3!.position + 65, b3!.position + b3!.size);
    body2.copy(bytes, b3!.position + 65);
    writeFileSync(file, bytes);
    const again = await PartitionLog.open(dir, cfg(), undefined, { keys, cleanShutdown: true, recoveryPoint: 25 });
    await expect(again.read(10, 1 << 20)).rejects.toThrow(/base offset 10, key id 1\) fails authentication/);
    await expect(again.read(15, 1 << 20)).rejects.toThrow(/base offset 15, key id 1\) fails authentication/);
    expect(decodeRecordBatches((await again.read(20, 1 << 20)).records).map((r) => r.value!.toString())).toEqual(written.slice(20));
    await again.close();
    const recovered = await PartitionLog.open(dir, cfg(), undefined, { keys, cleanShutdown: false, recoveryPoint: 0 });
    expect(recovered.logEndOffset).toBe(10);
    await recovered.close();
  });

  it('a later batch under a key id the ring lacks: a clean read fails naming it, recovery cuts it (a segment has one key)', async () => {
    const dir = partitionDir();
    const { ring: keys } = ring(1);
    const log = await PartitionLog.open(dir, cfg(), undefined, { keys });
    const written = await appendSecrets(log, 0, 4);
    await log.close();
    const file = logFiles(dir)[0]!;
    const bytes = readFileSync(file);
    const last = storedBatches(file)[3]!;
    bytes.writeInt32BE(99, last.position + 61);
    writeFileSync(file, bytes);
    const clean = await PartitionLog.open(dir, cfg(), undefined, { keys, cleanShutdown: true, recoveryPoint: 20 });
    await expect(clean.read(15, 1 << 20)).rejects.toThrow(/encrypted with key id 99, which log\.encryption\.key\.file does not hold/);
    await clean.close();
    const recovered = await PartitionLog.open(dir, cfg(), undefined, { keys, cleanShutdown: false, recoveryPoint: 0 });
    expect(recovered.logEndOffset).toBe(15);
    expect(await valuesOf(recovered)).toEqual(written.slice(0, 15));
    await recovered.close();
  });

  it('a cut tail (a torn last batch) is found and removed after an unclean stop', async () => {
    const dir = partitionDir();
    const { ring: keys } = ring(1);
    const log = await PartitionLog.open(dir, cfg(), undefined, { keys });
    const written = await appendSecrets(log, 0, 8);
    await log.close();
    const file = logFiles(dir)[0]!;
    const last = storedBatches(file)[7]!;
    await fsp.truncate(file, last.position + last.size - 9);
    const recovered = await PartitionLog.open(dir, cfg(), undefined, { keys, cleanShutdown: false, recoveryPoint: 0 });
    expect(recovered.logEndOffset).toBe(35);
    expect(recovered.loadInfo.truncatedBytes).toBe(last.size - 9);
    expect(await valuesOf(recovered)).toEqual(written.slice(0, 35));
    await recovered.close();
  });

  it('mixed: plaintext segments stay readable, the restart with keys rolls and encrypts what follows', async () => {
    const dir = partitionDir();
    const plain = await PartitionLog.open(dir, cfg());
    const before = await appendSecrets(plain, 0, 4);
    await plain.close();
    const { ring: keys } = ring(9);
    const log = await PartitionLog.open(dir, cfg(), undefined, { keys });
    expect(log.segmentBaseOffsets).toEqual([0, 20]); // rolled: the plaintext segment stays plaintext
    const after = await appendSecrets(log, 100, 4);
    expect(await valuesOf(log)).toEqual([...before, ...after]);
    expect(await valuesOf(log, 100)).toEqual([...before, ...after]); // one batch per read, across the boundary
    await log.close();
    const [f0, f1] = logFiles(dir);
    expect(storedBatches(f0!).map((b) => b.keyId)).toEqual([0, 0, 0, 0]);
    expect(storedBatches(f1!).map((b) => b.keyId)).toEqual([9, 9, 9, 9]);
    expect(readFileSync(f1!).includes(Buffer.from(after[0]!))).toBe(false);
    // and after an unclean stop both kinds recover
    const recovered = await PartitionLog.open(dir, cfg(), undefined, { keys, cleanShutdown: false, recoveryPoint: 0 });
    expect(recovered.loadInfo.truncatedBytes).toBe(0);
    expect(await valuesOf(recovered)).toEqual([...before, ...after]);
    await recovered.close();
  });

  it('key rotation: data under key 1 stays readable with keys 1,2; new data is under key 2', async () => {
    const dir = partitionDir();
    const full = ring(1, 2);
    const log = await PartitionLog.open(dir, cfg(), undefined, { keys: subset(full, 1) });
    const old = await appendSecrets(log, 0, 3);
    await log.close();
    const rotated = await PartitionLog.open(dir, cfg(), undefined, { keys: subset(full, 1, 2) });
    const fresh = await appendSecrets(rotated, 50, 3);
    expect(await valuesOf(rotated)).toEqual([...old, ...fresh]);
    await rotated.close();
    const ids = logFiles(dir).map((f) => [...new Set(storedBatches(f).map((b) => b.keyId))]);
    expect(ids).toEqual([[1], [2]]);
    // a ring holding key 1 under other bytes cannot read the old data
    const wrong = KeyRing.parse(`1:${hexKey()}\n2:${subset(full, 2).key(2)!.toString('hex')}`, 'test');
    const w = await PartitionLog.open(dir, cfg(), undefined, { keys: wrong, cleanShutdown: true, recoveryPoint: 30 });
    await expect(w.read(0, 1 << 20)).rejects.toThrow(/fails authentication: corrupt data or a wrong key/);
    expect((await w.read(15, 1 << 20)).records.length).toBeGreaterThan(0);
    await w.close();
  });

  it('a missing key refuses to open the log, naming the partition and the key id (and cuts nothing)', async () => {
    const dir = partitionDir();
    const full = ring(1, 2);
    const log = await PartitionLog.open(dir, cfg(), undefined, { keys: subset(full, 1) });
    await appendSecrets(log, 0, 3);
    await log.close();
    const sizeBefore = readFileSync(logFiles(dir)[0]!).length;
    for (const opts of [{}, { keys: subset(full, 2) }]) {
      for (const cleanShutdown of [true, false]) {
        const err = await PartitionLog.open(dir, cfg(), undefined, { ...opts, cleanShutdown, recoveryPoint: 0 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MissingKeyError);
        expect((err as MissingKeyError).keyId).toBe(1);
        expect((err as Error).message).toMatch(/partition secret-0, segment .*00000000000000000000\.log: the batch is encrypted with key id 1/);
      }
    }
    expect(readFileSync(logFiles(dir)[0]!).length).toBe(sizeBefore);
    const ok = await PartitionLog.open(dir, cfg(), undefined, { keys: subset(full, 1, 2) });
    expect(ok.logEndOffset).toBe(15);
    await ok.close();
  });

  it('timestamp lookup decrypts the batch it searches', async () => {
    const dir = partitionDir();
    const { ring: keys } = ring(3);
    const log = await PartitionLog.open(dir, cfg({ indexIntervalBytes: 100 }), undefined, { keys });
    for (let b = 0; b < 10; b++) {
      await log.append(encodeRecordBatch({ records: Array.from({ length: 4 }, (_, i) => ({ key: 'k', value: secret(b * 4 + i), timestamp: 1000 + (b * 4 + i) * 10 })) }));
    }
    await log.flush();
    expect(await log.recordForTimestamp(1000)).toEqual({ offset: 0, timestamp: 1000 });
    expect(await log.recordForTimestamp(1215)).toEqual({ offset: 22, timestamp: 1220 });
    expect(await log.recordForTimestamp(1390)).toEqual({ offset: 39, timestamp: 1390 });
    expect(await log.recordForTimestamp(1391)).toBeUndefined();
    await log.close();
  });

  it('compaction keeps the latest value per key and writes the cleaned segments encrypted (current key)', async () => {
    const t = tmpLogDir();
    cleanups.push(t.cleanup);
    const full = ring(1, 2);
    const open = (keys: KeyRing, cleaner: boolean) =>
      LogManager.open({
        logDirs: [t.dir],
        defaults: cfg({ segmentBytes: 1500, cleanupPolicy: 'compact', minCleanableDirtyRatio: 0, deleteRetentionMs: 0, fileDeleteDelayMs: 0 }),
        ...(cleaner ? { cleaner: { ...DEFAULT_CLEANER_CONFIG, backoffMs: 20, dedupeBufferSize: 1 << 20 } } : {}),
        keys,
      });
    // first under key 1, then (rotated) under key 2: the cleaner reads both, writes key 2
    const latest = new Map<string, string>();
    const write = async (m: LogManager, rounds: number, tag: string) => {
      const log = await m.getOrCreate('compacted', 0);
      for (let r = 0; r < rounds; r++) {
        const records = Array.from({ length: 4 }, (_, i) => {
          const key = `key-${(r * 4 + i) % 7}`;
          const value = `${tag}-secret-${r}-${i}-${'p'.repeat(30)}`;
          latest.set(key, value);
          return { key, value };
        });
        await log.append(encodeRecordBatch({ records }));
      }
      await log.flush();
      return log;
    };
    const m1 = await open(subset(full, 1), false);
    await write(m1, 15, 'one');
    await m1.close();
    const m2 = await open(subset(full, 1, 2), true);
    const log = await write(m2, 15, 'two');
    await log.roll();
    const end = log.logEndOffset;
    await until('the log is compacted', async () => (await readAll(log)).length === latest.size, 20_000);
    const records = await readAll(log);
    expect(new Map(records.map((r) => [r.key!.toString(), r.value!.toString()]))).toEqual(latest);
    expect(log.logEndOffset).toBe(end);
    await m2.close();
    const partDir = path.join(t.dir, 'compacted-0');
    for (const f of logFiles(partDir)) {
      const bytes = readFileSync(f);
      expect(bytes.includes(Buffer.from('-secret-'))).toBe(false);
      for (const b of storedBatches(f)) expect([b.magic, b.keyId]).toEqual([ENCRYPTED_MAGIC, 2]);
    }
    // key 1 is no longer needed: everything was rewritten under key 2
    const m3 = await open(subset(full, 2), false);
    expect(new Map((await readAll((await m3.getOrCreate('compacted', 0)))).map((r) => [r.key!.toString(), r.value!.toString()]))).toEqual(latest);
    await m3.close();
  }, 30_000);

  it('segments roll on their on-disk (encrypted) size: none exceeds segment.bytes', async () => {
    const dir = partitionDir();
    const { ring: keys } = ring(1);
    const segmentBytes = 3000;
    const log = await PartitionLog.open(dir, cfg({ segmentBytes }), undefined, { keys });
    // appends in flight together: group writes
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(batchOf([secret(i)]))));
    await log.flush();
    await log.close();
    const sizes = logFiles(dir).map((f) => readFileSync(f).length);
    expect(sizes.length).toBeGreaterThan(3);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(segmentBytes);
    // and they are full, counted on disk: the next batch would not have fitted
    const batch = storedBatches(logFiles(dir)[0]!)[0]!.size;
    for (const s of sizes.slice(0, -1)) expect(s + batch).toBeGreaterThan(segmentBytes);
  });

  it('the same batch encrypts differently every time (a fresh nonce per batch) and decrypts to itself', () => {
    const { ring: keys } = ring(1);
    const b = batchOf(vals(0, 3, 50));
    const list = splitBatches(b).map(({ at, header }) => ({ at, header }));
    const frames = Array.from({ length: 400 }, () => encryptBatches(keys, b, list).buf);
    const nonces = new Set(frames.map((f) => f.subarray(65, 77).toString('hex')));
    expect(nonces.size).toBe(frames.length);
    expect(new Set(frames.map((f) => f.subarray(77, 120).toString('hex'))).size).toBe(frames.length);
    for (const f of frames.slice(0, 5)) expect(decryptBatch(keys, f, 0, 'test').equals(b)).toBe(true);
  });

  it('on-disk overhead is 32 bytes per batch', async () => {
    const a = partitionDir();
    const b = partitionDir();
    const { ring: keys } = ring(1);
    const enc = await PartitionLog.open(a, cfg(), undefined, { keys });
    const plain = await PartitionLog.open(b, cfg());
    await appendSecrets(enc, 0, 7);
    await appendSecrets(plain, 0, 7);
    expect(enc.size - plain.size).toBe(7 * ENCRYPTION_OVERHEAD);
    await enc.close();
    await plain.close();
  });
});
