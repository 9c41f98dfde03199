// inotify limits. The kernel queue (max_queued_events, default 16384) overflows
// under bursts and @parcel/watcher swallows the overflow silently, so as root
// we raise it before subscribing (it only applies to instances created later).
// The watch limit (max_user_watches, per user across all processes) is raised
// only when the tree needs it; without root we say exactly what to run.
import fs from 'node:fs';

const QUEUED = '/proc/sys/fs/inotify/max_queued_events';
const WATCHES = '/proc/sys/fs/inotify/max_user_watches';

/** The queue size sersync-ts asks for (sersync2 asked for 327679). */
export const WANTED_QUEUED_EVENTS = 1_048_576;

export function readLimit(file: string): number | null {
  try {
    const n = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

function raise(file: string, to: number): boolean {
  try {
    fs.writeFileSync(file, `${to}\n`);
    return readLimit(file) === to;
  } catch {
    return false;
  }
}

export interface LimitChange {
  name: string;
  from: number;
  to: number;
}

/** As root, raise max_queued_events if it is lower than we want. Returns what changed. */
export function raiseQueueLimit(): LimitChange | null {
  const cur = readLimit(QUEUED);
  if (cur === null || cur >= WANTED_QUEUED_EVENTS || !isRoot()) return null;
  return raise(QUEUED, WANTED_QUEUED_EVENTS) ? { name: 'fs.inotify.max_queued_events', from: cur, to: WANTED_QUEUED_EVENTS } : null;
}

export function queueLimit(): number | null {
  return readLimit(QUEUED);
}

export function watchLimit(): number | null {
  return readLimit(WATCHES);
}

/**
 * As root, raise max_user_watches so that `needed` more watches fit (twice
 * what is needed, so the tree can grow). Returns what changed, or null.
 */
export function raiseWatchLimit(needed: number, inUse: number): LimitChange | null {
  const cur = readLimit(WATCHES);
  if (cur === null || !isRoot()) return null;
  const want = Math.max(cur, inUse + needed * 2);
  if (want <= cur) return null;
  return raise(WATCHES, want) ? { name: 'fs.inotify.max_user_watches', from: cur, to: want } : null;
}

/** The one-line error for a watch limit that is too low (issue: name the sysctl, the number, the command). */
export function watchLimitMessage(root: string, needed: number): string {
  const cur = readLimit(WATCHES);
  // Other processes of the user hold watches too: always above the current limit.
  const want = Math.max(needed * 2, 65536, (cur ?? 0) + needed * 2);
  return (
    `not enough inotify watches to watch ${root}: it has ${needed} directories (one watch each) but ` +
    `fs.inotify.max_user_watches is ${cur ?? 'unknown'} (shared by all processes of this user). ` +
    `Raise it: sysctl -w fs.inotify.max_user_watches=${want} (and put fs.inotify.max_user_watches=${want} in /etc/sysctl.d/90-sersync.conf)`
  );
}
