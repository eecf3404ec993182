/**
 * Several registry instances against one ensemble, with no master: they agree on every id; a
 * restarted instance serves every id. Also Confluent's own client library
 * (@kafkajs/confluent-schema-registry 4.1.0) against our registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ZkClient } from '../../src/zk/client.js';
import { call, startRegistry, type RegistryProcess } from '../helpers/registry.js';
import { uniqueChroot, zkConnect } from '../helpers/zk.js';

const chroot = uniqueChroot('registry-instances');
const url = () => `${zkConnect()}${chroot}`;
let a: RegistryProcess;
let b: RegistryProcess;

const rec = (i: number) => JSON.stringify({ name: `R${i}`, type: 'record', fields: [{ name: 'f', type: 'int' }] });

beforeAll(async () => {
  [a, b] = await Promise.all([startRegistry(url()), startRegistry(url())]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  const root = await ZkClient.connect({ connectString: zkConnect() });
  await root.deleteRecursive(chroot);
  await root.close();
});

describe('registry instances', () => {
  it('agree on ids when registering the same and different schemas at once', async () => {
    const N = 10;
    const jobs: Promise<{ who: string; i: number; id: number }>[] = [];
    for (let i = 0; i < N; i++) {
      // the same schema through both instances, under two subjects and under the same one
      for (const [who, reg, subject] of [['a', a, `s${i}-a`], ['b', b, `s${i}-b`], ['a', a, `shared-${i}`], ['b', b, `shared-${i}`]] as const) {
        jobs.push(call(`${reg.url}/subjects/${subject}/versions`, 'POST', { schema: rec(i) }).then((r) => {
          expect(r.status, r.text).toBe(200);
          return { who, i, id: (r.json as { id: number }).id };
        }));
      }
    }
    const results = await Promise.all(jobs);
    const idOf = new Map<number, number>();
    for (const r of results) {
      if (!idOf.has(r.i)) idOf.set(r.i, r.id);
      expect(r.id, `schema ${r.i}`).toBe(idOf.get(r.i));
    }
    expect(new Set(idOf.values()).size).toBe(N); // no id reused for another schema
    // a shared subject got one version even though both instances registered it at once
    for (let i = 0; i < N; i++) expect((await call(`${a.url}/subjects/shared-${i}/versions`, 'GET')).text).toBe('[1]');
    for (const [i, id] of idOf) {
      expect((await call(`${b.url}/schemas/ids/${id}`, 'GET')).json).toEqual({ schema: rec(i) });
      expect((await call(`${a.url}/schemas/ids/${id}`, 'GET')).json).toEqual({ schema: rec(i) });
    }
    // new versions under one subject from both instances: numbered without gaps or clashes
    const evolve = (n: number) => JSON.stringify({ type: 'record', name: 'E', fields: Array.from({ length: n }, (_, k) => ({ name: `f${k}`, type: 'int', default: 0 })) });
    await call(`${a.url}/config/evolving`, 'PUT', { compatibility: 'NONE' });
    await Promise.all(Array.from({ length: 8 }, (_, n) => call(`${(n % 2 ? a : b).url}/subjects/evolving/versions`, 'POST', { schema: evolve(n + 1) })));
    expect((await call(`${b.url}/subjects/evolving/versions`, 'GET')).json).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    // a restarted instance serves every id
    await a.stop();
    a = await startRegistry(url());
    for (const [i, id] of idOf) expect((await call(`${a.url}/schemas/ids/${id}`, 'GET')).json).toEqual({ schema: rec(i) });
    expect((await call(`${a.url}/subjects/shared-3/versions/latest`, 'GET')).json).toMatchObject({ id: idOf.get(3), version: 1 });
  });

  it('serves @kafkajs/confluent-schema-registry: register, encode/decode, compatibility errors', async () => {
    const registry = new SchemaRegistry({ host: a.url }, { [SchemaType.AVRO]: {} });
    const v1 = { type: 'record', name: 'User', namespace: 'kjs', fields: [{ name: 'name', type: 'string' }] };
    const v2 = { ...v1, fields: [...v1.fields, { name: 'age', type: 'int', default: 0 }] };
    const { id: id1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject: 'kjs-value' });
    const { id: id2 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject: 'kjs-value' });
    expect(id2).not.toBe(id1);
    expect(await registry.getLatestSchemaId('kjs-value')).toBe(id2);
    expect(await registry.getRegistryId('kjs-value', 1)).toBe(id1);
    const buf = await registry.encode(id1, { name: 'Ann' });
    expect(buf[0]).toBe(0);
    expect(buf.readInt32BE(1)).toBe(id1);
    // a fresh client (empty cache) decodes through our GET /schemas/ids/{id}
    const fresh = new SchemaRegistry({ host: b.url });
    expect(await fresh.decode(buf)).toEqual({ name: 'Ann' });
    const incompatible = { ...v1, fields: [...v1.fields, { name: 'email', type: 'string' }] };
    const err = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(incompatible) }, { subject: 'kjs-value' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/incompatible with an earlier schema/);
    expect((err as { status?: number }).status).toBe(409);
  });
});
