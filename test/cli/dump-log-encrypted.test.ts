/**
 * bin/kafka-dump-log.sh on encrypted segments (encryption at rest) written by the real
 * PartitionLog with a key ring: without --encryption-key-file the batches are listed from their
 * clear headers (encrypted: true keyId: N, isvalid: unverified, no records); with the right key
 * file the records print; a wrong key or a key file without the batch's key id is isvalid: false
 * and exit 1; a bad key file is an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/config.js';
import { KeyRing } from '../../src/storage/encryption.js';
import { PartitionLog } from '../../src/storage/log.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/kafka-dump-log.sh');
const dump = (...args: string[]) => {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('kafka-dump-log on encrypted segments', () => {
  let root: string;
  let logFile: string;
  let rightKeys: string;
  const values = Array.from({ length: 6 }, (_, i) => `classified-payload-${i}`);

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'zkafka-dump-enc-'));
    rightKeys = path.join(root, 'keys');
    writeFileSync(rightKeys, `# test keys\n4:${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const dir = path.join(root, 'enc-0');
    const log = await PartitionLog.open(dir, { ...DEFAULT_LOG_CONFIG, indexIntervalBytes: 50 }, undefined, { keys: KeyRing.load(rightKeys) });
    for (let b = 0; b < 3; b++) {
      await log.append(encodeRecordBatch({ records: values.slice(b * 2, b * 2 + 2).map((v, i) => ({ key: `key-${b * 2 + i}`, value: v, timestamp: 1_700_000_000_000 + b })) }));
    }
    await log.close();
    logFile = path.join(dir, '00000000000000000000.log');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('without the key: batches from their clear headers, no record data, exit 0', () => {
    const r = dump('--files', logFile, '--print-data-log');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').filter((l) => l.startsWith('baseOffset:'));
    expect(lines).toHaveLength(3);
    for (const [i, l] of lines.entries()) {
      expect(l).toMatch(new RegExp(`^baseOffset: ${i * 2} lastOffset: ${i * 2 + 1} count: 2 .* isvalid: unverified encrypted: true keyId: 4$`));
    }
    expect(r.out).toContain('| records not shown: encrypted with key id 4 (give --encryption-key-file)');
    expect(r.out).not.toContain('classified');
    expect(r.err).toMatch(/3 encrypted batches listed from their headers only/);
  });

  it('with the key: records printed, every batch valid, exit 0', () => {
    const r = dump('--files', logFile, '--print-data-log', '--encryption-key-file', rightKeys);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.filter((l) => l.startsWith('baseOffset:') && l.endsWith('isvalid: true encrypted: true keyId: 4'))).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith('| offset:')).map((l) => /payload: (.*)$/.exec(l)![1])).toEqual(values);
  });

  it('a wrong key: isvalid: false, no records, exit 1', () => {
    const wrong = path.join(root, 'wrong');
    writeFileSync(wrong, `4:${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const r = dump('--files', logFile, '--print-data-log', '--encryption-key-file', wrong);
    expect(r.code).toBe(1);
    expect(r.out.split('\n').filter((l) => l.endsWith('isvalid: false encrypted: true keyId: 4'))).toHaveLength(3);
    expect(r.out).not.toContain('classified');
    expect(r.err).toMatch(/fails authentication: corrupt data or a wrong key/);
  });

  it('a key file without the batch key id: isvalid: false naming the key id, exit 1', () => {
    const other = path.join(root, 'other');
    writeFileSync(other, `5:${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const r = dump('--files', logFile, '--encryption-key-file', other);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/encrypted with key id 4, which log\.encryption\.key\.file does not hold/);
  });

  it('the offset and time indexes of an encrypted segment check out against its on-disk positions (no key needed)', () => {
    const idx = logFile.replace(/\.log$/, '.index');
    const r = dump('--files', `${idx},${logFile.replace(/\.log$/, '.timeindex')}`, '--index-sanity-check');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\.index passed sanity check\./);
    expect(r.out).toMatch(/\.timeindex passed sanity check\./);
    const entries = dump('--files', idx).out.split('\n').filter((l) => l.startsWith('offset:'));
    expect(entries.length).toBeGreaterThan(0);
    // positions are where the encrypted batches start (each 32 bytes larger than its plaintext)
    const positions = dump('--files', logFile).out.split('\n').filter((l) => l.startsWith('baseOffset:')).map((l) => /position: (\d+)/.exec(l)![1]);
    for (const e of entries) expect(positions).toContain(/position: (\d+)/.exec(e)![1]);
  });

  it('a bad key file is an error before any dump', () => {
    const bad = path.join(root, 'bad');
    writeFileSync(bad, '4:abcd\n');
    const r = dump('--files', logFile, '--encryption-key-file', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 1: key 4 has 4 hex chars/);
    expect(r.out).toBe('');
  });
});
