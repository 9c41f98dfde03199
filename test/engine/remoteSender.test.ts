// RemoteSender's retry and record policy (issue 5): a failed push is retried
// at once; a push that failed twice, or fails while the remote is known to be
// down, is recorded for replay exactly once per outage. The executor is
// scripted: each call waits until the test answers it, so the order in which
// concurrent calls fail is chosen by the test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { RemoteSender, type Executor } from '../../src/engine/remoteSender.js';
import type { PushOp, RsyncInvocation } from '../../src/rsync/argv.js';
import type { RsyncResult } from '../../src/rsync/run.js';
import { stockConfig } from '../rsync/configFixture.js';
import { captureLog } from '../faillog/captureLog.js';
import { makeTempDir } from '../helpers/tmp.js';

const DOWN: RsyncResult = { exitCode: 10, signal: null, stderr: 'rsync: failed to connect to 127.0.0.1: Connection refused (111)', durationMs: 1, classification: 'transient' };
const OK: RsyncResult = { exitCode: 0, signal: null, stderr: '', durationMs: 1, classification: 'ok' };

interface PendingCall {
  paths: string[];
  answer(r: RsyncResult): void;
}

async function setup(o: { concurrency: number; backoffMs: number; maxBatch?: number }) {
  const dir = await makeTempDir('sender');
  const w = path.join(dir, 'w');
  fs.mkdirSync(w);
  const config = stockConfig((c) => {
    c.localPath = w;
    c.remotes = [{ ip: '127.0.0.1', name: 'www' }];
  });
  const calls: PendingCall[] = [];
  const waiters: Array<() => void> = [];
  const execute: Executor = (inv: RsyncInvocation) =>
    new Promise<RsyncResult>((resolve) => {
      calls.push({ paths: inv.paths.map((p) => p.rel), answer: resolve });
      waiters.splice(0).forEach((f) => f());
    });
  const recorded: PushOp[][] = [];
  const delivered: PushOp[][] = [];
  const sender = new RemoteSender({
    config,
    remote: config.remotes[0]!,
    index: 0,
    root: w,
    concurrency: o.concurrency,
    maxBatch: o.maxBatch ?? 1,
    execute,
    log: captureLog(),
    backoff: { baseMs: o.backoffMs, capMs: o.backoffMs },
    hooks: {
      onDelivered: (_i, ops) => delivered.push(ops),
      onFailed: (_i, ops) => recorded.push(ops),
    },
  });
  /** The n-th call (0-based), once it has been made. */
  const call = async (n: number): Promise<PendingCall> => {
    while (calls.length <= n) await new Promise<void>((r) => waiters.push(r));
    return calls[n]!;
  };
  const tick = () => new Promise((r) => setTimeout(r, 20));
  const recordedRels = () => recorded.flat().map((op) => op.rel).sort();
  return { sender, calls, call, tick, recorded, recordedRels, delivered };
}

describe('RemoteSender: failed pushes are retried at once and recorded once', () => {
  it('a push that fails twice is recorded once', { timeout: 5000 }, async () => {
    const s = await setup({ concurrency: 1, backoffMs: 3_600_000 });
    s.sender.mark('a.txt', 'file', Date.now());
    (await s.call(0)).answer(DOWN);
    const retry = await s.call(1); // the immediate retry
    assert.deepEqual(retry.paths, ['a.txt']);
    assert.deepEqual(s.recordedRels(), [], 'not recorded after the first failure');
    retry.answer(DOWN);
    await s.tick();
    assert.deepEqual(s.recordedRels(), ['a.txt']);
    assert.equal(s.calls.length, 2, 'then the backoff holds further attempts');
    s.sender.stop();
  });

  it('two pushes failing one after the other: the first one, whose immediate retry the second failure blocks for the backoff, is recorded at once too', { timeout: 5000 }, async () => {
    const s = await setup({ concurrency: 2, backoffMs: 3_600_000 });
    const now = Date.now();
    s.sender.mark('first.txt', 'file', now);
    s.sender.mark('second.txt', 'file', now);
    const a = await s.call(0);
    const b = await s.call(1);
    a.answer(DOWN); // first failure: an immediate retry is due…
    await s.tick();
    b.answer(DOWN); // …but this failure (the remote is down) blocks the remote for an hour
    await s.tick();
    assert.deepEqual(s.recordedRels(), ['first.txt', 'second.txt'], 'both are in the fail log while the remote is down');
    assert.equal(s.recorded.flat().length, 2, 'each once');
    s.sender.stop();
  });

  it('a change marked while the remote is down is recorded without waiting for the next probe, and only once', { timeout: 5000 }, async () => {
    const s = await setup({ concurrency: 1, backoffMs: 3_600_000 });
    s.sender.mark('a.txt', 'file', Date.now());
    (await s.call(0)).answer(DOWN);
    (await s.call(1)).answer(DOWN);
    await s.tick();
    s.sender.mark('b.txt', 'file', Date.now());
    await s.tick();
    assert.deepEqual(s.recordedRels(), ['a.txt', 'b.txt']);
    assert.equal(s.calls.length, 2, 'no probe before the backoff is over');
    s.sender.resetBackoff(); // e.g. a replay found the remote up; the probe fails again
    const probe = await s.call(2);
    probe.answer(DOWN);
    await s.tick();
    assert.equal(s.recorded.flat().length, 2, 'a path already recorded in this outage is not recorded again');
    s.sender.stop();
  });

  it('after the remote answers again, a new failure is recorded again', { timeout: 5000 }, async () => {
    const s = await setup({ concurrency: 1, backoffMs: 10 });
    s.sender.mark('a.txt', 'file', Date.now());
    (await s.call(0)).answer(DOWN);
    (await s.call(1)).answer(DOWN);
    (await s.call(2)).answer(OK); // the probe after the backoff delivers it
    await s.tick();
    assert.deepEqual(s.delivered.flat().map((op) => op.rel), ['a.txt']);
    s.sender.mark('a.txt', 'file', Date.now());
    (await s.call(3)).answer(DOWN);
    (await s.call(4)).answer(DOWN);
    await s.tick();
    assert.equal(s.recordedRels().filter((r) => r === 'a.txt').length, 2);
    s.sender.stop();
  });
});

describe('RemoteSender: calls run side by side within -n', () => {
  it('the calls of one batch (a file push and a directory push) run at once when -n leaves room, one after the other when it does not', { timeout: 5000 }, async () => {
    for (const [concurrency, together] of [[2, true], [1, false]] as const) {
      const s = await setup({ concurrency, backoffMs: 10, maxBatch: 100 });
      const now = Date.now();
      s.sender.mark('a.txt', 'file', now);
      s.sender.mark('d', 'dir', now);
      const first = await s.call(0);
      await s.tick();
      assert.equal(s.calls.length, together ? 2 : 1, `-n ${concurrency}`);
      first.answer(OK);
      (await s.call(1)).answer(OK);
      await s.tick();
      assert.deepEqual(s.delivered.flat().map((op) => op.rel).sort(), ['a.txt', 'd']);
      s.sender.stop();
    }
  });

  it('a backlog of many paths is split over several calls when there are CPUs and slots for them', { timeout: 5000 }, async () => {
    const s = await setup({ concurrency: 4, backoffMs: 10, maxBatch: 5000 });
    const now = Date.now();
    for (let i = 0; i < 1000; i++) s.sender.mark(`f${i}`, 'file', now);
    await s.call(0);
    await s.tick();
    const sizes = s.calls.map((c) => c.paths.length);
    assert.equal(sizes.reduce((a, b) => a + b, 0), 1000, 'every path in exactly one call');
    const ways = Math.min(4, (await import('node:os')).availableParallelism());
    assert.equal(s.calls.length, ways, `${ways} calls: ${sizes.join(', ')}`);
    s.calls.forEach((c) => c.answer(OK));
    s.sender.stop();
  });
});
