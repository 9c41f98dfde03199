// Intake: turn watcher hints into queue operations. The hint only says "look
// at this path"; what the path *is* (file, directory, symlink, gone) is decided
// here by lstat, when the path is processed (parcel-watcher-linux §7.3).
import fsp from 'node:fs/promises';
import type { InotifyToggles } from '../config/types.js';
import { builtinDrop } from '../filter/builtin.js';
import { ExcludedDirSet } from '../filter/excludedDirs.js';
import type { PathFilter } from '../filter/pathFilter.js';
import { decide, type PathState } from '../filter/toggles.js';
import type { OpKind } from '../queue/dirtyQueue.js';
import { type BytePath, baseName, joinPath, toBuffer } from '../util/bytepath.js';
import type { Hint } from '../watch/watcher.js';

export interface IntakeSettings {
  rootAbs: BytePath;
  filter: PathFilter;
  toggles: InotifyToggles;
  /**
   * closeWrite emulation: @parcel/watcher has no IN_CLOSE_WRITE, so a file
   * whose mtime is younger than this is held back until it has been quiet
   * that long (it may still be being written). 0 = push at once.
   */
  quietMs: number;
}

export interface IntakeOp {
  rel: BytePath;
  kind: OpKind;
  /** Earliest time the op may go out (quiet period). */
  readyAt: number;
}

export function stateOf(st: import('node:fs').Stats | null): PathState {
  if (!st) return 'missing';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

export async function lstatOrNull(abs: BytePath): Promise<import('node:fs').Stats | null> {
  try {
    return await fsp.lstat(toBuffer(abs));
  } catch {
    return null;
  }
}

/** Does this directory contain subdirectories (so a new subtree needs a patch watch)? */
export async function hasSubdirectories(abs: BytePath): Promise<boolean> {
  try {
    const dir = await fsp.opendir(toBuffer(abs) as unknown as string, { bufferSize: 256 });
    try {
      // readSync, not `for await`: the async iterator costs a promise per
      // entry, which made this the intake's largest CPU cost in a burst of new
      // directories (50 × 100 files: ~175 ms). Entries come 256 per syscall;
      // memory stays bounded and the scan stops at the first subdirectory.
      for (let ent = dir.readSync(); ent !== null; ent = dir.readSync()) if (ent.isDirectory()) return true;
    } finally {
      dir.closeSync();
    }
  } catch {
    return false;
  }
  return false;
}

/** What was last queued for a file: a hint that finds the same is a repeat. */
function signature(st: import('node:fs').Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}`;
}

/** How many file signatures to remember (a bounded map, oldest forgotten first). */
const SIGNATURE_MEMORY = 100_000;

/**
 * Classify hint batches into queue operations. Keeps two pieces of history
 * that strings alone cannot give:
 *  - directories excluded when they appeared at run time (sersync2 never
 *    watched them, so nothing below them is pushed; @parcel/watcher does
 *    watch them, so their events are dropped here);
 *  - the signature of what was last queued per file, because @parcel/watcher
 *    often reports one write as a `create` and, in a later batch, an `update`:
 *    the second finds an unchanged file and is not pushed (nor sent to plugins)
 *    again.
 */
export class Intake {
  private readonly excludedDirs = new ExcludedDirSet();
  private readonly lastQueued = new Map<BytePath, string>();

  constructor(private readonly s: IntakeSettings) {}

  /** Forget a file's signature (its push failed for good, or a full sync ran). */
  forget(rel: BytePath): void {
    this.lastQueued.delete(rel);
  }

  forgetAll(): void {
    this.lastQueued.clear();
  }

  /**
   * A held file op goes out with the file in this state (the sender looked
   * again just before the push, see settle.ts): a later hint that finds the
   * same state is a repeat. The last event of a write often arrives just after
   * that look, and pushed a 256 MiB file a second time.
   */
  noteDispatched(rel: BytePath, st: import('node:fs').Stats): void {
    if (!st.isFile() || !this.lastQueued.has(rel)) return;
    this.lastQueued.delete(rel);
    this.lastQueued.set(rel, signature(st));
  }

  /**
   * Classify one batch. Hints for the same path are folded (lstat decides
   * anyway; a 'create' is kept over an 'update' because it tells a directory
   * may be new).
   */
  async classify(hints: Hint[], now: number): Promise<IntakeOp[]> {
    const s = this.s;
    const byRel = new Map<BytePath, Hint['kind']>();
    for (const h of hints) {
      if (h.rel === '') continue; // the root itself: the engine's root check handles it
      const prev = byRel.get(h.rel);
      if (prev === 'create' && h.kind === 'update') continue;
      byRel.set(h.rel, h.kind);
    }
    const rels = [...byRel.keys()];
    const out: IntakeOp[] = [];
    // lstat in parallel, bounded, so a 10k-event burst is not serialised.
    const CHUNK = 256;
    for (let i = 0; i < rels.length; i += CHUNK) {
      const chunk = rels.slice(i, i + CHUNK);
      const stats = await Promise.all(chunk.map((rel) => lstatOrNull(joinPath(s.rootAbs, rel))));
      chunk.forEach((rel, j) => {
        const op = this.classifyOne(rel, byRel.get(rel)!, stats[j], now);
        if (op) out.push(op);
      });
    }
    return out;
  }

  private classifyOne(
    rel: BytePath,
    hint: Hint['kind'],
    st: import('node:fs').Stats | null,
    now: number,
  ): IntakeOp | null {
    const s = this.s;
    const state = stateOf(st);
    const isDir = state === 'dir';
    if (state === 'missing') {
      this.lastQueued.delete(rel);
      this.excludedDirs.remove(rel);
    }
    // A vanished path could have been a hidden directory, whose delete sersync2
    // does propagate; only existing non-directories are dropped by name.
    if (state !== 'missing' && builtinDrop(baseName(rel), isDir)) return null;
    // sersync2 tests each event's own runtime string (§3.5); below a directory
    // it never watched (excluded at start-up or when it appeared) nothing is seen.
    if (this.excludedDirs.covers(rel) || s.filter.insideStartupExcludedDir(rel)) return null;
    if (s.filter.excludesRuntime(rel)) {
      if (isDir && hint !== 'delete') this.excludedDirs.add(rel);
      return null;
    }
    const action = decide(hint, state, s.toggles);
    if (action === 'ignore') return null;
    const kind: OpKind = action === 'pushDir' ? 'dir' : action === 'delete' ? 'delete' : 'file';
    let readyAt = now;
    if (kind === 'file' && st) {
      const sig = signature(st);
      if (this.lastQueued.get(rel) === sig) return null;
      this.lastQueued.delete(rel); // re-insert: most recent last
      this.lastQueued.set(rel, sig);
      if (this.lastQueued.size > SIGNATURE_MEMORY) {
        this.lastQueued.delete(this.lastQueued.keys().next().value as BytePath);
      }
      if (s.quietMs > 0 && !s.toggles.modify) {
        const age = now - st.mtimeMs;
        if (age < s.quietMs) readyAt = now + (s.quietMs - Math.max(0, age));
      }
    } else {
      this.lastQueued.delete(rel);
    }
    return { rel, kind, readyAt };
  }
}
