// rsync's progress and statistics output, as data (pure).
//
// `--info=progress2` prints one whole-transfer line, rewritten in place with
// '\r', e.g. (rsync 3.5.0):
//   `         13,850  99%  214.66kB/s    0:00:00 (xfr#2989, to-chk=11/3001)`
//   bytes so far, percent, rate, time (remaining while running, elapsed in the
//   last line), files transferred, and entries still to check / total
//   (`ir-chk` while the incremental file list is still being built, so the
//   total is not final yet).
// `--stats` prints a block at the end:
//   `Number of files: 3,001 (reg: 3,000, dir: 1)`, `Number of deleted files: 0`,
//   `Number of regular files transferred: 3,000`, `Total file size: 13,893 bytes`,
//   `Total bytes sent: 194,477` …
// Numbers carry digit grouping (',' or '.' depending on the locale), so only
// the digits are kept.

export interface Progress {
  bytes: number;
  percent: number;
  /** rsync's own rate text, e.g. `12.34MB/s`. */
  rate: string;
  /** `h:mm:ss`: remaining time while running (elapsed in rsync's final line). */
  time: string;
  transferred: number | null;
  /** Entries still to check, and the total known so far. */
  toCheck: number | null;
  total: number | null;
  /** The total is still growing (incremental recursion: `ir-chk`). */
  scanning: boolean;
}

export interface TransferStats {
  /** Entries considered (files, dirs, links…). */
  files: number;
  regularTransferred: number;
  created: number;
  deleted: number;
  /** Size of all the files considered, in bytes. */
  totalSize: number;
  transferredSize: number;
  bytesSent: number;
  bytesReceived: number;
}

const digits = (s: string): number => Number(s.replace(/[^0-9]/g, '') || '0');

const PROGRESS2 =
  /^\s*([0-9][0-9,.']*)\s+(\d{1,3})%\s+(\S+)\s+(\d+:\d\d:\d\d)(?:\s+\(xfr#(\d+),\s+(to|ir)-chk=(\d+)\/(\d+)\))?\s*$/;

/** One progress2 line (without the '\r'); null when the text is something else. */
export function parseProgress2(line: string): Progress | null {
  const m = PROGRESS2.exec(line);
  if (!m) return null;
  return {
    bytes: digits(m[1]!),
    percent: Number(m[2]),
    rate: m[3]!,
    time: m[4]!,
    transferred: m[5] === undefined ? null : Number(m[5]),
    toCheck: m[7] === undefined ? null : Number(m[7]),
    total: m[8] === undefined ? null : Number(m[8]),
    scanning: m[6] === 'ir',
  };
}

/**
 * Incremental parser for rsync's stdout: feed chunks, get the latest
 * progress on every complete '\r' or '\n' terminated line; keeps the last
 * other lines for stats parsing at the end (progress lines are not kept).
 */
export class Progress2Reader {
  private partial = '';
  private lines: string[] = [];
  latest: Progress | null = null;

  constructor(private readonly onProgress?: (p: Progress) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    const parts = text.split(/[\r\n]/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.line(line);
  }

  end(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
  }

  /** The last non-progress lines (the stats block, chatter). */
  get otherLines(): readonly string[] {
    return this.lines;
  }

  private line(line: string): void {
    if (line.trim() === '') return;
    const p = parseProgress2(line);
    if (p) {
      this.latest = p;
      this.onProgress?.(p);
      return;
    }
    // The stats block comes last; with -v in commonParams every file name
    // comes before it, so only the tail is kept.
    this.lines.push(line);
    if (this.lines.length > 400) this.lines.splice(0, this.lines.length - 200);
  }
}

/** The `--stats` block; null when there is none. */
export function parseStats(text: string): TransferStats | null {
  const grab = (re: RegExp): number | null => {
    const m = re.exec(text);
    return m ? digits(m[1]!) : null;
  };
  const files = grab(/^Number of files: ([0-9,.']+)/m);
  if (files === null) return null;
  return {
    files,
    regularTransferred: grab(/^Number of regular files transferred: ([0-9,.']+)/m) ?? 0,
    created: grab(/^Number of created files: ([0-9,.']+)/m) ?? 0,
    deleted: grab(/^Number of deleted files: ([0-9,.']+)/m) ?? 0,
    totalSize: grab(/^Total file size: ([0-9,.']+)/m) ?? 0,
    transferredSize: grab(/^Total transferred file size: ([0-9,.']+)/m) ?? 0,
    bytesSent: grab(/^Total bytes sent: ([0-9,.']+)/m) ?? 0,
    bytesReceived: grab(/^Total bytes received: ([0-9,.']+)/m) ?? 0,
  };
}

/** 0 B, 1.5 KiB, 20.0 MiB … */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The live line for one remote on a terminal. */
export function renderProgressLine(label: string, p: Progress | null, phase: string): string {
  if (!p) return `full sync to ${label}: ${phase}`;
  const files =
    p.total === null || p.toCheck === null
      ? ''
      : p.scanning
        ? `, ${p.total - p.toCheck}/${p.total}+ files (still listing)`
        : `, ${p.total - p.toCheck}/${p.total} files`;
  const xfr = p.transferred === null ? '' : `, ${p.transferred} sent`;
  return `full sync to ${label}: ${String(p.percent).padStart(3)}% ${humanBytes(p.bytes)} ${p.rate} ETA ${p.time}${files}${xfr}`;
}

export interface SummaryInput {
  label: string;
  reason: string;
  ok: boolean;
  durationMs: number;
  stats: TransferStats | null;
  /** Deleted on the remote (rsync's count, or ours in list mode). */
  deleted: number;
  /** Why deletions were skipped, if they were. */
  deleteNote?: string;
  error?: string;
}

/**
 * The one line per remote printed when a full sync ends:
 * `full sync to 127.0.0.1::www: 20001 files, 20480000 bytes, 3.2 s (-r; 17 transferred, 2 deleted)`
 * or `full sync to 127.0.0.1::www failed after 0.1 s: <why> (crontab)`.
 */
export function formatSummary(s: SummaryInput): string {
  const secs = (s.durationMs / 1000).toFixed(1);
  if (!s.ok) return `full sync to ${s.label} failed after ${secs} s: ${s.error ?? 'unknown error'} (${s.reason})`;
  const st = s.stats;
  const head = st ? `${st.files} files, ${st.totalSize} bytes, ${secs} s` : `${secs} s`;
  const detail = [...(st ? [`${st.regularTransferred} transferred`] : []), `${s.deleted} deleted`].join(', ');
  return `full sync to ${s.label}: ${head} (${s.reason}; ${detail}${s.deleteNote ? `; ${s.deleteNote}` : ''})`;
}
