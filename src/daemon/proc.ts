// Is a process still the one we think it is? A pid alone can be reused after
// a crash, so locks also record the process start time from /proc.
import fs from 'node:fs';

/**
 * True while a process with this pid runs (even one owned by another user). A
 * zombie (exited, not yet reaped by its parent or init) counts as gone.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return processState(pid) !== 'Z';
}

/** The state letter of /proc/<pid>/stat (R, S, D, Z, …), or null. */
export function processState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || null;
  } catch {
    return null;
  }
}

/** The start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22), or null. */
export function processStartTime(pid: number): number | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  return parseStartTime(text);
}

/** Field 22 of a /proc/<pid>/stat line; the command name (field 2) may hold spaces and ')'. */
export function parseStartTime(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const v = Number(fields[19]);
  return Number.isFinite(v) ? v : null;
}

/**
 * True when the process that wrote a record (pid + optional start time) is
 * still running: same pid, and the same start time when one was recorded.
 */
export function sameProcessAlive(pid: number, startTime: number | null | undefined): boolean {
  if (!pidAlive(pid)) return false;
  if (startTime === null || startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}
