/**
 * Java properties files (the format of Kafka's config/server.properties): `key=value` or
 * `key: value` lines, `#` and `!` comments, backslash line continuations and escapes.
 */
import { readFileSync } from 'node:fs';

export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    }
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = unescape(m ? m[1]! : line);
    const value = unescape(m ? m[2]! : '');
    out.set(key, value);
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c;
  });
}

export function readPropertiesFile(path: string): Map<string, string> {
  return parseProperties(readFileSync(path, 'utf8'));
}

/** Applies `key=value` overrides (the `--override` flags) on top of a map. */
export function applyOverrides(props: Map<string, string>, overrides: readonly string[]): Map<string, string> {
  const out = new Map(props);
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new Error(`override "${o}" is not of the form key=value`);
    out.set(o.slice(0, eq).trim(), o.slice(eq + 1).trim());
  }
  return out;
}
