/**
 * The registry while its ZooKeeper is away (a one-node ensemble of this test's own): requests
 * that need ZooKeeper answer 500 with error 50001 (not a hang, not a crash); a schema it has
 * seen by id is still served from its cache; once ZooKeeper is back it works again.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestartableEnsemble } from '../helpers/consumer-process.js';
import { until } from '../helpers/broker-cluster.js';
import { call, startRegistry, type RegistryProcess } from '../helpers/registry.js';

describe('registry with ZooKeeper away', () => {
  let zk: RestartableEnsemble;
  let reg: RegistryProcess;
  beforeAll(async () => {
    zk = await RestartableEnsemble.start(1);
    reg = await startRegistry(`${zk.connectString}/sr`, { 'zookeeper.operation.timeout.ms': '1500' });
  });
  afterAll(async () => {
    await reg?.stop();
    await zk?.stop();
  });

  it('answers 50001 while ZooKeeper is down and recovers when it is back', async () => {
    const r = await call(`${reg.url}/subjects/t-value/versions`, 'POST', { schema: '"string"' });
    expect(r.text).toBe('{"id":1}');
    await zk.stopNode(1);
    const down = await call(`${reg.url}/subjects/t-value/versions`, 'POST', { schema: '"int"' });
    expect([down.status, down.text]).toEqual([500, '{"error_code":50001,"message":"Error in the backend datastore"}']);
    expect((await call(`${reg.url}/subjects`, 'GET')).status).toBe(500);
    expect((await call(`${reg.url}/schemas/ids/1`, 'GET')).text).toBe('{"schema":"\\"string\\""}'); // cached: ids never change
    expect(reg.proc.exitCode).toBe(null);
    await zk.startNodes([1]);
    let last = '';
    const back = await until('the registry to reach ZooKeeper again', async () => {
      const x = await call(`${reg.url}/subjects/t-value/versions`, 'POST', { schema: '"int"' }).catch((e: unknown) => ((last = String(e)), undefined));
      if (x) last = `${x.status} ${x.text}`;
      return x && x.status !== 500 ? x : undefined;
    }, 120_000, 200).catch((e: Error) => {
      const zkLog = (() => {
        try {
          return readFileSync(path.join(zk.dir, 'node1', 'zookeeper.log'), 'utf8').split('\n').slice(-40).join('\n');
        } catch (err) {
          return String(err);
        }
      })();
      throw new Error(`${e.message}; last answer ${last}; registry output: ${reg.output().split('\n').filter((l) => !l.includes('timed out')).join('\n')}; ZooKeeper's log: ${zkLog}`);
    });
    // "int" cannot read "string" data: BACKWARD refuses it, which shows the store answered
    expect(back.status).toBe(409);
    expect((await call(`${reg.url}/subjects`, 'GET')).text).toBe('["t-value"]');
  });
});
