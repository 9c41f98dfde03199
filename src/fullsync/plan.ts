// What a full sync with the main filter pushes and deletes (pure).
//
// The filter is applied the way sersync2's own start-up would see the tree
// (spec §3.2, §3.5), plus one rule for files:
// - a directory is tested with its start-up string `rel/`; a match excludes it
//   and its whole subtree (sersync2 never watches it, so nothing below it is
//   ever synced);
// - a non-directory (file, symlink, device, fifo…) is tested with the runtime
//   string (`name` in W, `/rel` deeper): the live pipeline drops exactly those,
//   so a full sync must not push them either;
// - sersync2's built-in drops (dot-files, `*~`, `4913`) do NOT apply: full
//   syncs send those (spec §5.5, §9 item 9).
// The same test decides which remote paths are left alone: a remote path the
// filter excludes is neither pushed over nor deleted, even when it does not
// exist locally.
import { type BytePath, parentOf } from '../util/bytepath.js';
import type { EntryType, Listing } from './listing.js';

/** The part of PathFilter a full sync needs. */
export interface FullSyncFilter {
  readonly active: boolean;
  excludesStartupDir(rel: BytePath): boolean;
  excludesRuntime(rel: BytePath): boolean;
}

/** Memoised "is this path excluded for a full sync" (directory verdicts are shared by their subtree). */
export class FullSyncExclusion {
  private readonly dirs = new Map<BytePath, boolean>();

  constructor(private readonly filter: FullSyncFilter) {}

  /** True when `rel` (of the given type) is left out of a full sync. */
  excludes(rel: BytePath, type: EntryType): boolean {
    if (!this.filter.active) return false;
    if (type === 'dir') return this.dirExcluded(rel);
    return this.dirExcluded(parentOf(rel)) || this.filter.excludesRuntime(rel);
  }

  /** A directory is excluded by its own start-up string or by an excluded ancestor. '' (W) never is. */
  private dirExcluded(rel: BytePath): boolean {
    if (rel === '') return false;
    const known = this.dirs.get(rel);
    if (known !== undefined) return known;
    const v = this.dirExcluded(parentOf(rel)) || this.filter.excludesStartupDir(rel);
    this.dirs.set(rel, v);
    return v;
  }
}

function byBytes(a: BytePath, b: BytePath): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface PushList {
  /** Every path to push, files and directories, sorted by bytes. */
  rels: BytePath[];
  /** Entries the filter left out. */
  excluded: number;
}

/** The local entries a full sync pushes. */
export function buildPushList(local: Listing, filter: FullSyncFilter): PushList {
  const ex = new FullSyncExclusion(filter);
  const rels: BytePath[] = [];
  let excluded = 0;
  for (const [rel, type] of local) {
    if (ex.excludes(rel, type)) excluded++;
    else rels.push(rel);
  }
  rels.sort(byBytes);
  return { rels, excluded };
}

export interface DeletePlan {
  /**
   * What to delete on the remote: the top-most paths only (a directory stands
   * for its subtree), sorted by bytes.
   */
  deletes: BytePath[];
  /** Remote entries that go away in total (subtrees counted). */
  deleteCount: number;
  /** Remote entries listed. */
  remoteTotal: number;
  /** Remote-only entries left alone because the filter excludes them. */
  protectedCount: number;
}

/**
 * Remote entries that exist only on the remote and that the filter does not
 * exclude are deleted. A remote-only directory that holds something the
 * filter protects stays (its other content is deleted one by one); otherwise
 * it goes as a whole.
 *
 * `pushed` is the set the full sync pushed (buildPushList): anything in it
 * exists locally and is kept.
 */
export function planDeletions(remote: Listing, pushed: ReadonlySet<BytePath>, filter: FullSyncFilter): DeletePlan {
  const ex = new FullSyncExclusion(filter);
  const candidates = new Set<BytePath>();
  /** Directories that must stay because something below them stays. */
  const holdsKept = new Set<BytePath>();
  let protectedCount = 0;
  const keep = (rel: BytePath): void => {
    for (let a = parentOf(rel); a !== '' && !holdsKept.has(a); a = parentOf(a)) holdsKept.add(a);
  };
  for (const [rel, type] of remote) {
    if (pushed.has(rel)) {
      keep(rel);
      continue;
    }
    if (ex.excludes(rel, type)) {
      protectedCount++;
      keep(rel);
      continue;
    }
    candidates.add(rel);
  }
  const deletable = [...candidates].filter((rel) => !holdsKept.has(rel));
  const deletableSet = new Set(deletable);
  const tops = deletable.filter((rel) => {
    for (let a = parentOf(rel); a !== ''; a = parentOf(a)) if (deletableSet.has(a)) return false;
    return true;
  });
  tops.sort(byBytes);
  return { deletes: tops, deleteCount: deletable.length, remoteTotal: remote.size, protectedCount };
}

/** Every directory above the given paths (for the empty stand-in source of a delete run), sorted, outermost first. */
export function parentDirs(rels: readonly BytePath[]): BytePath[] {
  const out = new Set<BytePath>();
  for (const rel of rels) for (let a = parentOf(rel); a !== '' && !out.has(a); a = parentOf(a)) out.add(a);
  return [...out].sort(byBytes);
}
