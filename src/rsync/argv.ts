// Pure builders for rsync command lines (spec §5).
//
// Two families:
// - what sersync-ts runs: argv arrays (no shell), cwd = the watch root W;
// - what sersync2 would have run: its exact `system()` strings (for --dry-run
//   and conformance tests) and the argv sh would have made of them.
//
// All values are byte strings (BytePath): config strings are latin1-decoded
// file bytes, and names are raw bytes. RsyncInvocation.args elements are
// always valid UTF-8 (runRsync turns them into real argv with toArg); names
// that are not valid UTF-8 go through `--files-from` (raw bytes on stdin).
//
// rsync behaviour this relies on (checked with rsync 3.5.0, daemon and client):
// - `--files-from=FILE` implies -R and --dirs; `-a` does NOT imply -r with it,
//   but an explicit -r (as in the stock `-artuz`) does recurse into listed dirs.
//   `--no-recursive` switches that off again; listed dirs are still created.
// - Missing parents of listed paths are created on the receiver (implied dirs).
// - `--delete-missing-args`: a listed path missing locally is deleted remotely;
//   a non-empty remote directory only with --force (or --delete), otherwise
//   rsync prints "cannot delete non-empty directory" and still exits 0.
// - `-r --delete` with `--files-from`: deletes stale remote entries only inside
//   the listed directories (and their subdirectories), never in their parents.
// - `./x` in a files-from list is the same as `x`; we write plain `x`, except
//   for a name starting with `#` or `;`: rsync skips such entries as comments,
//   even with --from0, so they are written as `./#x`, `./;x`.
import type { Config, Remote } from '../config/types.js';
import { type BytePath, isValidUtf8, toBuffer } from '../util/bytepath.js';
import { literalPattern } from './pattern.js';

export type PushKind = 'file' | 'dir' | 'delete';

/** One path operation (design notes "Pipeline"): `rel` has no leading './' or '/'. */
export interface PushOp {
  rel: BytePath;
  kind: PushKind;
}

export interface RsyncInvocation {
  /** Arguments after `rsync`, as byte strings; every one is valid UTF-8. */
  args: BytePath[];
  /** Bytes for rsync's stdin (the `--files-from=- --from0` list), if any. */
  stdin?: Buffer;
  /** Working directory: the watch root W. */
  cwd: BytePath;
  /** The ops this call pushes by name (for fail-log bookkeeping). */
  paths: PushOp[];
  /**
   * Ops the builder folded into this call because a listed op already covers
   * them (a file below a pushed directory, a delete below a deleted one…):
   * they succeed or fail with it. Not part of the file list.
   */
  covered?: PushOp[];
}

// ---------------------------------------------------------------------------
// Building blocks (spec §5 "Building blocks")

/** `[users@]ip::module` (daemon) or `[users@]ip:path` (ssh). */
export function remoteTarget(config: Config, remote: Remote): BytePath {
  const { auth, ssh } = config.rsync;
  const user = auth.enabled && auth.users !== '' ? `${auth.users}@` : '';
  return `${user}${remote.ip}${ssh ? ':' : '::'}${remote.name}`;
}

/** `-e ssh`, `--port=P`, `--timeout=T`, in sersync2's order; values raw, as written. */
export function transportArgs(config: Config): BytePath[] {
  const r = config.rsync;
  return [
    ...(r.ssh ? ['-e', 'ssh'] : []),
    ...(r.userDefinedPort.enabled ? [`--port=${r.userDefinedPort.port}`] : []),
    ...(r.timeout.enabled ? [`--timeout=${r.timeout.time}`] : []),
  ];
}

/** `--password-file=F` when auth is on and F is non-empty (placed after the target, as sersync2). */
export function passwordArgs(config: Config): BytePath[] {
  const a = config.rsync.auth;
  return a.enabled && a.passwordFile !== '' ? [`--password-file=${a.passwordFile}`] : [];
}

/**
 * sersync-ts additions that do not change the remote result: TCP_NODELAY in
 * daemon mode (over ssh the socket is ssh's, not rsync's).
 */
function socketArgs(config: Config): BytePath[] {
  return config.rsync.ssh ? [] : ['--sockopts=TCP_NODELAY'];
}

/** The NUL-terminated raw-byte list for `--files-from=- --from0`. */
export function filesFromList(rels: BytePath[]): Buffer {
  // rsync drops files-from lines starting with '#' or ';' as comments (also
  // with --from0): such a name would silently never be pushed nor deleted.
  return toBuffer(rels.map((r) => (r[0] === '#' || r[0] === ';' ? `./${r}\0` : `${r}\0`)).join(''));
}

// ---------------------------------------------------------------------------
// What sersync-ts runs

/**
 * Push one file, in sersync2's sync form (§5.1) as argv, run in W:
 * `<commonArgs> -R [-e ssh] [--port=P] [--timeout=T] --ignore-times
 *  [--sockopts=TCP_NODELAY] ./rel target [--password-file=F]`.
 * --ignore-times: the event says the file changed, so "same size and same
 * mtime second" must not let rsync skip it.
 * A rel that is not valid UTF-8 cannot be an argv element: then the one-entry
 * batch form is returned instead (same remote result).
 */
export function buildFilePush(config: Config, remote: Remote, rel: BytePath, w: BytePath = config.localPath): RsyncInvocation {
  if (!isValidUtf8(rel)) return buildBatchPush(config, remote, [{ rel, kind: 'file' }], w)[0]!;
  return {
    args: [
      ...config.rsync.commonArgs,
      '-R',
      ...transportArgs(config),
      '--ignore-times',
      // A directory replaced by a file of the same name: sersync2's delete form
      // for the directory and its sync form for the file leave the file on the
      // remote; this one call needs --force to replace a non-empty directory
      // (without it rsync exits 23, which counts as done, and the file is lost).
      ...(config.inotify.delete ? ['--force'] : []),
      ...socketArgs(config),
      `./${rel}`,
      remoteTarget(config, remote),
      ...passwordArgs(config),
    ],
    cwd: w,
    paths: [{ rel, kind: 'file' }],
  };
}

/** The strict ancestors of rel, outermost first ('a/b/c' → ['a', 'a/b']). */
function ancestors(rel: BytePath): BytePath[] {
  const out: BytePath[] = [];
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) out.push(rel.slice(0, i));
  return out;
}

function byteOrder(a: PushOp, b: PushOp): number {
  return a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0;
}

function chunk<T>(xs: T[], size: number): T[][] {
  if (xs.length === 0) return [];
  if (!(size > 0) || xs.length <= size) return [xs];
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/**
 * Push several paths with `--files-from=- --from0` (the list on stdin as raw
 * bytes, so any name works). Returns 0, 1 or 2 invocations (more when a
 * group exceeds config.extensions.maxBatch), in this order:
 *
 * (a) files and deletes: `--ignore-times`, and with `<delete start="true">`
 *     `--delete-missing-args --force`: a listed path that exists locally is
 *     pushed, one that is missing is deleted remotely (a directory with its
 *     subtree). That is also what sersync2's delete form does for a path that
 *     still exists (§5.2). With delete off, delete ops are dropped (sersync2
 *     never propagates deletes then, §9.8) and `--ignore-missing-args` makes a
 *     file that vanished meanwhile a non-event.
 * (b) directories: `-r`, plus `--delete --delete-missing-args` when delete is
 *     on, so a recreated directory loses its stale remote children (only inside
 *     the listed directories) and a directory that vanished meanwhile is
 *     deleted; without --ignore-times, which would resend whole trees.
 *
 * Collapsing rules (ops covered by another listed op move to its `covered`):
 * - several ops for one rel: the last one wins (the queue normally gives one);
 * - anything strictly below a pushed dir is covered by it: files and subdirs
 *   are sent by the recursive push; deletes below it are done by its --delete
 *   (delete on) or are dropped anyway (delete off);
 * - a delete strictly below a deleted path is covered by that delete;
 * - a file or dir below a deleted path is kept (it may have been recreated;
 *   rsync then pushes whatever exists).
 * Lists are sorted by bytes, so the output is deterministic.
 */
export function buildBatchPush(config: Config, remote: Remote, ops: PushOp[], w: BytePath = config.localPath): RsyncInvocation[] {
  const deleteOn = config.inotify.delete;
  const byRel = new Map<BytePath, PushOp>();
  for (const op of ops) {
    byRel.delete(op.rel); // keep insertion order meaningful for "last wins"
    byRel.set(op.rel, { rel: op.rel, kind: op.kind });
  }
  const live = [...byRel.values()].filter((op) => deleteOn || op.kind !== 'delete');

  // Find, for each op, the outermost listed op that covers it.
  const coveredBy = new Map<BytePath, BytePath>();
  for (const op of live) {
    for (const a of ancestors(op.rel)) {
      const anc = byRel.get(a);
      if (!anc || (!deleteOn && anc.kind === 'delete')) continue;
      if (anc.kind === 'dir' || (anc.kind === 'delete' && op.kind === 'delete')) {
        coveredBy.set(op.rel, a);
        break;
      }
    }
  }
  // A covering op may itself be covered (dir a ⊃ delete a/b ⊃ delete a/b/c): follow to the top.
  const root = (rel: BytePath): BytePath => {
    let r = rel;
    for (let next = coveredBy.get(r); next !== undefined; next = coveredBy.get(r)) r = next;
    return r;
  };

  const listed = live.filter((op) => !coveredBy.has(op.rel)).sort(byteOrder);
  const coveredOps = live.filter((op) => coveredBy.has(op.rel)).sort(byteOrder);
  const maxBatch = config.extensions?.maxBatch ?? 0;
  const target = remoteTarget(config, remote);
  const head = [...config.rsync.commonArgs, '-R', ...transportArgs(config), ...socketArgs(config)];
  const tail = ['--files-from=-', '--from0', '.', target, ...passwordArgs(config)];

  const make = (group: PushOp[], flags: BytePath[]): RsyncInvocation => {
    const inGroup = new Set(group.map((op) => op.rel));
    const covered = coveredOps.filter((op) => inGroup.has(root(op.rel)));
    return {
      args: [...head, ...flags, ...tail],
      stdin: filesFromList(group.map((op) => op.rel)),
      cwd: w,
      paths: group,
      ...(covered.length ? { covered } : {}),
    };
  };

  const fileFlags = deleteOn ? ['--ignore-times', '--delete-missing-args', '--force'] : ['--ignore-times', '--ignore-missing-args'];
  const dirFlags = deleteOn ? ['-r', '--delete', '--delete-missing-args'] : ['-r', '--ignore-missing-args'];
  return [
    ...chunk(listed.filter((op) => op.kind !== 'dir'), maxBatch).map((g) => make(g, fileFlags)),
    ...chunk(listed.filter((op) => op.kind === 'dir'), maxBatch).map((g) => make(g, dirFlags)),
  ];
}

/**
 * Push a list of ops: one valid-UTF-8 file → the sersync2-shaped per-file
 * call, anything else → buildBatchPush.
 */
export function buildPush(config: Config, remote: Remote, ops: PushOp[], w: BytePath = config.localPath): RsyncInvocation[] {
  if (ops.length === 1 && ops[0]!.kind === 'file' && isValidUtf8(ops[0]!.rel)) {
    return [buildFilePush(config, remote, ops[0]!.rel, w)];
  }
  return buildBatchPush(config, remote, ops, w);
}

export interface FullSyncOptions {
  /** rsync exclude patterns (crontab filter), passed as `--exclude=<e>` after the target (§5.5). */
  excludes: BytePath[];
  /**
   * A pre-built NUL-separated list (every file AND directory to push, relative
   * to W), for a full sync while the main filter is active: rsync cannot apply
   * the filter's regexes, so the caller walks the tree, filters, and lists.
   */
  filesFrom?: Buffer;
}

/**
 * A full sync (`-r`, crontab), sersync2's §5.5 shape as argv:
 * `<commonArgs> -R [--delete] ./ [-e ssh] [--port=P] [--timeout=T] target
 *  [--password-file=F] [--exclude=E]...`.
 *
 * With `filesFrom`: `<commonArgs> -R --no-recursive --files-from=- --from0
 * --ignore-missing-args . [transport] target [pass] [--exclude=E]...`, which
 * pushes exactly the listed paths (--no-recursive: an explicit -r in
 * commonArgs would otherwise descend into listed directories and push the
 * files the filter excluded). It deletes nothing: deleting remote-only paths
 * while leaving filtered-out remote paths alone is the fullsync module's job.
 */
export function buildFullSync(config: Config, remote: Remote, opts: FullSyncOptions, w: BytePath = config.localPath): RsyncInvocation {
  const after = [...transportArgs(config), remoteTarget(config, remote), ...passwordArgs(config), ...opts.excludes.map((e) => `--exclude=${e}`)];
  if (opts.filesFrom) {
    return {
      args: [...config.rsync.commonArgs, '-R', '--no-recursive', '--files-from=-', '--from0', '--ignore-missing-args', '.', ...after],
      stdin: opts.filesFrom,
      cwd: w,
      paths: [],
    };
  }
  return {
    args: [...config.rsync.commonArgs, '-R', ...(config.inotify.delete ? ['--delete'] : []), './', ...after],
    cwd: w,
    paths: [],
  };
}

/**
 * The sersync2-shaped per-path command recorded in the fail log (§6.2), as
 * {cwd, args} (byte strings: invalid UTF-8 is fine in the fail log):
 * - file: the buildFilePush argv (sync form + --ignore-times, sockopts);
 * - dir:  the sync form (`./dir`; commonArgs with -a/-r make it recursive);
 * - delete: sersync2's delete form (§5.2) with two fixes: every include is a
 *   literal pattern (§9.18, see pattern.ts), and the `rel/***` include is always
 *   present, because a delete op does not say whether the path was a
 *   directory and rsync will not delete a non-empty directory whose content
 *   is excluded; for a file, `rel/***` matches nothing.
 */
export function buildFailLogCommand(config: Config, remote: Remote, op: PushOp, w: BytePath = config.localPath): { cwd: BytePath; args: BytePath[] } {
  const common = [...config.rsync.commonArgs, '-R', ...transportArgs(config)];
  const end = [remoteTarget(config, remote), ...passwordArgs(config)];
  if (op.kind === 'file') {
    return { cwd: w, args: [...common, '--ignore-times', ...(config.inotify.delete ? ['--force'] : []), ...socketArgs(config), `./${op.rel}`, ...end] };
  }
  if (op.kind === 'dir') return { cwd: w, args: [...common, ...socketArgs(config), `./${op.rel}`, ...end] };
  const includes = [
    ...ancestors(op.rel).map((a) => `--include=${literalPattern(`${a}/`)}`),
    `--include=${literalPattern(op.rel)}`,
    `--include=${literalPattern(op.rel, '/***')}`,
  ];
  return {
    cwd: w,
    args: [...common, ...(config.inotify.delete ? ['--delete'] : []), './', ...includes, '--exclude=*', ...end],
  };
}

// ---------------------------------------------------------------------------
// What sersync2 would have run (§5.1, §5.2, §5.5) — exact strings

/** sersync2's Q(): double quotes, only `$` escaped (§5; the injection bug §9.1 is kept here on purpose). */
function q(s: BytePath): BytePath {
  return `"${s.replace(/\$/g, '\\$')}"`;
}

interface Blocks {
  P: string;
  SSH: string;
  PORT: string;
  TMO: string;
  DEL: string;
  TARGET: string;
  PASS: string;
  NULL: string;
}

function blocks(config: Config, remote: Remote): Blocks {
  const r = config.rsync;
  return {
    P: r.commonParams,
    SSH: r.ssh ? ' -e ssh ' : '',
    PORT: r.userDefinedPort.enabled ? ` --port=${r.userDefinedPort.port} ` : '',
    TMO: r.timeout.enabled ? ` --timeout=${r.timeout.time} ` : '',
    DEL: config.inotify.delete ? '--delete' : '',
    TARGET: remoteTarget(config, remote),
    PASS: r.auth.enabled && r.auth.passwordFile !== '' ? ` --password-file=${r.auth.passwordFile}` : '',
    NULL: config.debug ? '' : ' >/dev/null 2>&1 ',
  };
}

/**
 * The exact string sersync2 passes to system() for one event (§5.1 sync form,
 * §5.2 delete form), byte for byte, e.g. T01
 * `cd /data/www && rsync -artuz -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 `.
 * Only for display (--dry-run) and comparisons: never run it.
 */
export function sersync2Command(config: Config, remote: Remote, rel: BytePath, op: 'sync' | 'delete', isDir: boolean, w: BytePath = config.localPath): BytePath {
  const b = blocks(config, remote);
  if (op === 'sync') {
    return `cd ${w} && rsync ${b.P} -R ${b.SSH}${b.PORT}${b.TMO}${q(`./${rel}`)} ${b.TARGET}${b.PASS}${b.NULL}`;
  }
  // DelPathCombine: ' ' + (' --include=' Q(prefix/))* + ' --include=' Q(rel) [+ '  --include=' Q(rel/***)] + ' --exclude=* '
  let inc = ' ';
  for (const a of ancestors(rel)) inc += ` --include=${q(`${a}/`)}`;
  inc += ` --include=${q(rel)}`;
  if (isDir) inc += `  --include=${q(`${rel}/***`)}`;
  inc += ' --exclude=* ';
  return `cd ${w} && rsync ${b.P} -R ${b.SSH}${b.PORT}${b.TMO}${b.DEL} ./ ${inc} ${b.TARGET}${b.PASS}${b.NULL}`;
}

/** The crontab-filter excludes sersync2 adds to full syncs (§5.5): only when crontab and its filter are on. */
function fullSyncExcludes(config: Config): BytePath[] {
  const c = config.crontab;
  return c.enabled && c.filter.enabled ? c.filter.excludes : [];
}

/** The exact §5.5 full-sync string (`-r`, crontab) sersync2 would run for one remote. */
export function sersync2FullSyncCommand(config: Config, remote: Remote, w: BytePath = config.localPath): BytePath {
  const b = blocks(config, remote);
  const excl = fullSyncExcludes(config).map((e) => ` --exclude=${q(e)}`).join('');
  return `cd ${w} && rsync ${b.P} -R ${b.DEL} ./ ${b.SSH}${b.PORT}${b.TMO}${b.TARGET}${b.PASS}${excl}${b.NULL}`;
}

/**
 * The argv sh makes of sersync2Command (after `rsync`, without the cd, the
 * `&&` and the redirect), built directly rather than parsed. It is the argv
 * sersync2 *meant*: for names with `"`, backquote, `\` or a newline, sh would
 * really have run something else (§9.1).
 */
export function sersync2Argv(config: Config, remote: Remote, rel: BytePath, op: 'sync' | 'delete', isDir: boolean): BytePath[] {
  const end = [remoteTarget(config, remote), ...passwordArgs(config)];
  const head = [...config.rsync.commonArgs, '-R', ...transportArgs(config)];
  if (op === 'sync') return [...head, `./${rel}`, ...end];
  return [
    ...head,
    ...(config.inotify.delete ? ['--delete'] : []),
    './',
    ...ancestors(rel).map((a) => `--include=${a}/`),
    `--include=${rel}`,
    ...(isDir ? [`--include=${rel}/***`] : []),
    '--exclude=*',
    ...end,
  ];
}

/** The argv sh makes of sersync2FullSyncCommand (after `rsync`, no cd/&&/redirect). */
export function sersync2FullSyncArgv(config: Config, remote: Remote): BytePath[] {
  return [
    ...config.rsync.commonArgs,
    '-R',
    ...(config.inotify.delete ? ['--delete'] : []),
    './',
    ...transportArgs(config),
    remoteTarget(config, remote),
    ...passwordArgs(config),
    ...fullSyncExcludes(config).map((e) => `--exclude=${e}`),
  ];
}
