/**
 * The config lists of kafka-configs (ConfigCommand):
 *
 *   --add-config 'k1=v1,k2=[a,b],k3=x=y'   entries split at commas outside brackets; each at its
 *                                           first '=' (so a value may hold '='); a value in
 *                                           brackets is a list, stored comma-joined: k2 -> "a,b"
 *   --delete-config 'k1,k2'                 keys split at commas
 *
 * Keys and values are trimmed (list items too). Anything malformed throws ConfigArgError naming
 * the entry: an empty entry, key or value, a key given twice, a bracket that does not enclose a
 * whole value, nested or unbalanced brackets.
 */

export class ConfigArgError extends Error {}

/** Splits at commas that are not inside [...]; checks the brackets balance and never nest. */
function splitOutsideBrackets(text: string, what: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '[') {
      if (depth > 0) throw new ConfigArgError(`${what} "${text}": nested "[" at position ${i + 1}`);
      depth++;
    } else if (ch === ']') {
      if (depth === 0) throw new ConfigArgError(`${what} "${text}": "]" without "[" at position ${i + 1}`);
      depth--;
    } else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth > 0) throw new ConfigArgError(`${what} "${text}": "[" is never closed`);
  parts.push(text.slice(start));
  return parts;
}

/** A value as given, or a bracketed list joined with commas. */
function parseValue(raw: string, key: string): string {
  const v = raw.trim();
  if (!v.includes('[') && !v.includes(']')) return v;
  if (!v.startsWith('[') || !v.endsWith(']')) throw new ConfigArgError(`--add-config "${key}": brackets must enclose the whole value, got "${v}"`);
  if (v.slice(1, -1).trim() === '') return '';
  const items = v.slice(1, -1).split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new ConfigArgError(`--add-config "${key}": empty item in the list "${v}"`);
  return items.join(',');
}

/** `k1=v1,k2=[a,b]` -> { k1: 'v1', k2: 'a,b' } (own properties only, in the order given). */
export function parseAddConfig(text: string): Record<string, string> {
  const entries: [string, string][] = [];
  for (const entry of splitOutsideBrackets(text, '--add-config')) {
    const eq = entry.indexOf('=');
    if (entry.trim() === '') throw new ConfigArgError(`--add-config "${text}": empty entry (a stray comma?)`);
    if (eq < 0) throw new ConfigArgError(`--add-config entry "${entry.trim()}" must be of the form key=value`);
    const key = entry.slice(0, eq).trim();
    if (key === '') throw new ConfigArgError(`--add-config entry "${entry.trim()}" has no key`);
    if (key.includes('[') || key.includes(']')) throw new ConfigArgError(`--add-config key "${key}" may not hold brackets`);
    const value = parseValue(entry.slice(eq + 1), key);
    if (value === '') throw new ConfigArgError(`--add-config "${key}" has an empty value (use --delete-config to remove a config)`);
    if (entries.some(([k]) => k === key)) throw new ConfigArgError(`--add-config "${key}" is given twice`);
    entries.push([key, value]);
  }
  return Object.fromEntries(entries);
}

/** `k1,k2` -> ['k1', 'k2']. */
export function parseDeleteConfig(text: string): string[] {
  const keys = text.split(',').map((s) => s.trim());
  if (keys.some((k) => k === '')) throw new ConfigArgError(`--delete-config "${text}": empty key (a stray comma?)`);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) throw new ConfigArgError(`--delete-config "${twice}" is given twice`);
  return keys;
}

/**
 * kafka-configs' --add-config and --delete-config (each repeatable, joined by commas), parsed;
 * ConfigArgError names what is malformed.
 */
export function parseAlterConfigs(addConfig: readonly string[], deleteConfig: readonly string[]): { add: Record<string, string>; remove: string[] } {
  return {
    add: addConfig.length > 0 ? parseAddConfig(addConfig.join(',')) : {},
    remove: deleteConfig.length > 0 ? parseDeleteConfig(deleteConfig.join(',')) : [],
  };
}
