/**
 * Typed access to a map of Kafka-style config strings. Every bad value is a ConfigError that
 * names the key, the value and what was expected.
 */
import { ConfigError } from './errors.js';

export class ConfigReader {
  readonly #props: ReadonlyMap<string, string>;
  constructor(props: ReadonlyMap<string, string> | Record<string, string>) {
    this.#props = props instanceof Map ? props : new Map(Object.entries(props));
  }

  has(key: string): boolean {
    return this.#props.has(key) && this.#props.get(key)!.trim() !== '';
  }

  raw(key: string): string | undefined {
    const v = this.#props.get(key);
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(key: string, def?: string): string {
    const v = this.raw(key);
    if (v !== undefined) return v;
    if (def === undefined) throw new ConfigError(`missing required config "${key}"`, { context: { key } });
    return def;
  }

  int(key: string, def?: number, range: { min?: number; max?: number } = {}): number {
    const v = this.raw(key);
    if (v === undefined) {
      if (def === undefined) throw new ConfigError(`missing required config "${key}"`, { context: { key } });
      return def;
    }
    if (!/^-?\d+$/.test(v)) throw new ConfigError(`config "${key}" must be an integer, got "${v}"`, { context: { key, value: v } });
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new ConfigError(`config "${key}" is out of range: ${v}`, { context: { key, value: v } });
    if (range.min !== undefined && n < range.min) throw new ConfigError(`config "${key}" must be >= ${range.min}, got ${v}`, { context: { key, value: v } });
    if (range.max !== undefined && n > range.max) throw new ConfigError(`config "${key}" must be <= ${range.max}, got ${v}`, { context: { key, value: v } });
    return n;
  }

  /**
   * A Kafka LONG: like int, but a value past Number.MAX_SAFE_INTEGER (Long.MAX_VALUE is how
   * Kafka users write "never") reads as Number.MAX_SAFE_INTEGER.
   */
  long(key: string, def?: number, range: { min?: number; max?: number } = {}): number {
    const v = this.raw(key);
    if (v !== undefined && /^\d{16,}$/.test(v) && !Number.isSafeInteger(Number(v))) return Number.MAX_SAFE_INTEGER;
    return this.int(key, def, range);
  }

  /** A Kafka DOUBLE (e.g. 0.5), within `range` when given. */
  double(key: string, def?: number, range: { min?: number; max?: number } = {}): number {
    const v = this.raw(key);
    if (v === undefined) {
      if (def === undefined) throw new ConfigError(`missing required config "${key}"`, { context: { key } });
      return def;
    }
    if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new ConfigError(`config "${key}" must be a number, got "${v}"`, { context: { key, value: v } });
    const n = Number(v);
    if (range.min !== undefined && n < range.min) throw new ConfigError(`config "${key}" must be >= ${range.min}, got ${v}`, { context: { key, value: v } });
    if (range.max !== undefined && n > range.max) throw new ConfigError(`config "${key}" must be <= ${range.max}, got ${v}`, { context: { key, value: v } });
    return n;
  }

  optionalInt(key: string, range: { min?: number; max?: number } = {}): number | undefined {
    return this.has(key) ? this.int(key, undefined, range) : undefined;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return def;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new ConfigError(`config "${key}" must be true or false, got "${v}"`, { context: { key, value: v } });
  }

  list(key: string, def: string[] = []): string[] {
    const v = this.raw(key);
    if (v === undefined) return def;
    return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], def: T): T {
    const v = this.raw(key);
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      throw new ConfigError(`config "${key}" must be one of ${allowed.join(', ')}, got "${v}"`, { context: { key, value: v } });
    }
    return v as T;
  }
}
