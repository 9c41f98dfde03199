// A fixed-period scheduler for the crontab full sync, with the clock and the
// timers injected so tests can drive it without waiting.
//
// sersync2 (spec §5.5): the first run `schedule` minutes after start-up, then
// every `schedule` minutes. Here runs are due at start + k·period; a run is
// never started while the previous one is still going, and slots missed
// because a run took longer than a period are skipped (one run, not a burst).
// Node timers cannot wait longer than 2^31-1 ms (~24.8 days; longer delays
// fire at once), so a long wait is cut into steps.

export interface TimerApi {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realTimers: TimerApi = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The longest single timer Node honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SchedulerOptions extends Partial<TimerApi> {
  periodMs: number;
  /** One run; its failures are its own business (the scheduler keeps going). */
  run: () => Promise<void>;
  /** Slots skipped because a run overran (for a log line). */
  onSkipped?: (slots: number) => void;
}

export interface Scheduler {
  start(): void;
  stop(): void;
  /** When the next run is due (epoch ms), or null when stopped. */
  readonly nextAt: number | null;
  readonly runs: number;
}

export function createScheduler(o: SchedulerOptions): Scheduler {
  const t: TimerApi = {
    now: o.now ?? realTimers.now,
    setTimer: o.setTimer ?? realTimers.setTimer,
    clearTimer: o.clearTimer ?? realTimers.clearTimer,
  };
  if (!(o.periodMs > 0)) throw new Error(`crontab period must be positive, got ${o.periodMs}`);
  let due: number | null = null;
  let handle: unknown = null;
  let stopped = true;
  let runs = 0;

  const arm = (): void => {
    if (stopped || due === null) return;
    const wait = Math.max(0, Math.min(due - t.now(), MAX_TIMER_MS));
    handle = t.setTimer(fire, wait);
  };

  const fire = (): void => {
    handle = null;
    if (stopped || due === null) return;
    if (t.now() < due) return arm(); // a step of a long wait
    const slot = due;
    runs++;
    void o
      .run()
      .catch(() => undefined)
      .finally(() => {
        if (stopped) return;
        let next = slot + o.periodMs;
        let skipped = 0;
        const now = t.now();
        while (next <= now) {
          next += o.periodMs;
          skipped++;
        }
        if (skipped > 0) o.onSkipped?.(skipped);
        due = next;
        arm();
      });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      due = t.now() + o.periodMs;
      arm();
    },
    stop() {
      stopped = true;
      due = null;
      if (handle !== null) t.clearTimer(handle);
      handle = null;
    },
    get nextAt() {
      return due;
    },
    get runs() {
      return runs;
    },
  };
}

/**
 * How many milliseconds a crontab "minute" lasts: 60000, or the value of the
 * test hook SERSYNC_TS_CRONTAB_MINUTE_MS (a positive number) so integration
 * tests can run `schedule="1"` in seconds.
 */
export function crontabMinuteMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SERSYNC_TS_CRONTAB_MINUTE_MS;
  if (raw === undefined || raw === '') return 60_000;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : 60_000;
}
