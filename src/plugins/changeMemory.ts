// "Did this path really change since the plugin was last told about it?"
// In `-m` mode the watcher's hints for one write can arrive in two batches
// (create, then update, parcel-watcher-linux §4), which would call the plugin
// twice for one change; sersync2 got one IN_CLOSE_WRITE. We remember what the
// path looked like when the plugin was last told and skip a report that shows
// nothing new. Bounded: the oldest entries are forgotten first (forgetting only
// risks a duplicate call, never a missed one).
import type { BytePath } from '../util/bytepath.js';

export type ChangeKind = 'file' | 'dir' | 'delete';

/** What identifies a state: files by inode + size + mtime + ctime, directories by inode only (their mtime moves with every entry). */
export function stateSignature(kind: ChangeKind, st: { ino: bigint | number; size: bigint | number; mtimeNs?: bigint; ctimeNs?: bigint } | null): string | null {
  if (kind === 'delete' || st === null) return null;
  if (kind === 'dir') return `d:${st.ino}`;
  return `f:${st.ino}:${st.size}:${st.mtimeNs ?? ''}:${st.ctimeNs ?? ''}`;
}

const GONE = 'gone';

export class ChangeMemory {
  private readonly last = new Map<BytePath, string>();

  constructor(private readonly max = 10_000) {}

  get size(): number {
    return this.last.size;
  }

  /** Was `rel` a directory when last reported? (A delete event cannot be examined any more.) */
  wasDir(rel: BytePath): boolean {
    return this.last.get(rel)?.startsWith('d:') ?? false;
  }

  /**
   * Record a report and say whether it is new. `signature` is stateSignature()
   * (null for a delete, or when the path could not be examined: then it is
   * always reported).
   */
  isNew(rel: BytePath, kind: ChangeKind, signature: string | null): boolean {
    if (kind === 'delete') {
      const wasGone = this.last.get(rel) === GONE;
      // Whatever was below a deleted directory is gone too.
      const below = rel + '/';
      for (const k of this.last.keys()) if (k.startsWith(below)) this.last.delete(k);
      this.remember(rel, GONE);
      return !wasGone;
    }
    if (signature === null) {
      this.last.delete(rel);
      return true;
    }
    if (this.last.get(rel) === signature) return false;
    this.remember(rel, signature);
    return true;
  }

  private remember(rel: BytePath, value: string): void {
    this.last.delete(rel); // re-insert: Map order = age
    this.last.set(rel, value);
    if (this.last.size > this.max) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
    }
  }
}
