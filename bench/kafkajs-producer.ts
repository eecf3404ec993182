/**
 * The producer workload of bench.sh driven by kafkajs 2.2.4 against our broker: N records of
 * S bytes, acks=1, sent as kafkajs is used for throughput (send() of 1000-message arrays,
 * several sends in flight). Prints one line: `kafkajs N records, X records/sec (Y MB/sec)`.
 *
 *   node dist/bench/kafkajs-producer.js BROKERS TOPIC N SIZE
 */
import { createRequire } from 'node:module';
import { exitOnHelp, requirePositive, unknownOption, usageError } from './args.js';

const TOOL = 'kafkajs-producer';
const USAGE = `usage: kafkajs-producer.js BROKERS TOPIC [N] [SIZE]

Run as node dist/bench/kafkajs-producer.js (scripts/bench.sh runs it against its broker).
The producer workload of bench.sh driven by kafkajs 2.2.4 against our broker, acks=1, as
kafkajs is used for throughput (send() of 1000-message arrays, 5 sends in flight):
  BROKERS   bootstrap brokers, H:P[,H:P...]
  TOPIC     the topic
  N         records (default 1000000)
  SIZE      bytes per record (default 100)
No options. Prints one line: kafkajs N records, X records/sec (Y MB/sec)
`;
exitOnHelp(USAGE);
const argv = process.argv.slice(2);
const option = argv.find((a) => a.startsWith('-'));
if (option) usageError(TOOL, unknownOption(option, []).message, USAGE);
if (argv.length > 4) usageError(TOOL, `unexpected argument ${argv[4]}`, USAGE);
if (argv.length < 2) usageError(TOOL, `missing ${argv.length ? 'TOPIC' : 'BROKERS and TOPIC'}`, USAGE);
requirePositive(TOOL, USAGE, { N: Number(argv[2] ?? 1_000_000), SIZE: Number(argv[3] ?? 100) });

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

async function main(): Promise<void> {
  const [brokers, topic, nArg, sizeArg] = argv;
  const n = Number(nArg ?? 1_000_000);
  const size = Number(sizeArg ?? 100);
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: brokers!.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const value = Buffer.alloc(size, 65);
  const perSend = 1000;
  const inFlight = 5;
  let next = 0;
  const start = Date.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      const count = Math.min(perSend, n - next);
      next += count;
      const messages = new Array(count);
      for (let i = 0; i < count; i++) messages[i] = { value };
      await producer.send({ topic: topic!, acks: 1, messages });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const s = (Date.now() - start) / 1000;
  console.log(`kafkajs ${n} records, ${(n / s).toFixed(1)} records/sec (${((n * size) / s / 1048576).toFixed(2)} MB/sec)`);
  await producer.disconnect();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
