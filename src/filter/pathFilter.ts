// The main filter, `<filter><exclude expression="…">` (spec §3.5, §9 item 21).
//
// sersync2 matches its regexes against three *different* strings depending on
// where a path comes from. sersync-ts copies this exactly (it is part of what
// a confxml.xml means):
//
// | context                               | string tested       | example             |
// |---------------------------------------|---------------------|---------------------|
// | runtime event, item directly in W     | `name`              | `a.gz`, `info`      |
// | runtime event, item deeper down       | `'/' + rel`         | `/sub/x.txt`        |
// |                                       | (no trailing slash, even for directories) |
// | start-up scan, directories only       | `rel + '/'`         | `info/`, `a/deep/`  |
//
// Matching is boost's regex_match: the WHOLE string must match. The RegExps
// in Config are compiled with that anchoring already (compileBoostRegex in
// src/config/regex.ts), so a plain `test` is a whole-string match; PathFilter
// relies on that and does not anchor again. Strings are byte strings (latin1), so `.` matches one byte of
// a UTF-8 name, as in boost.
import { type BytePath, parentOf } from '../util/bytepath.js';
import type { ExcludeRule } from '../config/types.js';

/** The string sersync2 tests for a runtime event on `rel` (relative to W). */
export function runtimeFilterString(rel: BytePath): BytePath {
  return rel.includes('/') ? '/' + rel : rel;
}

/** The string sersync2 tests for a directory `rel` found by the start-up scan. */
export function startupFilterString(rel: BytePath): BytePath {
  return rel + '/';
}

export class PathFilter {
  private readonly regexes: readonly RegExp[];

  constructor(excludes: readonly ExcludeRule[]) {
    // Drop the g/y flags if present: they make RegExp#test stateful (lastIndex).
    this.regexes = excludes.map((r) =>
      /[gy]/.test(r.regex.flags) ? new RegExp(r.regex.source, r.regex.flags.replace(/[gy]/g, '')) : r.regex,
    );
  }

  /** True when there are no exclude rules (every test below is then false). */
  get empty(): boolean {
    return this.regexes.length === 0;
  }

  /** True when there is at least one exclude rule. */
  get active(): boolean {
    return this.regexes.length > 0;
  }

  /** True when any rule matches the whole string `s` (already in one of the three forms). */
  matches(s: BytePath): boolean {
    for (const re of this.regexes) if (re.test(s)) return true;
    return false;
  }

  /** A runtime event on `rel` (file or directory) is dropped by the filter. */
  excludesRuntime(rel: BytePath): boolean {
    return this.regexes.length > 0 && this.matches(runtimeFilterString(rel));
  }

  /** The start-up scan skips directory `rel` and its whole subtree. */
  excludesStartupDir(rel: BytePath): boolean {
    return this.regexes.length > 0 && this.matches(startupFilterString(rel));
  }

  /**
   * True when `rel` itself is excluded at runtime, or when any ancestor
   * directory of it is excluded under the runtime rule.
   *
   * Why: in sersync2 a directory whose own create/move-in event is excluded is
   * never watched, so nothing below it ever produces an event. sersync-ts
   * cannot keep a runtime-created directory out of @parcel/watcher (its ignore
   * list is fixed at subscribe time), and walks may find paths below excluded
   * directories; testing the ancestors keeps such descendants out. For
   * directories excluded at runtime this equals sersync2's effective behaviour.
   *
   * Caveat (spec §3.5): for a directory that already existed at start-up,
   * sersync2 used the START-UP string instead: with `(.*)/deep`, a pre-existing
   * `a/deep/` is watched and `a/deep/d.txt` IS synced, but this method says
   * excluded (ancestor `/a/deep` matches). Likewise sersync2 never tests the
   * subdirectories of a moved-in tree. Where that history matters, test the
   * event path with `excludesRuntime` and track the directories that were
   * excluded at runtime with `ExcludedDirSet` (excludedDirs.ts).
   *
   * `isDir` does not change the result: the runtime string of a directory has
   * no trailing slash, so files and directories are tested alike.
   */
  excludedByAncestry(rel: BytePath, isDir: boolean): boolean {
    void isDir;
    if (this.regexes.length === 0) return false;
    if (this.excludesRuntime(rel)) return true;
    for (let a = parentOf(rel); a !== ''; a = parentOf(a)) {
      if (this.excludesRuntime(a)) return true;
    }
    return false;
  }

  /**
   * True when some proper ancestor directory of `rel` would have been skipped
   * by the start-up scan (so sersync2 never watched it and never saw `rel`).
   * Use for paths found by walks of the tree as it was at start-up.
   */
  insideStartupExcludedDir(rel: BytePath): boolean {
    if (this.regexes.length === 0) return false;
    for (let a = parentOf(rel); a !== ''; a = parentOf(a)) {
      if (this.excludesStartupDir(a)) return true;
    }
    return false;
  }
}
