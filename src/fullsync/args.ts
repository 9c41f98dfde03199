// Argument lists for the rsync calls of a full sync that argv.ts does not
// build: listings, and the options added to the §5.5 push (pure).
import type { Config, Remote } from '../config/types.js';
import { passwordArgs, remoteTarget, transportArgs } from '../rsync/argv.js';
import type { BytePath } from '../util/bytepath.js';

/** The crontab-filter excludes sersync2 adds to full syncs (§5.5): only when crontab and its filter are on. */
export function crontabExcludes(config: Config): BytePath[] {
  const c = config.crontab;
  return c.enabled && c.filter.enabled ? c.filter.excludes : [];
}

// Options in commonParams that would change what a listing prints or cost a
// lot for nothing (-c reads every file): they are left out of listings.
const DROP_LONG = new Set([
  'verbose',
  'quiet',
  'progress',
  'stats',
  'itemize-changes',
  'dry-run',
  'list-only',
  'remove-source-files',
  'checksum',
  'relative',
  'no-motd',
  '8-bit-output',
  'human-readable',
  'msgs2stderr',
  'ignore-errors',
]);
const DROP_LONG_PREFIX = ['delete', 'info=', 'debug=', 'out-format=', 'log-format=', 'log-file', 'max-delete', 'files-from=', 'from0'];
const DROP_SHORT = new Set(['v', 'q', 'i', 'n', 'c', 'P', 'h', 'R', '8', '0']);
/** Short options that take an argument (the rest of the bundle, or the next word). */
const SHORT_WITH_ARG = new Set(['B', 'e', 'f', 'T', 'M', '@']);

/**
 * commonParams minus what must not reach a listing. Transport, filter and
 * link options (-e, --rsync-path, --exclude, -C, -L, -x …) are kept: they
 * decide what rsync sees and how it connects.
 */
export function listingCommonArgs(commonArgs: readonly string[]): string[] {
  const out: string[] = [];
  let takesNext = false;
  for (const a of commonArgs) {
    if (takesNext) {
      out.push(a);
      takesNext = false;
      continue;
    }
    if (a.startsWith('--')) {
      const name = a.slice(2);
      const bare = name.split('=')[0]!;
      if (DROP_LONG.has(bare) || DROP_LONG_PREFIX.some((p) => name.startsWith(p))) continue;
      out.push(a);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      let kept = '-';
      for (let i = 1; i < a.length; i++) {
        const c = a[i]!;
        if (SHORT_WITH_ARG.has(c)) {
          kept += a.slice(i);
          if (i === a.length - 1) takesNext = true;
          break;
        }
        if (!DROP_SHORT.has(c)) kept += c;
      }
      if (kept !== '-') out.push(kept);
      continue;
    }
    out.push(a);
  }
  return out;
}

/** What every listing adds: a dry run that prints every entry, byte-exact (listing.ts). */
const LISTING_FLAGS = ['-n', '-r', '-l', '-D', '-8', '--no-motd', '--out-format=%i %n'];

/** List W (run with cwd = W) into an empty directory, with the crontab excludes. */
export function localListingArgs(config: Config, excludes: readonly BytePath[], emptyDir: string): BytePath[] {
  return [...listingCommonArgs(config.rsync.commonArgs), ...LISTING_FLAGS, './', emptyDir, ...excludes.map((e) => `--exclude=${e}`)];
}

/**
 * The remote side as a source: `target/` so that names are relative to the
 * module (or ssh path). An empty ssh path means the remote home directory:
 * `ip:./`, never `ip:/`.
 */
export function remoteSource(config: Config, remote: Remote): BytePath {
  const t = remoteTarget(config, remote);
  if (remote.name === '') return config.rsync.ssh ? `${t}./` : t;
  return t.endsWith('/') ? t : `${t}/`;
}

/** List the remote (a pull dry run into an empty directory), with the same excludes. */
export function remoteListingArgs(config: Config, remote: Remote, excludes: readonly BytePath[], emptyDir: string): BytePath[] {
  return [
    ...listingCommonArgs(config.rsync.commonArgs),
    ...LISTING_FLAGS,
    ...transportArgs(config),
    remoteSource(config, remote),
    emptyDir,
    ...passwordArgs(config),
    ...excludes.map((e) => `--exclude=${e}`),
  ];
}

/**
 * Added to the §5.5 push: `--stats` for the summary; with a terminal
 * `--info=progress2` for the live line, and for a recursive push
 * `--no-inc-recursive` so that its totals (percent, ETA) are known from the
 * start (a files-from push is never incremental); `--force` with delete on,
 * so a local file replaces a non-empty remote directory (the list-mode push
 * has no --delete, which would imply it).
 */
export function pushExtras(o: { progress: boolean; force: boolean; recursive: boolean }): BytePath[] {
  return [
    '--stats',
    ...(o.progress ? ['--info=progress2', ...(o.recursive ? ['--no-inc-recursive'] : [])] : []),
    ...(o.force ? ['--force'] : []),
  ];
}
