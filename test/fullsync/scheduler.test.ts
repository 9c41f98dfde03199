import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, crontabMinuteMs, MAX_TIMER_MS } from '../../src/fullsync/scheduler.js';

/** A fake clock with timers that fire when the clock is advanced. */
function fakeClock(start = 1_000_000) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const api = {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimer: (h: unknown) => void timers.delete(h as number),
  };
  /** Move the clock to `to`, firing due timers in order, letting promises settle after each. */
  const advanceTo = async (to: number): Promise<void> => {
    for (;;) {
      const due = [...timers].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
    now = to;
  };
  return { api, advanceTo, pending: () => timers.size, get now() { return now; } };
}

describe('fullsync crontab scheduler', () => {
  it('runs first one period after start, then every period', async () => {
    const c = fakeClock();
    const at: number[] = [];
    const s = createScheduler({ periodMs: 60_000, ...c.api, run: async () => void at.push(c.now) });
    s.start();
    assert.equal(s.nextAt, 1_060_000);
    await c.advanceTo(1_059_999);
    assert.deepEqual(at, [], 'nothing at start-up');
    await c.advanceTo(1_000_000 + 3 * 60_000);
    assert.deepEqual(at, [1_060_000, 1_120_000, 1_180_000]);
  });

  it('never overlaps runs, and skips the slots a long run missed', async () => {
    const c = fakeClock(0);
    const starts: number[] = [];
    let finish: (() => void) | null = null;
    const skipped: number[] = [];
    const s = createScheduler({
      periodMs: 10,
      ...c.api,
      run: () => {
        starts.push(c.now);
        return new Promise<void>((r) => (finish = r));
      },
      onSkipped: (n) => skipped.push(n),
    });
    s.start();
    await c.advanceTo(10);
    await c.advanceTo(35); // the run at 10 is still going
    assert.deepEqual(starts, [10]);
    finish!();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.deepEqual(skipped, [2], 'slots 20 and 30 were missed');
    assert.equal(s.nextAt, 40);
    await c.advanceTo(40);
    assert.deepEqual(starts, [10, 40]);
  });

  it('keeps going after a failed run', async () => {
    const c = fakeClock(0);
    let n = 0;
    const s = createScheduler({ periodMs: 5, ...c.api, run: async () => { n++; throw new Error('remote down'); } });
    s.start();
    await c.advanceTo(20);
    assert.equal(n, 4);
  });

  it('cuts waits longer than a Node timer can hold into steps', async () => {
    const c = fakeClock(0);
    const asked: number[] = [];
    let ran = 0;
    const period = MAX_TIMER_MS * 2 + 5;
    const s = createScheduler({
      periodMs: period,
      now: c.api.now,
      clearTimer: c.api.clearTimer,
      setTimer: (fn, ms) => {
        asked.push(ms);
        return c.api.setTimer(fn, ms);
      },
      run: async () => void ran++,
    });
    s.start();
    await c.advanceTo(period - 1);
    assert.equal(ran, 0);
    assert.ok(asked.every((ms) => ms <= MAX_TIMER_MS));
    await c.advanceTo(period);
    assert.equal(ran, 1);
  });

  it('stops: no more runs, no timer left', async () => {
    const c = fakeClock(0);
    let n = 0;
    const s = createScheduler({ periodMs: 5, ...c.api, run: async () => void n++ });
    s.start();
    await c.advanceTo(5);
    s.stop();
    await c.advanceTo(50);
    assert.equal(n, 1);
    assert.equal(c.pending(), 0);
    assert.equal(s.nextAt, null);
  });

  it('rejects a period that is not positive', () => {
    assert.throws(() => createScheduler({ periodMs: 0, run: async () => {} }), /positive/);
  });
});

describe('fullsync crontab minute (test hook SERSYNC_TS_CRONTAB_MINUTE_MS)', () => {
  it('is 60000 ms unless the variable holds a positive number', () => {
    assert.equal(crontabMinuteMs({}), 60_000);
    assert.equal(crontabMinuteMs({ SERSYNC_TS_CRONTAB_MINUTE_MS: '2000' }), 2000);
    assert.equal(crontabMinuteMs({ SERSYNC_TS_CRONTAB_MINUTE_MS: '0' }), 60_000);
    assert.equal(crontabMinuteMs({ SERSYNC_TS_CRONTAB_MINUTE_MS: 'soon' }), 60_000);
  });
});
