// Directories that sersync2 would have left unwatched because their own
// runtime create/move-in event matched the main filter (spec §3.5: "A matching
// runtime directory event is dropped before the watch is added, so that
// subtree is never watched").
//
// Whether a path below an excluded-looking directory is seen depends on
// history, not on strings alone: a pre-existing `a/deep/` is watched (start-up
// string `a/deep/` does not match `(.*)/deep`), a `sub/deep` created at runtime
// is not (runtime string `/sub/deep` matches). @parcel/watcher watches both,
// so intake records the second kind here and drops events below them.
//
// Intended use by intake: on a create hint for a directory whose runtime
// string is excluded → add(rel); on a delete of rel (or an ancestor) →
// remove(rel); drop any event where covers(rel). A restart forgets the set,
// as sersync2's restart re-scans with the start-up rule.
import { type BytePath, parentOf } from '../util/bytepath.js';

export class ExcludedDirSet {
  private readonly dirs = new Set<BytePath>();

  add(dir: BytePath): void {
    this.dirs.add(dir);
  }

  /** Forget `dir` and every recorded directory below it (it was deleted or moved away). */
  remove(dir: BytePath): void {
    if (this.dirs.size === 0) return;
    const prefix = dir + '/';
    for (const d of this.dirs) if (d === dir || d.startsWith(prefix)) this.dirs.delete(d);
  }

  /** True when `rel` is a recorded directory or lies below one. */
  covers(rel: BytePath): boolean {
    if (this.dirs.size === 0) return false;
    for (let a = rel; a !== ''; a = parentOf(a)) if (this.dirs.has(a)) return true;
    return false;
  }

  get size(): number {
    return this.dirs.size;
  }

  clear(): void {
    this.dirs.clear();
  }
}
