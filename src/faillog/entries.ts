// Which fail-log entries sersync-ts will act on, pure.
//
// The file can hold anything: our entries, sersync2's (legacy, unquoted), and —
// sersync2 made it mode 0777 — lines someone else put there. A replay never
// runs a command from the file. It takes only the *path* of an entry whose
// command is exactly one that sersync-ts or sersync2 would have written for
// the current config, and rebuilds the push with our own builders. Every other
// entry is kept in the file and never executed:
//
// | entry                                                         | verdict           |
// |---------------------------------------------------------------|-------------------|
// | unparsable (not `cd X && rsync ARGS [>/dev/null 2>&1]`)        | kept, not run     |
// | cd X where X is not the watch root W                           | kept, not run     |
// | neither a sync form (`./rel target`) nor a delete form         | kept, not run     |
// | target is not one of the configured remotes                    | kept, not run     |
// | rel is absolute or has an empty, `.` or `..` component         | kept, not run     |
// | rel is excluded by the main filter                             | kept, not run     |
// | any argument differs from what we (or sersync2) write for it   | kept, not run     |
// |   (e.g. --log-file=, -e 'cmd', --rsync-path=, changed options)  |                   |
// | otherwise                                                      | replayable: (remote, rel) |
//
// The key of a replayable entry — W, target and rel — is what the fail log
// dedupes on (one entry per (remote, path)) and what a delivery removes.
import type { Config } from '../config/types.js';
import type { PathFilter } from '../filter/pathFilter.js';
import { buildFailLogCommand, remoteTarget, sersync2Argv } from '../rsync/argv.js';
import type { BytePath } from '../util/bytepath.js';
import { type FailLogEntry, isParsed, recognizeEntry } from './format.js';

export interface EntryContext {
  config: Config;
  /** The watch root W (cwd of every entry we write). */
  root: BytePath;
  /** The main filter: entries for paths the live pipeline would not push are not replayed. */
  filter?: PathFilter;
}

export type Verdict =
  | { ok: true; key: string; remoteIndex: number; rel: BytePath; form: 'sync' | 'delete' }
  | { ok: false; reason: string };

/** The dedupe / removal key of (W, remote, rel). */
export function entryKey(root: BytePath, target: BytePath, rel: BytePath): string {
  return `${root}\0${target}\0${rel}`;
}

/** The key for an op of remote `remoteIndex` (what append and delivery use). */
export function opKey(ctx: EntryContext, remoteIndex: number, rel: BytePath): string {
  return entryKey(ctx.root, remoteTarget(ctx.config, ctx.config.remotes[remoteIndex]!), rel);
}

function sameArgs(a: readonly BytePath[], b: readonly BytePath[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The argument lists sersync-ts or sersync2 would have written for this path and remote. */
function expectedArgLists(ctx: EntryContext, remoteIndex: number, rel: BytePath): BytePath[][] {
  const { config, root } = ctx;
  const remote = config.remotes[remoteIndex]!;
  const fileArgs = buildFailLogCommand(config, remote, { rel, kind: 'file' }, root).args;
  return [
    fileArgs,
    // written before the file push carried --force (sersync-ts 0.1 development builds)
    fileArgs.filter((a) => a !== '--force'),
    buildFailLogCommand(config, remote, { rel, kind: 'dir' }, root).args,
    buildFailLogCommand(config, remote, { rel, kind: 'delete' }, root).args,
    sersync2Argv(config, remote, rel, 'sync', false),
    sersync2Argv(config, remote, rel, 'delete', false),
    sersync2Argv(config, remote, rel, 'delete', true),
  ];
}

/** Strip one trailing '/' (sersync2 writes W as configured; the loader strips one). */
function normDir(p: BytePath): BytePath {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

export function classifyEntry(e: FailLogEntry, ctx: EntryContext): Verdict {
  if (!isParsed(e)) return { ok: false, reason: 'not a `cd DIR && rsync ARGS` line' };
  if (normDir(e.cwd) !== normDir(ctx.root)) return { ok: false, reason: `it runs in another directory than the watch root` };
  const r = recognizeEntry(e);
  if (!r) return { ok: false, reason: 'not a sync or delete command of one path' };
  const remoteIndex = ctx.config.remotes.findIndex((rm) => remoteTarget(ctx.config, rm) === r.target);
  if (remoteIndex < 0) return { ok: false, reason: 'its destination is not a configured remote' };
  if (ctx.filter?.excludedByAncestry(r.rel, false)) return { ok: false, reason: 'the path is excluded by the filter' };
  if (!expectedArgLists(ctx, remoteIndex, r.rel).some((x) => sameArgs(x, e.args))) {
    return { ok: false, reason: 'its rsync options are not the ones sersync-ts writes for the current config' };
  }
  return { ok: true, key: entryKey(ctx.root, r.target, r.rel), remoteIndex, rel: r.rel, form: r.form };
}
