/**
 * The schema registry over HTTP: Confluent's documented exchanges (status codes and bodies byte
 * for byte), compatibility levels, bounds on input, and the ZooKeeper layout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkClient } from '../../src/zk/client.js';
import { call, startRegistry, SR_CT, type RegistryProcess } from '../helpers/registry.js';
import { uniqueChroot, zkConnect } from '../helpers/zk.js';

const chroot = uniqueChroot('registry-http');
let reg: RegistryProcess;
let zk: ZkClient;

const person = (fields: object[]) => JSON.stringify({ type: 'record', name: 'Person', namespace: 'demo', fields: [{ name: 'name', type: 'string' }, ...fields] });
const V1 = person([]);
const V2 = person([{ name: 'phone', type: ['null', 'string'], default: null }]);
const NO_DEFAULT = person([{ name: 'email', type: 'string' }]);

beforeAll(async () => {
  reg = await startRegistry(`${zkConnect()}${chroot}`);
  zk = await ZkClient.connect({ connectString: zkConnect(), chroot });
});
afterAll(async () => {
  await reg?.stop();
  await zk?.close();
  const root = await ZkClient.connect({ connectString: zkConnect() });
  await root.deleteRecursive(chroot);
  await root.close();
});

describe('schema registry REST API', () => {
  it('answers Confluent\'s documented examples byte for byte', async () => {
    const u = reg.url;
    const r1 = await call(`${u}/subjects/test/versions`, 'POST', { schema: '{"type": "string"}' });
    expect([r1.status, r1.type, r1.text]).toEqual([200, SR_CT, '{"id":1}']);
    expect((await call(`${u}/schemas/ids/1`, 'GET')).text).toBe('{"schema":"\\"string\\""}');
    expect((await call(`${u}/subjects`, 'GET')).text).toBe('["test"]');
    expect((await call(`${u}/subjects/test/versions`, 'GET')).text).toBe('[1]');
    expect((await call(`${u}/subjects/test/versions/1`, 'GET')).text).toBe('{"subject":"test","version":1,"id":1,"schema":"\\"string\\""}');
    expect((await call(`${u}/subjects/test/versions/latest/schema`, 'GET')).text).toBe('"string"');
    expect((await call(`${u}/subjects/test`, 'POST', { schema: '"string"' })).text).toBe('{"subject":"test","version":1,"id":1,"schema":"\\"string\\""}');
    // the same schema under another subject: the same id
    expect((await call(`${u}/subjects/other/versions`, 'POST', { schema: '"string"' })).text).toBe('{"id":1}');
    expect((await call(`${u}/config`, 'GET')).text).toBe('{"compatibilityLevel":"BACKWARD"}');
    expect((await call(`${u}/config/test`, 'PUT', { compatibility: 'FULL' })).text).toBe('{"compatibility":"FULL"}');
    expect((await call(`${u}/config/test`, 'GET')).text).toBe('{"compatibilityLevel":"FULL"}');
    expect((await call(`${u}/compatibility/subjects/test/versions/latest`, 'POST', { schema: '"int"' })).text).toBe('{"is_compatible":false}');
    expect((await call(`${u}/compatibility/subjects/test/versions/1`, 'POST', { schema: '"string"' })).text).toBe('{"is_compatible":true}');
    expect((await call(`${u}/subjects/other/versions/1`, 'DELETE')).text).toBe('1');
    expect((await call(`${u}/subjects`, 'GET')).text).toBe('["test"]');
    expect((await call(`${u}/schemas/ids/1`, 'GET')).status).toBe(200); // the id outlives the deleted version
  });

  it('answers errors with Confluent\'s codes and bodies', async () => {
    const u = reg.url;
    const e = async (path: string, method: string, body?: unknown, ct?: string) => {
      const r = await call(`${u}${path}`, method, body, ct);
      expect(r.type).toBe(SR_CT);
      return [r.status, (r.json as { error_code: number }).error_code, r.text] as const;
    };
    expect(await e('/subjects/nope/versions', 'GET')).toEqual([404, 40401, '{"error_code":40401,"message":"Subject \'nope\' not found."}']);
    expect(await e('/subjects/test/versions/7', 'GET')).toEqual([404, 40402, '{"error_code":40402,"message":"Version 7 not found."}']);
    expect(await e('/schemas/ids/999', 'GET')).toEqual([404, 40403, '{"error_code":40403,"message":"Schema 999 not found"}']);
    expect((await e('/subjects/test/versions/0', 'GET')).slice(0, 2)).toEqual([422, 42202]);
    expect((await e('/subjects/test/versions/abc', 'GET')).slice(0, 2)).toEqual([422, 42202]);
    expect((await e('/subjects/x/versions', 'POST', { schema: '{"type":"integer"}' })).slice(0, 2)).toEqual([422, 42201]);
    expect((await e('/subjects/x/versions', 'POST', { nothing: 1 })).slice(0, 2)).toEqual([422, 42201]);
    expect((await e('/config', 'PUT', { compatibility: 'SIDEWAYS' })).slice(0, 2)).toEqual([422, 42203]);
    expect((await e('/subjects/test', 'POST', { schema: '"long"' })).slice(0, 2)).toEqual([404, 40403]);
    expect((await e('/config/never-configured', 'GET')).slice(0, 2)).toEqual([404, 40408]);
    expect((await e('/subjects/x/versions', 'POST', '{"schema": ')).slice(0, 2)).toEqual([400, 400]);
    expect((await e('/subjects/x/versions', 'POST', { schema: '"int"' }, 'text/plain')).slice(0, 2)).toEqual([415, 415]);
    expect((await e('/no/such/path', 'GET')).slice(0, 2)).toEqual([404, 404]);
    expect((await e('/subjects', 'PUT', {})).slice(0, 2)).toEqual([405, 405]);
    // plain application/json is accepted
    expect((await call(`${u}/subjects/plain/versions`, 'POST', { schema: '"bytes"' }, 'application/json')).status).toBe(200);
  });

  it('bounds request bodies and schema sizes', async () => {
    const huge = 'x'.repeat(1_100_000);
    const r = await call(`${reg.url}/subjects/big/versions`, 'POST', { schema: huge });
    expect([r.status, (r.json as { error_code: number }).error_code]).toEqual([413, 413]);
    const bigDoc = JSON.stringify({ type: 'record', name: 'Big', doc: 'd'.repeat(950_000), fields: [] });
    const r2 = await call(`${reg.url}/subjects/big/versions`, 'POST', { schema: bigDoc });
    expect(r2.status).toBe(422);
    expect(r2.json).toMatchObject({ error_code: 42201 });
    expect((r2.json as { message: string }).message).toMatch(/limit is 900000 bytes/);
  });

  it('evolves under BACKWARD, refuses an incompatible change with 409, and applies the transitive levels', async () => {
    const u = reg.url;
    expect((await call(`${u}/subjects/people-value/versions`, 'POST', { schema: V1 })).status).toBe(200);
    expect((await call(`${u}/subjects/people-value/versions`, 'POST', { schema: V2 })).status).toBe(200);
    const bad = await call(`${u}/subjects/people-value/versions`, 'POST', { schema: NO_DEFAULT });
    expect(bad.status).toBe(409);
    expect(bad.json).toMatchObject({ error_code: 409 });
    expect((bad.json as { message: string }).message).toMatch(/^Schema being registered is incompatible with an earlier schema for subject "people-value"/);
    expect((await call(`${u}/subjects/people-value/versions`, 'GET')).text).toBe('[1,2]');
    // registering the same schema again: same id, no new version
    const v2 = (await call(`${u}/subjects/people-value/versions/2`, 'GET')).json as { id: number };
    expect((await call(`${u}/subjects/people-value/versions`, 'POST', { schema: V2 })).text).toBe(`{"id":${v2.id}}`);
    expect((await call(`${u}/subjects/people-value/versions`, 'GET')).text).toBe('[1,2]');

    // a chain where each step is BACKWARD but v3 cannot read v1: a field loses its default
    // (v2 may drop nothing; v3 requires "phone" without default: reads v2 data, not v1)
    const c1 = JSON.stringify({ type: 'record', name: 'C', fields: [{ name: 'a', type: 'int' }] });
    const c2 = JSON.stringify({ type: 'record', name: 'C', fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'int', default: 0 }] });
    const c3 = JSON.stringify({ type: 'record', name: 'C', fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'int' }] });
    for (const s of ['chain-step', 'chain-trans']) {
      expect((await call(`${u}/subjects/${s}/versions`, 'POST', { schema: c1 })).status).toBe(200);
      expect((await call(`${u}/subjects/${s}/versions`, 'POST', { schema: c2 })).status).toBe(200);
    }
    expect((await call(`${u}/config/chain-trans`, 'PUT', { compatibility: 'backward_transitive' })).text).toBe('{"compatibility":"BACKWARD_TRANSITIVE"}');
    expect((await call(`${u}/subjects/chain-step/versions`, 'POST', { schema: c3 })).status).toBe(200);
    const refused = await call(`${u}/subjects/chain-trans/versions`, 'POST', { schema: c3 });
    expect(refused.status).toBe(409);
    expect((refused.json as { message: string }).message).toMatch(/version 1/);

    // FORWARD refuses a new field without a default being removed ... and NONE allows anything
    expect((await call(`${u}/config/fw`, 'PUT', { compatibility: 'FORWARD' })).status).toBe(200);
    expect((await call(`${u}/subjects/fw/versions`, 'POST', { schema: c3 })).status).toBe(200);
    expect((await call(`${u}/subjects/fw/versions`, 'POST', { schema: c1 })).status).toBe(409); // c3 cannot read c1 data (b has no default)
    expect((await call(`${u}/subjects/fw/versions`, 'POST', { schema: c2 })).status).toBe(200); // c3 reads c2 data
    expect((await call(`${u}/config/none`, 'PUT', { compatibility: 'NONE' })).status).toBe(200);
    expect((await call(`${u}/subjects/none/versions`, 'POST', { schema: c1 })).status).toBe(200);
    expect((await call(`${u}/subjects/none/versions`, 'POST', { schema: '"string"' })).status).toBe(200);
    expect((await call(`${u}/config/full`, 'PUT', { compatibility: 'FULL' })).status).toBe(200);
    expect((await call(`${u}/subjects/full/versions`, 'POST', { schema: c1 })).status).toBe(200);
    expect((await call(`${u}/subjects/full/versions`, 'POST', { schema: c3 })).status).toBe(409); // c1 reads c3, c3 cannot read c1
    expect((await call(`${u}/subjects/full/versions`, 'POST', { schema: c2 })).status).toBe(200);
  });

  it('deletes a subject: its versions are listed back, then it is gone (ids stay)', async () => {
    const u = reg.url;
    const id = ((await call(`${u}/subjects/chain-step/versions/1`, 'GET')).json as { id: number }).id;
    expect((await call(`${u}/subjects/chain-step`, 'DELETE')).text).toBe('[1,2,3]');
    expect((await call(`${u}/subjects/chain-step/versions`, 'GET')).json).toMatchObject({ error_code: 40401 });
    expect((await call(`${u}/subjects/chain-step`, 'POST', { schema: '"string"' })).json).toMatchObject({ error_code: 40401 });
    expect((await call(`${u}/subjects`, 'GET')).json).not.toContain('chain-step');
    expect((await call(`${u}/schemas/ids/${id}`, 'GET')).status).toBe(200);
  });

  it('keeps the documented ZooKeeper layout', async () => {
    const ids = (await zk.children('/schema_registry/ids'))!.map(Number).sort((a, b) => a - b);
    const counter = Number((await zk.get('/schema_registry/id_counter'))!.data.toString());
    expect(ids[ids.length - 1]).toBeLessThanOrEqual(counter);
    expect(new Set(ids).size).toBe(ids.length);
    const one = JSON.parse((await zk.get(`/schema_registry/ids/${ids[0]}`))!.data.toString()) as { schema: string };
    expect(one.schema).toBe('"string"');
    expect(await zk.children('/schema_registry/subjects/people-value')).toEqual(expect.arrayContaining(['0000000001', '0000000002']));
    expect(JSON.parse((await zk.get('/schema_registry/subject_configs/chain-trans'))!.data.toString())).toEqual({ compatibilityLevel: 'BACKWARD_TRANSITIVE' });
  });
});
