// The fail log on disk: sersync2's text format (format.ts: a /bin/sh script of
// rsync command lines, each after a `#errno <status>` comment), one entry per
// (remote, path), every argument single-quoted.
//
// File safety (spec §9.2: sersync2 made it 0777 and ran it as root):
// - created 0600 (O_CREAT|O_NOFOLLOW), never chmod'ed wider;
// - at start-up a group/world-writable file that we own is fixed to 0600, loudly;
// - a file we do not own (euid), or a symlink, is neither written nor replayed;
// - a replay refuses a file that is not ours or is writable by others.
//
// Concurrency: every read-modify-write runs in one in-process queue AND under
// the lock file `<path>.lock` (lockFile.ts; short holds), so the daemon, a
// cron `--replay-faillog` and the daemon's own replay never interleave
// writes. Rewrites are atomic: a temp file in the same directory, fsync,
// rename, fsync of the directory. Appends that add nothing new are skipped.
//
// Changes are queued as ops (add / del / status) and applied in order by
// flush(): the last op for a key wins. An in-memory index of the keys in the
// file (refreshed whenever the file changed under us: dev, ino, size, mtime,
// ctime) makes dedupe and "delivered → remove" cheap: a delivery of a path that
// is not in the file costs one Set lookup.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { PathFilter } from '../filter/pathFilter.js';
import type { Logger } from '../log/logger.js';
import type { PushOp } from '../rsync/argv.js';
import { buildFailLogCommand } from '../rsync/argv.js';
import { type BytePath, display, fromBuffer, toBuffer } from '../util/bytepath.js';
import { classifyEntry, type EntryContext, opKey, type Verdict } from './entries.js';
import { type FailLogEntry, formatCommand, isParsed, type ParsedEntry, parseFailLog, renderFailLog } from './format.js';
import { acquire, LockTimeoutError, unlock } from './lockFile.js';

export interface FailLogOptions {
  config: Config;
  /** The watch root W (the cwd of every entry). */
  root: BytePath;
  log: Logger;
  /** How long a writer waits for `<path>.lock` (default 15 s). */
  lockTimeoutMs?: number;
  /** Deliveries are batched this long before the file is rewritten (default 200 ms). */
  removeDebounceMs?: number;
}

/** One entry of the file, with what we know about it. */
export interface LoadedEntry {
  entry: FailLogEntry;
  verdict: Verdict;
}

export interface Snapshot {
  entries: LoadedEntry[];
  /** Why the file must not be replayed (not ours, writable by others), or null. */
  unsafe: string | null;
}

type Op =
  | { type: 'add'; key: string; entry: LoadedEntry }
  | { type: 'del'; key: string; ifLine?: BytePath }
  /** A directory push or a delete reached the remote: entries strictly below it are covered too. */
  | { type: 'delBelow'; key: string }
  | { type: 'status'; key: string; status: number; ifLine: BytePath };

interface FileState {
  /** dev:ino:size:mtimeNs:ctimeNs of the file when read/written, '' when missing. */
  id: string;
  entries: LoadedEntry[];
  /** key → index in entries (replayable entries only). */
  byKey: Map<string, number>;
  /** key → indexes of later entries with the same key (legacy duplicates). */
  dups: Map<string, number[]>;
  unsafe: string | null;
}

const euid = (): number => (typeof process.geteuid === 'function' ? process.geteuid() : -1);

function idOf(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** Why a file with this stat must not be trusted, or null. */
export function unsafeReason(st: { uid: number | bigint; mode: number | bigint }): string | null {
  const uid = Number(st.uid);
  const mode = Number(st.mode);
  const me = euid();
  if (me >= 0 && uid !== me) return `it is owned by uid ${uid}, not by this process (uid ${me})`;
  if (mode & 0o022) return `it is writable by ${mode & 0o002 ? 'everyone' : 'its group'} (mode ${(mode & 0o7777).toString(8).padStart(4, '0')})`;
  return null;
}

export class FailLogError extends Error {
  constructor(
    message: string,
    /** The file cannot be used until someone fixes it (a symlink, not ours): queued changes are dropped, not retried. */
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'FailLogError';
  }
}

export class FailLog {
  readonly path: BytePath;
  readonly ctx: EntryContext;
  private readonly file: Buffer;
  private readonly lockFile: Buffer;
  private readonly log: Logger;
  private readonly lockTimeoutMs: number;
  private readonly removeDebounceMs: number;
  private ops: Op[] = [];
  /** Keys that may be in the file (known, or added by a queued op). */
  private mayHave = new Set<string>();
  private state: FileState | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private removeTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private told = new Set<string>();
  /** Entries removed by replay outcomes (applyReplay's answer). */
  private replayRemoved = 0;

  constructor(o: FailLogOptions) {
    this.path = o.config.failLog.path;
    this.file = toBuffer(this.path);
    this.lockFile = toBuffer(`${this.path}.lock`);
    this.log = o.log;
    this.lockTimeoutMs = o.lockTimeoutMs ?? 15_000;
    this.removeDebounceMs = o.removeDebounceMs ?? 200;
    this.ctx = {
      config: o.config,
      root: o.root,
      filter: new PathFilter(o.config.filter.enabled ? o.config.filter.excludes : []),
    };
  }

  /** `<path>.replay.lock`: held for a whole replay (replay.ts). */
  get replayLockFile(): Buffer {
    return toBuffer(`${this.path}.replay.lock`);
  }

  /**
   * Start-up check (daemon and cron): fix a group/world-writable file we own
   * to 0600, loudly; say loudly when the file cannot be used at all. Also
   * loads the index of what the file holds.
   */
  async checkAtStartup(): Promise<void> {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.file);
    } catch {
      return; // created on the first failure
    }
    const name = display(this.path);
    if (st.isSymbolicLink()) {
      this.log.error(`the fail log ${name} is a symbolic link: sersync-ts will not write or replay through it (a link planted in /tmp is a classic attack). Remove it: rm ${name}`);
      return;
    }
    if (!st.isFile()) {
      this.log.error(`the fail log ${name} is not a regular file: failed pushes cannot be recorded there. Fix failLog@path`);
      return;
    }
    const me = euid();
    if (me >= 0 && st.uid !== me) {
      this.log.error(
        `the fail log ${name} belongs to uid ${st.uid}, not to this process (uid ${me}): sersync-ts will neither write nor replay it ` +
          `(anyone who owns it could put commands in it). Remove it or chown it to uid ${me}`,
      );
      return;
    }
    if (st.mode & 0o077) {
      const writable = (st.mode & 0o022) !== 0;
      const old = (st.mode & 0o7777).toString(8).padStart(4, '0');
      fs.chmodSync(this.file, 0o600);
      if (writable) {
        this.log.error(
          `SECURITY: the fail log ${name} was writable by ${st.mode & 0o002 ? 'everyone' : 'its group'} (mode ${old}, as sersync2's chmod 777 left it): ` +
            `anyone could have added commands to a script that cron or sersync2 ran as this user. Its mode is now 0600. ` +
            `Check its entries: sersync-ts only replays entries it recognises and never runs the file itself`,
        );
      } else {
        this.log.warn(`the fail log ${name} was readable by others (mode ${old}); its mode is now 0600`);
      }
    }
    await this.serial(async () => {
      await this.load();
    });
  }

  /** Record failed ops of remote `remoteIndex` (status: sersync2's #errno value). Resolves once written. */
  append(remoteIndex: number, ops: PushOp[], status: number): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    const remote = this.ctx.config.remotes[remoteIndex]!;
    for (const op of ops) {
      const key = opKey(this.ctx, remoteIndex, op.rel);
      const { cwd, args } = buildFailLogCommand(this.ctx.config, remote, op, this.ctx.root);
      const entry: LoadedEntry = {
        entry: { status, line: formatCommand(cwd, args), cwd, args },
        verdict: { ok: true, key, remoteIndex, rel: op.rel, form: op.kind === 'delete' ? 'delete' : 'sync' },
      };
      this.ops.push({ type: 'add', key, entry });
      this.mayHave.add(key);
    }
    return this.flush();
  }

  /**
   * Ops that reached remote `remoteIndex`: their entries (if any) go away,
   * and for a directory push or a delete, the entries below it too (the
   * recursive push / the delete covered them). Hot path (every delivery):
   * O(1) per op when the file is empty or the path is not in it; the file is
   * rewritten at most once per removeDebounceMs.
   */
  noteDelivered(remoteIndex: number, ops: readonly PushOp[]): void {
    if (this.mayHave.size === 0) return;
    let any = false;
    for (const op of ops) {
      const key = opKey(this.ctx, remoteIndex, op.rel);
      if (op.kind !== 'file') {
        this.ops.push({ type: 'delBelow', key });
        any = true;
      }
      if (!this.mayHave.has(key)) continue;
      this.ops.push({ type: 'del', key });
      any = true;
    }
    if (any && !this.removeTimer) {
      this.removeTimer = setTimeout(() => {
        this.removeTimer = null;
        this.flush().catch(() => {});
      }, this.removeDebounceMs);
    }
  }

  /**
   * A replay's outcome: entries that now succeeded go, entries that failed
   * again get the new #errno — each only if the entry is still the one the
   * replay read (a newer append for the same path wins).
   */
  async applyReplay(succeeded: Map<string, BytePath>, failed: Map<string, { line: BytePath; status: number }>): Promise<number> {
    for (const [key, line] of succeeded) this.ops.push({ type: 'del', key, ifLine: line });
    for (const [key, f] of failed) this.ops.push({ type: 'status', key, status: f.status, ifLine: f.line });
    this.replayRemoved = 0;
    await this.flush();
    return this.replayRemoved;
  }

  /** The entries now in the file (after applying what is queued), read under the lock. */
  snapshot(): Promise<Snapshot> {
    return this.serial(async () => {
      await this.withLock(async () => {
        await this.load();
        await this.applyOps().catch((e: Error) => this.log.error(`cannot update the fail log ${display(this.path)}: ${e.message}`));
      });
      const s = this.state!;
      return { entries: s.entries.slice(), unsafe: s.unsafe };
    });
  }

  /** Number of entries in the file as last seen (for summaries). */
  get knownEntries(): number {
    return this.state?.entries.length ?? 0;
  }

  /** Write everything queued. Resolves when done (errors are logged, and retried later). */
  flush(): Promise<void> {
    return this.serial(async () => {
      if (this.ops.length === 0) return;
      try {
        await this.withLock(async () => {
          await this.load();
          await this.applyOps();
        });
      } catch (e) {
        const permanent = e instanceof FailLogError && e.permanent;
        this.tellOnce(`flush:${(e as Error).message}`, () =>
          this.log.error(
            `cannot update the fail log ${display(this.path)}: ${(e as Error).message}` +
              (permanent ? ' (failed pushes stay queued and in the journal, but are not recorded there)' : '; will retry'),
          ),
        );
        if (permanent) {
          this.ops = [];
          return;
        }
        if (!this.retryTimer) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.flush().catch(() => {});
          }, 1000);
          this.retryTimer.unref();
        }
      }
    });
  }

  /** Stop background timers (the queued ops stay; call flush() first to write them). */
  close(): void {
    if (this.removeTimer) clearTimeout(this.removeTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.removeTimer = null;
    this.retryTimer = null;
  }

  /** Log a message once per distinct key (per process). */
  tellOnce(key: string, say: () => void): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    say();
  }

  // --- internals -------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await acquire(this.lockFile, {
        timeoutMs: this.lockTimeoutMs,
        onWait: (owner) => this.log.debug(`fail log lock busy (${owner ? `pid ${owner.pid}` : 'being taken'}); waiting`),
      });
    } catch (e) {
      if (e instanceof LockTimeoutError) throw new FailLogError(e.message);
      throw new FailLogError(`cannot create the lock ${display(fromBuffer(this.lockFile))}: ${(e as Error).message}`);
    }
    try {
      return await fn();
    } finally {
      unlock(this.lockFile);
    }
  }

  /** (Re)read the file if it changed since we last saw it. Call under the lock. */
  private async load(): Promise<void> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        this.setState({ id: '', entries: [], byKey: new Map(), dups: new Map(), unsafe: null });
        return;
      }
      if (code === 'ELOOP') throw new FailLogError(`${display(this.path)} is a symbolic link; remove it`, true);
      throw e;
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) throw new FailLogError(`${display(this.path)} is not a regular file`, true);
      const id = idOf(st);
      if (this.state && this.state.id === id) return;
      const text = fromBuffer(await fh.readFile());
      const entries = parseFailLog(text).map((entry) => ({ entry, verdict: classifyEntry(entry, this.ctx) }));
      this.setState({ id, entries, ...indexOf(entries), unsafe: unsafeReason(st) });
    } finally {
      await fh.close();
    }
  }

  private setState(s: FileState): void {
    this.state = s;
    this.mayHave = new Set(s.byKey.keys());
    for (const op of this.ops) if (op.type === 'add') this.mayHave.add(op.key);
  }

  /** Apply the queued ops to the loaded state and write the result. Call under the lock after load(). */
  private async applyOps(): Promise<void> {
    if (this.ops.length === 0) return;
    const s = this.state!;
    if (s.unsafe && s.id !== '') {
      // Not ours / writable by others: never write to it (checkAtStartup said why).
      this.ops = [];
      throw new FailLogError(`refusing to write to ${display(this.path)}: ${s.unsafe}`, true);
    }
    const ops = this.ops;
    this.ops = [];
    const entries = s.entries.slice();
    const byKey = new Map(s.byKey);
    const appended: LoadedEntry[] = [];
    let rewrite = false;
    const drop = (k: string, i: number): void => {
      entries[i] = REMOVED;
      byKey.delete(k);
      // Duplicates of the path (a legacy file may have them) go too.
      for (const j of s.dups.get(k) ?? []) entries[j] = REMOVED;
      rewrite = true;
    };
    // delBelow ops are applied in one pass over the entries, before the next add (order counts).
    const below = new Set<string>();
    const applyBelow = (): void => {
      if (below.size === 0) return;
      for (const [k, i] of byKey) {
        const relStart = k.lastIndexOf('\0');
        for (let j = k.lastIndexOf('/'); j > relStart; j = k.lastIndexOf('/', j - 1)) {
          if (below.has(k.slice(0, j))) {
            drop(k, i);
            break;
          }
        }
      }
      below.clear();
    };
    for (const op of ops) {
      if (op.type === 'delBelow') {
        below.add(op.key);
        continue;
      }
      if (op.type === 'add') applyBelow();
      const i = byKey.get(op.key);
      const cur = i === undefined ? undefined : entries[i];
      const curLine = cur && isParsed(cur.entry) ? cur.entry.line : undefined;
      if (op.type === 'add') {
        const entry = op.entry;
        if (cur && curLine === (entry.entry as ParsedEntry).line) continue; // already recorded: one entry per (remote, path)
        if (cur) {
          entries[i!] = entry; // another form for the same path (e.g. now a delete)
          rewrite = true;
        } else {
          byKey.set(op.key, entries.length);
          entries.push(entry);
          appended.push(entry);
        }
      } else if (op.type === 'del') {
        if (!cur || (op.ifLine !== undefined && curLine !== op.ifLine)) continue;
        if (op.ifLine !== undefined) this.replayRemoved += 1 + (s.dups.get(op.key)?.length ?? 0);
        drop(op.key, i!);
      } else {
        if (!cur || curLine !== op.ifLine || !isParsed(cur.entry) || cur.entry.status === op.status) continue;
        entries[i!] = { entry: { ...cur.entry, status: op.status }, verdict: cur.verdict };
        rewrite = true;
      }
    }
    applyBelow();
    const live = entries.filter((e) => e !== REMOVED);
    if (rewrite) {
      await this.rewrite(live);
    } else if (appended.length) {
      await this.appendText(renderFailLog(appended.map((e) => e.entry)));
    } else {
      return;
    }
    this.setState({ id: await this.currentId(), entries: live, ...indexOf(live), unsafe: null });
  }

  private async appendText(text: BytePath): Promise<void> {
    const fh = await fsp.open(
      this.file,
      fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW,
      0o600,
    );
    try {
      const st = await fh.stat();
      const bad = unsafeReason(st);
      if (bad) throw new FailLogError(`refusing to write to ${display(this.path)}: ${bad}`, true);
      await fh.writeFile(toBuffer(text));
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  /** Atomic replace: temp file in the same directory, fsync, rename, fsync the directory. */
  private async rewrite(entries: LoadedEntry[]): Promise<void> {
    const dir = path.dirname(this.file.toString('latin1'));
    const base = path.basename(this.file.toString('latin1'));
    const tmp = Buffer.from(path.join(dir, `.${base}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`), 'latin1');
    const fh = await fsp.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      await fh.writeFile(toBuffer(renderFailLog(entries.map((e) => e.entry))));
      await fh.sync();
    } catch (e) {
      await fh.close();
      await fsp.unlink(tmp).catch(() => {});
      throw e;
    }
    await fh.close();
    try {
      await fsp.rename(tmp, this.file);
    } catch (e) {
      await fsp.unlink(tmp).catch(() => {});
      throw e;
    }
    await syncDir(Buffer.from(dir, 'latin1'));
  }

  private async currentId(): Promise<string> {
    try {
      return idOf(await fsp.lstat(this.file, { bigint: true }));
    } catch {
      return '';
    }
  }
}

const REMOVED: LoadedEntry = { entry: { unparsable: '' }, verdict: { ok: false, reason: 'removed' } };

/** key → first index of a replayable entry, and the indexes of later duplicates. */
function indexOf(entries: LoadedEntry[]): { byKey: Map<string, number>; dups: Map<string, number[]> } {
  const byKey = new Map<string, number>();
  const dups = new Map<string, number[]>();
  entries.forEach((e, i) => {
    if (!e.verdict.ok) return;
    const k = e.verdict.key;
    if (!byKey.has(k)) byKey.set(k, i);
    else {
      const d = dups.get(k);
      if (d) d.push(i);
      else dups.set(k, [i]);
    }
  });
  return { byKey, dups };
}

async function syncDir(dir: Buffer): Promise<void> {
  let fh: fsp.FileHandle | null = null;
  try {
    fh = await fsp.open(dir, fs.constants.O_RDONLY);
    await fh.sync();
  } catch {
    // some file systems refuse fsync on a directory; the rename itself is done
  } finally {
    await fh?.close();
  }
}
