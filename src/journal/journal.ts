// The durable journal: the paths still to be pushed, on disk, so that after
// SIGKILL, a crash or a power cut the next start pushes what was pending —
// even without -r. sersync2 lost its whole queue in those cases (§8).
//
// File: `<stateDir>/journal-<sha1(realpath(W) + remotes)>.log`, append-only,
// mode 0600, one record per line-ish (lengths make any byte in a name safe):
//     W <len>:<dev>:<ino>\n                         the watch root's identity (first record)
//     M <remoteIndex> <f|d|x> <len>:<rel bytes>\n    marked (file, dir, delete)
//     D <remoteIndex> <len>:<rel bytes>\n            delivered
//     R 0:\n / C 0:\n                              a reconciliation is owed / no longer
//                                                  owed (sweepDebt.ts: a stream's repair
//                                                  had not run); the last one wins
// Replaying the records in order gives the live set: M adds (remote, rel), D
// removes it. A torn last record (crash mid-write) ends the parse. The W
// record lets the next start notice that the watch root is not the directory
// the records were made in (a file system not mounted yet shows an empty
// directory): then a path that looks gone must not become a remote delete.
//
// Cost on the hot path (every mark, every delivery): one short string pushed
// to an array. Records are written and fdatasync'ed in groups (group commit):
// every flushMs (100 ms) or as soon as maxRecords (1000) are waiting,
// whichever comes first, one write + one fdatasync per group, off the event
// loop (libuv threadpool). So a crash loses at most the last ~100 ms of marks.
//
// Bounded size: when the engine is idle (nothing pending or in flight) after a
// group was written, the file is truncated to 0 (every M has its D by then).
// When it grows past compactBytes (8 MiB), it is rewritten with only the live
// set, taken from the engine's queues (the authority: absorbed and swallowed
// marks disappear there), via temp file + fsync + rename. On start, the live
// set is read, written back compacted, and re-marked; on a clean shutdown the
// file is compacted to what is still pending (the fail log has it too), or
// removed when nothing is.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { canonicalPath, sha1hex } from '../daemon/paths.js';
import type { Logger } from '../log/logger.js';
import type { PushKind, PushOp } from '../rsync/argv.js';
import { type BytePath, display, fromBuffer, toBuffer } from '../util/bytepath.js';

export interface LiveEntry {
  remoteIndex: number;
  rel: BytePath;
  kind: PushKind;
}

export interface JournalOptions {
  /** The journal file (journalPath()). */
  file: BytePath;
  /** The watch root W (its device and inode are recorded). */
  root: BytePath;
  log: Logger;
  /** Everything pending or in flight now, per remote (engine.pending()). */
  live: () => Array<{ remoteIndex: number; ops: PushOp[] }>;
  /** True when nothing is pending or in flight on any remote. */
  idle: () => boolean;
  flushMs?: number;
  maxRecords?: number;
  compactBytes?: number;
}

const KIND_CODE: Record<PushKind, string> = { file: 'f', dir: 'd', delete: 'x' };
const CODE_KIND: Record<string, PushKind> = { f: 'file', d: 'dir', x: 'delete' };

/** `<stateDir>/journal-<sha1(realpath(root) \0 target \0 target…)>.log` */
export function journalPath(stateDir: BytePath, root: BytePath, targets: BytePath[]): BytePath {
  const parts = [canonicalPath(toBuffer(root)), ...targets.map((t) => Buffer.concat([Buffer.from([0]), toBuffer(t)]))];
  return `${stateDir.replace(/\/+$/, '')}/journal-${sha1hex(Buffer.concat(parts))}.log`;
}

/** One record (pure; exported for tests). */
export function markRecord(remoteIndex: number, rel: BytePath, kind: PushKind): string {
  return `M ${remoteIndex} ${KIND_CODE[kind]} ${rel.length}:${rel}\n`;
}

export function deliveredRecord(remoteIndex: number, rel: BytePath): string {
  return `D ${remoteIndex} ${rel.length}:${rel}\n`;
}

/** R: a reconciliation is owed; C: it is not (any more). */
export function debtRecord(owed: boolean): string {
  return owed ? 'R 0:\n' : 'C 0:\n';
}

export function rootRecord(rootId: string): string {
  return `W ${rootId.length}:${rootId}\n`;
}

export interface ParsedJournal {
  /** The live set in first-marked order (last kind wins). */
  live: LiveEntry[];
  /** `<dev>:<ino>` of the watch root when the records were made (the last W record), or null. */
  rootId: string | null;
  records: number;
  /** Bytes at the end that are not a complete record (a torn write), 0 normally. */
  tornBytes: number;
  /** The last R/C record was R: the run that wrote it owed a reconciliation. */
  reconcileOwed: boolean;
}

/** Parse journal bytes (a byte string) into the live set. Pure. */
export function parseJournal(text: BytePath): ParsedJournal {
  const live = new Map<string, LiveEntry>();
  let pos = 0;
  let records = 0;
  let rootId: string | null = null;
  let reconcileOwed = false;
  const num = (): number | null => {
    let end = pos;
    while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
    if (end === pos || end - pos > 12) return null;
    const n = Number(text.slice(pos, end));
    pos = end;
    return n;
  };
  const expect = (c: string): boolean => {
    if (text[pos] !== c) return false;
    pos++;
    return true;
  };
  while (pos < text.length) {
    const start = pos;
    const type = text[pos++];
    let kind: PushKind | undefined;
    const bare = type === 'W' || type === 'R' || type === 'C'; // no remote index
    let ok = (type === 'M' || type === 'D' || bare) && expect(' ');
    const ri = !ok ? null : bare ? 0 : num();
    ok = ok && ri !== null && (bare || expect(' '));
    if (ok && type === 'M') {
      kind = CODE_KIND[text[pos] ?? ''];
      pos++;
      ok = kind !== undefined && expect(' ');
    }
    const len = ok ? num() : null;
    ok = ok && len !== null && expect(':') && pos + len! < text.length;
    const rel = ok ? text.slice(pos, pos + len!) : '';
    if (ok) pos += len!;
    ok = ok && expect('\n');
    if (!ok) return { live: [...live.values()], rootId, records, tornBytes: text.length - start, reconcileOwed };
    records++;
    const k = `${ri}\0${rel}`;
    if (type === 'W') {
      rootId = rel;
    } else if (type === 'R' || type === 'C') {
      reconcileOwed = type === 'R';
    } else if (type === 'M') {
      const e = live.get(k);
      if (e) e.kind = kind!;
      else live.set(k, { remoteIndex: ri!, rel, kind: kind! });
    } else {
      live.delete(k);
    }
  }
  return { live: [...live.values()], rootId, records, tornBytes: 0, reconcileOwed };
}

export class Journal {
  private readonly file: Buffer;
  private fh: fsp.FileHandle | null = null;
  private buf: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private size = 0;
  private paused = false;
  private closed = false;
  private failedOnce = false;
  private readonly flushMs: number;
  private readonly maxRecords: number;
  private readonly compactBytes: number;
  /** Counters for tests and the overhead report. */
  readonly stats = { records: 0, groups: 0, bytes: 0, truncations: 0, compactions: 0 };
  /** After open(): the watch root is not the directory the old records were made in. */
  rootChanged = false;
  /** After open(): the previous run stopped owing a reconciliation (R record). */
  reconcileOwedAtOpen = false;
  private rootId = '';
  /** A reconciliation is owed (kept across compactions and truncations). */
  private reconcileOwed = false;

  constructor(private readonly o: JournalOptions) {
    this.file = toBuffer(o.file);
    this.flushMs = o.flushMs ?? 100;
    this.maxRecords = o.maxRecords ?? 1000;
    this.compactBytes = o.compactBytes ?? 8 * 1024 * 1024;
  }

  /**
   * Read what a previous run left (the live set), write it back compacted,
   * and open the file for appending. Marks made before open() are kept in
   * memory and written right after.
   */
  async open(): Promise<LiveEntry[]> {
    await fsp.mkdir(path.dirname(this.file.toString('latin1')), { recursive: true, mode: 0o700 });
    try {
      const st = await fsp.stat(toBuffer(this.o.root));
      this.rootId = `${st.dev}:${st.ino}`;
    } catch {
      this.rootId = 'missing';
    }
    let live: LiveEntry[] = [];
    try {
      const data = await fsp.readFile(this.file);
      const p = parseJournal(fromBuffer(data));
      live = p.live;
      this.reconcileOwedAtOpen = p.reconcileOwed;
      this.reconcileOwed ||= p.reconcileOwed; // (or owed already by this run, before open)
      this.rootChanged = live.length > 0 && p.rootId !== this.rootId;
      if (p.tornBytes) this.o.log.warn(`journal ${display(this.o.file)}: ignored a torn record at the end (${p.tornBytes} bytes; the last write before a crash)`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await this.writeCompacted(live.map((e) => markRecord(e.remoteIndex, e.rel, e.kind)).join(''));
    if (this.buf.length) this.schedule();
    return live;
  }

  /** A reconciliation is owed (true) or no longer (false): recorded when it changes. */
  setReconcileOwed(owed: boolean): void {
    if (this.closed || owed === this.reconcileOwed) return;
    this.reconcileOwed = owed;
    this.buf.push(debtRecord(owed));
    this.schedule();
  }

  /** While paused, marks are not recorded (re-marking what open() returned: it is already on disk). */
  pause(on: boolean): void {
    this.paused = on;
  }

  /** Hot path: a path was marked for a remote. */
  marked(remoteIndex: number, rel: BytePath, kind: PushKind): void {
    if (this.paused || this.closed) return;
    this.buf.push(markRecord(remoteIndex, rel, kind));
    this.schedule();
  }

  /**
   * Hot path: ops reached a remote. `stillPending(rel)` says whether the path
   * was marked again meanwhile (then it stays live: no D record).
   */
  delivered(remoteIndex: number, ops: readonly PushOp[], stillPending: (rel: BytePath) => boolean): void {
    if (this.closed) return;
    for (const op of ops) if (!stillPending(op.rel)) this.buf.push(deliveredRecord(remoteIndex, op.rel));
    this.schedule();
  }

  /** Write and fdatasync everything recorded so far. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buf.length === 0 || !this.fh) return;
    this.flushing = this.writeGroup().finally(() => {
      this.flushing = null;
    });
    await this.flushing;
    if (this.buf.length >= this.maxRecords) await this.flush();
  }

  /** Rewrite the file with only the live set (from the engine). */
  async compact(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.doCompact().finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  /** Clean shutdown: compact to what is still pending (nothing pending: no file left), close. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.compact().catch((e: Error) => this.o.log.error(`journal: cannot compact ${display(this.o.file)}: ${e.message}`));
    this.closed = true;
    await this.fh?.close().catch(() => {});
    this.fh = null;
    if (this.size === 0) await fsp.unlink(this.file).catch(() => {});
  }

  private schedule(): void {
    if (this.buf.length >= this.maxRecords) {
      if (!this.flushing) void this.flush().catch(() => {});
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().catch(() => {});
    }, this.flushMs);
    this.timer.unref();
  }

  private async writeGroup(): Promise<void> {
    const n = this.buf.length;
    // Every non-empty journal starts with the root's identity.
    const data = Buffer.from((this.size === 0 ? rootRecord(this.rootId) : '') + this.buf.join(''), 'latin1');
    this.buf = [];
    try {
      await this.fh!.write(data);
      await this.fh!.datasync();
      this.failedOnce = false;
    } catch (e) {
      if (!this.failedOnce) this.o.log.error(`journal: cannot write ${display(this.o.file)}: ${(e as Error).message}; pending paths may not survive a crash`);
      this.failedOnce = true;
      return;
    }
    this.size += data.length;
    this.stats.records += n;
    this.stats.groups++;
    this.stats.bytes += data.length;
    // Nothing pending anywhere and nothing unwritten: every M has its D.
    if (this.buf.length === 0 && this.size > 0 && !this.reconcileOwed && this.o.idle()) {
      await this.fh!.truncate(0);
      this.size = 0;
      this.stats.truncations++;
    } else if (this.size > this.compactBytes) {
      await this.doCompact();
    }
  }

  private async doCompact(): Promise<void> {
    // The engine's queues hold every mark made so far (the buffer is covered too).
    const text = this.o
      .live()
      .flatMap(({ remoteIndex, ops }) => ops.map((op) => markRecord(remoteIndex, op.rel, op.kind)))
      .join('');
    this.buf = [];
    await this.writeCompacted(text);
    this.stats.compactions++;
  }

  /** Replace the file atomically with `text`, then append to the new file. */
  private async writeCompacted(text: string): Promise<void> {
    const dir = path.dirname(this.file.toString('latin1'));
    const tmp = Buffer.from(`${this.file.toString('latin1')}.${process.pid}.tmp`, 'latin1');
    const body = (this.reconcileOwed ? debtRecord(true) : '') + text;
    const data = Buffer.from(body === '' ? '' : rootRecord(this.rootId) + body, 'latin1');
    const fh = await fsp.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, this.file);
    try {
      const d = await fsp.open(dir, fs.constants.O_RDONLY);
      await d.sync().catch(() => {});
      await d.close();
    } catch {
      // best effort
    }
    const old = this.fh;
    this.fh = await fsp.open(this.file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW, 0o600);
    this.size = data.length;
    await old?.close().catch(() => {});
  }
}
