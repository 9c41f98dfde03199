// The status document a running daemon hands out (one JSON object), and its
// human-readable rendering for `sersync2 --status`. Pure.
import type { EngineStatus } from '../engine/engine.js';
import type { SenderStatus } from '../engine/remoteSender.js';
import type { FailLogCount } from './failLogCount.js';

export const STATUS_VERSION = 1;

export interface RemoteStatus extends SenderStatus {
  /** Age of the oldest pending change in seconds (the replication lag); 0 when nothing is pending. */
  lagSeconds: number;
  /** Fail-log entries naming this remote. */
  failLogEntries: number;
}

export interface StatusDocument {
  version: number;
  program: 'sersync-ts';
  pid: number;
  /** epoch ms */
  startedAt: number;
  /** epoch ms, when the document was made (ages are relative to it). */
  now: number;
  uptimeSeconds: number;
  /** 'sync' or the `-m` plugin name. */
  mode: string;
  config: string;
  root: string;
  watching: boolean;
  /** Watches held by this process, and the per-user kernel limit (fs.inotify.max_user_watches). */
  watches: { inUse: number; limit: number | null };
  events: number;
  failLog: { path: string; entries: number };
  remotes: RemoteStatus[];
}

export function buildStatusDocument(p: {
  engine: EngineStatus;
  failLog: FailLogCount;
  failLogPath: string;
  watchLimit: number | null;
  startedAt: number;
  now: number;
  pid: number;
  mode: string;
  config: string;
}): StatusDocument {
  return {
    version: STATUS_VERSION,
    program: 'sersync-ts',
    pid: p.pid,
    startedAt: p.startedAt,
    now: p.now,
    uptimeSeconds: Math.max(0, Math.round((p.now - p.startedAt) / 1000)),
    mode: p.mode,
    config: p.config,
    root: p.engine.root,
    watching: p.engine.watching,
    watches: { inUse: p.engine.watches, limit: p.watchLimit },
    events: p.engine.events,
    failLog: { path: p.failLogPath, entries: p.failLog.total },
    remotes: p.engine.remotes.map((r, i) => ({
      ...r,
      lagSeconds: r.oldestPendingMs === null ? 0 : Math.round(r.oldestPendingMs / 100) / 10,
      failLogEntries: p.failLog.perRemote[i] ?? 0,
    })),
  };
}

/** 0s, 42s, 3m07s, 2h05m, 3d04h. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d${String(h % 24).padStart(2, '0')}h`;
}

function ago(t: number | null, now: number): string {
  return t === null ? 'never' : `${formatDuration(now - t)} ago`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
}

function state(r: RemoteStatus): string {
  if (r.down) return 'DOWN';
  if (r.pending > 0 || r.inFlight > 0) return 'syncing';
  return 'in sync';
}

/** The `--status` text. */
export function formatStatus(doc: StatusDocument): string {
  const lines: string[] = [];
  const mode = doc.mode === 'sync' ? '' : ` (-m ${doc.mode})`;
  lines.push(`sersync-ts pid ${doc.pid}${mode}, up ${formatDuration(doc.uptimeSeconds * 1000)}, config ${doc.config}`);
  lines.push(`watch root: ${doc.root}${doc.watching ? '' : '  (NOT WATCHING: the root is gone)'}`);
  const limit = doc.watches.limit;
  const share = limit && limit > 0 && doc.watches.inUse >= 0 ? ` (${((100 * doc.watches.inUse) / limit).toFixed(1)}%)` : '';
  const inUse = doc.watches.inUse >= 0 ? String(doc.watches.inUse) : '?';
  lines.push(`inotify watches: ${inUse} in use of ${limit ?? '?'} (fs.inotify.max_user_watches)${share}`);
  lines.push(`events seen: ${doc.events}`);
  lines.push(`fail log: ${doc.failLog.path}: ${doc.failLog.entries} entr${doc.failLog.entries === 1 ? 'y' : 'ies'} waiting for replay`);
  if (doc.remotes.length === 0) return `${lines.join('\n')}\n`;
  lines.push('');
  const rows = [['REMOTE', 'STATE', 'PENDING', 'IN FLIGHT', 'LAG', 'LAST SUCCESS', 'FAILURES', 'FAIL LOG']];
  for (const r of doc.remotes) {
    rows.push([
      r.remote,
      state(r),
      String(r.pending),
      String(r.inFlight),
      r.oldestPendingMs === null ? '-' : formatDuration(r.oldestPendingMs),
      ago(r.lastSuccessAt, doc.now),
      String(r.failures),
      String(r.failLogEntries),
    ]);
  }
  lines.push(table(rows));
  for (const r of doc.remotes) {
    if (!r.down && !r.lastError) continue;
    const when = r.lastFailureAt === null ? '' : ` (${ago(r.lastFailureAt, doc.now)})`;
    const next = r.nextAttemptAt !== null && r.nextAttemptAt > doc.now ? `; next attempt in ${formatDuration(r.nextAttemptAt - doc.now)}` : '';
    lines.push(`${r.remote}: last error${when}: ${r.lastError ?? '?'}${next}`);
  }
  return `${lines.join('\n')}\n`;
}
