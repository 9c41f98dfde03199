import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Reconciler } from '../../src/engine/reconcile.js';
import { guardAllows } from '../../src/engine/reconcileWiring.js';
import { silentLogger } from '../../src/log/logger.js';

describe('delete guardrail', () => {
  it('allows deleting up to the configured share of the remote', () => {
    assert.equal(guardAllows({ deleteCount: 50, remoteTotal: 100 }, 0.5), true);
    assert.equal(guardAllows({ deleteCount: 51, remoteTotal: 100 }, 0.5), false);
  });
  it('refuses wiping a remote from an empty source', () => {
    assert.equal(guardAllows({ deleteCount: 1000, remoteTotal: 1000 }, 0.5), false);
  });
  it('allows anything with deleteGuard="1" and nothing to delete always', () => {
    assert.equal(guardAllows({ deleteCount: 1000, remoteTotal: 1000 }, 1), true);
    assert.equal(guardAllows({ deleteCount: 0, remoteTotal: 0 }, 0), true);
  });
});

describe('Reconciler', () => {
  it('folds a burst of requests into one run with every reason', async () => {
    const runs: string[] = [];
    const r = new Reconciler({ log: silentLogger(), debounceMs: 20, minIntervalMs: 0, run: async (why) => void runs.push(why) });
    r.request('storm');
    r.request('unwatched subtree a');
    r.request('storm');
    await new Promise((res) => setTimeout(res, 60));
    await r.idle();
    assert.deepEqual(runs, ['storm; unwatched subtree a']);
    r.stop();
  });

  it('runs once more after a run when asked during it, so nothing is left out', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const r = new Reconciler({
      log: silentLogger(),
      debounceMs: 10,
      minIntervalMs: 0,
      run: async (why) => {
        runs.push(why);
        if (runs.length === 1) await new Promise<void>((res) => (release = res));
      },
    });
    r.request('first');
    await new Promise((res) => setTimeout(res, 40));
    r.request('during');
    release();
    await new Promise((res) => setTimeout(res, 40));
    await r.idle();
    assert.deepEqual(runs, ['first', 'during']);
    r.stop();
  });

  it('keeps at least minIntervalMs between two runs', async () => {
    const starts: number[] = [];
    const r = new Reconciler({ log: silentLogger(), debounceMs: 5, minIntervalMs: 150, run: async () => void starts.push(Date.now()) });
    r.request('a');
    await new Promise((res) => setTimeout(res, 30));
    r.request('b');
    await new Promise((res) => setTimeout(res, 250));
    await r.idle();
    assert.equal(starts.length, 2);
    assert.ok(starts[1] - starts[0] >= 140, `second run ${starts[1] - starts[0]} ms after the first`);
    r.stop();
  });
});
