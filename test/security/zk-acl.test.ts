/**
 * zookeeper.set.acl=true: the broker (and the tools, through $ZKAFKA_ZOOKEEPER_DIGEST)
 * authenticate to ZooKeeper with a digest and create znodes that everyone may read but only
 * that identity may change; SCRAM credentials (/config/users) are not even readable by others;
 * /consumers stays open for ZooKeeper-coordinated consumers. The broker still serves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster } from '../helpers/broker-cluster.js';
import { ZkClient } from '../../src/zk/client.js';
import { brokerIdPath } from '../../src/zk/paths.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIGEST = 'kafka:kafka-secret';

describe('secured znodes (zookeeper.set.acl)', () => {
  let cluster: TestCluster;
  let anon: ZkClient;
  const saved = process.env.ZKAFKA_ZOOKEEPER_DIGEST;
  beforeAll(async () => {
    // this process's ZooKeeper clients (the helper's, the tools') authenticate as the brokers do
    process.env.ZKAFKA_ZOOKEEPER_DIGEST = DIGEST;
    cluster = await new TestCluster('zkacl', { 'zookeeper.set.acl': 'true', 'zookeeper.digest': DIGEST }).start(1);
    anon = await ZkClient.connect({ connectString: cluster.zkConnect, digest: null, sessionTimeoutMs: 10_000 });
  }, 60_000);
  afterAll(async () => {
    await anon?.close();
    await cluster?.stop();
    if (saved === undefined) delete process.env.ZKAFKA_ZOOKEEPER_DIGEST;
    else process.env.ZKAFKA_ZOOKEEPER_DIGEST = saved;
  });

  const tool = (name: string, args: string[]) => execFileSync(path.join(ROOT, `bin/${name}.sh`), args, { encoding: 'utf8', env: { ...process.env, ZKAFKA_ZOOKEEPER_DIGEST: DIGEST } });

  it('lets everyone read the cluster metadata but only the brokers\' identity change it', async () => {
    const reg = await anon.get(brokerIdPath(1));
    expect(reg).toBeDefined();
    await expect(anon.set(brokerIdPath(1), 'forged')).rejects.toThrow(/NO_AUTH|NoAuth|not authenticated|-102/i);
    tool('kafka-topics', ['--zookeeper', cluster.zkConnect, '--create', '--topic', 'zkacl-t', '--partitions', '1', '--replication-factor', '1']);
    expect(await anon.get('/brokers/topics/zkacl-t')).toBeDefined();
    await expect(anon.create('/brokers/topics/evil', '{"version":1,"partitions":{"0":[1]}}')).rejects.toThrow();
    await expect(anon.delete('/brokers/topics/zkacl-t')).rejects.toThrow();
    expect(await anon.exists('/brokers/topics/evil')).toBeUndefined();
  });

  it('keeps SCRAM credentials unreadable to others', async () => {
    tool('kafka-configs', ['--zookeeper', cluster.zkConnect, '--alter', '--entity-type', 'users', '--entity-name', 'bob', '--add-config', 'SCRAM-SHA-256=[password=bob-secret]']);
    expect((await cluster.zk.get('/config/users/bob'))!.data.toString()).toContain('SCRAM-SHA-256');
    await expect(anon.get('/config/users/bob')).rejects.toThrow();
  });

  it('leaves /consumers open, so ZooKeeper-coordinated consumers can register', async () => {
    await anon.create('/consumers/zkacl-g/ids/c1', '{"version":1,"subscription":{"zkacl-t":1},"pattern":"static","timestamp":"1"}', { parents: true });
    expect(await anon.exists('/consumers/zkacl-g/ids/c1')).toBeDefined();
  });

  it('still serves clients', () => {
    execFileSync('kcat', ['-b', cluster.bootstrap, '-P', '-t', 'zkacl-t', '-p', '0'], { input: 'secured\n', encoding: 'utf8', timeout: 30_000 });
    const out = execFileSync('kcat', ['-b', cluster.bootstrap, '-C', '-t', 'zkacl-t', '-p', '0', '-o', 'beginning', '-e', '-f', '%s\n'], { encoding: 'utf8', timeout: 30_000 });
    expect(out.trim()).toBe('secured');
  });
});
