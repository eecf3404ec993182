/** ZkClient against the shared ensemble: CRUD, CAS, ephemerals, watches, multi. */
import { describe, expect, it } from 'vitest';
import { useZkChroot, waitFor, zkConnect } from '../helpers/zk.js';
import { BadVersionError, NoNodeError, NodeExistsError, NotEmptyError } from '../../src/zk/errors.js';
import type { ZkNode } from '../../src/zk/client.js';

const zk = useZkChroot('client');
const txt = (n: ZkNode | undefined) => n?.data.toString('utf8');

describe('ZkClient basics', () => {
  it('creates, reads, updates and deletes znodes; missing is undefined', async () => {
    const c = await zk.connect();
    expect(await c.get('/a')).toBeUndefined();
    expect(await c.exists('/a')).toBeUndefined();
    expect(await c.children('/a')).toBeUndefined();
    expect(await c.create('/a', 'hello')).toBe('/a');
    const n = await c.get('/a');
    expect(txt(n)).toBe('hello');
    expect(n?.version).toBe(0);
    expect(n?.stat.ephemeralOwner).toBe(0n);
    expect(await c.set('/a', 'again')).toBe(1);
    await expect(c.create('/a', 'x')).rejects.toBeInstanceOf(NodeExistsError);
    await expect(c.create('/no/parent', 'x')).rejects.toBeInstanceOf(NoNodeError);
    expect(await c.create('/p/q/r', 'deep', { parents: true })).toBe('/p/q/r');
    expect(await c.children('/p')).toEqual(['q']);
    await expect(c.delete('/p')).rejects.toBeInstanceOf(NotEmptyError);
    await c.deleteRecursive('/p');
    expect(await c.exists('/p')).toBeUndefined();
    await c.delete('/a');
    await expect(c.delete('/a')).rejects.toSatisfy((e: NoNodeError) => e instanceof NoNodeError && e.path === '/a');
    await c.ensurePath('/x/y/z');
    await c.ensurePath('/x/y/z');
    expect(await c.children('/x/y')).toEqual(['z']);
  });

  it('sequential nodes get increasing suffixes', async () => {
    const c = await zk.connect();
    await c.ensurePath('/config/changes');
    const a = await c.create('/config/changes/config_change_', '"t"', { mode: 'persistent_sequential' });
    const b = await c.create('/config/changes/config_change_', '"t"', { mode: 'persistent_sequential' });
    expect(a).toMatch(/^\/config\/changes\/config_change_\d{10}$/);
    expect(b > a).toBe(true);
  });

  it('refuses a stale compare-and-set with BadVersionError', async () => {
    const c = await zk.connect();
    await c.create('/cas', 'v0');
    const v1 = await c.set('/cas', 'v1', 0);
    expect(v1).toBe(1);
    const err = await c.set('/cas', 'stale', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadVersionError);
    expect((err as BadVersionError).path).toBe('/cas');
    expect(txt(await c.get('/cas'))).toBe('v1');
    await expect(c.delete('/cas', 0)).rejects.toBeInstanceOf(BadVersionError);
    await c.delete('/cas', 1);
  });

  it('multi is atomic and keeps version 0 as a real check', async () => {
    const c = await zk.connect();
    await c.create('/m', 'a');
    const res = await c.multi([
      { op: 'check', path: '/m', version: 0 },
      { op: 'create', path: '/m/child', data: 'c' },
      { op: 'set', path: '/m', data: 'b', version: 0 },
    ]);
    expect(res.map((r) => r.op)).toEqual(['check', 'create', 'set']);
    expect(res[1]).toEqual({ op: 'create', path: '/m/child' });
    // /m is now at version 1: a check of version 0 must fail and nothing else may happen.
    const err = await c.multi([
      { op: 'create', path: '/m/other', data: 'o' },
      { op: 'check', path: '/m', version: 0 },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadVersionError);
    expect((err as BadVersionError).path).toBe('/m');
    expect((err as BadVersionError).context.opIndex).toBe(1);
    expect(await c.exists('/m/other')).toBeUndefined();
  });
});

describe('ephemeral znodes', () => {
  it('vanish when their session closes, and a watcher sees it', async () => {
    const owner = await zk.connect();
    const observer = await zk.connect();
    await observer.ensurePath('/brokers/ids');
    const seen: Array<string[] | undefined> = [];
    const unwatch = observer.watchChildren('/brokers/ids', (ids) => void seen.push(ids));
    await waitFor(() => seen.length >= 1, { what: 'the first children' });
    await owner.create('/brokers/ids/1', '{}', { mode: 'ephemeral' });
    expect((await owner.get('/brokers/ids/1'))?.stat.ephemeralOwner).toBe(owner.sessionId.readBigInt64BE(0));
    await waitFor(() => seen.at(-1)?.includes('1'), { what: 'the ephemeral to appear' });
    await owner.close();
    await waitFor(() => seen.at(-1)?.length === 0, { what: 'the ephemeral to vanish' });
    expect(await observer.exists('/brokers/ids/1')).toBeUndefined();
    expect(seen).toEqual([[], ['1'], []]);
    unwatch();
  });

  it('createEphemeralExpectConflict: same data is success, other data is NodeExistsError', async () => {
    const c = await zk.connect();
    const other = await zk.connect();
    expect(await c.createEphemeralExpectConflict('/controller', '{"brokerid":1}')).toBe('created');
    expect(await c.createEphemeralExpectConflict('/controller', '{"brokerid":1}')).toBe('exists');
    const err = await other.createEphemeralExpectConflict('/controller', '{"brokerid":2}').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeExistsError);
    expect((err as NodeExistsError).path).toBe('/controller');
    expect((err as NodeExistsError).context.existingData).toBe('{"brokerid":1}');
    // Parents are created as needed.
    expect(await c.createEphemeralExpectConflict('/consumers/g/ids/c1', 'x')).toBe('created');
  });
});

describe('watches', () => {
  it('data watch delivers every change in order, one call at a time', async () => {
    const c = await zk.connect();
    const writer = await zk.connect();
    const seen: Array<string | undefined> = [];
    let running = 0;
    let overlapped = false;
    const unwatch = c.watchData('/w', async (n) => {
      if (++running > 1) overlapped = true;
      seen.push(txt(n));
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    await waitFor(() => seen.length === 1, { what: 'the initial (missing) value' });
    expect(seen[0]).toBeUndefined();
    await writer.create('/w', 'v0');
    await waitFor(() => seen.at(-1) === 'v0', { what: 'v0' });
    for (let i = 1; i <= 5; i++) {
      await writer.set('/w', `v${i}`);
      await waitFor(() => seen.at(-1) === `v${i}`, { what: `v${i}` });
    }
    await writer.delete('/w');
    await waitFor(() => seen.length === 8 && seen.at(-1) === undefined, { what: 'the deletion' });
    await writer.create('/w', 'back');
    await waitFor(() => seen.at(-1) === 'back', { what: 'the re-creation' });
    expect(seen).toEqual([undefined, 'v0', 'v1', 'v2', 'v3', 'v4', 'v5', undefined, 'back']);
    expect(overlapped).toBe(false);
    unwatch();
  });

  it('a burst of changes is coalesced but the last value always arrives', async () => {
    const c = await zk.connect();
    await c.create('/burst', '0');
    const seen: number[] = [];
    const unwatch = c.watchData('/burst', async (n) => {
      seen.push(Number(txt(n)));
      await new Promise((r) => setTimeout(r, 20)); // a slow listener
    });
    await waitFor(() => seen.length === 1, { what: 'the initial value' });
    for (let i = 1; i <= 30; i++) await c.set('/burst', String(i));
    await waitFor(() => seen.at(-1) === 30, { what: 'the last value' });
    expect([...seen].sort((a, b) => a - b)).toEqual(seen); // in order, no value twice
    expect(new Set(seen).size).toBe(seen.length);
    unwatch();
  });

  it('child watch re-arms and reports each change; unwatch stops it', async () => {
    const c = await zk.connect();
    await c.ensurePath('/kids');
    const seen: string[][] = [];
    const unwatch = c.watchChildren('/kids', (k) => void seen.push(k ?? ['<none>']));
    await waitFor(() => seen.length === 1, { what: 'the initial children' });
    for (const k of ['a', 'b', 'c']) {
      await c.create(`/kids/${k}`);
      await waitFor(() => seen.at(-1)?.includes(k), { what: `child ${k}` });
    }
    await c.delete('/kids/b');
    await waitFor(() => seen.at(-1)?.join() === 'a,c', { what: 'b removed' });
    expect(seen).toEqual([[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'c']]);
    unwatch();
    await c.create('/kids/d');
    const marker = await c.create('/kids-done');
    expect(marker).toBe('/kids-done');
    expect(seen).toHaveLength(5);
  });

  it('a watch on a missing parent sees it created', async () => {
    const c = await zk.connect();
    const seen: Array<string[] | undefined> = [];
    const unwatch = c.watchChildren('/later', (k) => void seen.push(k));
    await waitFor(() => seen.length === 1, { what: 'the initial undefined' });
    expect(seen[0]).toBeUndefined();
    await c.create('/later/x', '', { parents: true });
    await waitFor(() => seen.at(-1)?.join() === 'x', { what: 'the child' });
    unwatch();
  });
});

describe('ZkClient.sync', () => {
  it("makes a write through another server visible to the next read, and creates nothing", async () => {
    const servers = zkConnect().split(',');
    // a writer on the first server, a reader on the last (one server each): the reader's server
    // may apply the writer's transactions later than the writer's server acknowledges them
    const writer = await zk.connect({ connectString: servers[0]! });
    const reader = await zk.connect({ connectString: servers[servers.length - 1]! });
    await writer.create('/synced', '0');
    for (let i = 1; i <= 100; i++) {
      await writer.set('/synced', String(i));
      await reader.sync();
      expect(txt(await reader.get('/synced'))).toBe(String(i));
    }
    expect((await reader.children('/'))!.filter((c) => c.includes('sync-barrier'))).toEqual([]);
    await reader.close();
    await expect(reader.sync()).rejects.toThrow();
  });
});
