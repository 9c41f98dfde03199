// Exclusive lock files (Node has no flock). A lock is a small file created
// atomically (link of a fully written temp file, so nobody ever reads a half
// written lock) holding the owner's pid and start time. A lock whose owner is
// gone (ESRCH, or the pid now belongs to a younger process) is stale and is
// taken over.
//
// Residual race: two processes that find the same stale lock at the same
// instant both re-read it just before removing it; only the microseconds
// between that re-read and the unlink are unprotected.
import fs from 'node:fs';
import path from 'node:path';
import { processStartTime, sameProcessAlive } from './proc.js';

export interface LockHolder {
  pid: number;
  startTime: number | null;
  /** Free text: what the holder locked (config file, watch root). */
  what: string;
}

export class LockHeldError extends Error {
  constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {
    super(`lock ${file} is held by pid ${holder.pid}`);
    this.name = 'LockHeldError';
  }
}

export function readLock(file: string): LockHolder | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== 'number') return null;
    return { pid: v.pid, startTime: typeof v.startTime === 'number' ? v.startTime : null, what: String(v.what ?? '') };
  } catch {
    return null;
  }
}

function rawContent(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Takes the lock `file` for this process, or throws LockHeldError naming the
 * live holder. Re-acquiring a lock this process already holds succeeds.
 */
export function acquireLock(file: string, what: string): void {
  const me: LockHolder = { pid: process.pid, startTime: processStartTime(process.pid), what };
  const content = `${JSON.stringify(me)}\n`;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        fs.linkSync(tmp, file);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const before = rawContent(file);
      if (before === null) continue; // released meanwhile: try again
      const holder = readLock(file);
      if (holder && holder.pid === process.pid) return;
      if (holder && sameProcessAlive(holder.pid, holder.startTime)) throw new LockHeldError(file, holder);
      // Stale (dead owner) or unreadable: remove it, but only if it did not change under us.
      if (rawContent(file) === before) {
        try {
          fs.unlinkSync(file);
        } catch {
          // someone else removed it first
        }
      }
    }
    throw new Error(`could not take the lock ${file} (it keeps changing)`);
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

/** Removes the lock if this process still holds it. Synchronous: usable in an 'exit' handler. */
export function releaseLock(file: string): void {
  const holder = readLock(file);
  if (holder && holder.pid === process.pid) {
    try {
      fs.unlinkSync(file);
    } catch {
      // already gone
    }
  }
}
