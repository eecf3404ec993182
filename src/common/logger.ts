/**
 * A minimal leveled logger writing one line per event to stderr:
 * `[ISO time] LEVEL [component] message key=value ...`. The level comes from
 * KAFKA_LOG_LEVEL (error|warn|info|debug), default info.
 */
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type Level = keyof typeof LEVELS;

function threshold(): number {
  const l = (process.env.KAFKA_LOG_LEVEL ?? 'info').toLowerCase() as Level;
  return LEVELS[l] ?? LEVELS.info;
}

export class Logger {
  readonly #component: string;
  readonly #threshold = threshold();
  constructor(component: string) {
    this.#component = component;
  }
  child(component: string): Logger {
    return new Logger(`${this.#component}/${component}`);
  }
  #log(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (LEVELS[level] > this.#threshold) return;
    let line = `[${new Date().toISOString()}] ${level.toUpperCase()} [${this.#component}] ${msg}`;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        const s = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
        line += ` ${k}=${s}`;
      }
    }
    process.stderr.write(line + '\n');
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.#log('error', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.#log('warn', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.#log('info', msg, fields);
  }
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.#log('debug', msg, fields);
  }
}

/** The first `n` of `names`, comma-separated, and how many more: a log field for long lists. */
export function someOf(names: readonly string[], n = 10): string {
  return names.slice(0, n).join(',') + (names.length > n ? ` and ${names.length - n} more` : '');
}
