// Replaying the fail log: inside the daemon (every timeToExecute minutes, and
// as soon as a remote that was down answers again) and from cron
// (`sersync2 --replay-faillog -o confxml.xml`). Both take `<path>.replay.lock`
// for the whole replay, so they never replay at once.
//
// Nothing from the file is executed. For each entry that entries.ts accepts
// (our command shape, a configured remote, a clean path under W), the *path*
// is pushed again with our own builders, batched per remote; what the path is
// now (lstat) decides the kind: gone → delete, directory → recursive push,
// anything else → file. Entries that succeed are removed; entries that fail
// again stay, with the new `#errno`; entries we do not accept stay untouched
// and are reported once. The file is rewritten atomically under the lock.
import type { Config, Remote } from '../config/types.js';
import { effectiveWatchRoot } from '../config/load.js';
import { lstatOrNull, stateOf } from '../engine/intake.js';
import type { Logger } from '../log/logger.js';
import { buildPush, type PushOp, type RsyncInvocation } from '../rsync/argv.js';
import { runRsync, type RsyncResult } from '../rsync/run.js';
import { describeRsyncError } from '../rsync/exitcodes.js';
import { type BytePath, display, joinPath } from '../util/bytepath.js';
import { FailLog, type LoadedEntry } from './failLog.js';
import { isParsed, waitStatus } from './format.js';
import { acquire, LockTimeoutError, type LockOwner, unlock } from './lockFile.js';
import { rootHasEntries } from './vanished.js';

/** Runs one push; `signal` aborts it (shutdown). */
export type ReplayExecutor = (inv: RsyncInvocation, remote: Remote, signal?: AbortSignal) => Promise<RsyncResult>;

export interface ReplayOptions {
  failLog: FailLog;
  log: Logger;
  execute: ReplayExecutor;
  /** Replay only this remote's entries (a remote came back). */
  onlyRemote?: number;
  /** In the daemon: paths its queue will push anyway (their entries go on delivery). */
  skip?: (remoteIndex: number, rel: BytePath) => boolean;
  signal?: AbortSignal;
  /** How long to wait for a replay by another process (0: give up at once). */
  waitMs: number;
}

export interface ReplaySummary {
  /** Entries in the file when the replay read it. */
  entries: number;
  /** Entries whose path was pushed again. */
  replayed: number;
  /** Entries removed because their push now succeeded. */
  removed: number;
  /** Entries left in the file afterwards (failed again, not ours, skipped, or added meanwhile). */
  kept: number;
  /** Entries not replayed because sersync-ts does not accept them (see entries.ts). */
  refused: number;
  /** Another replay held the lock for longer than waitMs: nothing was done. */
  busy: LockOwner | null | false;
  /** Why the whole file was refused (not ours, writable by others), or null. */
  unsafe: string | null;
}

interface Candidate {
  key: string;
  rel: BytePath;
  form: 'sync' | 'delete';
  /** The command text as read (the entry is changed only if it is still this one). */
  line: BytePath;
}

/** Replay once (see the top of this file). Never throws for rsync failures. */
export async function replayFailLog(o: ReplayOptions): Promise<ReplaySummary> {
  const fl = o.failLog;
  const summary: ReplaySummary = { entries: 0, replayed: 0, removed: 0, kept: 0, refused: 0, busy: false, unsafe: null };
  const lock = fl.replayLockFile;
  try {
    await acquire(lock, {
      timeoutMs: o.waitMs,
      pollMs: 100,
      onWait: (owner) => {
        if (o.waitMs > 0) o.log.info(`another fail-log replay is running (${owner ? `pid ${owner.pid}` : 'starting'}); waiting for it`);
      },
    });
  } catch (e) {
    if (!(e instanceof LockTimeoutError)) throw e;
    summary.busy = e.owner;
    return summary;
  }
  try {
    const snap = await fl.snapshot();
    summary.entries = snap.entries.length;
    if (snap.unsafe) {
      summary.unsafe = snap.unsafe;
      summary.kept = snap.entries.length;
      fl.tellOnce(`unsafe:${snap.unsafe}`, () =>
        o.log.error(`not replaying the fail log ${display(fl.path)}: ${snap.unsafe}. Fix its owner/mode (chown, chmod 600) after checking its content`),
      );
      return summary;
    }
    const perRemote = collect(snap.entries, o, summary);
    const succeeded = new Map<string, BytePath>();
    const failed = new Map<string, { line: BytePath; status: number }>();
    for (const [remoteIndex, cands] of perRemote) {
      if (o.signal?.aborted) break;
      await replayRemote(remoteIndex, cands, o, succeeded, failed);
    }
    summary.replayed = succeeded.size + failed.size;
    summary.removed = await fl.applyReplay(succeeded, failed);
    summary.kept = fl.knownEntries;
    return summary;
  } finally {
    unlock(lock);
  }
}

function collect(entries: LoadedEntry[], o: ReplayOptions, summary: ReplaySummary): Map<number, Candidate[]> {
  const out = new Map<number, Candidate[]>();
  const seen = new Set<string>();
  // Entries we do not run are reported once per process, in one line per replay.
  const fresh = new Map<string, number>();
  let example = '';
  for (const { entry, verdict } of entries) {
    if (!verdict.ok) {
      summary.refused++;
      const text = isParsed(entry) ? entry.line : entry.unparsable;
      o.failLog.tellOnce(`refused:${text}`, () => {
        fresh.set(verdict.reason, (fresh.get(verdict.reason) ?? 0) + 1);
        if (!example) example = clip(display(text));
      });
      continue;
    }
    if (o.onlyRemote !== undefined && verdict.remoteIndex !== o.onlyRemote) continue;
    if (seen.has(verdict.key)) continue;
    seen.add(verdict.key);
    if (o.skip?.(verdict.remoteIndex, verdict.rel)) continue;
    let list = out.get(verdict.remoteIndex);
    if (!list) out.set(verdict.remoteIndex, (list = []));
    list.push({ key: verdict.key, rel: verdict.rel, form: verdict.form, line: isParsed(entry) ? entry.line : '' });
  }
  if (fresh.size) {
    const n = [...fresh.values()].reduce((a, b) => a + b, 0);
    const why = [...fresh].map(([reason, c]) => `${reason} (${c})`).join('; ');
    o.log.warn(`${n} fail-log entr${n === 1 ? 'y' : 'ies'} kept and not run: ${why}; e.g. ${example}. Check them; sersync-ts will not run them`);
  }
  return out;
}

async function replayRemote(
  remoteIndex: number,
  cands: Candidate[],
  o: ReplayOptions,
  succeeded: Map<string, BytePath>,
  failed: Map<string, { line: BytePath; status: number }>,
): Promise<void> {
  const { config, root } = o.failLog.ctx;
  const remote = config.remotes[remoteIndex]!;
  const byRel = new Map(cands.map((c) => [c.rel, c]));
  // What each path is now decides the push (bounded parallel lstat).
  const ops: PushOp[] = [];
  const deferred = new Set<BytePath>();
  let rootOk: boolean | undefined;
  const CHUNK = 256;
  for (let i = 0; i < cands.length; i += CHUNK) {
    const chunk = cands.slice(i, i + CHUNK);
    const stats = await Promise.all(chunk.map((c) => lstatOrNull(joinPath(root, c.rel))));
    for (const [j, c] of chunk.entries()) {
      const state = stateOf(stats[j] ?? null);
      // A path that failed to *sync* and is gone now is deleted remotely — unless W
      // is empty (its file system not mounted yet?): then it waits (vanished.ts).
      if (state === 'missing' && c.form === 'sync' && !(rootOk ??= await rootHasEntries(root))) {
        deferred.add(c.rel);
        continue;
      }
      ops.push({ rel: c.rel, kind: state === 'missing' ? 'delete' : state === 'dir' ? 'dir' : 'file' });
    }
  }
  if (deferred.size) {
    o.log.warn(
      `fail-log replay: ${display(root)} is empty (not mounted yet?): ${deferred.size} path(s) for ${remote.ip} that look gone ` +
        'are not deleted remotely now; they stay in the fail log',
    );
  }
  const invs = buildPush(config, remote, ops, root);
  const handled = new Set<BytePath>(deferred);
  let down: number | null = null;
  for (const inv of invs) {
    const rels = [...inv.paths, ...(inv.covered ?? [])].map((p) => p.rel);
    rels.forEach((r) => handled.add(r));
    if (down === null) {
      if (o.signal?.aborted) return;
      let result: RsyncResult;
      try {
        result = await o.execute(inv, remote, o.signal);
      } catch (e) {
        result = { exitCode: null, signal: null, stderr: (e as Error).message, durationMs: 0, classification: 'transient' };
      }
      if (result.canceled || o.signal?.aborted) return;
      if (result.classification === 'ok' || result.classification === 'vanished') {
        for (const r of rels) succeeded.set(byRel.get(r)!.key, byRel.get(r)!.line);
        continue;
      }
      down = waitStatus(result.exitCode, result.signal);
      o.log.warn(`fail-log replay to ${remote.ip}: rsync failed (${describeRsyncError(result.stderr) || `#errno ${down}`}); the entries stay`);
    }
    // The remote failed: do not hammer it with the rest; they stay with the same status.
    for (const r of rels) failed.set(byRel.get(r)!.key, { line: byRel.get(r)!.line, status: down });
  }
  // Ops the builder dropped (a delete with <delete start="false">) need nothing more.
  for (const c of cands) if (!handled.has(c.rel) && !o.signal?.aborted) succeeded.set(c.key, c.line);
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

/** rsync's own --timeout bounds stalls; this bounds a hung process (as the engine does). */
function rsyncTimeoutMs(config: Config): number | undefined {
  if (config.rsync.timeout.enabled) {
    const t = Number.parseInt(config.rsync.timeout.time, 10);
    if (t > 0) return (t + 30) * 1000;
  }
  return undefined;
}

export function defaultExecutor(config: Config): ReplayExecutor {
  const timeoutMs = rsyncTimeoutMs(config);
  return (inv, _remote, signal) => runRsync(inv, { ...(timeoutMs ? { timeoutMs } : {}), ...(signal ? { signal } : {}) });
}

export function formatSummary(s: ReplaySummary): string {
  return `replayed ${s.replayed}, removed ${s.removed}, kept ${s.kept}`;
}

/**
 * `sersync2 --replay-faillog -o confxml.xml` (cron): replay once, print a
 * one-line summary. Exit 0 when nothing is left (all entries succeeded, or
 * the file is empty or missing), 1 when entries remain.
 */
export async function replayFailLogOnce(
  config: Config,
  log: Logger,
  out: (s: string) => void = (s) => void process.stdout.write(s),
  opts: { waitMs?: number; execute?: ReplayExecutor } = {},
): Promise<number> {
  const root = effectiveWatchRoot(config, {});
  const failLog = new FailLog({ config, root, log });
  await failLog.checkAtStartup();
  const s = await replayFailLog({
    failLog,
    log,
    execute: opts.execute ?? defaultExecutor(config),
    waitMs: opts.waitMs ?? 60_000,
  });
  failLog.close();
  const name = display(config.failLog.path);
  if (s.busy !== false) {
    out(`${name}: another replay (${s.busy ? `pid ${s.busy.pid}` : 'unknown process'}) is still running; nothing done\n`);
    return 1;
  }
  if (s.unsafe) {
    out(`${name}: not replayed: ${s.unsafe}\n`);
    return 1;
  }
  out(`${name}: ${formatSummary(s)}${s.refused ? ` (${s.refused} not replayable, see the log)` : ''}\n`);
  return s.kept === 0 ? 0 : 1;
}

/**
 * The daemon's replay schedule: every `intervalMs`, once shortly after the
 * start (what a previous run left), and soon after a remote comes back.
 * Replays never overlap; a request during a replay runs one more afterwards.
 */
export class FailLogReplayer {
  private timer: NodeJS.Timeout | null = null;
  private soonTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** What the next run covers: undefined = nothing asked, 'all', or a set of remotes. */
  private asked: 'all' | Set<number> | undefined;
  private abort = new AbortController();
  private stopped = false;

  constructor(
    private readonly o: {
      failLog: FailLog;
      log: Logger;
      execute: ReplayExecutor;
      intervalMs: number;
      skip?: (remoteIndex: number, rel: BytePath) => boolean;
      /** True while replays must wait (the watch root is gone: every path would look deleted). */
      paused?: () => boolean;
      /** First replay after the start (default 1 s). */
      initialDelayMs?: number;
      /** A remote's recovery is acted on after this long, so a burst of recoveries makes one replay (default 300 ms). */
      soonDelayMs?: number;
    },
  ) {}

  start(): void {
    this.schedule('all', this.o.initialDelayMs ?? 1000);
    this.timer = setInterval(() => this.request('all'), Math.max(1000, this.o.intervalMs));
    this.timer.unref();
  }

  /** A remote came back: replay its entries soon. */
  soon(remoteIndex: number): void {
    this.schedule(new Set([remoteIndex]), this.o.soonDelayMs ?? 300);
  }

  /** Stop the schedule and cancel a replay in progress (its outcome is not written). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.abort.abort();
    await this.running?.catch(() => {});
  }

  /** Resolves when no replay is running or asked for (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => {});
  }

  private schedule(what: 'all' | Set<number>, delayMs: number): void {
    this.merge(what);
    if (this.soonTimer) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      this.kick();
    }, delayMs);
    this.soonTimer.unref();
  }

  private request(what: 'all' | Set<number>): void {
    this.merge(what);
    this.kick();
  }

  private merge(what: 'all' | Set<number>): void {
    if (this.asked === 'all' || what === 'all') this.asked = 'all';
    else if (this.asked === undefined) this.asked = new Set(what);
    else for (const i of what) this.asked.add(i);
  }

  private kick(): void {
    if (this.running || this.stopped || this.asked === undefined) return;
    const what = this.asked;
    this.asked = undefined;
    this.running = this.runOnce(what).finally(() => {
      this.running = null;
      this.kick();
    });
  }

  private async runOnce(what: 'all' | Set<number>): Promise<void> {
    if (this.o.paused?.()) {
      this.o.log.debug('fail-log replay postponed: the watch root is not available');
      return;
    }
    const remotes = what === 'all' ? [undefined] : [...what];
    for (const onlyRemote of remotes) {
      if (this.stopped) return;
      try {
        const s = await replayFailLog({
          failLog: this.o.failLog,
          log: this.o.log,
          execute: this.o.execute,
          ...(onlyRemote !== undefined ? { onlyRemote } : {}),
          ...(this.o.skip ? { skip: this.o.skip } : {}),
          signal: this.abort.signal,
          waitMs: 0,
        });
        if (s.busy !== false) {
          this.o.log.info(`fail-log replay skipped: another replay (${s.busy ? `pid ${s.busy.pid}` : 'starting'}) is running`);
        } else if (s.replayed > 0) {
          this.o.log.info(`fail-log replay of ${display(this.o.failLog.path)}: ${formatSummary(s)}`);
        } else if (s.entries > 0) {
          this.o.log.debug(`fail-log replay: nothing to do (${s.entries} entries: queued for delivery anyway, or not replayable)`);
        }
      } catch (e) {
        this.o.log.error(`fail-log replay failed: ${(e as Error).message}`);
      }
    }
  }
}
