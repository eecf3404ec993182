/**
 * A ZooKeeper-connector consumer with machine-readable output, for the integration tests and
 * the rebalance benchmark (not a user tool). One JSON object per line on stdout:
 *
 *   {"ev":"start","id":"<consumerId>","t":<ms>}
 *   {"ev":"assigned","owned":[["<topic>",<p>],...],"t":<ms>}     after the owner znodes were created
 *   {"ev":"revoked","owned":[...],"t":<ms>}                      fetching stopped; before the owner znodes go
 *   {"ev":"rec","topic":"<T>","p":<p>,"o":<offset>,"v":"<value>"}
 *   {"ev":"reset","topic":"<T>","p":<p>,"from":<o>,"to":<o>}
 *   {"ev":"failed","error":"..."}                                 rebalance.max.retries attempts failed
 *   {"ev":"closed","t":<ms>}
 *
 * Usage: connector-test-consumer --zookeeper H:P[/chroot] --group G --topic T [--topic T2]
 *          [--property k=v ...] [--commit-every N] [--die-after N] [--process-ms MS]
 *   --commit-every N   commit (commitOffsets) after every N processed records
 *   --die-after N      SIGKILL itself after printing N records (nothing committed after the last commit)
 * SIGTERM/SIGINT close the connector cleanly (commit with auto-commit on, release), then exit 0.
 * A bad configuration or subscription exits 1 with the message on stderr.
 */
import { ConsumerConnector } from '../client/connector/consumer-connector.js';
import type { KafkaStream } from '../client/connector/stream.js';

function parseArgs(argv: string[]): { props: Record<string, string>; topics: string[]; commitEvery: number; dieAfter: number; processMs: number } {
  const props: Record<string, string> = {};
  const topics: string[] = [];
  let commitEvery = 0;
  let dieAfter = 0;
  let processMs = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1] ?? '';
    switch (a) {
      case '--zookeeper':
        props['zookeeper.connect'] = v;
        i++;
        break;
      case '--group':
        props['group.id'] = v;
        i++;
        break;
      case '--topic':
        topics.push(v);
        i++;
        break;
      case '--property': {
        const eq = v.indexOf('=');
        if (eq <= 0) throw new Error(`--property "${v}" must be key=value`);
        props[v.slice(0, eq)] = v.slice(eq + 1);
        i++;
        break;
      }
      case '--commit-every':
        commitEvery = Number(v);
        i++;
        break;
      case '--die-after':
        dieAfter = Number(v);
        i++;
        break;
      case '--process-ms':
        processMs = Number(v);
        i++;
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  return { props, topics, commitEvery, dieAfter, processMs };
}

const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  let connector: ConsumerConnector;
  let streams: Map<string, KafkaStream[]>;
  try {
    args = parseArgs(process.argv.slice(2));
    ({ connector, streams } = await ConsumerConnector.subscribe(args.props, args.topics));
  } catch (err) {
    process.stderr.write(`connector-test-consumer: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const pairs = (owned: { topic: string; partition: number }[]) => owned.map((o) => [o.topic, o.partition]);
  out({ ev: 'start', id: connector.consumerId, t: Date.now() });
  connector.on('assigned', (owned) => out({ ev: 'assigned', owned: pairs(owned), t: Date.now() }));
  connector.on('revoked', (owned) => out({ ev: 'revoked', owned: pairs(owned), t: Date.now() }));
  connector.on('offsetReset', (r) => out({ ev: 'reset', topic: r.topic, p: r.partition, from: r.from, to: r.to }));
  connector.on('rebalanceFailed', (e) => out({ ev: 'failed', error: e.message }));
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await connector.close();
    out({ ev: 'closed', t: Date.now() });
    process.stdout.write('', () => process.exit(0));
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());

  let count = 0;
  await Promise.all(
    [...streams.values()].flat().map(async (stream) => {
      for await (const r of stream) {
        out({ ev: 'rec', topic: r.topic, p: r.partition, o: r.offset, v: r.value?.toString('utf8') ?? null });
        count++;
        if (args.processMs > 0) await new Promise((res) => setTimeout(res, args.processMs));
        if (args.dieAfter > 0 && count >= args.dieAfter) {
          process.stdout.write('', () => process.kill(process.pid, 'SIGKILL'));
          await new Promise(() => {});
        }
        if (args.commitEvery > 0 && count % args.commitEvery === 0) {
          connector.markProcessed(r);
          await connector.commitOffsets();
        }
      }
    }),
  );
}

void main();
