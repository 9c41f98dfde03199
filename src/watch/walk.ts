// The start-up scan of sersync2 (spec §3.2): which directories get watched.
// A directory whose start-up string `rel/` matches an exclude is skipped with
// its whole subtree; files are not looked at. With xfs="true" directories are
// recognised with stat (following symlinks) — loops are cut by device+inode,
// which sersync2 did not do (§9.16).
import fsp from 'node:fs/promises';
import type { PathFilter } from '../filter/pathFilter.js';
import { type BytePath, fromBuffer, joinPath, toBuffer } from '../util/bytepath.js';

export interface WalkResult {
  /** Directories that will be watched, the root included. */
  dirCount: number;
  /** Top-most directories excluded by the filter (relative). */
  excludedDirs: BytePath[];
}

export async function walkWatchableDirs(root: BytePath, filter: PathFilter, xfs: boolean): Promise<WalkResult> {
  const excludedDirs: BytePath[] = [];
  const seen = new Set<string>();
  let dirCount = 0;
  const stack: BytePath[] = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    const abs = joinPath(root, rel);
    if (xfs) {
      try {
        const st = await fsp.stat(toBuffer(abs));
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      } catch {
        continue;
      }
    }
    dirCount++;
    let entries: import('node:fs').Dirent<Buffer>[];
    try {
      entries = await fsp.readdir(toBuffer(abs), { withFileTypes: true, encoding: 'buffer' });
    } catch {
      continue; // vanished or unreadable: not watched, like sersync2
    }
    for (const ent of entries) {
      let isDir = ent.isDirectory();
      if (!isDir && xfs && ent.isSymbolicLink()) {
        try {
          isDir = (await fsp.stat(toBuffer(joinPath(abs, fromBuffer(ent.name))))).isDirectory();
        } catch {
          isDir = false;
        }
      }
      if (!isDir) continue;
      const childRel = joinPath(rel, fromBuffer(ent.name));
      if (filter.excludesStartupDir(childRel)) {
        excludedDirs.push(childRel);
        continue;
      }
      stack.push(childRel);
    }
  }
  return { dirCount, excludedDirs };
}
