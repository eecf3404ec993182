/**
 * Time, injected (Kafka's `Time` / `MockTime`). The storage layer reads the time and arms
 * timers only through a Clock, so tests drive flush intervals, segment rolls and retention with
 * a ManualClock instead of sleeping.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Runs `fn` every `ms` until cancelled. */
  setInterval(fn: () => void, ms: number): TimerHandle;
}

/** The real clock. Timers are unref'd: they never keep the process alive on their own. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, Math.min(ms, 2 ** 31 - 1));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const t = setInterval(fn, Math.min(ms, 2 ** 31 - 1));
    t.unref();
    return { cancel: () => clearInterval(t) };
  }
}

export const systemClock: Clock = new SystemClock();

interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

/** A clock that moves only when told to; `advance` runs the timers that fall due, in order. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add({ due: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false });
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#add({ due: this.#now + Math.max(1, ms), seq: this.#seq++, fn, every: Math.max(1, ms), cancelled: false });
  }
  #add(t: ManualTimer): TimerHandle {
    this.#timers.push(t);
    return { cancel: () => { t.cancelled = true; } };
  }
  /** Timers still armed. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }
  /** Moves time forward by `ms`, running due timers (each at its due time) in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.#timers) if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
      if (!next) break;
      this.#now = Math.max(this.#now, next.due);
      if (next.every !== undefined) {
        next.due += next.every;
        next.seq = this.#seq++;
      } else next.cancelled = true;
      next.fn();
    }
    this.#now = target;
  }
  /** Sets the time (forward only), running due timers. */
  set(ms: number): void {
    this.advance(Math.max(0, ms - this.#now));
  }
}
