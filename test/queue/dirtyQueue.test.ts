import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DirtyQueue, type PendingOp } from '../../src/queue/dirtyQueue.js';

const rels = (ops: PendingOp[]) => ops.map((o) => o.rel).sort();
const BIG = 1_000_000;

describe('queue: coalescing', () => {
  it('repeated events on one path keep one entry', () => {
    const q = new DirtyQueue();
    assert.equal(q.mark('a.txt', 'file', 1), 'added');
    assert.equal(q.mark('a.txt', 'file', 2), 'merged');
    assert.equal(q.mark('a.txt', 'file', 3), 'merged');
    assert.equal(q.size, 1);
    assert.deepEqual(q.take(BIG, 10).map((o) => o.rel), ['a.txt']);
  });
  it('keeps the first firstSeen and the latest lastSeen', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 10);
    q.mark('a', 'file', 20);
    const op = q.get('a')!;
    assert.equal(op.firstSeen, 10);
    assert.equal(op.lastSeen, 20);
  });
  it('takes the latest event\'s readyAt, later or earlier', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0, 100);
    q.mark('a', 'file', 50, 150);
    assert.equal(q.get('a')!.readyAt, 150);
    q.mark('a', 'delete', 60, 60);
    assert.equal(q.get('a')!.readyAt, 60);
    assert.equal(q.nextReadyAt(), 60);
  });
  it('different paths, even with a common prefix, are separate entries', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0);
    q.mark('ab', 'file', 0);
    q.mark('a b', 'file', 0);
    assert.equal(q.size, 3);
  });
});

describe('queue: kind transitions on one path', () => {
  const cases: Array<[string, Array<'file' | 'dir' | 'delete'>, string]> = [
    ['file then delete', ['file', 'delete'], 'delete'],
    ['delete then file', ['delete', 'file'], 'file'],
    ['file, delete, file', ['file', 'delete', 'file'], 'file'],
    ['file then dir', ['file', 'dir'], 'dir'],
    ['dir then delete', ['dir', 'delete'], 'delete'],
    ['delete then dir', ['delete', 'dir'], 'dir'],
    ['dir then file stays dir (recursive push covers a file too)', ['dir', 'file'], 'dir'],
    ['dir, delete, file', ['dir', 'delete', 'file'], 'file'],
  ];
  for (const [name, kinds, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      const q = new DirtyQueue();
      kinds.forEach((k, i) => q.mark('p', k, i));
      assert.equal(q.size, 1);
      assert.equal(q.get('p')!.kind, expected);
    });
  }
  it('a new mark resets attempts', () => {
    const q = new DirtyQueue();
    q.mark('p', 'file', 0);
    const [op] = q.take(0, 1);
    q.done([op!], false, 1);
    q.requeue({ ...op!, attempts: 1 }, 1);
    assert.equal(q.get('p')!.attempts, 1);
    q.mark('p', 'file', 2);
    assert.equal(q.get('p')!.attempts, 0);
  });
});

describe('queue: a directory delete swallows pending entries below it', () => {
  it('drops pending children at every depth, keeps siblings with a common prefix', () => {
    const q = new DirtyQueue();
    q.mark('d/a', 'file', 1);
    q.mark('d/b/c', 'file', 2);
    q.mark('d/b', 'dir', 3);
    q.mark('dx', 'file', 4);
    q.mark('d', 'delete', 5);
    assert.deepEqual(rels(q.snapshot()), ['d', 'dx']);
    assert.equal(q.get('d')!.kind, 'delete');
  });
  it('the delete inherits the oldest swallowed firstSeen (lag still counts those changes)', () => {
    const q = new DirtyQueue();
    q.mark('d/a', 'file', 1);
    q.mark('d', 'delete', 5);
    assert.equal(q.get('d')!.firstSeen, 1);
    assert.equal(q.oldestFirstSeen(), 1);
  });
  it('keeps marks below it that come after the delete (the directory exists again)', () => {
    const q = new DirtyQueue();
    q.mark('d', 'delete', 1);
    assert.equal(q.mark('d/x', 'file', 2), 'added');
    assert.deepEqual(rels(q.snapshot()), ['d', 'd/x']);
  });
  it('does not touch an op below it that is in flight', () => {
    const q = new DirtyQueue();
    q.mark('d/a', 'file', 1);
    q.take(1, 10);
    q.mark('d', 'delete', 2);
    assert.equal(q.isInFlight('d/a'), true);
    assert.deepEqual(q.take(2, 10), [], 'the delete waits for the in-flight child');
    q.done([{ rel: 'd/a' } as PendingOp], true, 3);
    assert.deepEqual(rels(q.take(3, 10)), ['d']);
  });
  it('a file mark does not swallow anything', () => {
    const q = new DirtyQueue();
    q.mark('d/a', 'file', 1);
    q.mark('d', 'file', 2);
    assert.equal(q.size, 2);
  });
});

describe('queue: a directory push absorbs work below it', () => {
  it('a mark below a pending dir op is absorbed', () => {
    const q = new DirtyQueue();
    q.mark('d', 'dir', 1);
    assert.equal(q.mark('d/x', 'file', 2), 'absorbed');
    assert.equal(q.mark('d/a/b/c', 'delete', 3), 'absorbed');
    assert.equal(q.mark('d/sub', 'dir', 4), 'absorbed');
    assert.deepEqual(rels(q.snapshot()), ['d']);
    assert.equal(q.get('d')!.lastSeen, 4);
  });
  it('an absorbed mark does not postpone the directory\'s readyAt', () => {
    const q = new DirtyQueue();
    q.mark('d', 'dir', 0, 10);
    q.mark('d/x', 'file', 5, 1000);
    assert.equal(q.get('d')!.readyAt, 10);
  });
  it('a dir mark swallows pending entries below it, and inherits the oldest firstSeen', () => {
    const q = new DirtyQueue();
    q.mark('d/x', 'file', 1);
    q.mark('d/y/z', 'delete', 2);
    q.mark('d', 'dir', 3);
    assert.deepEqual(rels(q.snapshot()), ['d']);
    assert.equal(q.get('d')!.firstSeen, 1);
  });
  it('a dir mark merged over a file entry swallows too', () => {
    const q = new DirtyQueue();
    q.mark('d', 'file', 1);
    q.mark('d/x', 'file', 2);
    q.mark('d', 'dir', 3);
    assert.deepEqual(rels(q.snapshot()), ['d']);
  });
  it('does not absorb below a prefix sibling', () => {
    const q = new DirtyQueue();
    q.mark('d', 'dir', 1);
    assert.equal(q.mark('dd/x', 'file', 2), 'added');
  });
  it('a mark below a dir op that is only in flight is kept and goes out after it', () => {
    const q = new DirtyQueue();
    q.mark('d', 'dir', 1);
    assert.deepEqual(rels(q.take(1, 10)), ['d']);
    assert.equal(q.mark('d/x', 'file', 2), 'added');
    assert.deepEqual(q.take(2, 10), []);
    q.done([{ rel: 'd' } as PendingOp], true, 3);
    assert.deepEqual(rels(q.take(3, 10)), ['d/x']);
  });
  it('a mark below a dir op that is in flight AND pending again is absorbed by the pending one', () => {
    const q = new DirtyQueue();
    q.mark('d', 'dir', 1);
    q.take(1, 10);
    q.mark('d', 'dir', 2);
    assert.equal(q.mark('d/x', 'file', 3), 'absorbed');
  });
  it('a pending dir op on W itself ("") absorbs everything', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 1);
    q.mark('b/c', 'delete', 2);
    q.mark('', 'dir', 3);
    assert.deepEqual(rels(q.snapshot()), ['']);
    assert.equal(q.mark('x/y', 'file', 4), 'absorbed');
  });
});

describe('queue: in-flight conflicts', () => {
  it('the same path is not taken twice at once; it goes out after done', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0);
    const first = q.take(0, 10);
    q.mark('a', 'file', 1);
    assert.deepEqual(q.take(1, 10), []);
    assert.equal(q.nextReadyAt(), undefined, 'blocked entries have no readyAt');
    assert.equal(q.size, 1);
    q.done(first, true, 2);
    assert.equal(q.nextReadyAt(), 1);
    assert.deepEqual(rels(q.take(2, 10)), ['a']);
  });
  it('an in-flight ancestor blocks a descendant', () => {
    const q = new DirtyQueue();
    q.mark('d', 'file', 0);
    const first = q.take(0, 10);
    q.mark('d/x/y', 'file', 1);
    assert.deepEqual(q.take(1, 10), []);
    q.done(first, true, 2);
    assert.deepEqual(rels(q.take(2, 10)), ['d/x/y']);
  });
  it('an in-flight descendant blocks an ancestor until every descendant is done', () => {
    const q = new DirtyQueue();
    q.mark('d/a', 'file', 0);
    q.mark('d/b/c', 'file', 0);
    const [a, c] = q.take(0, 10);
    q.mark('d', 'delete', 1);
    assert.deepEqual(q.take(1, 10), []);
    q.done([a!], true, 2);
    assert.deepEqual(q.take(2, 10), []);
    q.done([c!], true, 3);
    assert.deepEqual(rels(q.take(3, 10)), ['d']);
  });
  it('W itself conflicts with everything', () => {
    const q = new DirtyQueue();
    q.mark('a/b', 'file', 0);
    const first = q.take(0, 10);
    q.mark('', 'dir', 1);
    assert.deepEqual(q.take(1, 10), []);
    q.done(first, true, 2);
    assert.deepEqual(rels(q.take(2, 10)), ['']);
    q.mark('z', 'file', 3);
    assert.deepEqual(q.take(3, 10), []);
  });
  it('paths that only share a name prefix do not conflict', () => {
    const q = new DirtyQueue();
    q.mark('a/b', 'file', 0);
    q.take(0, 10);
    q.mark('a/bc', 'file', 1);
    q.mark('a/b c', 'file', 1);
    q.mark('a', 'file', 1);
    assert.deepEqual(rels(q.take(1, 10)), ['a/b c', 'a/bc']);
  });
  it('a batch never holds two ops where one is inside the other', () => {
    const q = new DirtyQueue();
    q.mark('d', 'delete', 0);
    q.mark('d/x', 'file', 1);
    q.mark('e', 'file', 2);
    const b1 = q.take(5, 10);
    assert.deepEqual(rels(b1), ['d', 'e']);
    q.done(b1, true, 6);
    assert.deepEqual(rels(q.take(6, 10)), ['d/x']);
  });
  it('a blocked entry does not hold back ready entries behind it', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0);
    q.take(0, 1);
    q.mark('a', 'file', 1);
    q.mark('b', 'file', 2);
    assert.equal(q.nextReadyAt(), 2);
    assert.deepEqual(rels(q.take(2, 10)), ['b']);
  });
  it('done with unknown ops is harmless', () => {
    const q = new DirtyQueue();
    q.done([{ rel: 'nope', kind: 'file', firstSeen: 0, lastSeen: 0, readyAt: 0, attempts: 0 }], true, 0);
    assert.equal(q.inFlightCount, 0);
  });
});

describe('queue: operations on one path never overtake each other', () => {
  it('a re-mark during flight goes out in the next batch, with its own kind', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0);
    const b1 = q.take(0, 10);
    q.mark('a', 'delete', 1);
    assert.deepEqual(q.take(10, 10), []);
    assert.equal(q.inFlightCount, 1);
    q.done(b1, true, 11);
    const b2 = q.take(11, 10);
    assert.deepEqual(b2.map((o) => [o.rel, o.kind]), [['a', 'delete']]);
  });
});

describe('queue: requeue', () => {
  function failOnce(q: DirtyQueue, rel: string, kind: 'file' | 'dir' | 'delete') {
    q.mark(rel, kind, 1);
    const [op] = q.take(1, 1);
    q.done([op!], false, 2);
    return op!;
  }
  it('keeps kind, firstSeen, lastSeen and the attempts the caller counted; uses the given readyAt', () => {
    const q = new DirtyQueue();
    const op = failOnce(q, 'a', 'file');
    assert.equal(q.requeue({ ...op, attempts: op.attempts + 1 }, 3, 50), 'added');
    assert.deepEqual(q.get('a'), { rel: 'a', kind: 'file', firstSeen: 1, lastSeen: 1, readyAt: 50, attempts: 1 });
    const [again] = q.take(50, 1);
    assert.equal(again!.attempts, 1);
    q.done([again!], false, 51);
    q.requeue({ ...again!, attempts: again!.attempts + 1 }, 51);
    assert.equal(q.get('a')!.attempts, 2);
  });
  it('readyAt defaults to now', () => {
    const q = new DirtyQueue();
    const op = failOnce(q, 'a', 'file');
    q.requeue(op, 7);
    assert.equal(q.get('a')!.readyAt, 7);
  });
  it('does not overwrite a newer mark of the same path; keeps the older firstSeen', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 1);
    const [op] = q.take(1, 1);
    q.mark('a', 'delete', 5, 5);
    q.done([op!], false, 6);
    assert.equal(q.requeue({ ...op!, attempts: 3 }, 6, 100), 'merged');
    assert.deepEqual(q.get('a'), { rel: 'a', kind: 'delete', firstSeen: 1, lastSeen: 5, readyAt: 5, attempts: 0 });
  });
  it('a failed dir op with a newer file mark stays a dir op', () => {
    const q = new DirtyQueue();
    q.mark('d', 'dir', 1);
    const [op] = q.take(1, 1);
    q.mark('d', 'file', 2);
    q.done([op!], false, 3);
    q.requeue(op!, 3);
    assert.equal(q.get('d')!.kind, 'dir');
  });
  it('a requeued dir op swallows pending entries below it', () => {
    const q = new DirtyQueue();
    q.mark('d', 'dir', 1);
    const [op] = q.take(1, 1);
    q.mark('d/x', 'file', 2);
    q.done([op!], false, 3);
    q.requeue(op!, 3);
    assert.deepEqual(rels(q.snapshot()), ['d']);
  });
  it('a requeued delete keeps pending entries below it (they are newer)', () => {
    const q = new DirtyQueue();
    q.mark('d', 'delete', 1);
    const [op] = q.take(1, 1);
    q.mark('d/x', 'file', 2);
    q.done([op!], false, 3);
    q.requeue(op!, 3);
    assert.deepEqual(rels(q.snapshot()), ['d', 'd/x']);
  });
  it('a requeued op below a pending dir op is absorbed, and the lag keeps its firstSeen', () => {
    const q = new DirtyQueue();
    q.mark('d/x', 'file', 1);
    const [op] = q.take(1, 1);
    q.mark('d', 'dir', 5);
    q.done([op!], false, 6);
    assert.equal(q.requeue(op!, 6), 'absorbed');
    assert.deepEqual(rels(q.snapshot()), ['d']);
    assert.equal(q.oldestFirstSeen(), 1);
  });
});

describe('queue: replication lag (oldestFirstSeen)', () => {
  it('is undefined when nothing is pending or in flight', () => {
    assert.equal(new DirtyQueue().oldestFirstSeen(), undefined);
  });
  it('is the oldest firstSeen among pending and in-flight ops', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 10);
    q.mark('b', 'file', 20);
    q.mark('a', 'file', 30);
    assert.equal(q.oldestFirstSeen(), 10);
    const b1 = q.take(30, 1);
    assert.deepEqual(rels(b1), ['b'], 'b was ready first (a was re-marked at 30)');
    assert.equal(q.oldestFirstSeen(), 10);
    const b2 = q.take(30, 1);
    assert.equal(q.oldestFirstSeen(), 10, 'a is in flight, still not replicated');
    q.done(b2, true, 31);
    assert.equal(q.oldestFirstSeen(), 20);
    q.done(b1, true, 32);
    assert.equal(q.oldestFirstSeen(), undefined);
  });
});

describe('queue: readyAt (quiet period)', () => {
  it('an entry is not taken before its readyAt', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0, 100);
    assert.deepEqual(q.take(99, 10), []);
    assert.equal(q.nextReadyAt(), 100);
    assert.deepEqual(rels(q.take(100, 10)), ['a']);
  });
  it('a new write restarts the quiet period', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0, 100);
    q.mark('a', 'file', 90, 190);
    assert.deepEqual(q.take(100, 10), []);
    assert.equal(q.nextReadyAt(), 190);
    assert.deepEqual(rels(q.take(190, 10)), ['a']);
  });
  it('takes the earliest readyAt first', () => {
    const q = new DirtyQueue();
    q.mark('late', 'file', 0, 30);
    q.mark('early', 'file', 1, 10);
    q.mark('mid', 'file', 2, 20);
    assert.deepEqual(q.take(100, 3).map((o) => o.rel), ['early', 'mid', 'late']);
  });
  it('readyAt defaults to now', () => {
    const q = new DirtyQueue();
    q.mark('a', 'delete', 7);
    assert.equal(q.nextReadyAt(), 7);
  });
});

describe('queue: batch size', () => {
  it('take returns at most max entries; the rest stay pending', () => {
    const q = new DirtyQueue();
    for (let i = 0; i < 10; i++) q.mark(`f${i}`, 'file', i);
    const sizes: number[] = [];
    for (;;) {
      const b = q.take(100, 3);
      if (b.length === 0) break;
      sizes.push(b.length);
    }
    assert.deepEqual(sizes, [3, 3, 3, 1]);
    assert.equal(q.inFlightCount, 10);
    assert.equal(q.size, 0);
  });
  it('take with max 0 returns nothing', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0);
    assert.deepEqual(q.take(0, 0), []);
  });
});

describe('queue: snapshot and clear', () => {
  it('snapshot lists in-flight ops, then pending ones', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0);
    q.take(0, 1);
    q.mark('a', 'delete', 1);
    q.mark('b', 'file', 1);
    assert.deepEqual(q.snapshot().map((o) => [o.rel, o.kind]), [['a', 'file'], ['a', 'delete'], ['b', 'file']]);
    assert.deepEqual(q.snapshot(false).map((o) => o.rel), ['a', 'b']);
  });
  it('clear drops pending entries and keeps in-flight tracking', () => {
    const q = new DirtyQueue();
    q.mark('a', 'file', 0);
    const b = q.take(0, 1);
    q.mark('a', 'file', 1);
    q.mark('d', 'dir', 1);
    q.clear();
    assert.equal(q.size, 0);
    assert.equal(q.inFlightCount, 1);
    assert.equal(q.nextReadyAt(), undefined);
    assert.equal(q.oldestFirstSeen(), 0);
    assert.equal(q.mark('d/x', 'file', 2), 'added', 'the dir op is gone, nothing absorbs');
    q.mark('a', 'file', 2);
    assert.deepEqual(rels(q.take(2, 10)), ['d/x']);
    q.done(b, true, 3);
    assert.deepEqual(rels(q.take(3, 10)), ['a']);
  });
});

describe('queue: path checks', () => {
  for (const bad of ['/a', 'a/', './a', '.', 'a//b']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => new DirtyQueue().mark(bad, 'file', 0), /normalised relative path/);
    });
  }
  it('accepts raw bytes (latin1 byte strings) in names', () => {
    const q = new DirtyQueue();
    const name = Buffer.from([0x64, 0x2f, 0xff, 0xfe]).toString('latin1');
    q.mark(name, 'file', 0);
    assert.deepEqual(q.take(0, 1).map((o) => o.rel), [name]);
  });
});

describe('queue: scale', () => {
  it('200k paths in 2k directories come out exactly once, in batches of 5000, with no conflicts', () => {
    const q = new DirtyQueue();
    let now = 0;
    const dirs = 2000;
    const perDir = 100;
    for (let f = 0; f < perDir; f++) {
      for (let d = 0; d < dirs; d++) q.mark(`top${d % 20}/dir${d}/file${f}`, 'file', now++, now + 10);
    }
    // Every path marked twice more: coalesced.
    for (let d = 0; d < dirs; d++) q.mark(`top${d % 20}/dir${d}/file0`, 'file', now++, now + 10);
    assert.equal(q.size, dirs * perDir);
    const seen = new Set<string>();
    let batches = 0;
    for (;;) {
      const b = q.take(now + 100, 5000);
      if (b.length === 0) break;
      batches++;
      assert.ok(b.length <= 5000);
      for (const op of b) {
        assert.ok(!seen.has(op.rel), `taken twice: ${op.rel}`);
        seen.add(op.rel);
      }
      q.done(b, true, now);
    }
    assert.equal(seen.size, dirs * perDir);
    assert.equal(batches, (dirs * perDir) / 5000);
    assert.equal(q.size, 0);
    assert.equal(q.inFlightCount, 0);
    assert.equal(q.oldestFirstSeen(), undefined);
  });
  it('dir and delete marks over 200k pending files swallow exactly their subtrees', () => {
    const q = new DirtyQueue();
    let now = 0;
    for (let d = 0; d < 2000; d++) for (let f = 0; f < 100; f++) q.mark(`t${d % 20}/d${d}/f${f}`, 'file', now++);
    for (let d = 0; d < 2000; d += 10) q.mark(`t${d % 20}/d${d}`, d % 20 === 0 ? 'dir' : 'delete', now++);
    assert.equal(q.size, 1800 * 100 + 200);
    // Marks below the dir ops are absorbed, below the deletes kept.
    assert.equal(q.mark('t0/d0/f0', 'file', now++), 'absorbed');
    assert.equal(q.mark('t10/d10/f0', 'file', now++), 'added');
    const taken = new Set<string>();
    for (;;) {
      const b = q.take(now, 5000);
      if (b.length === 0) break;
      for (const op of b) taken.add(op.rel);
      q.done(b, true, now);
    }
    assert.equal(taken.size, 1800 * 100 + 200 + 1);
    assert.ok(taken.has('t0/d0') && !taken.has('t0/d0/f1') && taken.has('t10/d10/f0'));
  });
  it('100k blocked re-marks under an in-flight directory are released once it is done', () => {
    const q = new DirtyQueue();
    q.mark('big', 'dir', 0);
    const b = q.take(0, 10);
    for (let i = 0; i < 100_000; i++) q.mark(`big/f${i}`, 'file', 1);
    for (let i = 0; i < 20; i++) assert.deepEqual(q.take(2 + i, 5000), []);
    q.done(b, true, 30);
    let n = 0;
    for (;;) {
      const batch = q.take(30, 5000);
      if (batch.length === 0) break;
      n += batch.length;
      q.done(batch, true, 30);
    }
    assert.equal(n, 100_000);
  });
});
