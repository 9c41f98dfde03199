// What happens after an rsync exit, as data (for the README and --help-like
// output) — built from rsync/exitcodes.ts's RSYNC_EXIT_CODES so the two never
// disagree. The mechanism is engine/remoteSender.ts (per remote):
//
// 1. live attempt; on failure, one retry at once (as sersync2, §6.2);
// 2. if that fails too, every path of the call gets one fail-log entry
//    (`#errno <exit × 256>`), and the paths stay queued: never dropped;
// 3. further attempts back off exponentially: base × 2^(n−1), ±20 % jitter,
//    capped; while a remote is failing only one rsync at a time probes it;
// 4. the first success resets the backoff, sends what queued up, and replays
//    that remote's fail-log entries; the delivered paths leave the fail log.
// A remote that is down only delays itself: each remote has its own queue,
// backoff and rsync processes.
import type { ExitClass } from '../rsync/exitcodes.js';
import { RSYNC_EXIT_CODES } from '../rsync/exitcodes.js';

export const DEFAULT_RETRY_BASE_MS = 500;
export const DEFAULT_RETRY_MAX_MS = 60_000;

export const RETRY_ACTIONS: Record<ExitClass, string> = {
  ok: 'done',
  vanished: 'done: the source path vanished or changed while it was sent (the event for that change follows); not retried, not fail-logged (sersync2 counts 23 as success)',
  transient: 'retried at once, then with backoff until it works; fail-logged after the second failure; never given up',
  config:
    'like transient (retried with backoff, fail-logged, never given up — the fix is often on the remote side), and the cause is logged ONCE at error level until the remote works again',
};

/** The delay before attempt n+1 after n consecutive failures (n ≥ 1), without jitter. */
export function backoffDelayMs(failures: number, baseMs = DEFAULT_RETRY_BASE_MS, capMs = DEFAULT_RETRY_MAX_MS): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
}

/** The README table: exit code → meaning → class → what sersync-ts does. */
export function retryPolicyMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = RSYNC_EXIT_CODES.map(
    (e) => `| ${e.code} | ${esc(e.meaning)}${e.note ? ` (${esc(e.note)})` : ''} | ${e.class} | ${esc(RETRY_ACTIONS[e.class])} |`,
  );
  rows.push(`| other codes, or killed by a signal (e.g. our timeout) | — | transient | ${esc(RETRY_ACTIONS.transient)} |`);
  rows.push(`| rsync could not be started (not installed, watch root gone) | — | config | ${esc(RETRY_ACTIONS.config)} |`);
  return [
    '| rsync exit | meaning | class | what happens |',
    '|---|---|---|---|',
    ...rows,
    '',
    `Backoff per remote: ${DEFAULT_RETRY_BASE_MS} ms × 2^(failures−1), ±20 % jitter, capped at ${DEFAULT_RETRY_MAX_MS / 1000} s ` +
      '(`<sersyncts retryBaseMs="…" retryMaxMs="…"/>`). While a remote fails, one rsync at a time probes it; the others are unaffected.',
  ].join('\n');
}
