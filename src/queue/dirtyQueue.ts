// The per-remote dirty-path set: which relative paths still have to be
// pushed or deleted, coalesced, with in-flight tracking so that operations on
// one path (or on a path and its ancestors) never overtake each other.
// Mechanism only: no rsync, no timers, no retry policy; `now` is passed in.
//
// Unlike sersync2's FIFO of raw events (spec §4: merging only within 11
// entries, no ordering between workers, §9 items 10 and 17), this keeps ONE
// entry per path and serialises conflicting work.
//
// Coalescing rules (mark = a new event; "below" = strictly inside a directory):
//
// | situation when mark(rel, kind) arrives        | result                                                   |
// |-----------------------------------------------|----------------------------------------------------------|
// | rel not pending                               | new entry: firstSeen = lastSeen = now, attempts 0        |
// | rel pending                                   | same entry; kind merged (below); lastSeen = now;         |
// |                                               | readyAt = the new readyAt (a quiet period restarts, and  |
// |                                               | may also shorten: e.g. file → delete); attempts reset 0; |
// |                                               | firstSeen kept (lag = now − oldest firstSeen)            |
// | kind merge: new 'delete'                      | 'delete'                                                 |
// | kind merge: new 'dir'                         | 'dir'                                                    |
// | kind merge: new 'file' over 'delete'/'file'   | 'file'                                                   |
// | kind merge: new 'file' over pending 'dir'     | stays 'dir' (the recursive push also sends a file, and   |
// |                                               | work absorbed into the dir op must not be lost)          |
// | an ancestor has a PENDING 'dir' op            | absorbed: no entry (the recursive push covers it); the   |
// |                                               | ancestor's lastSeen = now, its readyAt is not extended   |
// |                                               | (a busy file must not postpone its directory forever)    |
// | an ancestor's 'dir' op is only IN FLIGHT      | kept as its own entry: the running push may have passed  |
// |                                               | it already; it goes out after that push finishes         |
// | kind 'dir' (new or merged)                    | pending entries below rel are swallowed (covered)        |
// | kind 'delete'                                 | pending entries below rel are swallowed (the subtree is  |
// |                                               | gone; rsync deletes it). In-flight ops are untouched.    |
// | (either swallow)                              | rel's firstSeen = the oldest swallowed firstSeen, so the |
// |                                               | lag still counts their changes                           |
// | an ancestor has a pending 'delete'            | both kept: the ancestor exists again; rsync's            |
// |                                               | --delete-missing-args of an existing path is a push      |
// | rel is in flight                              | a pending entry as usual; it is not taken before the     |
// |                                               | in-flight op is done                                     |
//
// requeue(op) (a failed op going back; attempts, firstSeen, lastSeen kept as given):
// | rel not pending                               | new entry with the op's kind; a 'dir' swallows below; a  |
// |                                               | 'delete' does not (what is pending below is newer)       |
// | rel pending (a newer mark)                    | the newer mark wins (kind merged as if the op came       |
// |                                               | first, readyAt kept, attempts 0); firstSeen = the older  |
// | an ancestor has a pending 'dir'               | absorbed; the ancestor's firstSeen = the older of both   |
//
// take(now, max) returns ready entries (readyAt <= now), earliest readyAt
// first, skipping any that conflict with an op in flight or already chosen in
// this batch: same path, ancestor or descendant. So a batch never holds two
// ops where one is inside the other.
//
// Costs: mark is O(1) for the common case (no pending 'dir' ops, an existing
// parent directory), otherwise O(depth); swallowing is O(swallowed); take is
// O(log n) per op (O(1) when readyAt is non-decreasing in mark order). Blocked
// entries are parked on what blocks them and released when it is done, so
// they are not rescanned by every take.
import type { BytePath } from '../util/bytepath.js';
import { MinIndex } from './minIndex.js';

export type OpKind = 'file' | 'dir' | 'delete';

export interface PendingOp {
  /** Relative to W: no leading '/' or './', no trailing '/'. '' is W itself. */
  rel: BytePath;
  kind: OpKind;
  /** When the oldest change still covered by this op was seen. */
  firstSeen: number;
  /** When the latest change covered by this op was seen. */
  lastSeen: number;
  /** Not to be taken before this time (quiet period). */
  readyAt: number;
  /** Failed attempts so far, as counted by the caller on requeue (0 for a fresh mark). */
  attempts: number;
}

export type MarkResult = 'added' | 'merged' | 'absorbed';

/** Internal record; a class so every entry has one fixed shape (fast property access). */
class Entry implements PendingOp {
  state: 'pending' | 'flight' | 'dead' = 'pending';
  /** seq of this entry's live item in `ready`, 0 when it has none. */
  readyItem = 0;
  /** key of that item; may be lower than readyAt (raised lazily). */
  readyKey = 0;
  /** seq of this entry's live item in `first`. */
  firstItem = 0;
  /** The parking set this entry waits in while blocked, if any. */
  park: Set<Entry> | null = null;

  constructor(
    readonly rel: BytePath,
    public kind: OpKind,
    public firstSeen: number,
    public lastSeen: number,
    public readyAt: number,
    public attempts: number,
  ) {}
}

function mergeKind(older: OpKind, newer: OpKind): OpKind {
  return newer === 'file' && older === 'dir' ? 'dir' : newer;
}

function copy(e: Entry): PendingOp {
  return {
    rel: e.rel, kind: e.kind, firstSeen: e.firstSeen, lastSeen: e.lastSeen,
    readyAt: e.readyAt, attempts: e.attempts,
  };
}

/** Parent directory; '' for a top-level entry. Only called with rel !== ''. */
function parent(rel: BytePath): BytePath {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/**
 * Calls fn for each proper ancestor of rel, nearest first, ending with ''
 * (W). Stops early when fn returns true; returns whether it did.
 */
function someAncestor(rel: BytePath, fn: (a: BytePath) => boolean): boolean {
  if (rel === '') return false;
  for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
    if (fn(rel.slice(0, i))) return true;
  }
  return fn('');
}

function checkRel(rel: BytePath): void {
  if (rel.startsWith('/') || rel.endsWith('/') || rel.startsWith('./') || rel === '.' || rel.includes('//')) {
    throw new Error(`DirtyQueue: not a normalised relative path: ${JSON.stringify(rel)}`);
  }
}

export class DirtyQueue {
  private readonly pending = new Map<BytePath, Entry>();
  private readonly inFlight = new Map<BytePath, Entry>();
  /** For each directory with pending entries somewhere below: its children that are pending or lead to some. */
  private readonly below = new Map<BytePath, Set<BytePath>>();
  /** For each directory: how many in-flight ops lie strictly below it. */
  private readonly inFlightBelow = new Map<BytePath, number>();
  /** Entries blocked by the in-flight op on the key (same path or an ancestor). */
  private readonly waitingOn = new Map<BytePath, Set<Entry>>();
  /** Entries (keyed by their own rel) blocked by in-flight ops below them. */
  private readonly waitingBelow = new Map<BytePath, Set<Entry>>();
  private ready = new MinIndex<Entry>();
  private first = new MinIndex<Entry>();
  private pendingDirs = 0;

  /** Number of pending (not in flight) entries. */
  get size(): number {
    return this.pending.size;
  }

  /** Number of pending 'dir' entries (recursive pushes). */
  get pendingDirCount(): number {
    return this.pendingDirs;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** The pending entry for rel, if any (a copy). */
  get(rel: BytePath): PendingOp | undefined {
    const e = this.pending.get(rel);
    return e && copy(e);
  }

  isInFlight(rel: BytePath): boolean {
    return this.inFlight.has(rel);
  }

  /** Record that rel needs `kind` done, no earlier than readyAt. */
  mark(rel: BytePath, kind: OpKind, now: number, readyAt: number = now): MarkResult {
    checkRel(rel);
    const owner = this.pendingDirAncestor(rel);
    if (owner) {
      if (now > owner.lastSeen) owner.lastSeen = now;
      return 'absorbed';
    }
    const e = this.pending.get(rel);
    if (e) {
      this.setKind(e, mergeKind(e.kind, kind));
      if (now > e.lastSeen) e.lastSeen = now;
      e.attempts = 0;
      this.setReadyAt(e, readyAt);
    } else {
      this.addEntry({ rel, kind, firstSeen: now, lastSeen: now, readyAt, attempts: 0 });
    }
    // A delete voids the pending work below it (it is older than the delete);
    // a dir push covers it. A 'file' merged into a 'dir' has nothing below.
    if (kind !== 'file') this.swallowBelow(rel);
    return e ? 'merged' : 'added';
  }

  /**
   * Put a failed op back (after done()). attempts, firstSeen and lastSeen
   * are kept as given: the caller counts the attempt (`{...op, attempts:
   * op.attempts + 1}`). A newer pending mark of the same path wins (its kind,
   * readyAt and attempts 0).
   */
  requeue(op: PendingOp, now: number, readyAt: number = now): MarkResult {
    checkRel(op.rel);
    const owner = this.pendingDirAncestor(op.rel);
    if (owner) {
      this.lowerFirstSeen(owner, op.firstSeen);
      return 'absorbed';
    }
    const e = this.pending.get(op.rel);
    if (e) {
      const kind = mergeKind(op.kind, e.kind);
      this.setKind(e, kind);
      e.attempts = 0;
      this.lowerFirstSeen(e, op.firstSeen);
      if (kind === 'dir') this.swallowBelow(op.rel);
      return 'merged';
    }
    this.addEntry({
      rel: op.rel, kind: op.kind, firstSeen: op.firstSeen, lastSeen: op.lastSeen,
      readyAt, attempts: op.attempts,
    });
    // Pending entries below were marked while the op was in flight, so they
    // are newer than a requeued delete: keep them. A dir push covers them.
    if (op.kind === 'dir') this.swallowBelow(op.rel);
    return 'added';
  }

  /**
   * Remove and return up to `max` ready entries (readyAt <= now) that do not
   * conflict with anything in flight, and mark them in flight.
   */
  take(now: number, max: number): PendingOp[] {
    const out: PendingOp[] = [];
    while (out.length < max) {
      const e = this.nextCandidate();
      if (e === undefined || e.readyAt > now) break;
      this.ready.pop();
      this.startFlight(e);
      out.push(copy(e));
    }
    return out;
  }

  /**
   * The ops have finished: they stop blocking other work. The queue has no
   * policy on failure (`ok` and `now` are for the call site's sake): on !ok
   * the caller requeue()s or fail-logs. Unknown ops are ignored.
   */
  done(ops: readonly PendingOp[], ok: boolean, now: number): void {
    for (const op of ops) {
      const e = this.inFlight.get(op.rel);
      if (e === undefined) continue;
      this.inFlight.delete(op.rel);
      e.state = 'dead';
      this.release(this.waitingOn, op.rel);
      someAncestor(op.rel, (a) => {
        const n = (this.inFlightBelow.get(a) ?? 0) - 1;
        if (n > 0) {
          this.inFlightBelow.set(a, n);
        } else {
          this.inFlightBelow.delete(a);
          this.release(this.waitingBelow, a);
        }
        return false;
      });
    }
  }

  /**
   * Earliest readyAt among pending entries that are not blocked by an op in
   * flight (may be <= now: take now). undefined when there is none.
   */
  nextReadyAt(): number | undefined {
    return this.nextCandidate()?.readyAt;
  }

  /** Oldest firstSeen among pending and in-flight ops (replication lag = now − this). */
  oldestFirstSeen(): number | undefined {
    for (;;) {
      const item = this.first.peek();
      if (item === undefined) return undefined;
      if (item.value.state !== 'dead' && item.value.firstItem === item.seq) return item.key;
      this.first.pop();
    }
  }

  /**
   * Every op not known to be done, for the journal / SIGTERM: in-flight ops
   * first (they may not complete), then pending ones. A path can appear twice
   * (in flight and pending again); marking both back coalesces them.
   */
  snapshot(includeInFlight = true): PendingOp[] {
    const out: PendingOp[] = [];
    if (includeInFlight) for (const e of this.inFlight.values()) out.push(copy(e));
    for (const e of this.pending.values()) out.push(copy(e));
    return out;
  }

  /** Forget all pending entries. In-flight ops stay tracked until done(). */
  clear(): void {
    for (const e of this.pending.values()) {
      e.state = 'dead';
      e.readyItem = 0;
      e.park = null;
    }
    this.pending.clear();
    this.below.clear();
    this.waitingOn.clear();
    this.waitingBelow.clear();
    this.ready.clear();
    this.pendingDirs = 0;
    this.rebuildFirst();
  }

  // ---- internals ----------------------------------------------------------

  private addEntry(op: PendingOp): Entry {
    const e = new Entry(op.rel, op.kind, op.firstSeen, op.lastSeen, op.readyAt, op.attempts);
    this.pending.set(e.rel, e);
    this.linkUp(e.rel);
    if (e.kind === 'dir') this.pendingDirs++;
    this.pushReady(e);
    this.pushFirst(e);
    return e;
  }

  private setKind(e: Entry, kind: OpKind): void {
    if (e.kind === kind) return;
    if (e.kind === 'dir') this.pendingDirs--;
    if (kind === 'dir') this.pendingDirs++;
    e.kind = kind;
  }

  private setReadyAt(e: Entry, readyAt: number): void {
    e.readyAt = readyAt;
    // A later readyAt is picked up lazily when the old item reaches the top;
    // an earlier one needs a new item. Parked entries get one on release.
    if (e.readyItem !== 0 && readyAt < e.readyKey) this.pushReady(e);
  }

  private lowerFirstSeen(e: Entry, firstSeen: number): void {
    if (firstSeen < e.firstSeen) {
      e.firstSeen = firstSeen;
      this.pushFirst(e);
    }
  }

  private pushReady(e: Entry): void {
    const item = this.ready.push(e.readyAt, e);
    e.readyItem = item.seq;
    e.readyKey = e.readyAt;
    if (this.ready.length > 2 * this.pending.size + 1024) this.rebuildReady();
  }

  private pushFirst(e: Entry): void {
    e.firstItem = this.first.push(e.firstSeen, e).seq;
    if (this.first.length > 2 * (this.pending.size + this.inFlight.size) + 1024) this.rebuildFirst();
  }

  private rebuildReady(): void {
    this.ready = new MinIndex<Entry>();
    for (const e of this.pending.values()) {
      if (e.readyItem === 0) continue; // parked
      const item = this.ready.push(e.readyAt, e);
      e.readyItem = item.seq;
      e.readyKey = e.readyAt;
    }
  }

  private rebuildFirst(): void {
    this.first = new MinIndex<Entry>();
    for (const m of [this.inFlight, this.pending]) {
      for (const e of m.values()) e.firstItem = this.first.push(e.firstSeen, e).seq;
    }
  }

  /** The top of `ready` once stale, lazily-raised and blocked items are dealt with; not popped. */
  private nextCandidate(): Entry | undefined {
    for (;;) {
      const item = this.ready.peek();
      if (item === undefined) return undefined;
      const e = item.value;
      if (e.readyItem !== item.seq) {
        this.ready.pop(); // stale
        continue;
      }
      if (item.key < e.readyAt) {
        this.ready.pop();
        this.pushReady(e);
        continue;
      }
      if (this.parkIfBlocked(e)) {
        this.ready.pop();
        continue;
      }
      return e;
    }
  }

  /** If an in-flight op conflicts with e, park e where its finishing will release it. */
  private parkIfBlocked(e: Entry): boolean {
    const b = this.blocker(e.rel);
    if (b === undefined) return false;
    const [map, key] = b;
    let set = map.get(key);
    if (set === undefined) map.set(key, (set = new Set()));
    set.add(e);
    e.park = set;
    e.readyItem = 0;
    return true;
  }

  /**
   * What an op on rel would conflict with: the in-flight op on rel or on an
   * ancestor (wait on that op), or in-flight ops below rel (wait for the
   * count below rel to reach 0).
   */
  private blocker(rel: BytePath): [Map<BytePath, Set<Entry>>, BytePath] | undefined {
    if (this.inFlight.size === 0) return undefined;
    if (this.inFlight.has(rel)) return [this.waitingOn, rel];
    let ancestor: BytePath | undefined;
    someAncestor(rel, (a) => {
      if (this.inFlight.has(a)) ancestor = a;
      return ancestor !== undefined;
    });
    if (ancestor !== undefined) return [this.waitingOn, ancestor];
    if (this.inFlightBelow.has(rel)) return [this.waitingBelow, rel];
    return undefined;
  }

  private release(map: Map<BytePath, Set<Entry>>, key: BytePath): void {
    const set = map.get(key);
    if (set === undefined) return;
    map.delete(key);
    for (const e of set) {
      e.park = null;
      if (e.state === 'pending') this.pushReady(e);
    }
  }

  private startFlight(e: Entry): void {
    this.removePending(e, true);
    e.state = 'flight';
    this.inFlight.set(e.rel, e);
    someAncestor(e.rel, (a) => {
      this.inFlightBelow.set(a, (this.inFlightBelow.get(a) ?? 0) + 1);
      return false;
    });
  }

  private removePending(e: Entry, unlink: boolean): void {
    this.pending.delete(e.rel);
    if (unlink) this.unlinkUp(e.rel);
    if (e.kind === 'dir') this.pendingDirs--;
    e.readyItem = 0;
    if (e.park !== null) {
      e.park.delete(e);
      e.park = null;
    }
  }

  private pendingDirAncestor(rel: BytePath): Entry | undefined {
    if (this.pendingDirs === 0) return undefined;
    let found: Entry | undefined;
    someAncestor(rel, (a) => {
      const e = this.pending.get(a);
      if (e !== undefined && e.kind === 'dir') found = e;
      return found !== undefined;
    });
    return found;
  }

  /**
   * Drop every pending entry strictly below rel (rel itself is pending). rel's
   * firstSeen becomes the oldest of them: their changes are not on the remote
   * until rel's op is, so the lag must still count them.
   */
  private swallowBelow(rel: BytePath): void {
    if (!this.below.has(rel)) return;
    let oldest = Infinity;
    const stack = [rel];
    while (stack.length > 0) {
      const d = stack.pop()!;
      const children = this.below.get(d);
      if (children === undefined) continue;
      this.below.delete(d);
      for (const c of children) {
        const e = this.pending.get(c);
        if (e !== undefined) {
          this.removePending(e, false);
          e.state = 'dead';
          if (e.firstSeen < oldest) oldest = e.firstSeen;
        }
        if (this.below.has(c)) stack.push(c);
      }
    }
    const owner = this.pending.get(rel);
    if (owner !== undefined) this.lowerFirstSeen(owner, oldest);
  }

  /** Make rel reachable from its ancestors in `below`. */
  private linkUp(rel: BytePath): void {
    let child = rel;
    while (child !== '') {
      const p = parent(child);
      const set = this.below.get(p);
      if (set !== undefined) {
        set.add(child);
        return;
      }
      this.below.set(p, new Set([child]));
      child = p;
    }
  }

  /** rel is no longer pending: prune it (and emptied ancestors) from `below`. */
  private unlinkUp(rel: BytePath): void {
    let child = rel;
    while (child !== '') {
      if (this.below.has(child) || this.pending.has(child)) return;
      const p = parent(child);
      const set = this.below.get(p);
      if (set === undefined) return;
      set.delete(child);
      if (set.size > 0) return;
      this.below.delete(p);
      child = p;
    }
  }
}
