// One full sync of W to every remote (`-r`, crontab, reconciliation).
//
// Two ways, chosen per run:
// - rsync mode (no main filter): sersync2's §5.5 command as argv,
//   `rsync <P> -R [--delete] ./ [transport] target [pass] [--exclude=E…]`,
//   run in W, plus `--stats` (and progress on a terminal). rsync decides
//   everything, as in sersync2.
// - list mode (main filter active, or a delete guard asked for): rsync lists
//   W (dry run, with the crontab excludes), sersync-ts drops what the main
//   filter excludes (plan.ts), and pushes exactly that list with
//   `--files-from` (`--no-recursive`, so nothing the filter dropped is sent
//   from inside a listed directory). With delete on, rsync then lists the
//   remote the same way; remote entries that are neither in the pushed list
//   nor excluded by the filter are deleted in one batch
//   (`--delete-missing-args --force`, from an empty stand-in directory that
//   has only the parent directories, with `--no-implied-dirs` so their
//   attributes are not sent). The guard callback can veto that batch.
//
// Remotes run in parallel (sersync2 did one after another): they are
// independent, and a slow remote must not hold back the others.
//
// Changes made while a full sync runs are handled by the live pipeline; the
// paths it marked meanwhile are marked again when the full sync of that
// remote ends (gapRepair.ts), so the live state wins every race with rsync.
//
// A full sync is never recorded in the fail log (spec §5.5); its result is
// returned (and counted by the controller).
import { lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config, Remote } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { buildBatchPush, buildFullSync, filesFromList, type RsyncInvocation } from '../rsync/argv.js';
import { describeRsyncError } from '../rsync/exitcodes.js';
import { remoteLabel } from '../engine/remoteSender.js';
import { type BytePath, display, joinPath, parentOf, toBuffer } from '../util/bytepath.js';
import { crontabExcludes, localListingArgs, pushExtras, remoteListingArgs } from './args.js';
import { type Markable, type MarkRecorder, recordMarks, remark } from './gapRepair.js';
import { type Listing, parseListing } from './listing.js';
import { buildPushList, type FullSyncFilter, parentDirs, planDeletions } from './plan.js';
import { type Progress, Progress2Reader, parseStats, type TransferStats } from './progress.js';
import { type CaptureResult, runRsyncCapture } from './spawn.js';

export interface FullSyncTarget {
  config: Config;
  /** The watch root W (cwd of every rsync). */
  root: BytePath;
  log: Logger;
  /** The live senders, one per remote in config order (engine.senders): enables the gap repair. */
  senders?: readonly Markable[];
}

/** What a delete guard is asked about (one remote, list mode). */
export interface DeleteGuardInput {
  remote: string;
  remoteIndex: number;
  reason: string;
  /** Remote entries that would go (subtrees counted). */
  deleteCount: number;
  /** Remote entries listed (the filter's protected ones included). */
  remoteTotal: number;
}

export interface FullSyncRunOptions {
  /** Why (for logs and the summary): '-r', 'crontab', 'overflow'… */
  reason: string;
  /** The main filter; list mode when it is active. Default: none (rsync mode). */
  filter?: FullSyncFilter | null;
  /** rsync exclude globs. Default: the crontab filter's, when crontab and its filter are on (§5.5). */
  excludes?: readonly BytePath[];
  /**
   * Called before deleting anything in list mode; false skips the deletions
   * for that remote (the push still happens). Giving a guard forces list mode
   * (rsync's own --delete cannot be asked first).
   */
  allowDelete?: (plan: DeleteGuardInput) => boolean;
  /** Ask rsync for --info=progress2 and report it. */
  progress?: boolean;
  onProgress?: (remoteIndex: number, p: Progress | null, phase: string) => void;
  /** Only these remotes (indexes into config.remotes). Default: all. */
  remotes?: readonly number[];
  signal?: AbortSignal;
  rsyncPath?: string;
  /** Register a running rsync so that it can be killed when the process exits. */
  track?: (kill: () => void) => () => void;
}

export interface RemoteFullSyncResult {
  remote: string;
  remoteIndex: number;
  ok: boolean;
  mode: 'rsync' | 'list';
  startedAt: number;
  durationMs: number;
  /** The push's --stats (files, sizes); null if rsync gave none. */
  stats: TransferStats | null;
  /** Entries deleted on the remote. */
  deleted: number;
  /** Why deletions were not done (guard veto, incomplete listing…), if they were not. */
  deleteNote?: string;
  /** Why the full sync failed. */
  error?: string;
  exitCode: number | null;
  /** Paths marked again after the run (gap repair). */
  remarked: number;
}

export interface FullSyncResult {
  reason: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  remotes: RemoteFullSyncResult[];
}

const okClass = (r: CaptureResult): boolean => r.classification === 'ok' || r.classification === 'vanished';

function failureText(r: CaptureResult): string {
  if (r.error) return r.error;
  const line = describeRsyncError(r.stderr);
  const code = r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`;
  return line ? `rsync ${code}: ${line}` : `rsync ${code}`;
}

async function tempDir(kind: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `sersync-ts-fullsync-${kind}-`));
}

async function existsLocally(root: BytePath, rel: BytePath): Promise<boolean> {
  try {
    await lstat(toBuffer(joinPath(root, rel)));
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

export interface LocalList {
  ok: boolean;
  /** Complete listing (exit 0): safe to delete remote paths missing from it. */
  complete: boolean;
  rels: BytePath[];
  excluded: number;
  error?: string;
}

/** rsync's listing of a tree (local or remote), parsed. */
async function list(args: BytePath[], cwd: BytePath, opts: FullSyncRunOptions): Promise<{ result: CaptureResult; entries: Listing }> {
  const inv: RsyncInvocation = { args, cwd, paths: [] };
  let untrack: (() => void) | undefined;
  const result = await runRsyncCapture(inv, {
    keepStdout: true,
    signal: opts.signal,
    rsyncPath: opts.rsyncPath,
    onSpawn: (kill) => (untrack = opts.track?.(kill)),
  });
  untrack?.();
  return { result, entries: parseListing(result.stdout).entries };
}

/** List W with rsync (crontab excludes applied) and keep what the main filter keeps. */
export async function localPushList(
  config: Config,
  root: BytePath,
  filter: FullSyncFilter | null,
  excludes: readonly BytePath[],
  opts: FullSyncRunOptions,
): Promise<LocalList> {
  const empty = await tempDir('empty');
  try {
    const { result, entries } = await list(localListingArgs(config, excludes, empty), root, opts);
    if (!okClass(result)) return { ok: false, complete: false, rels: [], excluded: 0, error: `cannot list ${display(root)}: ${failureText(result)}` };
    const { rels, excluded } = buildPushList(entries, filter ?? { active: false, excludesRuntime: () => false, excludesStartupDir: () => false });
    // Exit 24 (files vanished while listing) leaves a usable list: those
    // paths are gone locally, and rsync itself still deletes after it. Exit
    // 23 (unreadable directories…) does not: deleting on the strength of a
    // partial list could remove remote files that still exist here.
    return { ok: true, complete: result.exitCode === 0 || result.exitCode === 24, rels, excluded };
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
}

/** Run one push-type rsync with stats (and progress). */
async function push(inv: RsyncInvocation, opts: FullSyncRunOptions, index: number): Promise<{ result: CaptureResult; stats: TransferStats | null }> {
  const reader = new Progress2Reader((p) => opts.onProgress?.(index, p, 'sending'));
  let untrack: (() => void) | undefined;
  const result = await runRsyncCapture(inv, {
    onStdout: (b) => reader.push(b),
    signal: opts.signal,
    rsyncPath: opts.rsyncPath,
    onSpawn: (kill) => (untrack = opts.track?.(kill)),
  });
  untrack?.();
  reader.end();
  return { result, stats: parseStats(reader.otherLines.join('\n')) };
}

interface RemoteCtx {
  target: FullSyncTarget;
  opts: FullSyncRunOptions;
  remote: Remote;
  index: number;
  label: string;
  excludes: readonly BytePath[];
}

function withExtras(inv: RsyncInvocation, extras: BytePath[]): RsyncInvocation {
  return { ...inv, args: [...inv.args, ...extras] };
}

async function rsyncMode(c: RemoteCtx): Promise<Omit<RemoteFullSyncResult, 'remarked' | 'startedAt' | 'durationMs'>> {
  const { config, root } = c.target;
  const base = buildFullSync(config, c.remote, { excludes: [...c.excludes] }, root);
  const inv = withExtras(base, pushExtras({ progress: c.opts.progress ?? false, force: false, recursive: true }));
  c.opts.onProgress?.(c.index, null, 'listing files');
  const { result, stats } = await push(inv, c.opts, c.index);
  const ok = okClass(result);
  return {
    remote: c.label,
    remoteIndex: c.index,
    ok,
    mode: 'rsync',
    stats,
    deleted: stats?.deleted ?? 0,
    exitCode: result.exitCode,
    ...(ok ? {} : { error: failureText(result) }),
  };
}

async function listMode(c: RemoteCtx, local: LocalList): Promise<Omit<RemoteFullSyncResult, 'remarked' | 'startedAt' | 'durationMs'>> {
  const { config, root, log } = c.target;
  const deleteOn = config.inotify.delete;
  const base = buildFullSync(config, c.remote, { excludes: [...c.excludes], filesFrom: filesFromList(local.rels) }, root);
  const inv = withExtras(base, pushExtras({ progress: c.opts.progress ?? false, force: deleteOn, recursive: false }));
  c.opts.onProgress?.(c.index, null, `sending ${local.rels.length} listed paths`);
  const { result, stats } = await push(inv, c.opts, c.index);
  log.debug(`full sync to ${c.label}: pushed the list in ${result.durationMs} ms`);
  const common = { remote: c.label, remoteIndex: c.index, mode: 'list' as const, stats, exitCode: result.exitCode };
  if (!okClass(result)) return { ...common, ok: false, deleted: 0, error: failureText(result) };
  if (!deleteOn) return { ...common, ok: true, deleted: 0 };
  if (!local.complete) return { ...common, ok: true, deleted: 0, deleteNote: 'deletions skipped: the local listing was incomplete (rsync exit 23: some files could not be read)' };
  if (c.remote.name === '' && !config.rsync.ssh) return { ...common, ok: true, deleted: 0, deleteNote: 'deletions skipped: empty module name' };

  // What is on the remote now (after the push), with the same excludes.
  c.opts.onProgress?.(c.index, null, 'listing the remote');
  const empty = await tempDir('empty');
  let remoteList: { result: CaptureResult; entries: Listing };
  try {
    remoteList = await list(remoteListingArgs(config, c.remote, c.excludes, empty), root, c.opts);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
  if (remoteList.result.classification !== 'ok') {
    return { ...common, ok: false, deleted: 0, error: `cannot list the remote to find stale files: ${failureText(remoteList.result)}` };
  }
  const t0 = Date.now();
  const plan = planDeletions(remoteList.entries, new Set(local.rels), c.opts.filter ?? { active: false, excludesRuntime: () => false, excludesStartupDir: () => false });
  log.debug(
    `full sync to ${c.label}: ${remoteList.entries.size} remote entries listed in ${remoteList.result.durationMs} ms, planned in ${Date.now() - t0} ms: ` +
      `${plan.deletes.length} to delete, ${plan.protectedCount} excluded by the filter and left alone`,
  );
  if (plan.deletes.length === 0) return { ...common, ok: true, deleted: 0 };
  const guard = c.opts.allowDelete;
  if (guard && !guard({ remote: c.label, remoteIndex: c.index, reason: c.opts.reason, deleteCount: plan.deleteCount, remoteTotal: plan.remoteTotal })) {
    return { ...common, ok: true, deleted: 0, deleteNote: `deletions vetoed: ${plan.deleteCount} of ${plan.remoteTotal} remote entries` };
  }
  // A path that exists locally by now was created meanwhile: the live
  // pipeline owns it.
  const gone: BytePath[] = [];
  for (const rel of plan.deletes) if (!(await existsLocally(root, rel))) gone.push(rel);
  if (gone.length === 0) return { ...common, ok: true, deleted: 0 };

  c.opts.onProgress?.(c.index, null, `deleting ${gone.length} remote-only path(s)`);
  const stage = await tempDir('stage');
  try {
    for (const d of parentDirs(gone)) await mkdir(toBuffer(joinPath(stage, d)), { recursive: true });
    const invs = buildBatchPush(config, c.remote, gone.map((rel) => ({ rel, kind: 'delete' as const })), stage).map((i) => ({
      ...i,
      args: i.args.flatMap((a) => (a === '--files-from=-' ? ['--no-implied-dirs', a] : [a])),
    }));
    for (const d of invs) {
      let untrack: (() => void) | undefined;
      const r = await runRsyncCapture(d, { signal: c.opts.signal, rsyncPath: c.opts.rsyncPath, onSpawn: (kill) => (untrack = c.opts.track?.(kill)) });
      untrack?.();
      if (!okClass(r)) return { ...common, ok: false, deleted: 0, error: `deleting remote-only paths failed: ${failureText(r)}` };
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  // Entries inside a deleted directory count as deleted too.
  const goneSet = new Set(gone);
  let deleted = 0;
  for (const rel of remoteList.entries.keys()) {
    for (let a = rel; a !== ''; a = parentOf(a)) {
      if (goneSet.has(a)) {
        deleted++;
        break;
      }
    }
  }
  return { ...common, ok: true, deleted };
}

/** Push W to every remote (or opts.remotes) once. Never throws for rsync failures. */
export async function runFullSync(target: FullSyncTarget, opts: FullSyncRunOptions): Promise<FullSyncResult> {
  const { config, root, log } = target;
  const startedAt = Date.now();
  const indexes = opts.remotes ?? config.remotes.map((_r, i) => i);
  const excludes = opts.excludes ?? crontabExcludes(config);
  const filter = opts.filter && opts.filter.active ? opts.filter : null;
  const listModeOn = filter !== null || (opts.allowDelete !== undefined && config.inotify.delete);

  // Record live marks from the very start (the local listing is part of the window).
  const recorders = new Map<number, MarkRecorder>();
  for (const i of indexes) {
    const s = target.senders?.[i];
    if (s) recorders.set(i, recordMarks(s));
  }
  const finish = (i: number): number => {
    const rec = recorders.get(i);
    const s = target.senders?.[i];
    if (!rec || !s) return 0;
    recorders.delete(i);
    const ops = rec.stop();
    remark(s, ops);
    if (ops.length) log.debug(`full sync to ${remoteLabel(config, config.remotes[i]!)}: ${ops.length} path(s) changed meanwhile, pushed again`);
    return ops.length;
  };

  let local: LocalList | null = null;
  if (listModeOn) {
    indexes.forEach((i) => opts.onProgress?.(i, null, 'listing local files'));
    try {
      local = await localPushList(config, root, filter, excludes, opts);
    } catch (e) {
      local = { ok: false, complete: false, rels: [], excluded: 0, error: `cannot list ${display(root)}: ${(e as Error).message}` };
    }
    if (local.ok) log.debug(`full sync (${opts.reason}): ${local.rels.length} local paths to push, ${local.excluded} excluded by the filter (listed in ${Date.now() - startedAt} ms)`);
  }

  const results = await Promise.all(
    indexes.map(async (index): Promise<RemoteFullSyncResult> => {
      const remote = config.remotes[index]!;
      const label = remoteLabel(config, remote);
      const t0 = Date.now();
      const c: RemoteCtx = { target, opts: { ...opts, filter }, remote, index, label, excludes };
      let r: Omit<RemoteFullSyncResult, 'remarked' | 'startedAt' | 'durationMs'>;
      try {
        if (local && !local.ok) {
          r = { remote: label, remoteIndex: index, ok: false, mode: 'list', stats: null, deleted: 0, exitCode: null, error: local.error ?? 'local listing failed' };
        } else {
          r = local ? await listMode(c, local) : await rsyncMode(c);
        }
      } catch (e) {
        r = { remote: label, remoteIndex: index, ok: false, mode: local ? 'list' : 'rsync', stats: null, deleted: 0, exitCode: null, error: (e as Error).message };
      }
      const remarked = finish(index);
      return { ...r, startedAt: t0, durationMs: Date.now() - t0, remarked };
    }),
  );
  return { reason: opts.reason, startedAt, durationMs: Date.now() - startedAt, ok: results.every((r) => r.ok), remotes: results };
}
