// Cross-checks DirtyQueue against a deliberately naive model of the same
// coalescing rules (linear scans, no indexes), over random operation mixes on
// a small set of paths that nest in every way. Catches index bugs (prefix
// index, parking, lazy readyAt) that hand-written cases miss.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DirtyQueue, type OpKind, type PendingOp } from '../../src/queue/dirtyQueue.js';

const PATHS = ['', 'a', 'a/b', 'a/b/c', 'a/bc', 'a/b/c/d', 'ab', 'x', 'x/y', 'x/y/z', 'x/yy'];
const KINDS: OpKind[] = ['file', 'dir', 'delete'];

const isAnc = (a: string, b: string) => a !== b && (a === '' || b.startsWith(a + '/'));
const conflicts = (a: string, b: string) => a === b || isAnc(a, b) || isAnc(b, a);
const mergeKind = (older: OpKind, newer: OpKind): OpKind => (newer === 'file' && older === 'dir' ? 'dir' : newer);

class Model {
  pending = new Map<string, PendingOp>();
  inFlight = new Map<string, PendingOp>();

  private dirOwner(rel: string) {
    for (const p of this.pending.values()) if (p.kind === 'dir' && isAnc(p.rel, rel)) return p;
    return undefined;
  }
  private swallow(rel: string) {
    const owner = this.pending.get(rel)!;
    for (const p of [...this.pending.values()]) {
      if (isAnc(rel, p.rel)) {
        this.pending.delete(p.rel);
        owner.firstSeen = Math.min(owner.firstSeen, p.firstSeen);
      }
    }
  }
  mark(rel: string, kind: OpKind, now: number, readyAt: number) {
    const owner = this.dirOwner(rel);
    if (owner) {
      owner.lastSeen = Math.max(owner.lastSeen, now);
      return 'absorbed';
    }
    const e = this.pending.get(rel);
    if (e) {
      e.kind = mergeKind(e.kind, kind);
      e.lastSeen = Math.max(e.lastSeen, now);
      e.attempts = 0;
      e.readyAt = readyAt;
    } else {
      this.pending.set(rel, { rel, kind, firstSeen: now, lastSeen: now, readyAt, attempts: 0 });
    }
    if (kind !== 'file') this.swallow(rel);
    return e ? 'merged' : 'added';
  }
  requeue(op: PendingOp, readyAt: number) {
    const owner = this.dirOwner(op.rel);
    if (owner) {
      owner.firstSeen = Math.min(owner.firstSeen, op.firstSeen);
      return 'absorbed';
    }
    const e = this.pending.get(op.rel);
    if (e) {
      e.kind = mergeKind(op.kind, e.kind);
      e.attempts = 0;
      e.firstSeen = Math.min(e.firstSeen, op.firstSeen);
      if (e.kind === 'dir') this.swallow(op.rel);
      return 'merged';
    }
    this.pending.set(op.rel, { ...op, readyAt });
    if (op.kind === 'dir') this.swallow(op.rel);
    return 'added';
  }
  blocked(rel: string, extra: Iterable<string> = []) {
    for (const f of this.inFlight.keys()) if (conflicts(f, rel)) return true;
    for (const f of extra) if (conflicts(f, rel)) return true;
    return false;
  }
  nextReadyAt() {
    let best: number | undefined;
    for (const p of this.pending.values()) {
      if (!this.blocked(p.rel) && (best === undefined || p.readyAt < best)) best = p.readyAt;
    }
    return best;
  }
  oldestFirstSeen() {
    let best: number | undefined;
    for (const m of [this.pending, this.inFlight]) {
      for (const p of m.values()) if (best === undefined || p.firstSeen < best) best = p.firstSeen;
    }
    return best;
  }
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const sortOps = (ops: PendingOp[]) => [...ops].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));

describe('queue: agrees with a naive model under random operations', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`seed ${seed}`, () => {
      const r = rng(seed);
      const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
      const q = new DirtyQueue();
      const m = new Model();
      let now = 0;
      for (let step = 0; step < 600; step++) {
        now += Math.floor(r() * 3);
        const what = r();
        if (what < 0.55) {
          const rel = pick(PATHS);
          const kind = pick(KINDS);
          const readyAt = now + Math.floor(r() * 5) - 1;
          assert.equal(q.mark(rel, kind, now, readyAt), m.mark(rel, kind, now, readyAt), `mark ${rel} ${kind}`);
        } else if (what < 0.75) {
          const max = 1 + Math.floor(r() * 4);
          const batch = q.take(now, max);
          assert.ok(batch.length <= max);
          const chosen: string[] = [];
          for (const op of batch) {
            const mp = m.pending.get(op.rel);
            assert.ok(mp, `taken but not pending in the model: ${op.rel}`);
            assert.deepEqual(op, mp);
            assert.ok(op.readyAt <= now, 'taken before readyAt');
            assert.ok(!m.blocked(op.rel, chosen), `conflicting op taken: ${op.rel}`);
            chosen.push(op.rel);
            m.pending.delete(op.rel);
            m.inFlight.set(op.rel, op);
          }
          if (batch.length < max) {
            for (const p of m.pending.values()) {
              assert.ok(p.readyAt > now || m.blocked(p.rel), `left behind a takeable op: ${p.rel}`);
            }
          }
        } else if (what < 0.95 && m.inFlight.size > 0) {
          const ops = [...m.inFlight.values()].filter(() => r() < 0.6);
          const ok = r() < 0.5;
          q.done(ops, ok, now);
          for (const op of ops) m.inFlight.delete(op.rel);
          if (!ok) {
            for (const op of ops) {
              if (r() < 0.7) {
                const readyAt = now + Math.floor(r() * 4);
                const back = { ...op, attempts: op.attempts + 1 };
                assert.equal(q.requeue(back, now, readyAt), m.requeue(back, readyAt), `requeue ${op.rel}`);
              }
            }
          }
        } else if (what > 0.995) {
          q.clear();
          m.pending.clear();
        }
        assert.deepEqual(sortOps(q.snapshot(false)), sortOps([...m.pending.values()]), `pending after step ${step}`);
        assert.equal(q.size, m.pending.size);
        assert.equal(q.inFlightCount, m.inFlight.size);
        assert.equal(q.nextReadyAt(), m.nextReadyAt(), `nextReadyAt after step ${step}`);
        assert.equal(q.oldestFirstSeen(), m.oldestFirstSeen(), `oldestFirstSeen after step ${step}`);
      }
    });
  }
});
