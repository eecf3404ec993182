/**
 * `kafka-server-start.sh config/server.properties [--override key=value ...]`
 * Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT), 1 for a bad config or a failed start.
 */
import { Command } from 'commander';
import { storageErrorHint } from '../common/open-files.js';
import { applyOverrides, readPropertiesFile } from '../common/properties.js';
import { brokerConfigFromProperties } from './config.js';
import { KafkaServer } from './kafka-server.js';
import { ConfigError } from '../common/errors.js';
import { Logger } from '../common/logger.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('kafka-server-start.sh')
    .description('Start a Kafka broker')
    .argument('<server.properties>', 'the broker config file (Java properties, Kafka names)')
    .option('--override <key=value>', 'override a property of the file (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .showHelpAfterError()
    .parse(argv);
  const file = program.args[0]!;
  const { override } = program.opts<{ override: string[] }>();
  let server: KafkaServer;
  try {
    const props = applyOverrides(readPropertiesFile(file), override);
    server = new KafkaServer(brokerConfigFromProperties(props));
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`kafka-server-start: ${e instanceof ConfigError ? 'bad config: ' : ''}${e.message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`kafka-server-start: ${signal} received, shutting down\n`);
    server.shutdown({ exiting: true }).then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`kafka-server-start: unclean shutdown: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  logNodeOptions(new Logger('kafka-server'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await server.start();
  } catch (err) {
    const hint = storageErrorHint(err);
    process.stderr.write(`kafka-server-start: failed to start: ${(err as Error).message}${hint ? `\n  ${hint}` : ''}\n`);
    await server.shutdown({ exiting: true }).catch(() => undefined);
    process.exit(1);
  }
}

/** The node options this broker runs with (KAFKA_HEAP_OPTS, heap-opts.ts), and a word if it has none. */
function logNodeOptions(log: Logger): void {
  const execArgv = process.execArgv.join(' ');
  if (/--(initial|max)-old-space-size/.test(execArgv)) log.info('node options', { execArgv });
  else {
    log.warn('node runs without a heap size (started without bin/kafka-server-start.sh, or KAFKA_HEAP_OPTS without one): under load V8 may run full collections many times a second; see src/broker/heap-opts.ts', { execArgv });
  }
}
