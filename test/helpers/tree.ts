// Directory trees as data: snapshot, compare, wait until two agree, write one.
// Names are byte strings (BytePath, see src/util/bytepath.ts): any bytes, including
// newlines and invalid UTF-8, survive exactly.
//
//   snapshotTree(root: string): Promise<Map<BytePath, Entry>>
//     Every entry below root (root itself excluded), keyed by its relative path
//     ('a', 'd/b.txt'). Symlinks are not followed. Entries that vanish mid-walk are skipped.
//   diffTrees(a, b, opts?: DiffOptions): string[]
//     Human-readable differences of b against a (a = expected, e.g. the source;
//     b = actual, e.g. the mirror); [] when equal. Compares type, file size + sha1,
//     symlink target, the kind of special file; permission bits with compareModes,
//     mtimes (whole seconds) with compareMtimes. Directory sizes never count.
//   waitForConvergence(src: string, dst: string, opts?: ConvergeOptions): Promise<{ ms: number }>
//     Polls (every 50 ms) until diffTrees(snapshot(src), snapshot(dst)) is empty; rejects
//     after timeoutMs (default 10 s) with the first 20 remaining differences.
//   writeTree(root: string, spec: TreeSpec): Promise<void>
//     Creates files, directories and symlinks (parents made as needed):
//       { 'a.txt': 'hi', 'd/b.bin': Buffer.from([0]), 'empty': { dir: true },
//         'ln': { symlink: 'a.txt' }, 'x.sh': { content: '#!/bin/sh', mode: 0o755 } }
//     or, for names that are not UTF-8, an array of [name, value] pairs where a Buffer
//     name is raw bytes: [[Buffer.from([0x66, 0xff]), 'data']].
//   showPath(p: BytePath): string
//     A path for messages: printable ASCII as is, other bytes as \xNN, in double quotes.
import { lstat, readdir, readlink, mkdir, writeFile, symlink, chmod } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type BytePath, fromBuffer, toBuffer, joinPath, parentOf } from '../../src/util/bytepath.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface Entry {
  type: EntryType;
  /** Size in bytes (files and symlinks; 0 for directories). */
  size: number;
  /** sha1 of the content, hex (files only). */
  sha1?: string;
  /** Link target as raw bytes (symlinks only). */
  target?: BytePath;
  /** For 'other': 'fifo' | 'socket' | 'char' | 'block'. */
  special?: 'fifo' | 'socket' | 'char' | 'block';
  /** Permission bits (mode & 0o7777). */
  mode: number;
  /** Modification time in whole seconds. */
  mtimeSec: number;
}

export type Tree = Map<BytePath, Entry>;

export interface DiffOptions {
  /** Leave out paths (relative byte paths) for which this returns true, on both sides. */
  ignore?: (rel: BytePath) => boolean;
  /** Also compare permission bits (not for symlinks). Default false. */
  compareModes?: boolean;
  /** Also compare mtimes in whole seconds (files and symlinks). Default false. */
  compareMtimes?: boolean;
}

export interface ConvergeOptions extends DiffOptions {
  /** Give up after this long. Default 10000. */
  timeoutMs?: number;
  /** Poll interval. Default 50. */
  intervalMs?: number;
}

/** Quotes a byte path for messages, escaping newlines, quotes and non-ASCII bytes. */
export function showPath(p: BytePath): string {
  let out = '"';
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += `\\${p[i]}`;
    else if (c >= 0x20 && c < 0x7f) out += p[i];
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

function sha1File(file: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha1');
    createReadStream(file)
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

function vanished(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function entryOf(abs: Buffer, st: Stats): Promise<Entry | null> {
  const base = { size: 0, mode: st.mode & 0o7777, mtimeSec: Math.floor(st.mtimeMs / 1000) };
  try {
    if (st.isFile()) return { ...base, type: 'file', size: st.size, sha1: await sha1File(abs) };
    if (st.isDirectory()) return { ...base, type: 'dir' };
    if (st.isSymbolicLink()) {
      const target = fromBuffer(await readlink(abs, { encoding: 'buffer' }));
      return { ...base, type: 'symlink', size: target.length, target };
    }
  } catch (e) {
    if (vanished(e)) return null;
    throw e;
  }
  const special = st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : st.isCharacterDevice() ? 'char' : 'block';
  return { ...base, type: 'other', special };
}

/** Snapshot of everything below `root` (see the top of this file). */
export async function snapshotTree(root: string): Promise<Tree> {
  const tree: Tree = new Map();
  const rootBuf = Buffer.from(root, 'utf8');
  const walk = async (rel: BytePath): Promise<void> => {
    const dirAbs = rel === '' ? rootBuf : Buffer.concat([rootBuf, Buffer.from('/'), toBuffer(rel)]);
    let names: Buffer[];
    try {
      names = await readdir(dirAbs, { encoding: 'buffer' });
    } catch (e) {
      if (vanished(e)) return;
      throw e;
    }
    for (const nameBuf of names) {
      const childRel = joinPath(rel, fromBuffer(nameBuf));
      const abs = Buffer.concat([dirAbs, Buffer.from('/'), nameBuf]);
      let st: Stats;
      try {
        st = await lstat(abs);
      } catch (e) {
        if (vanished(e)) continue;
        throw e;
      }
      const entry = await entryOf(abs, st);
      if (!entry) continue;
      tree.set(childRel, entry);
      if (entry.type === 'dir') await walk(childRel);
    }
  };
  await walk('');
  return tree;
}

function describe(e: Entry): string {
  switch (e.type) {
    case 'file':
      return `file (${e.size} bytes)`;
    case 'symlink':
      return `symlink -> ${showPath(e.target ?? '')}`;
    case 'other':
      return e.special ?? 'other';
    default:
      return 'dir';
  }
}

/** Differences of tree `b` against tree `a` ([] when they agree). */
export function diffTrees(a: Tree, b: Tree, opts: DiffOptions = {}): string[] {
  const ignore = opts.ignore ?? (() => false);
  const keys = new Set<BytePath>();
  for (const k of a.keys()) if (!ignore(k)) keys.add(k);
  for (const k of b.keys()) if (!ignore(k)) keys.add(k);
  // Plain code-unit order = byte order, so the report is stable.
  const sorted = [...keys].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const out: string[] = [];
  for (const k of sorted) {
    const ea = a.get(k);
    const eb = b.get(k);
    const name = showPath(k);
    if (!eb) {
      // A missing (or replaced) directory implies its content is missing: report the top only.
      if (!hasAncestor(k, (p) => a.get(p)?.type === 'dir' && b.get(p)?.type !== 'dir' && !ignore(p))) {
        out.push(`missing: ${name} (${describe(ea!)})`);
      }
      continue;
    }
    if (!ea) {
      if (!hasAncestor(k, (p) => b.get(p)?.type === 'dir' && a.get(p)?.type !== 'dir' && !ignore(p))) {
        out.push(`extra: ${name} (${describe(eb)})`);
      }
      continue;
    }
    if (ea.type !== eb.type || ea.special !== eb.special) {
      out.push(`type differs: ${name}: ${describe(ea)} vs ${describe(eb)}`);
      continue;
    }
    if (ea.type === 'file' && (ea.size !== eb.size || ea.sha1 !== eb.sha1)) {
      out.push(`content differs: ${name}: ${ea.size} bytes sha1 ${ea.sha1?.slice(0, 10)} vs ${eb.size} bytes sha1 ${eb.sha1?.slice(0, 10)}`);
    }
    if (ea.type === 'symlink' && ea.target !== eb.target) {
      out.push(`symlink target differs: ${name}: ${showPath(ea.target ?? '')} vs ${showPath(eb.target ?? '')}`);
    }
    if (opts.compareModes && ea.type !== 'symlink' && ea.mode !== eb.mode) {
      out.push(`mode differs: ${name}: ${ea.mode.toString(8).padStart(4, '0')} vs ${eb.mode.toString(8).padStart(4, '0')}`);
    }
    if (opts.compareMtimes && ea.type !== 'dir' && ea.mtimeSec !== eb.mtimeSec) {
      out.push(`mtime differs: ${name}: ${ea.mtimeSec} vs ${eb.mtimeSec}`);
    }
  }
  return out;
}

function hasAncestor(rel: BytePath, pred: (p: BytePath) => boolean): boolean {
  for (let p = parentOf(rel); p !== ''; p = parentOf(p)) if (pred(p)) return true;
  return false;
}

/** Waits until `dst` mirrors `src` (see the top of this file). */
export async function waitForConvergence(src: string, dst: string, opts: ConvergeOptions = {}): Promise<{ ms: number }> {
  const start = Date.now();
  const timeoutMs = opts.timeoutMs ?? 10000;
  const intervalMs = opts.intervalMs ?? 50;
  for (;;) {
    const diff = diffTrees(await snapshotTree(src), await snapshotTree(dst), opts);
    const ms = Date.now() - start;
    if (diff.length === 0) return { ms };
    if (ms >= timeoutMs) {
      const more = diff.length > 20 ? `\n  … and ${diff.length - 20} more` : '';
      throw new Error(
        `no convergence of ${dst} with ${src} after ${timeoutMs} ms; ${diff.length} difference(s) (expected vs actual):\n  ` +
          diff.slice(0, 20).join('\n  ') +
          more,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export type TreeValue =
  | string
  | Buffer
  | { dir: true; mode?: number }
  | { symlink: string | Buffer }
  | { content: string | Buffer; mode?: number };

export type TreeSpec = Record<string, TreeValue> | Array<[string | Buffer, TreeValue]>;

/** Creates the entries of `spec` below `root` (see the top of this file). */
export async function writeTree(root: string, spec: TreeSpec): Promise<void> {
  const pairs: Array<[string | Buffer, TreeValue]> = Array.isArray(spec) ? spec : Object.entries(spec);
  const rootBuf = Buffer.from(root, 'utf8');
  for (const [name, value] of pairs) {
    const rel = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
    const abs = Buffer.concat([rootBuf, Buffer.from('/'), rel]);
    const parent = toBuffer(parentOf(fromBuffer(abs)));
    await mkdir(parent, { recursive: true });
    if (typeof value === 'string' || Buffer.isBuffer(value)) {
      await writeFile(abs, value);
    } else if ('dir' in value) {
      await mkdir(abs, { recursive: true });
      if (value.mode !== undefined) await chmod(abs, value.mode);
    } else if ('symlink' in value) {
      const target = typeof value.symlink === 'string' ? Buffer.from(value.symlink, 'utf8') : value.symlink;
      await symlink(target, abs);
    } else {
      await writeFile(abs, value.content);
      if (value.mode !== undefined) await chmod(abs, value.mode);
    }
  }
}
