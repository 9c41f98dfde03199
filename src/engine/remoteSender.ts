// One remote's delivery loop: drains its DirtyQueue into rsync calls. No fixed
// delay: when nothing is in flight a change goes out at once; changes that
// arrive while rsync runs go into the next call. At most `concurrency` rsync
// processes per remote; the queue guarantees that calls in flight never touch
// the same path (or an ancestor/descendant of it), so operations on one path
// never overtake each other. A slow or dead remote only delays itself.
import os from 'node:os';
import type { Config, Remote } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { DirtyQueue, type OpKind, type PendingOp } from '../queue/dirtyQueue.js';
import { buildPush, type PushOp, type RsyncInvocation } from '../rsync/argv.js';
import type { RsyncResult } from '../rsync/run.js';
import { type BytePath, display, joinPath } from '../util/bytepath.js';
import { lstatOrNull } from './intake.js';
import { MAX_SETTLE_MS, settleUntil } from './settle.js';

/** Runs one rsync call; `signal` cuts it short (a newer change made it moot). */
export type Executor = (inv: RsyncInvocation, remote: Remote, signal?: AbortSignal) => Promise<RsyncResult>;

/**
 * A one-file push running at least this long is cut short when the file
 * changes again (it is still being written: the push would deliver a stale
 * copy and then the file would go out a second time, by delta transfer).
 */
export const SUPERSEDE_AFTER_MS = 50;

/**
 * A backlog of more than this many paths is split over several rsync calls run
 * side by side (at most one per CPU, within -n): one call of 1,500 paths spends
 * ~0.5 s in one rsync and one daemon process, which leaves the other cores idle.
 */
export const SPLIT_MIN = 256;
const SPLIT_WAYS = Math.max(1, os.availableParallelism());
const DIR_WEIGHT = 64;

export interface SenderHooks {
  /** Every op of `ops` reached the remote (or needs no push any more). */
  onDelivered(remoteIndex: number, ops: PushOp[]): void;
  /** A push failed twice in a row (live attempt + immediate retry): record it (fail log). */
  onFailed(remoteIndex: number, ops: PushOp[], result: RsyncResult): void;
  /** State changes worth a metric or a status line. */
  onAttempt?(remoteIndex: number, inv: RsyncInvocation, result: RsyncResult): void;
  /** A path was marked (the journal records it). Hot path: keep it cheap. */
  onMarked?(remoteIndex: number, rel: BytePath, kind: OpKind): void;
  /** The remote answered again after failing (the fail log is replayed for it). */
  onRecovered?(remoteIndex: number): void;
  /** A held file op goes out now; `st` is the file as it was just looked at. */
  onSettled?(rel: BytePath, st: import('node:fs').Stats): void;
}

export interface SenderOptions {
  config: Config;
  remote: Remote;
  index: number;
  /** The watch root W (cwd of every rsync). */
  root: BytePath;
  concurrency: number;
  maxBatch: number;
  execute: Executor;
  hooks: SenderHooks;
  log: Logger;
  /** Backoff bounds while the remote keeps failing. */
  backoff?: { baseMs: number; capMs: number };
}

export interface SenderStatus {
  remote: string;
  pending: number;
  inFlight: number;
  oldestPendingMs: number | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastError: string | null;
  failures: number;
  retries: number;
  pushes: number;
  files: number;
  down: boolean;
  nextAttemptAt: number | null;
}

export class RemoteSender {
  readonly queue = new DirtyQueue();
  private running = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private scheduled = false;
  private failStreak = 0;
  private blockedUntil = 0;
  private stopped = false;
  private paused = false;
  private idleWaiters: Array<() => void> = [];
  /** One-file pushes in flight, by path (supersede()). */
  private readonly singles = new Map<BytePath, { ac: AbortController; startedAt: number; firstSeen: number; superseded: boolean }>();
  private lastCauseLogged: string | null = null;
  /** The last failed attempt (for recording changes made while the remote is down). */
  private lastFailure: RsyncResult | null = null;
  /** Changes marked while the remote is down, to be recorded in the fail log at once. */
  private downMarks = new Map<BytePath, OpKind>();
  /** Paths already recorded that way during this outage (not recorded again when they fail). */
  private recordedWhileDown = new Set<BytePath>();
  /**
   * Ops that failed once and wait for their immediate retry. Another call
   * failing meanwhile blocks the remote for the backoff, and the retry (which
   * would record them) waits with it: they are recorded then.
   */
  private awaitingRetry = new Map<BytePath, OpKind>();
  readonly status: SenderStatus;

  constructor(private readonly o: SenderOptions) {
    this.status = {
      remote: remoteLabel(o.config, o.remote),
      pending: 0,
      inFlight: 0,
      oldestPendingMs: null,
      lastSuccessAt: null,
      lastFailureAt: null,
      lastError: null,
      failures: 0,
      retries: 0,
      pushes: 0,
      files: 0,
      down: false,
      nextAttemptAt: null,
    };
  }

  mark(rel: BytePath, kind: OpKind, now: number, readyAt = now): void {
    this.queue.mark(rel, kind, now, readyAt);
    this.supersede(rel, now);
    // While the remote is down a change would only fail: record it for replay
    // now (cron's --replay-faillog sees it), not at the next probe, which may be
    // the backoff cap away.
    if (this.failStreak > 0) this.downMarks.set(rel, kind);
    this.o.hooks.onMarked?.(this.o.index, rel, kind);
    this.kick();
  }

  /** Run the dispatch loop soon (coalesces many marks in one tick into one call). */
  kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  /** Stop taking new work; in-flight calls finish. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resolves when nothing is in flight (used at shutdown). */
  whenIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  get inFlight(): number {
    return this.running;
  }

  /**
   * Hold all pushes (the watch root is gone or unmounted: a queued path would
   * look deleted and rsync would delete it on the remote).
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.kick();
  }

  /** Retry now: a remote came back (e.g. replay succeeded). */
  resetBackoff(): void {
    this.blockedUntil = 0;
    this.kick();
  }

  snapshotStatus(now: number): SenderStatus {
    const oldest = this.queue.oldestFirstSeen();
    this.status.pending = this.queue.size;
    this.status.inFlight = this.queue.inFlightCount;
    this.status.oldestPendingMs = oldest === undefined ? null : Math.max(0, now - oldest);
    this.status.down = this.failStreak > 0;
    this.status.nextAttemptAt = this.blockedUntil > now ? this.blockedUntil : null;
    return { ...this.status };
  }

  /** rsync processes allowed at once: -n, or one probe at a time while the remote is failing. */
  private get slotLimit(): number {
    return this.failStreak > 0 ? 1 : this.o.concurrency;
  }

  private recordDownMarks(): void {
    if (this.downMarks.size === 0 || !this.lastFailure) return;
    const ops: PushOp[] = [...this.downMarks].map(([rel, kind]) => ({ rel, kind }));
    this.downMarks.clear();
    ops.forEach((op) => this.recordedWhileDown.add(op.rel));
    this.o.hooks.onFailed(this.o.index, ops, this.lastFailure);
  }

  private dispatch(): void {
    if (this.stopped) return;
    this.recordDownMarks();
    if (this.paused) return;
    const now = Date.now();
    if (now < this.blockedUntil) {
      this.armTimer(this.blockedUntil);
      return;
    }
    const limit = this.slotLimit;
    // A large backlog is shared out over the free slots, one call per CPU at most.
    // (A pending directory push weighs like the files it usually holds.)
    const ways = Math.min(limit - this.running, SPLIT_WAYS);
    const weight = this.queue.size + DIR_WEIGHT * this.queue.pendingDirCount;
    const per = Math.min(this.o.maxBatch, ways > 1 && weight > SPLIT_MIN ? Math.ceil(this.queue.size / ways) : Infinity);
    while (this.running < limit) {
      const ops = this.queue.take(now, per);
      if (ops.length === 0) break;
      this.running++;
      void this.run(ops).finally(() => {
        this.running--;
        if (this.running === 0) {
          const w = this.idleWaiters;
          this.idleWaiters = [];
          w.forEach((f) => f());
        }
        this.kick();
      });
    }
    const next = this.queue.nextReadyAt();
    if (next !== undefined && next > now) this.armTimer(next);
  }

  private armTimer(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dispatch();
    }, Math.max(0, at - Date.now()));
  }

  private invocationsFor(ops: PendingOp[]): RsyncInvocation[] {
    return buildPush(this.o.config, this.o.remote, ops.map((op) => ({ rel: op.rel, kind: op.kind })), this.o.root);
  }

  /**
   * Held file ops (the intake saw a file younger than quietMs) are looked at
   * again now: if the file changed since (still being written), the op goes
   * back to the queue until the file has been quiet for quietMs (closeWrite
   * emulation; see settleUntil). Returns the ops to run now.
   */
  private async postponeUnsettled(ops: PendingOp[]): Promise<PendingOp[]> {
    const quietMs = this.o.config.extensions.quietMs;
    if (!(quietMs > 0) || this.o.config.inotify.modify) return ops;
    // readyAt > lastSeen: held by the quiet period when marked (or postponed here before).
    const held = ops.filter((op) => op.kind === 'file' && op.readyAt > op.lastSeen);
    if (held.length === 0) return ops;
    const stats = await Promise.all(held.map((op) => lstatOrNull(joinPath(this.o.root, op.rel))));
    const now = Date.now();
    const later = new Map<BytePath, number>();
    held.forEach((op, i) => {
      const st = stats[i];
      if (!st || !st.isFile()) return;
      const until = settleUntil(st.mtimeMs, op.firstSeen, now, quietMs);
      if (until !== null) later.set(op.rel, until);
      else this.o.hooks.onSettled?.(op.rel, st);
    });
    if (later.size === 0) return ops;
    const postponed = ops.filter((op) => later.has(op.rel));
    this.queue.done(postponed, true, now);
    for (const op of postponed) this.queue.requeue(op, now, later.get(op.rel)!);
    return ops.filter((op) => !later.has(op.rel));
  }

  /**
   * rel changed again (it was just marked): if a long one-file push of it is
   * running, stop it — the pending op pushes the newer state once the file is
   * quiet. Not for a file that has been changing for MAX_SETTLE_MS already (a
   * file written without pause must still arrive now and then).
   */
  private supersede(rel: BytePath, now: number): void {
    const s = this.singles.get(rel);
    if (!s || s.superseded || now - s.startedAt < SUPERSEDE_AFTER_MS || now - s.firstSeen >= MAX_SETTLE_MS) return;
    s.superseded = true;
    s.ac.abort();
  }

  private async run(taken: PendingOp[]): Promise<void> {
    for (const op of taken) this.awaitingRetry.delete(op.rel); // its retry is this call
    const ops = await this.postponeUnsettled(taken);
    if (ops.length === 0) return;
    const invs = this.invocationsFor(ops);
    const covered = new Set<BytePath>();
    const superseded = new Set<BytePath>();
    let failed = null as { inv: RsyncInvocation; result: RsyncResult } | null;
    // The calls of one batch touch disjoint paths (the queue never hands out a
    // path with its ancestor): they may run side by side, in the slots -n leaves free.
    const extra = Math.max(0, Math.min(invs.length - 1, this.slotLimit - this.running));
    this.running += extra;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!failed && next < invs.length) {
        const inv = invs[next++]!;
        const outcome = await this.attempt(inv, ops);
        if (outcome === 'superseded') superseded.add(inv.paths[0]!.rel);
        else if (outcome.classification === 'ok' || outcome.classification === 'vanished') {
          const done = [...inv.paths, ...(inv.covered ?? [])];
          done.forEach((p) => covered.add(p.rel));
          this.status.files += inv.paths.length;
          this.o.hooks.onDelivered(this.o.index, done);
        } else {
          failed ??= { inv, result: outcome };
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: 1 + extra }, worker));
    } finally {
      this.running -= extra;
    }
    const now = Date.now();
    if (!failed) {
      // Ops the builder dropped (e.g. swallowed by a directory push) are delivered too.
      const rest = ops.filter((op) => !covered.has(op.rel) && !superseded.has(op.rel));
      if (rest.length) this.o.hooks.onDelivered(this.o.index, rest.map((op) => ({ rel: op.rel, kind: op.kind })));
      this.queue.done(ops, true, now);
      // (A call cut short says nothing about the remote.)
      if (covered.size > 0 || superseded.size === 0) this.onSuccess(now);
      return;
    }
    this.queue.done(ops, false, now);
    const unfinished = ops.filter((op) => !covered.has(op.rel) && !superseded.has(op.rel));
    // A remote already known to be down gets no immediate retry (it would only
    // double the probes); its fresh failures are recorded at once instead.
    const wasDown = this.failStreak > 0;
    this.onFailure(failed.result, now);
    // Record for replay once per op: when the immediate retry failed too, or at
    // the first failure while the remote is down (attempts then skips to 2,
    // "recorded"; later failures of the same op are already in the fail log).
    const toRecord = unfinished.filter(
      (op) => !this.recordedWhileDown.has(op.rel) && (op.attempts === 1 || (wasDown && op.attempts === 0)),
    );
    if (toRecord.length) {
      this.o.hooks.onFailed(this.o.index, toRecord.map((op) => ({ rel: op.rel, kind: op.kind })), failed.result);
    }
    const retryNow = !wasDown && unfinished.some((op) => op.attempts === 0);
    if (retryNow) {
      this.status.retries++;
      this.blockedUntil = 0; // the first failure is retried at once, as sersync2 does
    } else {
      // The remote is blocked for the backoff now: ops still waiting for their
      // immediate retry (failed once in a call that ran alongside) will not get
      // it soon, so they are recorded now.
      this.recordAwaitingRetry(failed.result);
    }
    for (const op of unfinished) {
      const fresh = op.attempts === 0;
      const attempts = fresh && wasDown ? 2 : op.attempts + 1;
      if (fresh && retryNow) this.awaitingRetry.set(op.rel, op.kind);
      this.queue.requeue({ ...op, attempts }, now, fresh && retryNow ? now : this.blockedUntil);
    }
  }

  private recordAwaitingRetry(result: RsyncResult): void {
    const ops: PushOp[] = [];
    for (const [rel, kind] of this.awaitingRetry) {
      if (this.recordedWhileDown.has(rel)) continue;
      this.recordedWhileDown.add(rel);
      ops.push({ rel, kind });
    }
    this.awaitingRetry.clear();
    if (ops.length) this.o.hooks.onFailed(this.o.index, ops, result);
  }

  /** One rsync call; 'superseded' when a newer change of its one file cut it short (moot, not failed). */
  private async attempt(inv: RsyncInvocation, ops: PendingOp[]): Promise<RsyncResult | 'superseded'> {
    let result: RsyncResult;
    const one = inv.paths.length === 1 && inv.paths[0]!.kind === 'file' && !inv.covered?.length ? ops.find((op) => op.rel === inv.paths[0]!.rel) : undefined;
    const single = one ? { ac: new AbortController(), startedAt: Date.now(), firstSeen: one.firstSeen, superseded: false } : null;
    if (one && single) this.singles.set(one.rel, single);
    try {
      result = await this.o.execute(inv, this.o.remote, single?.ac.signal);
    } catch (e) {
      result = { exitCode: null, signal: null, stderr: (e as Error).message, durationMs: 0, classification: 'transient' };
    }
    if (one && this.singles.get(one.rel) === single) this.singles.delete(one.rel);
    this.o.hooks.onAttempt?.(this.o.index, inv, result);
    this.status.pushes++;
    // The newer mark that cut it short is pending (or covered by a pending directory push) and delivers the file.
    if (one && single?.superseded && result.canceled) return 'superseded';
    return result;
  }

  private onSuccess(now: number): void {
    const recovered = this.failStreak > 0;
    if (recovered) {
      this.o.log.info(`remote ${this.status.remote} is reachable again after ${this.failStreak} failed attempt(s)`);
    }
    this.failStreak = 0;
    this.blockedUntil = 0;
    this.downMarks.clear();
    this.recordedWhileDown.clear();
    this.awaitingRetry.clear();
    this.lastCauseLogged = null;
    this.status.lastSuccessAt = now;
    if (recovered) this.o.hooks.onRecovered?.(this.o.index);
  }

  private onFailure(result: RsyncResult, now: number): void {
    this.failStreak++;
    this.lastFailure = result;
    this.status.failures++;
    this.status.lastFailureAt = now;
    const cause = summarizeFailure(result);
    this.status.lastError = cause;
    const b = this.o.backoff ?? { baseMs: 500, capMs: 60_000 };
    const exp = Math.min(b.capMs, b.baseMs * 2 ** Math.min(this.failStreak - 1, 20));
    const jitter = 0.8 + Math.random() * 0.4;
    this.blockedUntil = now + Math.round(exp * jitter);
    // Say the cause loudly once per outage, then quietly at debug level.
    if (cause !== this.lastCauseLogged) {
      const level = result.classification === 'config' ? 'error' : 'warn';
      this.o.log[level](`push to ${this.status.remote} failed: ${cause}; retrying with backoff`);
      this.lastCauseLogged = cause;
    } else {
      this.o.log.debug(`push to ${this.status.remote} failed again: ${cause}`);
    }
  }
}

export function remoteLabel(config: Config, remote: Remote): string {
  return config.rsync.ssh ? `${remote.ip}:${display(remote.name)}` : `${remote.ip}::${display(remote.name)}`;
}

function summarizeFailure(r: RsyncResult): string {
  const code = r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`;
  const line = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .find((l) => /error|failed|refused|unknown|denied|timeout|No route/i.test(l));
  return line ? `rsync ${code}: ${line}` : `rsync ${code}`;
}
