// The real-time engine: watcher hints → intake (lstat + filter) → one
// RemoteSender per remote. This file is the wiring and the policies that need
// the whole picture (new subtrees, the watch root, overflow); the mechanisms
// live in watch/, queue/, rsync/.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { Config, Remote } from '../config/types.js';
import { PathFilter } from '../filter/pathFilter.js';
import type { Logger } from '../log/logger.js';
import type { PushOp } from '../rsync/argv.js';
import { runRsync, type RsyncResult } from '../rsync/run.js';
import { type BytePath, display, joinPath, parentOf, toArg } from '../util/bytepath.js';
import { HotDirs } from '../watch/hotDirs.js';
import { type Hint, TreeWatcher } from '../watch/watcher.js';
import { queueLimit, raiseQueueLimit, raiseWatchLimit, watchLimit, watchLimitMessage } from '../watch/limits.js';
import { walkWatchableDirs } from '../watch/walk.js';
import { DirMemory } from './dirMemory.js';
import { hasSubdirectories, Intake, lstatOrNull } from './intake.js';
import { type Executor, RemoteSender, type SenderStatus } from './remoteSender.js';
import { StreamSweep } from './streamSweep.js';
import { SweepDebt } from './sweepDebt.js';

export interface EngineHooks {
  /** An op reached every remote (chained plugins run here). */
  onOpComplete?(op: PushOp): void;
  /** Record a failed push (fail log). */
  onFailed?(remote: Remote, remoteIndex: number, ops: PushOp[], result: RsyncResult): void;
  /** Something may have been missed: the owner runs a reconciliation (full sync). */
  onReconcileNeeded?(reason: string): void;
  /** A repair of possibly lost events is owed (true) or not any more (false): keep it on disk (sweepDebt.ts). */
  onSweepDebt?(owed: boolean): void;
  onAttempt?(remoteIndex: number, ops: PushOp[], result: RsyncResult): void;
  /** Raw hints, for plugins in `-m` mode and debug output. */
  onHints?(hints: Hint[]): void;
  // --- fail log + journal (issue 5) ---
  /** A path was marked for a remote (journal). Hot path. */
  onMarked?(remoteIndex: number, rel: BytePath, kind: PushOp['kind']): void;
  /** Ops reached a remote (journal; their fail-log entries go). Not called for fail-logged ops. */
  onDelivered?(remoteIndex: number, ops: PushOp[]): void;
  /** A remote that was failing answers again (replay its fail-log entries). */
  onRecovered?(remoteIndex: number): void;
  // --- end fail log + journal ---
}

export interface EngineOptions {
  config: Config;
  /** The watch root W (byte string, absolute). */
  root: BytePath;
  concurrency: number;
  log: Logger;
  hooks?: EngineHooks;
  /** Replace rsync (dry-run). */
  execute?: Executor;
  /** `-m` plugin mode: watch and report, never push. */
  noPush?: boolean;
  /** How often to check that the root is still the same directory. */
  rootCheckMs?: number;
  /**
   * issue 10, --dry-run: show what events cause. Directories are remembered (a
   * delete can be shown in sersync2's dir form), and there are no stream
   * sweeps (a repair, like reconciliation, which a dry run does not do either).
   */
  dryRun?: boolean;
}

export interface EngineStatus {
  root: string;
  watching: boolean;
  watches: number;
  patches: number;
  events: number;
  batches: number;
  remotes: SenderStatus[];
}

/**
 * A batch holding this share of the kernel queue's size suggests the queue
 * overflowed (the watcher swallows IN_Q_OVERFLOW; a batch counts distinct
 * paths, each at least one queued event). With the default queue (16384)
 * that is 4096 paths; after raising it as root, bursts of that size are safe.
 */
export const OVERFLOW_SUSPECT_SHARE = 0.25;
/** Events per 10 s above which we assume some were lost (parcel's reader falls behind). */
export const STORM_EVENTS_PER_10S = 200_000;
/** Batches of at most this many ops make their directories hot (HotDirs). */
const HOT_BATCH_MAX = 8;

export class Engine {
  readonly filter: PathFilter;
  readonly senders: RemoteSender[];
  private watcher: TreeWatcher | null = null;
  private rootIdentity: { dev: number; ino: number } | null = null;
  /** Device of the root's parent when the root is a mount point (to notice an unmount). */
  private parentDevOfMount: number | null = null;
  private rootTimer: NodeJS.Timeout | null = null;
  private rootLost = false;
  private intakeChain: Promise<void> = Promise.resolve();
  /** rel → remotes that still owe delivery, for "after every remote" hooks. */
  private owed = new Map<BytePath, { op: PushOp; remotes: Set<number> }>();
  private stopping = false;
  /** When the last hints arrived (issue 5: stop() takes what is still on its way first). */
  private lastHintAt = 0;
  private realRootText = '';
  private ignoreDirs: BytePath[] = [];
  /** Directories counted by the last coverage check (for the watch-limit message). */
  private lastDirCount = 0;
  /** The watch limit when a rebuild failed for lack of watches (no retry until it changes). */
  private rebuildBlockedAt: number | null = null;
  private overflowSuspectBatch = Math.round(16384 * OVERFLOW_SUSPECT_SHARE);
  private rateWindow = { start: 0, events: 0, flagged: false };
  private readonly intakeStage: Intake;
  /** Re-pushes directories active during an event stream (the watcher's flush race). */
  private readonly sweep = new StreamSweep({
    onSweep: (dirs) => {
      this.sweepRun = this.sweepDirs(dirs).catch((e) => this.o.log.error(`sweep failed: ${(e as Error).message}`));
    },
    onStreamStart: () => this.sweepDebt.owe('stream', Date.now()),
  });
  private sweepRun: Promise<void> = Promise.resolve();
  /** The sweeps and reconciliations still owed (kept on disk by the journal: a stop or crash before them must not lose events). */
  readonly sweepDebt = new SweepDebt((owed) => this.o.hooks?.onSweepDebt?.(owed));
  /** Directories being written to right now, watched without @parcel/watcher's debounce. */
  private readonly hotDirs: HotDirs | null;
  private readonly dirMemory: DirMemory | null; // issue 10: --dry-run only

  constructor(private readonly o: EngineOptions) {
    this.hotDirs = o.noPush || o.dryRun ? null : new HotDirs({ root: o.root, log: o.log, onHints: (h) => this.onFastHints(h) });
    this.filter = new PathFilter(o.config.filter.enabled ? o.config.filter.excludes : []);
    this.intakeStage = new Intake({
      rootAbs: o.root,
      filter: this.filter,
      toggles: o.config.inotify,
      quietMs: o.config.extensions.quietMs,
    });
    this.dirMemory = o.dryRun ? new DirMemory(o.root) : null;
    const execute: Executor =
      o.execute ?? ((inv, _remote, signal) => runRsync(inv, { timeoutMs: rsyncTimeoutMs(o.config), ...(signal ? { signal } : {}) }));
    this.senders = o.config.remotes.map(
      (remote, index) =>
        new RemoteSender({
          config: o.config,
          remote,
          index,
          root: o.root,
          concurrency: o.concurrency,
          maxBatch: o.config.extensions.maxBatch,
          execute,
          log: o.log,
          backoff: { baseMs: o.config.extensions.retryBaseMs ?? 500, capMs: o.config.extensions.retryMaxMs ?? 60_000 }, // issue 5
          hooks: {
            onDelivered: (i, ops) => {
              this.delivered(i, ops);
              o.hooks?.onDelivered?.(i, ops); // issue 5: journal, fail log
            },
            ...(o.hooks?.onMarked ? { onMarked: o.hooks.onMarked } : {}), // issue 5: journal
            ...(o.hooks?.onRecovered ? { onRecovered: o.hooks.onRecovered } : {}), // issue 5: replay
            // The push of a held file carries at least this state: a hint finding it again is a repeat.
            // Only with one remote: the signature memory is shared, and another remote may have
            // pushed an older state of the file (a writer that paused), which that hint must reach.
            ...(o.config.remotes.length === 1
              ? { onSettled: (rel: BytePath, st: import('node:fs').Stats) => this.intakeStage.noteDispatched(rel, st) }
              : {}),
            onFailed: (i, ops, result) => {
              // The next event for these files must be pushed even if unchanged.
              ops.forEach((op) => this.intakeStage.forget(op.rel));
              o.hooks?.onFailed?.(o.config.remotes[i], i, ops, result);
              // sersync2 runs the chained plugin whatever rsync returned.
              this.delivered(i, ops);
            },
            onAttempt: (i, inv, result) => {
              if (o.log.isDebug()) {
                o.log.debug(`rsync ${inv.args.map((a) => JSON.stringify(a)).join(' ')} → ${result.exitCode ?? result.signal} (${result.durationMs} ms)`);
              }
              o.hooks?.onAttempt?.(i, inv.paths, result);
            },
          },
        }),
    );
  }

  /** Start watching. Resolves once every directory is watched. */
  async start(): Promise<void> {
    const rootBuf = Buffer.from(this.o.root, 'latin1');
    let st: fs.Stats;
    try {
      st = await fsp.stat(rootBuf);
    } catch {
      throw new EngineStartError(`the watch directory ${display(this.o.root)} does not exist — create it or fix sersync/localpath@watch`);
    }
    if (!st.isDirectory()) {
      throw new EngineStartError(`the watch path ${display(this.o.root)} is not a directory — fix sersync/localpath@watch`);
    }
    await this.dirMemory?.scan(); // issue 10: the directories that exist before watching starts
    const real = await fsp.realpath(rootBuf, { encoding: 'buffer' });
    this.realRootText = toArg(real.toString('latin1'));
    this.rootIdentity = { dev: st.dev, ino: st.ino };
    try {
      const parent = await fsp.stat(Buffer.concat([real, Buffer.from('/..')]));
      if (parent.dev !== st.dev) this.parentDevOfMount = parent.dev;
    } catch {
      /* the root is / */
    }

    const queueRaised = raiseQueueLimit();
    if (queueRaised) {
      this.o.log.info(`raised ${queueRaised.name} from ${queueRaised.from} to ${queueRaised.to} (fewer lost events in bursts)`);
    }
    this.overflowSuspectBatch = Math.max(1000, Math.round((queueLimit() ?? 16384) * OVERFLOW_SUSPECT_SHARE));
    // Excluded directories are never watched; @parcel/watcher takes them as
    // paths (cheap), not globs (slow, §2.11).
    const ignoreDirs = this.filter.active
      ? (await walkWatchableDirs(this.o.root, this.filter, this.o.config.xfs)).excludedDirs
      : [];
    this.ignoreDirs = ignoreDirs;
    this.watcher = new TreeWatcher({
      root: this.realRootText,
      ignoreDirs,
      log: this.o.log,
      onHints: (hints, meta) => this.onHints(hints, meta.batchSize),
      onError: (err) => this.onWatchError(err),
    });
    try {
      await this.watcher.start();
    } catch (e) {
      if (!/No space left on device/.test((e as Error).message)) {
        throw new EngineStartError(`cannot watch ${display(this.o.root)}: ${(e as Error).message}`);
      }
      // The watch limit is too low for this tree: raise it when we may, else say how.
      const { dirCount } = await walkWatchableDirs(this.o.root, this.filter, this.o.config.xfs);
      const raised = raiseWatchLimit(dirCount, TreeWatcher.watchesInUse());
      if (!raised) throw new EngineStartError(watchLimitMessage(display(this.o.root), dirCount));
      this.o.log.warn(`raised ${raised.name} from ${raised.from} to ${raised.to}: the tree has ${dirCount} directories`);
      try {
        await this.watcher.start();
      } catch (e2) {
        throw new EngineStartError(
          /No space left on device/.test((e2 as Error).message)
            ? watchLimitMessage(display(this.o.root), dirCount)
            : `cannot watch ${display(this.o.root)}: ${(e2 as Error).message}`,
        );
      }
    }
    const every = this.o.rootCheckMs ?? 2000;
    this.rootTimer = setInterval(() => void this.checkRoot(), every);
    this.rootTimer.unref();
  }

  /** issue 10 (--dry-run): was `rel` a directory when its delete op was taken in? Needs dryRun. */
  wasDirectory(rel: BytePath): boolean {
    return this.dirMemory?.wasDirectory(rel) ?? false;
  }

  get realRoot(): string {
    return this.realRootText;
  }

  /** Mark a path on every remote (used by full syncs' gap repair, the journal, replay). */
  markAll(rel: BytePath, kind: PushOp['kind'], now = Date.now()): void {
    if (this.o.noPush) return;
    this.senders.forEach((s, i) => {
      s.mark(rel, kind, now);
      this.owe({ rel, kind }, i);
    });
  }

  status(now = Date.now()): EngineStatus {
    return {
      root: display(this.o.root),
      watching: this.watcher !== null && !this.rootLost,
      watches: TreeWatcher.watchesInUse(),
      patches: this.watcher?.patchCount ?? 0,
      events: this.watcher?.stats.events ?? 0,
      batches: this.watcher?.stats.batches ?? 0,
      remotes: this.senders.map((s) => s.snapshotStatus(now)),
    };
  }

  /** Everything still pending per remote (for the journal / shutdown). */
  pending(): Array<{ remoteIndex: number; ops: PushOp[] }> {
    return this.senders.map((s, i) => ({
      remoteIndex: i,
      ops: s.queue.snapshot().map((p) => ({ rel: p.rel, kind: p.kind })),
    }));
  }

  /**
   * Blind-spot check: a directory without a watch produces no events at all.
   * Compare the watches this process holds with the directories on disk that
   * should be watched; when some are missing, rebuild the watches (a fresh
   * full crawl) and ask for a reconciliation of what was missed meanwhile.
   */
  async checkWatchCoverage(): Promise<{ dirs: number; watches: number; rebuilt: boolean }> {
    const { dirCount } = await walkWatchableDirs(this.o.root, this.filter, this.o.config.xfs);
    this.lastDirCount = dirCount;
    // The count covers every inotify watch of the process: drop the hot
    // directories' own watches first, so they cannot hide a missing one.
    this.hotDirs?.clear();
    const watches = TreeWatcher.watchesInUse();
    if (watches < 0 || watches >= dirCount || this.stopping || this.rootLost) {
      return { dirs: dirCount, watches, rebuilt: false };
    }
    // A rebuild that hit the watch limit leaks the watches it added (§2.9):
    // do not try again until the limit has been raised.
    if (this.rebuildBlockedAt !== null && watchLimit() === this.rebuildBlockedAt) {
      this.o.log.warn(`${dirCount - watches} of ${dirCount} directories have no watch (the watch limit); the audit's full sync covers them`);
      return { dirs: dirCount, watches, rebuilt: false };
    }
    this.o.log.warn(
      `${dirCount - watches} of ${dirCount} directories have no watch (watch limit, or a race in the watcher); rebuilding the watches`,
    );
    const rebuilt = await this.recoverWatch(`${dirCount - watches} unwatched directories`);
    return { dirs: dirCount, watches, rebuilt };
  }

  /** A fresh full watch of the tree (after an overflow or a lost root). */
  async rebuildWatches(): Promise<void> {
    await this.watcher?.rebuild();
  }

  /**
   * Stop: no more events; in-flight rsyncs may finish within `graceMs`.
   * Returns what is still pending per remote.
   */
  async stop(graceMs = 10_000): Promise<Array<{ remoteIndex: number; ops: PushOp[] }>> {
    // issue 5: changes made just before the signal are still in the kernel queue or
    // @parcel/watcher's debounce (≤ 50 ms after the last event): take them until
    // the hints have been quiet for a moment, at most 3 s, so they are recorded.
    const drainStart = Date.now();
    const QUIET_MS = 200;
    let drained = true;
    while (this.watcher) {
      const since = Date.now() - Math.max(this.lastHintAt, drainStart);
      if (since >= QUIET_MS) break;
      if (Date.now() - drainStart >= 3000) {
        drained = false; // still streaming: what is left in the kernel queue is lost
        break;
      }
      await new Promise((r) => setTimeout(r, QUIET_MS - since));
    }
    this.stopping = true;
    this.hotDirs?.stop();
    // The sweep a stream still owes would never run: do what can be done now
    // (its directories become pending dir pushes, recorded like any change);
    // a sweep of the root, or one that needs the filter, stays owed on disk
    // and the next start reconciles.
    const owed = this.sweep.takeOwed();
    if (this.rootTimer) clearInterval(this.rootTimer);
    await this.watcher?.stop();
    await this.intakeChain.catch(() => {});
    await this.sweepRun;
    if (owed) {
      const now = Date.now();
      const full = owed.dirs.includes('') || this.filter.active || this.rootLost;
      if (!this.filter.active && !this.rootLost) await this.markDirs(owed.dirs, now); // (skips the root)
      this.sweepDebt.pay('stream');
      if (full) this.sweepDebt.owe('reconcile', now);
    }
    if (!drained) {
      this.o.log.warn('stopped while events were still arriving: the next start reconciles');
      this.sweepDebt.owe('reconcile', Date.now());
    }
    this.senders.forEach((s) => s.stop());
    await Promise.race([
      Promise.all(this.senders.map((s) => s.whenIdle())),
      new Promise((r) => setTimeout(r, graceMs).unref()),
    ]);
    return this.pending();
  }

  private onHints(hints: Hint[], batchSize: number): void {
    this.lastHintAt = Date.now();
    if (this.stopping) {
      // Still on their way when the stop began: taken in (and so recorded), not swept.
      if (this.watcher) this.queueIntake(hints);
      return;
    }
    if (this.o.log.isDebug()) {
      for (const h of hints) this.o.log.debug(`event ${h.kind} ${JSON.stringify(display(h.rel))}`);
    }
    this.o.hooks?.onHints?.(hints);
    if (!this.o.noPush && !this.o.dryRun) this.sweep.note(hints.map((h) => h.rel)); // issue 10: no repairs in a dry run
    if (hints.some((h) => h.rel === '')) void this.checkRoot();
    if (batchSize >= this.overflowSuspectBatch) {
      this.o.log.warn(`a batch of ${batchSize} events: the kernel event queue may have overflowed; scheduling a reconciliation`);
      this.o.hooks?.onReconcileNeeded?.(`event storm (${batchSize} events in one batch)`);
    }
    this.noteRate(batchSize);
    this.queueIntake(hints);
  }

  /** Batches are classified one after another so that their order is kept. */
  private queueIntake(hints: Hint[]): void {
    this.intakeChain = this.intakeChain
      .then(() => this.intake(hints))
      .catch((e) => this.o.log.error(`event intake failed: ${(e as Error).message}`));
  }

  /**
   * After a stream of events: push the directories that were active in it
   * again, so a file whose event the watcher dropped at a batch boundary still
   * arrives (rsync's quick check skips what is already there). The root itself
   * is covered by one reconciliation instead of a push of everything below it.
   */
  private async sweepDirs(dirs: BytePath[]): Promise<void> {
    if (this.stopping) return;
    const now = Date.now();
    // A recursive push knows nothing of the main filter's regexes: it would
    // send excluded files. With a filter, one reconciliation (its list mode
    // applies the filter) does the sweep instead. (A lost root asks for one
    // when it is back.)
    if (dirs.includes('') || this.filter.active || this.rootLost) {
      this.sweepDebt.owe('reconcile', now);
      if (!this.rootLost) this.o.hooks?.onReconcileNeeded?.('events may have been dropped in a stream (watcher flush race)');
    } else {
      await this.markDirs(dirs, now);
    }
    // Paid, unless a new stream began meanwhile (its own sweep pays then).
    if (!this.sweep.streaming) this.sweepDebt.pay('stream');
  }

  /** Push these directories again (recursive), on every remote; skips what is gone or excluded. */
  private async markDirs(dirs: BytePath[], now: number): Promise<void> {
    for (const dir of dirs) {
      if (dir === '' || this.filter.excludesRuntime(dir) || this.filter.insideStartupExcludedDir(dir)) continue;
      const st = await lstatOrNull(joinPath(this.o.root, dir));
      if (!st?.isDirectory()) continue;
      this.senders.forEach((s) => s.mark(dir, 'dir', now));
    }
  }

  private noteRate(events: number): void {
    const now = Date.now();
    const w = this.rateWindow;
    if (now - w.start > 10_000) {
      w.start = now;
      w.events = 0;
      w.flagged = false;
    }
    w.events += events;
    if (!w.flagged && w.events >= STORM_EVENTS_PER_10S) {
      w.flagged = true;
      this.o.log.warn(`${w.events} events within 10 s: some may have been lost; scheduling a reconciliation`);
      this.o.hooks?.onReconcileNeeded?.(`event storm (${w.events} events in 10 s)`);
    }
  }

  private async intake(hints: Hint[]): Promise<void> {
    if (this.o.noPush) return;
    const now = Date.now();
    const ops = await this.intakeStage.classify(hints, now);
    for (const op of ops) {
      await this.dirMemory?.note(op.rel, op.kind); // issue 10: --dry-run only
      if (op.kind === 'dir') await this.watchNewSubtree(op.rel);
    }
    // The whole batch is marked in one go, once its new directories are
    // watched: an await between two marks let the senders dispatch what was
    // marked so far, so a burst of 50 new directories went out as ~50 rsync
    // calls of one directory each instead of a few batched ones.
    for (const op of ops) {
      this.senders.forEach((s, i) => {
        s.mark(op.rel, op.kind, now, op.readyAt);
        this.owe({ rel: op.rel, kind: op.kind }, i);
      });
    }
    // A few file changes: their directories get a watch without @parcel/watcher's
    // debounce (a burst is better served by its batches).
    if (this.hotDirs && ops.length <= HOT_BATCH_MAX) {
      for (const op of ops) if (op.kind === 'file') this.hotDirs.touch(parentOf(op.rel), now);
    }
  }

  /** Hints from a hot directory: straight to intake (no storm or sweep accounting: @parcel/watcher reports the same). */
  private onFastHints(hints: Hint[]): void {
    if (this.stopping || this.rootLost) return;
    if (this.o.log.isDebug()) {
      for (const h of hints) this.o.log.debug(`event ${h.kind} ${JSON.stringify(display(h.rel))}`);
    }
    this.queueIntake(hints);
  }

  /**
   * A directory that appeared (mkdir -p, cp -r, mv in, rename) may hold
   * subdirectories that @parcel/watcher never watches. Watch the subtree before
   * the recursive push is queued: what is written before the watch exists is
   * in the push, what is written after is reported.
   */
  private async watchNewSubtree(rel: BytePath): Promise<void> {
    if (!this.watcher) return;
    if (!(await hasSubdirectories(joinPath(this.o.root, rel)))) return;
    try {
      await this.watcher.patch(rel);
    } catch (e) {
      this.o.log.warn(`could not watch new subtree ${display(rel)}: ${(e as Error).message}; scheduling a reconciliation`);
      this.o.hooks?.onReconcileNeeded?.(`unwatched subtree ${display(rel)}`);
    }
  }

  private owe(op: PushOp, remoteIndex: number): void {
    if (!this.o.hooks?.onOpComplete) return;
    let e = this.owed.get(op.rel);
    if (!e) {
      e = { op, remotes: new Set() };
      this.owed.set(op.rel, e);
    }
    e.op = op;
    e.remotes.add(remoteIndex);
  }

  private delivered(remoteIndex: number, ops: PushOp[]): void {
    if (!this.o.hooks?.onOpComplete) return;
    for (const op of ops) {
      const e = this.owed.get(op.rel);
      if (!e) continue;
      e.remotes.delete(remoteIndex);
      if (e.remotes.size === 0) {
        this.owed.delete(op.rel);
        this.o.hooks.onOpComplete(e.op);
      }
    }
  }

  private onWatchError(err: Error): void {
    this.o.log.error(`the file watcher failed: ${err.message}; rebuilding it`);
    void this.recoverWatch('watcher error');
  }

  /** True while the watch root is gone, replaced by an unmounted mount point, or being recovered. */
  get isRootLost(): boolean {
    return this.rootLost;
  }

  /** The root must stay the same directory (device + inode); §9.24. */
  private async checkRoot(): Promise<void> {
    if (this.stopping || !this.rootIdentity) return;
    let st: fs.Stats | null = null;
    try {
      st = await fsp.stat(Buffer.from(this.o.root, 'latin1'));
    } catch {
      st = null;
    }
    const same = st !== null && st.isDirectory() && st.dev === this.rootIdentity.dev && st.ino === this.rootIdentity.ino;
    if (same) {
      if (this.rootLost) await this.recoverWatch('the watch root is back');
      return;
    }
    // A mount point whose file system went away shows the (empty) directory
    // underneath, on the parent's device: never take that for the data.
    const unmounted = st !== null && this.parentDevOfMount !== null && st.dev === this.parentDevOfMount;
    if (!this.rootLost) {
      this.rootLost = true;
      this.hotDirs?.clear();
      this.senders.forEach((s) => s.pause());
      this.o.log.error(
        st === null
          ? `the watch root ${display(this.o.root)} is gone (deleted, renamed or unmounted); pushing is paused until it is back`
          : unmounted
            ? `the file system of the watch root ${display(this.o.root)} is unmounted; pushing is paused until it is mounted again`
            : `the watch root ${display(this.o.root)} was replaced by another directory; resuming on the new one (a reconciliation follows, with the delete guardrail)`,
      );
    }
    if (st !== null && st.isDirectory() && !unmounted) {
      this.rootIdentity = { dev: st.dev, ino: st.ino };
      await this.recoverWatch('the watch root was recreated');
    }
  }

  /** Rebuild the watches; false when that failed (the old subscriptions stay). */
  private async recoverWatch(reason: string): Promise<boolean> {
    if (this.stopping || !this.watcher) return false;
    this.hotDirs?.clear();
    try {
      await this.watcher.rebuild();
      if (this.rootLost) this.o.log.warn(`watching ${display(this.o.root)} again (${reason})`);
      this.rootLost = false;
      this.senders.forEach((s) => s.resume());
      this.o.hooks?.onReconcileNeeded?.(reason);
      this.rebuildBlockedAt = null;
      return true;
    } catch (e) {
      const msg = (e as Error).message;
      if (/No space left on device/.test(msg)) {
        this.rebuildBlockedAt = watchLimit();
        this.o.log.error(`cannot rebuild the watches: ${watchLimitMessage(display(this.o.root), this.lastDirCount)}`);
      } else {
        this.o.log.warn(`rebuilding the watches failed (${reason}): ${msg}`);
      }
      return false;
    }
  }

}

export class EngineStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineStartError';
  }
}

function rsyncTimeoutMs(config: Config): number | undefined {
  // rsync's own --timeout covers I/O stalls; this bounds a hung process.
  if (config.rsync.timeout.enabled) {
    const t = Number.parseInt(config.rsync.timeout.time, 10);
    if (t > 0) return (t + 30) * 1000;
  }
  return undefined;
}

