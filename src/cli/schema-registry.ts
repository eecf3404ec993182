/**
 * bin/schema-registry-start.sh config/schema-registry.properties [--override k=v ...]:
 * the schema registry. Properties (Confluent's names): listeners (http://127.0.0.1:8081),
 * kafkastore.connection.url (the ZooKeeper ensemble, optional /chroot),
 * schema.registry.zk.namespace (schema_registry), schema.compatibility.level
 * (avro.compatibility.level; backward), request.max.bytes (1048576), schema.max.bytes (900000),
 * zookeeper.operation.timeout.ms (10000; past it a request answers 50001).
 */
import { isCompatibilityLevel } from '../common/avro.js';
import { applyOverrides, readPropertiesFile } from '../common/properties.js';
import { RegistryHttp } from '../registry/http.js';
import { SchemaStore } from '../registry/store.js';
import { ZkClient } from '../zk/client.js';
import { collect, describeError, fail, newProgram } from './common.js';

const TOOL = 'schema-registry-start';
const KNOWN = new Set(['listeners', 'kafkastore.connection.url', 'schema.registry.zk.namespace', 'schema.compatibility.level', 'avro.compatibility.level', 'request.max.bytes', 'schema.max.bytes', 'zookeeper.operation.timeout.ms', 'host.name', 'debug']);
const ZNODE_LIMIT = 1_048_575 - 1024;

export async function schemaRegistryMain(argv: string[]): Promise<void> {
  const program = newProgram(TOOL, 'Starts a schema registry that stores Avro schemas in ZooKeeper and speaks Confluent\'s REST API')
    .argument('<properties-file>', 'config/schema-registry.properties')
    .option('--override <key=value>', 'override a property (repeatable)', collect, [] as string[])
    .parse(argv);
  const [file] = program.args;
  const opts = program.opts<{ override: string[] }>();
  let props: Map<string, string>;
  try {
    props = applyOverrides(readPropertiesFile(file!), opts.override);
  } catch (err) {
    fail(TOOL, `cannot read ${file}: ${describeError(err)}`);
  }
  for (const k of props.keys()) if (!KNOWN.has(k)) fail(TOOL, `unknown property ${k} (known: ${[...KNOWN].join(', ')})`);
  const int = (k: string, d: number) => {
    const v = props.get(k);
    if (v === undefined) return d;
    if (!/^\d+$/.test(v)) fail(TOOL, `${k} must be a non-negative integer, got "${v}"`);
    return Number(v);
  };
  const listener = (props.get('listeners') ?? 'http://127.0.0.1:8081').split(',')[0]!.trim();
  const lm = /^http:\/\/([^:/]*|\[[^\]]+\]):(\d+)\/?$/.exec(listener);
  if (!lm) fail(TOOL, `listeners must look like http://host:port, got "${listener}" (https is not supported)`);
  const url = props.get('kafkastore.connection.url');
  if (!url) fail(TOOL, 'kafkastore.connection.url (the ZooKeeper ensemble, host:port[,host:port][/chroot]) is required');
  const level = (props.get('schema.compatibility.level') ?? props.get('avro.compatibility.level') ?? 'backward').toUpperCase();
  if (!isCompatibilityLevel(level)) fail(TOOL, `schema.compatibility.level "${level}" is not one of none, backward, forward, full and their _transitive variants`);
  const maxSchemaBytes = int('schema.max.bytes', 900_000);
  if (maxSchemaBytes > ZNODE_LIMIT) fail(TOOL, `schema.max.bytes ${maxSchemaBytes} is over what a ZooKeeper znode holds (${ZNODE_LIMIT})`);
  const slash = url.indexOf('/');
  let zk: ZkClient;
  try {
    zk = await ZkClient.connect({
      connectString: slash < 0 ? url : url.slice(0, slash),
      chroot: slash < 0 ? undefined : url.slice(slash),
      sessionTimeoutMs: 30_000,
      operationTimeoutMs: int('zookeeper.operation.timeout.ms', 10_000),
    });
  } catch (err) {
    fail(TOOL, `cannot connect to ZooKeeper at ${url}: ${describeError(err)}`);
  }
  // what an operator needs to see when requests answer 50001: the ZooKeeper session's changes
  zk.on('state', (state) => {
    if (state !== 'closed') process.stderr.write(`schema-registry: ZooKeeper ${state === 'connected' ? `connected (${zk.server ?? url})` : state}\n`);
  });
  zk.on('newSession', (id) => process.stderr.write(`schema-registry: new ZooKeeper session 0x${id}\n`));
  const store = new SchemaStore(zk, props.get('schema.registry.zk.namespace') ?? 'schema_registry', level);
  try {
    await store.init();
  } catch (err) {
    fail(TOOL, `cannot prepare the registry's znodes: ${describeError(err)}`);
  }
  const http = new RegistryHttp(store, { maxRequestBytes: int('request.max.bytes', 1_048_576), maxSchemaBytes });
  let port: number;
  try {
    port = await http.listen(lm[1]!.replace(/^\[|\]$/g, ''), Number(lm[2]));
  } catch (err) {
    fail(TOOL, `cannot listen on ${listener}: ${describeError(err)}`);
  }
  process.stdout.write(`Schema registry listening on http://${lm[1]}:${port} (ZooKeeper ${url}, default compatibility ${level})\n`);
  const stop = () => {
    void http.close().then(() => zk.close()).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
