/**
 * kafka-import-zk-offsets.sh --zkconnect H:P --input-file F: 0.8's ImportZkOffsets. Reads
 * lines `/consumers/<G>/offsets/<T>/<P>:<offset>` (zk-offsets-file.ts) and writes each offset
 * to its znode, creating it and its parents where missing (as the consumer connector commits).
 * The whole file is checked first: one bad line is an error naming it, and nothing is written.
 * `--zookeeper` is accepted for `--zkconnect`.
 *
 * Unlike 0.8, lines after a blank line are read (0.8 stopped at the first empty line), and
 * a write that fails stops the import with exit 1 (0.8 printed the stack trace and went on);
 * the offsets written before it stay.
 */
import { readFileSync } from 'node:fs';
import { commitOffset } from '../client/connector/offsets.js';
import { describeError, fail, newProgram, runWithZooKeeper } from './common.js';
import { OffsetFileError, parseOffsetFile, type OffsetEntry } from './zk-offsets-file.js';

const TOOL = 'kafka-import-zk-offsets';

interface Opts {
  zkconnect?: string;
  zookeeper?: string;
  inputFile?: string;
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-import-zk-offsets.sh', "Import consumer groups' offsets into ZooKeeper from a file made by kafka-export-zk-offsets.sh")
    .option('--zkconnect <connect>', 'REQUIRED: host:port[,host:port...][/chroot]')
    .option('--zookeeper <connect>', 'the same as --zkconnect')
    .option('--input-file <file>', 'REQUIRED: lines /consumers/<group>/offsets/<topic>/<partition>:<offset>')
    .parse(argv)
    .opts<Opts>();
  if (o.zkconnect && o.zookeeper && o.zkconnect !== o.zookeeper) fail(TOOL, '--zkconnect and --zookeeper name different ensembles; give one');
  const zk = o.zkconnect ?? o.zookeeper;
  if (!zk) fail(TOOL, 'missing required argument --zkconnect');
  if (!o.inputFile) fail(TOOL, 'missing required argument --input-file');

  let entries: OffsetEntry[] = [];
  try {
    entries = parseOffsetFile(readFileSync(o.inputFile, 'utf8'), o.inputFile);
  } catch (err) {
    fail(TOOL, err instanceof OffsetFileError ? err.message : `cannot read ${o.inputFile}: ${describeError(err)}`);
  }

  await runWithZooKeeper(TOOL, zk, async (client) => {
    let written = 0;
    for (const e of entries) {
      try {
        await commitOffset(client, e.group, e.topic, e.partition, e.offset);
      } catch (err) {
        process.stderr.write(`${TOOL}: writing offset ${e.offset} of group ${e.group}, ${e.topic}/${e.partition} failed after ${written} of ${entries.length} were written: ${describeError(err)}\n`);
        return 1;
      }
      written++;
    }
    process.stdout.write(`Imported ${written} offset(s) from ${o.inputFile}\n`);
    return 0;
  });
}
