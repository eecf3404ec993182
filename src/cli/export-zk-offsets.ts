/**
 * kafka-export-zk-offsets.sh --zkconnect H:P --output-file F [--group G ...]: 0.8's
 * ExportZkOffsets. Writes the committed offsets of every group under /consumers (or of the
 * groups named) to F, one `/consumers/<G>/offsets/<T>/<P>:<offset>` a line (zk-offsets-file.ts),
 * groups, topics and partitions in order. F is written only once everything was read; a group
 * named with --group that does not exist is an error and nothing is written. `--zookeeper` is
 * accepted for `--zkconnect`.
 */
import { writeFileSync } from 'node:fs';
import { consumerGroupPath } from '../zk/paths.js';
import { listGroups } from '../client/connector/registry.js';
import { collect, describeError, fail, newProgram, runWithZooKeeper } from './common.js';
import { formatOffsetLine, readGroupOffsets, type OffsetEntry } from './zk-offsets-file.js';

const TOOL = 'kafka-export-zk-offsets';

interface Opts {
  zkconnect?: string;
  zookeeper?: string;
  outputFile?: string;
  group: string[];
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-export-zk-offsets.sh', "Export consumer groups' committed offsets from ZooKeeper to a file")
    .option('--zkconnect <connect>', 'REQUIRED: host:port[,host:port...][/chroot]')
    .option('--zookeeper <connect>', 'the same as --zkconnect')
    .option('--output-file <file>', 'REQUIRED: the file to write, lines /consumers/<group>/offsets/<topic>/<partition>:<offset>')
    .option('--group <group>', 'a group to export (repeatable); default: every group', collect, [])
    .parse(argv)
    .opts<Opts>();
  if (o.zkconnect && o.zookeeper && o.zkconnect !== o.zookeeper) fail(TOOL, '--zkconnect and --zookeeper name different ensembles; give one');
  const zk = o.zkconnect ?? o.zookeeper;
  if (!zk) fail(TOOL, 'missing required argument --zkconnect');
  if (!o.outputFile) fail(TOOL, 'missing required argument --output-file');
  const file = o.outputFile;

  await runWithZooKeeper(TOOL, zk, async (client) => {
    const groups = o.group.length > 0 ? [...new Set(o.group)] : await listGroups(client);
    for (const g of groups) {
      if (!(await client.exists(consumerGroupPath(g)))) {
        process.stderr.write(`${TOOL}: consumer group "${g}" does not exist; nothing was written\n`);
        return 1;
      }
    }
    const entries: OffsetEntry[] = [];
    for (const g of groups) entries.push(...(await readGroupOffsets(client, g, (m) => process.stderr.write(`${TOOL}: ${m}\n`))));
    try {
      writeFileSync(file, entries.map((e) => formatOffsetLine(e) + '\n').join(''));
    } catch (err) {
      process.stderr.write(`${TOOL}: cannot write ${file}: ${describeError(err)}\n`);
      return 1;
    }
    const withOffsets = new Set(entries.map((e) => e.group)).size;
    process.stdout.write(`Exported ${entries.length} offset(s) of ${withOffsets} group(s) to ${file}\n`);
    return 0;
  });
}
