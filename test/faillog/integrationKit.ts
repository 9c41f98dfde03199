// Shared set-up for the fail-log, journal and SIGTERM integration tests
// (test/integration/faillog*.test.ts, journal*.test.ts, sigterm*.test.ts):
// a watch dir, a real rsync daemon, a confxml.xml, a change generator that
// knows which paths it touched, readers for the fail log and the journal,
// and an `rsync` wrapper that records (and can slow down) every run.
import fs from 'node:fs';
import path from 'node:path';
import { isParsed, parseFailLog, recognizeEntry } from '../../src/faillog/format.js';
import { parseJournal } from '../../src/journal/journal.js';
import { type BytePath, fromBuffer, fromText, parentOf, toBuffer } from '../../src/util/bytepath.js';
import { writeConfig } from '../helpers/config.js';
import { run } from '../helpers/exec.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir } from '../helpers/tmp.js';

export interface Kit {
  dir: string;
  watch: string;
  rsyncd: RsyncDaemon;
  config: string;
  failLog: string;
  stateDir: string;
  /** The module directory (the mirror). */
  dst: string;
}

export interface KitOptions {
  /** Extra `<sersyncts>` attributes (stateDir is set by the kit). */
  sersyncts?: string;
  /** `<failLog timeToExecute>` in minutes (default 60: the periodic replay stays out of the way). */
  minutes?: number;
  remotes?: Array<{ ip: string; name: string }>;
  stateDir?: string;
}

export async function makeKit(name: string, o: KitOptions = {}): Promise<Kit> {
  const dir = await makeTempDir(name);
  const watch = path.join(dir, 'w');
  fs.mkdirSync(watch);
  const rsyncd = await startRsyncDaemon();
  const stateDir = o.stateDir ?? path.join(dir, 'state');
  const failLog = path.join(dir, 'rsync_fail_log.sh');
  const config = await writeConfig(dir, {
    watch,
    remotes: o.remotes ?? [{ ip: '127.0.0.1', name: 'www' }],
    port: rsyncd.port,
    failLog: { path: failLog, minutes: o.minutes ?? 60 },
    extra: `<sersyncts stateDir="${stateDir}" ${o.sersyncts ?? ''}/>`,
  });
  return { dir, watch, rsyncd, config, failLog, stateDir, dst: rsyncd.moduleDir('www') };
}

/** Copy the watch dir to the module with plain rsync (the "already in sync" starting point). */
export async function seedRemote(k: Kit): Promise<void> {
  const r = await run('rsync', ['-a', './', k.rsyncd.target('www'), ...k.rsyncd.clientArgs()], { cwd: k.watch });
  if (r.code !== 0) throw new Error(`seeding the remote failed: ${r.stderr}`);
}

const abs = (k: Kit, rel: BytePath): Buffer => Buffer.concat([Buffer.from(`${k.watch}/`), toBuffer(rel)]);

function write(k: Kit, rel: BytePath, content: string | Buffer): void {
  fs.mkdirSync(toBuffer(parentOf(fromBuffer(abs(k, rel)))), { recursive: true });
  fs.writeFileSync(abs(k, rel), content);
}

/** Names that broke sersync2 (§9.1, §9.18): quotes, newline, $(), backslash, a leading dash, a glob, invalid UTF-8. */
export const HOSTILE: BytePath[] = [
  'x";touch INJECTED;".txt',
  'new\nline.txt',
  '$(touch INJECTED2).txt',
  "it's `touch INJECTED3`.txt",
  'back\\slash.txt',
  '-e sh.txt',
  'sp ace dir/inner\nfile.txt',
  '\xff\xfe-latin1.bin',
];

/** The initial tree: 10 dirs × 30 files, top-level files, a dir to rename, a dir to delete, a glob-named file and its neighbour. */
export function initialTree(k: Kit): void {
  for (let d = 0; d < 10; d++) for (let f = 0; f < 30; f++) write(k, `d${d}/f${f}.txt`, `d${d}/f${f}\n`);
  for (let t = 0; t < 20; t++) write(k, `t${t}.txt`, `t${t}\n`);
  for (let f = 0; f < 10; f++) write(k, `old/o${f}.txt`, `o${f}\n`);
  for (let f = 0; f < 10; f++) write(k, `gone/g${f}.txt`, `g${f}\n`);
  write(k, 'star*', 'the glob-named file\n');
  write(k, 'starfish', 'must survive the delete of "star*"\n');
}

/**
 * About 1,000 changes on top of initialTree: 600 creates (new dirs and existing
 * ones), 200 modifies, 60 deletes (files, a whole dir, the glob-named file), 71
 * renames (files and a dir), the hostile names. Returns every path touched
 * (for "the fail log / journal covers it" checks).
 */
export function thousandChanges(k: Kit): Set<BytePath> {
  const touched = new Set<BytePath>();
  const t = (rel: BytePath) => touched.add(rel);
  for (let d = 0; d < 12; d++) for (let f = 0; f < 50; f++) (write(k, `nd${d}/n${f}.txt`, `new ${d}/${f}\n`), t(`nd${d}/n${f}.txt`));
  for (let d = 0; d < 10; d++) for (let f = 0; f < 20; f++) (fs.appendFileSync(abs(k, `d${d}/f${f}.txt`), 'modified\n'), t(`d${d}/f${f}.txt`));
  for (let d = 0; d < 5; d++) for (let f = 20; f < 30; f++) (fs.rmSync(abs(k, `d${d}/f${f}.txt`)), t(`d${d}/f${f}.txt`));
  fs.rmSync(abs(k, 'gone'), { recursive: true });
  t('gone');
  fs.rmSync(abs(k, 'star*'));
  t('star*');
  for (let d = 5; d < 10; d++) {
    for (let f = 20; f < 30; f++) {
      fs.renameSync(abs(k, `d${d}/f${f}.txt`), abs(k, `d${d}/renamed-${f}.txt`));
      t(`d${d}/f${f}.txt`);
      t(`d${d}/renamed-${f}.txt`);
    }
  }
  for (let i = 0; i < 20; i++) {
    fs.renameSync(abs(k, `t${i}.txt`), abs(k, `nd${i % 12}/moved-t${i}.txt`));
    t(`t${i}.txt`);
    t(`nd${i % 12}/moved-t${i}.txt`);
  }
  fs.renameSync(abs(k, 'old'), abs(k, 'new-old'));
  t('old');
  t('new-old');
  for (const h of HOSTILE) (write(k, h, `hostile ${JSON.stringify(h)}\n`), t(h));
  return touched;
}

/** Create n files (a burst), spread over dirs of 100. */
export function burst(k: Kit, n: number, prefix = 'b'): Set<BytePath> {
  const out = new Set<BytePath>();
  for (let i = 0; i < n; i++) {
    const rel = `${prefix}${Math.floor(i / 100)}/f${i}.txt`;
    write(k, rel, `burst ${i}\n`);
    out.add(rel);
  }
  return out;
}

/** The fail log's entries as (target, rel), plus the count of entries that are not ours. */
export function readFailLog(file: string): { entries: Array<{ target: BytePath; rel: BytePath; status: number | null }>; unparsable: number; raw: BytePath } {
  const raw = fs.existsSync(file) ? fromBuffer(fs.readFileSync(file)) : '';
  const entries: Array<{ target: BytePath; rel: BytePath; status: number | null }> = [];
  let unparsable = 0;
  for (const e of parseFailLog(raw)) {
    const r = isParsed(e) ? recognizeEntry(e) : null;
    if (!r || !isParsed(e)) unparsable++;
    else entries.push({ target: r.target, rel: r.rel, status: e.status });
  }
  return { entries, unparsable, raw };
}

/** Does `set` hold rel or one of its ancestors? */
export function covered(set: Set<BytePath>, rel: BytePath): boolean {
  for (let p = rel; p !== ''; p = parentOf(p)) if (set.has(p)) return true;
  return false;
}

/** The paths in `want` that no entry (or ancestor entry) of `have` covers. */
export function uncovered(want: Iterable<BytePath>, have: Set<BytePath>): BytePath[] {
  return [...want].filter((rel) => !covered(have, rel));
}

/** The journal files of a state dir and their live sets. */
export function readJournal(stateDir: string): Set<BytePath> {
  const live = new Set<BytePath>();
  if (!fs.existsSync(stateDir)) return live;
  for (const n of fs.readdirSync(stateDir)) {
    if (!/^journal-[0-9a-f]{40}\.log$/.test(n)) continue;
    for (const e of parseJournal(fromBuffer(fs.readFileSync(path.join(stateDir, n)))).live) live.add(e.rel);
  }
  return live;
}

/** Does a journal of this state dir say that a reconciliation is owed (an R record last)? */
export function journalOwesReconcile(stateDir: string): boolean {
  if (!fs.existsSync(stateDir)) return false;
  return fs
    .readdirSync(stateDir)
    .filter((n) => /^journal-[0-9a-f]{40}\.log$/.test(n))
    .some((n) => parseJournal(fromBuffer(fs.readFileSync(path.join(stateDir, n)))).reconcileOwed);
}

/** Poll `check` (every 50 ms) until it returns true; throw `describe()` after timeoutMs. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${describe()} (after ${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every file named INJECTED* below these dirs (the shell-injection canary). */
export function injected(...dirs: string[]): string[] {
  const found: string[] = [];
  const walk = (d: Buffer) => {
    let names: Buffer[];
    try {
      names = fs.readdirSync(d, { encoding: 'buffer' });
    } catch {
      return;
    }
    for (const n of names) {
      const p = Buffer.concat([d, Buffer.from('/'), n]);
      if (n.toString('latin1').startsWith('INJECTED')) found.push(p.toString('latin1'));
      try {
        if (fs.lstatSync(p).isDirectory()) walk(p);
      } catch {
        // vanished
      }
    }
  };
  for (const d of dirs) walk(Buffer.from(d));
  return found;
}

/**
 * A directory holding an `rsync` wrapper for PATH: it records each run
 * (argv in `<logDir>/<n>.args`, the --files-from list in `<n>.list`), sleeps
 * `sleepSeconds`, then runs the real rsync with the same stdin.
 */
export async function rsyncWrapper(sleepSeconds: number): Promise<{ binDir: string; logDir: string; runs(): Array<{ args: string[]; list: BytePath[] }> }> {
  const real = (await run('sh', ['-c', 'command -v rsync'])).stdout.trim();
  const base = await makeTempDir('rsync-wrapper');
  const binDir = path.join(base, 'bin');
  const logDir = path.join(base, 'log');
  fs.mkdirSync(binDir);
  fs.mkdirSync(logDir);
  const script = `#!/bin/sh
n=$(date +%s%N)-$$
printf '%s\\n' "$@" > "${logDir}/$n.args"
case " $* " in
  *" --files-from=- "*) cat > "${logDir}/$n.list"; sleep ${sleepSeconds}; exec "${real}" "$@" < "${logDir}/$n.list" ;;
esac
sleep ${sleepSeconds}
exec "${real}" "$@"
`;
  fs.writeFileSync(path.join(binDir, 'rsync'), script, { mode: 0o755 });
  return {
    binDir,
    logDir,
    runs() {
      const out: Array<{ args: string[]; list: BytePath[] }> = [];
      for (const n of fs.readdirSync(logDir).filter((x) => x.endsWith('.args')).sort()) {
        const stem = n.slice(0, -'.args'.length);
        const args = fs.readFileSync(path.join(logDir, n), 'utf8').split('\n').slice(0, -1);
        const listFile = path.join(logDir, `${stem}.list`);
        const list = fs.existsSync(listFile) ? fromBuffer(fs.readFileSync(listFile)).split('\0').filter(Boolean) : args.filter((a) => a.startsWith('./')).map((a) => fromText(a.slice(2)));
        out.push({ args, list });
      }
      return out;
    },
  };
}
