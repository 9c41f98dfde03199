// Intake: turn watcher hints into queue operations. The hint only says "look
// at this path"; what the path *is* (file, directory, symlink, gone) is decided
// here by lstat, when the path is processed (parcel-watcher-linux §7.3).
import fsp from 'node:fs/promises';
import type { InotifyToggles } from '../config/types.js';
import { builtinDrop } from '../filter/builtin.js';
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
    const dir = await fsp.opendir(toBuffer(abs) as unknown as string, { bufferSize: 64 });
    try {
      for await (const ent of dir) if (ent.isDirectory()) return true;
    } finally {
      await dir.close().catch(() => {});
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * Classify one batch of hints. Hints for the same path are folded (lstat
 * decides anyway; a 'create' is kept over an 'update' because it tells a
 * directory may be new).
 */
export async function classifyHints(hints: Hint[], s: IntakeSettings, now: number): Promise<IntakeOp[]> {
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
      const st = stats[j];
      const state = stateOf(st);
      const isDir = state === 'dir';
      // A vanished path could have been a hidden directory, whose delete sersync2
      // does propagate; only existing non-directories are dropped by name.
      if (state !== 'missing' && builtinDrop(baseName(rel), isDir)) return;
      if (s.filter.excludedByAncestry(rel, isDir)) return;
      const action = decide(byRel.get(rel)!, state, s.toggles);
      if (action === 'ignore') return;
      const kind: OpKind = action === 'pushDir' ? 'dir' : action === 'delete' ? 'delete' : 'file';
      let readyAt = now;
      if (kind === 'file' && st && s.quietMs > 0 && !s.toggles.modify) {
        const age = now - st.mtimeMs;
        if (age < s.quietMs) readyAt = now + (s.quietMs - Math.max(0, age));
      }
      out.push({ rel, kind, readyAt });
    });
  }
  return out;
}
