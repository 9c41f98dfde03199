import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../src/plugins/limiter.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('plugins: bounded runner', () => {
  it('runs at most `concurrency` tasks, queues up to `maxQueued`, refuses the rest', async () => {
    const l = new Limiter({ concurrency: 2, maxQueued: 1 });
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const task = (i: number) => () => {
      started.push(i);
      return gates[i]!.promise;
    };
    assert.equal(l.submit(task(0)), true);
    assert.equal(l.submit(task(1)), true);
    assert.equal(l.submit(task(2)), true);
    assert.equal(l.submit(task(2)), false);
    assert.deepEqual(started, [0, 1]);
    assert.equal(l.queued, 1);
    gates[0]!.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2]);
    gates[1]!.resolve();
    gates[2]!.resolve();
    assert.equal(await l.whenIdle(1000), true);
  });

  it('keeps going after a task that throws or rejects', async () => {
    const l = new Limiter({ concurrency: 1, maxQueued: 10 });
    let ran = false;
    l.submit(() => {
      throw new Error('sync throw');
    });
    l.submit(() => Promise.reject(new Error('rejected')));
    l.submit(async () => {
      ran = true;
    });
    assert.equal(await l.whenIdle(1000), true);
    assert.equal(ran, true);
  });

  it('after close, refuses new tasks and can drop the queued ones', async () => {
    const l = new Limiter({ concurrency: 1, maxQueued: 10 });
    const gate = deferred();
    l.submit(() => gate.promise);
    l.submit(async () => {});
    l.submit(async () => {});
    assert.equal(l.close(true), 2);
    assert.equal(l.submit(async () => {}), false);
    assert.equal(await l.whenIdle(10), false, 'the running task is still running');
    gate.resolve();
    assert.equal(await l.whenIdle(1000), true);
  });
});
