// A cross-process lock file for the fail log: `<file>` created with
// O_CREAT|O_EXCL|O_NOFOLLOW (mode 0600), holding `<pid> <start time>\n`.
// Node has no flock; O_EXCL is atomic on local file systems. O_NOFOLLOW and
// O_EXCL together mean a symlink planted next to a fail log in /tmp is never
// followed (the stock fail log lives in /tmp).
//
// A lock whose holder is gone (dead pid, a zombie, or the pid now belongs to
// a younger process) is stale and taken over. A lock file that is empty or
// unreadable is "being written" for a moment; after STALE_UNREADABLE_MS it is
// stale too (its writer died between create and write).
//
// Residual race (as in daemon/lock.ts): two processes that find the same
// stale lock at the same instant both re-read it just before unlinking it;
// only the microseconds between that re-read and the unlink are unprotected.
import fs from 'node:fs';
import { processStartTime, sameProcessAlive } from '../daemon/proc.js';

export interface LockOwner {
  pid: number;
  startTime: number | null;
}

const STALE_UNREADABLE_MS = 2000;

function readRaw(file: string | Buffer): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(128);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('latin1');
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

export function parseOwner(text: string | null): LockOwner | null {
  if (text === null) return null;
  const m = /^(\d+)(?: (\d+))?\n/.exec(text);
  if (!m) return null;
  return { pid: Number(m[1]), startTime: m[2] === undefined ? null : Number(m[2]) };
}

/** The current holder of a lock file, or null (no lock, or not readable yet). */
export function lockOwner(file: string | Buffer): LockOwner | null {
  return parseOwner(readRaw(file));
}

function ageMs(file: string | Buffer): number {
  try {
    return Date.now() - fs.lstatSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

export type TryLockResult = { ok: true } | { ok: false; owner: LockOwner | null };

/** One attempt: take the lock, or say who holds it. Synchronous and short. */
export function tryLock(file: string | Buffer): TryLockResult {
  const myStart = processStartTime(process.pid) ?? 0;
  const me = `${process.pid} ${myStart}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const before = readRaw(file);
      if (before === null) continue; // released meanwhile
      const owner = parseOwner(before);
      // Held by this very process (another FailLog object, or a caller that did
      // not serialise): busy, like any other live holder.
      if (owner && owner.pid === process.pid && (owner.startTime ?? 0) === myStart) return { ok: false, owner };
      if (owner && owner.pid !== process.pid && sameProcessAlive(owner.pid, owner.startTime || null)) return { ok: false, owner };
      if (!owner && ageMs(file) < STALE_UNREADABLE_MS) return { ok: false, owner: null };
      // This pid in an earlier life (pid reuse), a dead holder, or junk: take it over,
      // but only if it did not change under us.
      if (readRaw(file) === before) {
        try {
          fs.unlinkSync(file);
        } catch {
          // someone else removed it first
        }
      }
      continue;
    }
    try {
      fs.writeSync(fd, me);
    } finally {
      fs.closeSync(fd);
    }
    return { ok: true };
  }
  return { ok: false, owner: lockOwner(file) };
}

/** Remove the lock if this process holds it. */
export function unlock(file: string | Buffer): void {
  const owner = lockOwner(file);
  if (owner && owner.pid === process.pid) {
    try {
      fs.unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

export class LockTimeoutError extends Error {
  constructor(
    readonly file: string,
    readonly owner: LockOwner | null,
    waitedMs: number,
  ) {
    super(`the lock ${file} is held by ${owner ? `pid ${owner.pid}` : 'another process'} (waited ${waitedMs} ms)`);
    this.name = 'LockTimeoutError';
  }
}

/**
 * Take the lock, polling every `pollMs` for at most `timeoutMs` (0 = one
 * attempt). `onWait` is called once, with the holder, when the lock is busy.
 */
export async function acquire(
  file: string | Buffer,
  opts: { timeoutMs: number; pollMs?: number; onWait?: (owner: LockOwner | null) => void },
): Promise<void> {
  const started = Date.now();
  const poll = opts.pollMs ?? 20;
  let told = false;
  for (;;) {
    const r = tryLock(file);
    if (r.ok) return;
    const waited = Date.now() - started;
    if (waited >= opts.timeoutMs) throw new LockTimeoutError(Buffer.isBuffer(file) ? file.toString('latin1') : file, r.owner, waited);
    if (!told) {
      told = true;
      opts.onWait?.(r.owner);
    }
    await new Promise((res) => setTimeout(res, Math.min(poll, Math.max(1, opts.timeoutMs - waited))));
  }
}
