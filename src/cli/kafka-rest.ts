/**
 * bin/kafka-rest-start.sh [config/kafka-rest.properties] [--zookeeper Z] [--bootstrap-server B]
 * [--listeners http://H:P] [--schema-registry-url U] [--override k=v ...]: the REST proxy
 * (Confluent REST Proxy v2's API) in its own process. Flags win over the file; properties are
 * listed in src/rest/config.ts. Prints one line once it listens; SIGTERM or SIGINT closes every
 * consumer instance (they leave their groups) and exits 0. Bad configuration: exit 1.
 */
import { applyOverrides, readPropertiesFile } from '../common/properties.js';
import { restConfig, type RestConfig } from '../rest/config.js';
import { startRestProxy } from '../rest/proxy.js';
import { collect, describeError, fail, newProgram } from './common.js';

const TOOL = 'kafka-rest-start';

export async function kafkaRestMain(argv: string[]): Promise<void> {
  const program = newProgram(TOOL, "Starts a REST proxy (Confluent REST Proxy v2's API) for producing, consuming and reading metadata over HTTP")
    .argument('[properties-file]', 'config/kafka-rest.properties')
    .option('--zookeeper <connect>', 'zookeeper.connect: host:port[,host:port][/chroot] (metadata and consumer groups)')
    .option('--bootstrap-server <brokers>', 'bootstrap.servers for the producer (default: the brokers registered in ZooKeeper)')
    .option('--listeners <url>', 'listeners: http://host:port (default http://127.0.0.1:8082)')
    .option('--schema-registry-url <url>', 'schema.registry.url: enables the avro embedded format')
    .option('--override <key=value>', 'set a property (repeatable)', collect, [] as string[])
    .addHelpText(
      'after',
      `
Properties: listeners, zookeeper.connect, bootstrap.servers, schema.registry.url, host.name,
consumer.instance.timeout.ms (300000), consumer.request.timeout.ms (1000),
consumer.request.max.bytes (67108864), request.max.bytes (16777216), producer.<key>, consumer.<key>.

Example:
  bin/kafka-rest-start.sh --zookeeper 127.0.0.1:2181 --listeners http://127.0.0.1:8082
  curl -X POST -H "Content-Type: application/vnd.kafka.json.v2+json" \\
       --data '{"records":[{"value":{"foo":"bar"}}]}' http://127.0.0.1:8082/topics/jsontest`,
    )
    .parse(argv);
  const [file] = program.args;
  const opts = program.opts<{ zookeeper?: string; bootstrapServer?: string; listeners?: string; schemaRegistryUrl?: string; override: string[] }>();
  let props = new Map<string, string>();
  if (file) {
    try {
      props = readPropertiesFile(file);
    } catch (err) {
      fail(TOOL, `cannot read ${file}: ${describeError(err)}`);
    }
  }
  const flags: [string | undefined, string][] = [
    [opts.zookeeper, 'zookeeper.connect'],
    [opts.bootstrapServer, 'bootstrap.servers'],
    [opts.listeners, 'listeners'],
    [opts.schemaRegistryUrl, 'schema.registry.url'],
  ];
  for (const [v, k] of flags) if (v !== undefined) props.set(k, v);
  let config: RestConfig;
  try {
    config = restConfig(applyOverrides(props, opts.override));
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  let proxy: Awaited<ReturnType<typeof startRestProxy>>;
  try {
    proxy = await startRestProxy(config);
  } catch (err) {
    fail(TOOL, `cannot start: ${describeError(err)} (ZooKeeper ${config.zookeeperConnect}, listener ${config.host}:${config.port})`);
  }
  const shown = config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(
    `REST proxy listening on http://${shown}:${proxy.port} (ZooKeeper ${config.zookeeperConnect}, producer ${config.bootstrapServers ?? 'brokers from ZooKeeper'}${config.schemaRegistryUrl ? `, schema registry ${config.schemaRegistryUrl}` : ''})\n`,
  );
  const stop = (): void => {
    void proxy.close().then(
      () => process.exit(0),
      (err: unknown) => fail(TOOL, `shutdown failed: ${describeError(err)}`),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
