// closeWrite emulation when a held file op is about to go out. The intake
// holds a file younger than quietMs (it may still be being written), but it
// only sees the file when the hint arrives; a big file is usually still being
// written when that hold ends, and pushing it then means pushing it twice (a
// partial copy, then the rest by delta transfer). The sender asks this again
// just before the push.

/**
 * How long a file op may be held back, at most, because its file keeps
 * changing (counted from the first change seen): a file written without a
 * pause (a log kept open) is still pushed this often.
 */
export const MAX_SETTLE_MS = 5000;

/**
 * When may a held file op go out? null = now (quiet for quietMs, or an mtime
 * in the future that waiting would not change, or held long enough already),
 * else the time the file will have been quiet for quietMs (at most
 * firstSeen + maxSettleMs).
 */
export function settleUntil(mtimeMs: number, firstSeen: number, now: number, quietMs: number, maxSettleMs = MAX_SETTLE_MS): number | null {
  const age = now - mtimeMs;
  if (age < 0 || age >= quietMs) return null;
  if (now - firstSeen >= maxSettleMs) return null;
  return Math.min(mtimeMs + quietMs, firstSeen + maxSettleMs);
}
