// The full-sync service: one full sync at a time, the crontab schedule,
// progress and summary output, and per-remote counters for status/metrics.
//
// - run(reason, opts): start a full sync now; while one is running, requests
//   are folded into ONE follow-up run (it starts when the current one ends, so
//   whatever the requester saw is covered by a run that started after it).
//   With several requests folded, every delete guard must agree.
// - crontab: first run `schedule` minutes after start, then every `schedule`
//   minutes (scheduler.ts). A failed run is logged and counted, never
//   written to the fail log, and simply happens again at the next period.
// - output: on a terminal (and when asked, i.e. for `-r`) a live progress line
//   per remote, redrawn in place; at the end of `-r` one summary line per
//   remote on stdout. Every run ends with the same lines in the log.
import type { Config } from '../config/types.js';
import { PathFilter } from '../filter/pathFilter.js';
import type { Logger } from '../log/logger.js';
import { remoteLabel } from '../engine/remoteSender.js';
import type { BytePath } from '../util/bytepath.js';
import type { Markable } from './gapRepair.js';
import type { FullSyncFilter } from './plan.js';
import { formatSummary, type Progress, renderProgressLine } from './progress.js';
import { type DeleteGuardInput, type FullSyncResult, type RemoteFullSyncResult, runFullSync } from './fullSync.js';
import { createScheduler, crontabMinuteMs, type Scheduler, type TimerApi } from './scheduler.js';

export interface RemoteFullSyncCounters {
  remote: string;
  runs: number;
  failures: number;
  /** Failed runs in a row (0 after a success). */
  consecutiveFailures: number;
  /** epoch ms of the last run's start, or null. */
  lastRunAt: number | null;
  lastDurationMs: number | null;
  lastOk: boolean | null;
  lastError: string | null;
  lastReason: string | null;
  lastFiles: number | null;
  lastBytes: number | null;
  lastDeleted: number | null;
}

export interface FullSyncStatus {
  running: boolean;
  /** The reason of the run in progress, if any. */
  current: string | null;
  /** A follow-up run is waiting for the current one. */
  queued: boolean;
  crontab: { enabled: boolean; periodMs: number | null; nextAt: number | null };
  remotes: RemoteFullSyncCounters[];
}

export interface RunRequest {
  /** Live progress (only shown on a terminal). */
  progress?: boolean;
  /** Veto deletions (list mode); see FullSyncRunOptions.allowDelete. */
  allowDelete?: (plan: DeleteGuardInput) => boolean;
  /** Print the summary lines on stdout (not only in the log). */
  printSummary?: boolean;
}

export interface FullSyncControllerOptions {
  config: Config;
  root: BytePath;
  log: Logger;
  /** The engine's senders (gap repair); absent in tests of the controller alone. */
  engine?: { readonly senders: readonly Markable[]; readonly filter?: FullSyncFilter } | null;
  /** Main filter; default: the engine's, else one built from the config. */
  filter?: FullSyncFilter;
  /** stdout. */
  out?: (s: string) => void;
  /** stdout is a terminal. */
  tty?: boolean;
  /** A remote's full sync ended (metrics: duration histogram). */
  onDone?: (remote: string, durationMs: number, ok: boolean) => void;
  /** A run ended, all remotes done (ok or not). */
  onRunDone?: (result: FullSyncResult) => void;
  timers?: Partial<TimerApi>;
  /** Length of a crontab minute (default crontabMinuteMs()). */
  minuteMs?: number;
  rsyncPath?: string;
}

interface Pending {
  reasons: string[];
  guards: Array<(p: DeleteGuardInput) => boolean>;
  progress: boolean;
  printSummary: boolean;
  promise: Promise<FullSyncResult>;
  resolve: (r: FullSyncResult) => void;
}

/** Redraws one line per remote in place (ANSI cursor movement), at most 10 times a second. */
class ProgressBlock {
  private lines: string[];
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: (s: string) => void,
    count: number,
  ) {
    this.lines = new Array<string>(count).fill('');
  }

  set(i: number, line: string): void {
    this.lines[i] = line;
    if (this.drawn === 0) this.draw(); // show the block at once, then at most every 100 ms
    else if (!this.timer) this.timer = setTimeout(() => this.draw(), 100);
  }

  draw(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const cols = process.stdout.columns || 120;
    let s = this.drawn ? `\x1b[${this.drawn}F` : '';
    for (const l of this.lines) s += `\x1b[2K${l.length > cols - 1 ? l.slice(0, cols - 1) : l}\n`;
    this.drawn = this.lines.length;
    this.out(s);
  }

  /** Erase the block (the summary lines take its place). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.drawn) this.out(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }
}

export class FullSyncController {
  private readonly counters: RemoteFullSyncCounters[];
  private readonly filter: FullSyncFilter;
  private current: { reason: string; promise: Promise<FullSyncResult> } | null = null;
  private pending: Pending | null = null;
  private scheduler: Scheduler | null = null;
  private periodMs: number | null = null;
  private readonly abort = new AbortController();
  private readonly kills = new Set<() => void>();
  private readonly onExit = (): void => {
    for (const k of this.kills) k();
  };
  private stopped = false;

  constructor(private readonly o: FullSyncControllerOptions) {
    const { config } = o;
    this.filter = o.filter ?? o.engine?.filter ?? new PathFilter(config.filter.enabled ? config.filter.excludes : []);
    this.counters = config.remotes.map((r) => ({
      remote: remoteLabel(config, r),
      runs: 0,
      failures: 0,
      consecutiveFailures: 0,
      lastRunAt: null,
      lastDurationMs: null,
      lastOk: null,
      lastError: null,
      lastReason: null,
      lastFiles: null,
      lastBytes: null,
      lastDeleted: null,
    }));
    // rsync children must not outlive us (a SIGTERM'd service exits at once).
    process.on('exit', this.onExit);
  }

  /** Start a full sync now, or fold into the follow-up of the one running. */
  run(reason: string, req: RunRequest = {}): Promise<FullSyncResult> {
    if (this.stopped) return Promise.reject(new Error('full sync: stopped'));
    if (!this.current) {
      return this.launch([reason], req.allowDelete ? [req.allowDelete] : [], req.progress ?? false, req.printSummary ?? false);
    }
    if (!this.pending) {
      let resolve!: (r: FullSyncResult) => void;
      const promise = new Promise<FullSyncResult>((r) => (resolve = r));
      this.pending = { reasons: [], guards: [], progress: false, printSummary: false, promise, resolve };
    }
    const p = this.pending;
    if (!p.reasons.includes(reason)) p.reasons.push(reason);
    if (req.allowDelete) p.guards.push(req.allowDelete);
    p.progress ||= req.progress ?? false;
    p.printSummary ||= req.printSummary ?? false;
    return p.promise;
  }

  /** Start the crontab schedule (if `<crontab start="true">`). Returns whether it runs. */
  startCrontab(): boolean {
    const c = this.o.config.crontab;
    if (!c.enabled || this.scheduler || this.stopped) return false;
    this.periodMs = c.scheduleMinutes * (this.o.minuteMs ?? crontabMinuteMs());
    this.scheduler = createScheduler({
      periodMs: this.periodMs,
      ...this.o.timers,
      run: async () => {
        await this.run('crontab');
      },
      onSkipped: (n) => this.o.log.warn(`crontab: the full sync took longer than the period; ${n} run(s) skipped`),
    });
    this.scheduler.start();
    return true;
  }

  get nextCrontabAt(): number | null {
    return this.scheduler?.nextAt ?? null;
  }

  status(): FullSyncStatus {
    return {
      running: this.current !== null,
      current: this.current?.reason ?? null,
      queued: this.pending !== null,
      crontab: { enabled: this.scheduler !== null, periodMs: this.periodMs, nextAt: this.scheduler?.nextAt ?? null },
      remotes: this.counters.map((c) => ({ ...c })),
    };
  }

  /** Stop the schedule and kill running rsyncs. */
  stop(): void {
    this.stopped = true;
    this.scheduler?.stop();
    this.abort.abort();
    this.onExit();
    process.removeListener('exit', this.onExit);
  }

  /** Resolves when no full sync is running or queued. */
  async idle(): Promise<void> {
    while (this.current) await this.current.promise.catch(() => undefined);
  }

  private launch(reasons: string[], guards: Array<(p: DeleteGuardInput) => boolean>, progress: boolean, printSummary: boolean): Promise<FullSyncResult> {
    const reason = reasons.join(', ');
    const promise = this.execute(reason, guards, progress, printSummary).finally(() => {
      this.current = null;
      const next = this.pending;
      this.pending = null;
      if (next && !this.stopped) {
        void this.launch(next.reasons, next.guards, next.progress, next.printSummary).then(next.resolve);
      }
    });
    this.current = { reason, promise };
    return promise;
  }

  private async execute(reason: string, guards: Array<(p: DeleteGuardInput) => boolean>, progress: boolean, printSummary: boolean): Promise<FullSyncResult> {
    const { config, log } = this.o;
    const out = this.o.out ?? ((s: string) => void process.stdout.write(s));
    const showProgress = progress && (this.o.tty ?? false);
    const block = showProgress ? new ProgressBlock(out, config.remotes.length) : null;
    const labels = this.counters.map((c) => c.remote);
    const filterOn = this.filter.active;
    log.info(
      `full sync (${reason}) to ${labels.join(', ')} started${filterOn ? ' (main filter on: sersync-ts builds the file list)' : ''}`,
    );
    const result = await runFullSync(
      { config, root: this.o.root, log, senders: this.o.engine?.senders },
      {
        reason,
        filter: this.filter,
        ...(guards.length ? { allowDelete: (p: DeleteGuardInput) => guards.every((g) => g(p)) } : {}),
        progress: showProgress,
        onProgress: block ? (i: number, p: Progress | null, phase: string) => block.set(i, renderProgressLine(labels[i]!, p, phase)) : undefined,
        signal: this.abort.signal,
        rsyncPath: this.o.rsyncPath,
        track: (kill) => {
          this.kills.add(kill);
          return () => this.kills.delete(kill);
        },
      },
    );
    block?.clear();
    for (const r of result.remotes) this.record(r, reason, printSummary, out);
    this.o.onRunDone?.(result);
    return result;
  }

  private record(r: RemoteFullSyncResult, reason: string, printSummary: boolean, out: (s: string) => void): void {
    const c = this.counters[r.remoteIndex]!;
    c.runs++;
    c.lastRunAt = r.startedAt;
    c.lastDurationMs = r.durationMs;
    c.lastOk = r.ok;
    c.lastReason = reason;
    c.lastError = r.ok ? null : (r.error ?? 'failed');
    c.lastFiles = r.stats?.files ?? null;
    c.lastBytes = r.stats?.totalSize ?? null;
    c.lastDeleted = r.deleted;
    if (r.ok) c.consecutiveFailures = 0;
    else {
      c.failures++;
      c.consecutiveFailures++;
    }
    const line = formatSummary({
      label: r.remote,
      reason,
      ok: r.ok,
      durationMs: r.durationMs,
      stats: r.stats,
      deleted: r.deleted,
      deleteNote: r.deleteNote,
      error: r.error,
    });
    if (printSummary) out(`${line}\n`);
    if (r.ok) {
      if (r.deleteNote) this.o.log.warn(line);
      else this.o.log.info(line);
    } else {
      const again = this.scheduler ? '; it runs again at the next crontab period' : '';
      this.o.log.error(`${line}${again}`);
    }
    this.o.onDone?.(r.remote, r.durationMs, r.ok);
  }
}
