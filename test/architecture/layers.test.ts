/**
 * Imports point one way (style.md): cli -> verify|mirror|rest|ui -> client|broker -> coordinator|admin ->
 * zk|storage|network -> protocol -> common (coordinator: the group coordinator and the records
 * of __consumer_offsets, above protocol and storage, below broker). A file may import from its
 * own folder and from the folders its layer lists; nothing below may reach up.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

const ALLOWED: Record<string, string[]> = {
  common: [],
  protocol: ['common'],
  network: ['protocol', 'common'],
  storage: ['protocol', 'common'],
  zk: ['common'],
  registry: ['zk', 'common'],
  admin: ['zk', 'storage', 'protocol', 'common'],
  coordinator: ['storage', 'protocol', 'common'],
  client: ['admin', 'zk', 'network', 'protocol', 'common'],
  broker: ['coordinator', 'admin', 'zk', 'storage', 'network', 'protocol', 'common'],
  verify: ['client', 'admin', 'zk', 'network', 'protocol', 'common'],
  mirror: ['client', 'admin', 'zk', 'network', 'protocol', 'common'],
  rest: ['client', 'admin', 'zk', 'network', 'protocol', 'common'],
  ui: ['client', 'zk', 'network', 'protocol', 'common'],
  cli: ['rest', 'ui', 'registry', 'verify', 'mirror', 'client', 'broker', 'coordinator', 'admin', 'zk', 'storage', 'network', 'protocol', 'common'],
  bin: ['cli', 'registry', 'broker', 'client', 'network', 'common'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture', () => {
  it('imports point one way between the layers', () => {
    const violations: string[] = [];
    for (const file of files(SRC)) {
      const rel = path.relative(SRC, file);
      const layer = rel.split(path.sep)[0]!;
      if (!(layer in ALLOWED)) continue; // src/index.ts, the public entry, may export anything
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from\s+'(\.[^']+)'/g)) {
        const target = path.relative(SRC, path.resolve(path.dirname(file), m[1]!));
        const targetLayer = target.split(path.sep)[0]!;
        if (targetLayer !== layer && !ALLOWED[layer]!.includes(targetLayer)) violations.push(`${rel} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
