// --dry-run only (issue 10): which paths the engine knew as directories, so
// that a delete can be printed in sersync2's directory delete form (§5.2:
// `--include="d"  --include="d/***"`). A delete op only says "gone": by the
// time it is classified, lstat cannot tell what the path was, and
// @parcel/watcher's events carry no isDir flag.
//
// Seeded by a scan of the tree at start-up (sersync2 knew every directory
// from its start-up scan too), then kept up to date from the ops in intake
// order: a 'dir' op adds the directory and what is below it (a moved-in or
// `mkdir -p` tree), a 'file' op says the path is not a directory (any more),
// a delete of a known directory forgets it and its subtree and remembers that
// it was one until the path is used again. Not used in normal runs: the real
// push does not need it (rsync deletes a missing path whatever it was).
import fsp from 'node:fs/promises';
import type { OpKind } from '../queue/dirtyQueue.js';
import { type BytePath, fromBuffer, isSameOrBelow, joinPath, toBuffer } from '../util/bytepath.js';

export class DirMemory {
  private readonly known = new Set<BytePath>();
  /** Paths whose latest op was the delete of a directory. */
  private readonly goneDirs = new Set<BytePath>();

  constructor(private readonly root: BytePath) {}

  /** Add every directory below `rel` ('' = the whole tree) to what is known. */
  async scan(rel: BytePath = ''): Promise<void> {
    const stack: BytePath[] = [rel];
    while (stack.length) {
      const dir = stack.pop()!;
      let entries: import('node:fs').Dirent<Buffer>[];
      try {
        entries = await fsp.readdir(toBuffer(joinPath(this.root, dir)), { withFileTypes: true, encoding: 'buffer' });
      } catch {
        continue; // vanished meanwhile
      }
      for (const ent of entries) {
        if (!ent.isDirectory()) continue;
        const child = joinPath(dir, fromBuffer(ent.name));
        this.known.add(child);
        stack.push(child);
      }
    }
  }

  /** Record an op, in intake order (before it is queued). */
  async note(rel: BytePath, kind: OpKind): Promise<void> {
    if (kind === 'dir') {
      this.goneDirs.delete(rel);
      this.known.add(rel);
      await this.scan(rel);
    } else if (kind === 'file') {
      this.goneDirs.delete(rel);
      this.forgetSubtree(rel);
    } else if (this.known.has(rel)) {
      this.goneDirs.add(rel);
      this.forgetSubtree(rel);
    }
    // A delete of a path not known as a directory leaves goneDirs alone: a
    // repeated delete of a deleted directory (two subscriptions reporting it)
    // is still shown in the directory form.
  }

  /** True when the last op for `rel` was the delete of a directory. */
  wasDirectory(rel: BytePath): boolean {
    return this.goneDirs.has(rel);
  }

  private forgetSubtree(rel: BytePath): void {
    this.known.delete(rel);
    for (const k of this.known) if (isSameOrBelow(k, rel)) this.known.delete(k);
  }
}
