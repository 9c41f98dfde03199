// The fail-log text format (spec §6.2), pure.
//
// Each entry is
//     #errno <status>
//     cd '<W>' && rsync '<arg>' '<arg>' ...
//     <empty line>
// i.e. a /bin/sh script whose `#errno` lines are comments, like sersync2's, but
// every value is single-quoted (shquote.ts), so any file name is safe (§9.1).
// There is no ` >/dev/null 2>&1 ` suffix: sersync-ts never runs the file
// through sh (it parses it), and someone running it by hand wants the output.
// A name with a newline makes a command span lines (inside single quotes);
// parseFailLog handles that.
//
// <status> is what sersync2 wrote: system()'s raw wait status, i.e.
// exit code × 256 for a normal exit (exit 1 → 256, exit 24 → 6144), the signal
// number for a killed process, -1 when rsync could not be run (waitStatus()).
//
// parseFailLog reads our entries and sersync2's legacy ones
// (`cd /w && rsync -artuz -R "./a \$b" 10.0.0.2::www >/dev/null 2>&1 `, with
// or without the #errno header). Anything that is not exactly
// `cd X && rsync ARGS [>/dev/null 2>&1]` is returned as unparsable, to be kept
// in the file and never executed.
import { constants } from 'node:os';
import type { BytePath } from '../util/bytepath.js';
import { shQuote, shTokens } from '../util/shquote.js';
import { patternLiteral } from '../rsync/pattern.js';

export { buildFailLogCommand } from '../rsync/argv.js';

/** sersync2's `#errno` value for an rsync outcome (see the top of this file). */
export function waitStatus(exitCode: number | null, signal?: string | null): number {
  if (exitCode !== null) return exitCode * 256;
  if (signal) {
    const n = (constants.signals as Record<string, number>)[signal];
    if (n !== undefined) return n;
  }
  return -1;
}

/** The command line of an entry (no header, no trailing newline). */
export function formatCommand(cwd: BytePath, args: BytePath[]): BytePath {
  return `cd ${shQuote(cwd, true)} && rsync ${args.map((a) => shQuote(a, true)).join(' ')}`;
}

/** One complete fail-log entry: `#errno <status>\ncd '<cwd>' && rsync '<arg>'...\n\n`. */
export function formatEntry(status: number, cwd: BytePath, args: BytePath[]): BytePath {
  return `#errno ${status}\n${formatCommand(cwd, args)}\n\n`;
}

export interface ParsedEntry {
  /** The #errno value, or null for a bare line (sersync2's retry-queue overflow, §6.2). */
  status: number | null;
  /** The command text exactly as in the file (may span lines inside quotes). */
  line: BytePath;
  cwd: BytePath;
  /** Arguments after `rsync`, quotes removed, as sh would pass them. */
  args: BytePath[];
}

export interface UnparsableEntry {
  /** The text exactly as in the file (with its #errno header if it had one), no trailing newline. */
  unparsable: BytePath;
}

export type FailLogEntry = ParsedEntry | UnparsableEntry;

export function isParsed(e: FailLogEntry): e is ParsedEntry {
  return !('unparsable' in e);
}

const HEADER = /^#errno (-?\d+)[ \t]*$/;

/** End of the sh command starting at `pos`: the first newline outside quotes (or the text's end). */
function commandEnd(text: string, pos: number): number {
  let i = pos;
  let quote: '' | "'" | '"' = '';
  while (i < text.length) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = '';
    } else if (c === '\\') {
      i++; // skip the escaped char (in double quotes too: \" and \\ do not end anything)
    } else if (quote === '"') {
      if (c === '"') quote = '';
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '\n') {
      return i;
    }
    i++;
  }
  return Math.min(i, text.length);
}

/** `cd X && rsync ARGS [>/dev/null 2>&1]` → {cwd, args}, else null. */
function parseCommand(cmd: BytePath): { cwd: BytePath; args: BytePath[] } | null {
  const t = shTokens(cmd);
  if (!t || t.length < 5) return null;
  const w = (i: number): BytePath | null => {
    const x = t[i];
    return x && 'word' in x ? x.word : null;
  };
  if (w(0) !== 'cd' || w(1) === null || !('op' in t[2]!) || t[2].op !== '&&' || w(3) !== 'rsync') return null;
  let end = t.length;
  const last = t[end - 1]!;
  const prev = t[end - 2]!;
  if ('op' in last && 'op' in prev && prev.op === '>/dev/null' && last.op === '2>&1') end -= 2;
  const args: BytePath[] = [];
  for (let i = 4; i < end; i++) {
    const a = w(i);
    if (a === null) return null;
    args.push(a);
  }
  if (args.length === 0) return null;
  return { cwd: w(1)!, args };
}

/** Parse a whole fail-log file (bytes as a byte string). Blank lines are dropped. */
export function parseFailLog(text: BytePath): FailLogEntry[] {
  const out: FailLogEntry[] = [];
  let header: { text: string; status: number } | null = null;
  const flushHeader = () => {
    if (header) out.push({ unparsable: header.text });
    header = null;
  };
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const physical = text.slice(pos, nl);
    if (physical.trim() === '') {
      flushHeader();
      pos = nl + 1;
      continue;
    }
    const h = HEADER.exec(physical);
    if (h) {
      flushHeader();
      header = { text: physical, status: Number(h[1]) };
      pos = nl + 1;
      continue;
    }
    if (physical.trimStart().startsWith('#')) {
      flushHeader();
      out.push({ unparsable: physical });
      pos = nl + 1;
      continue;
    }
    // A command; quoted newlines (names with '\n') may extend it over several lines.
    const end = commandEnd(text, pos);
    let cmd = text.slice(pos, end);
    let parsed = parseCommand(cmd);
    if (!parsed && end > nl) {
      // Unbalanced quotes would swallow the following entries: give up on this line only.
      cmd = physical;
      parsed = null;
    }
    const hdr: { text: string; status: number } | null = header;
    header = null;
    if (parsed) {
      out.push({ status: hdr ? hdr.status : null, line: cmd, cwd: parsed.cwd, args: parsed.args });
    } else {
      out.push({ unparsable: hdr ? `${hdr.text}\n${cmd}` : cmd });
    }
    pos = (parsed ? end : nl) + 1;
  }
  flushHeader();
  return out;
}

/** Entries back to file text (for rewriting the file after a replay). */
export function renderFailLog(entries: FailLogEntry[]): BytePath {
  return entries
    .map((e) => (isParsed(e) ? `${e.status === null ? '' : `#errno ${e.status}\n`}${e.line}\n\n` : `${e.unparsable}\n\n`))
    .join('');
}

/** What an entry asks for, recognised from its shape (for rebuilding it from the current config). */
export interface RecognizedEntry {
  /** The rsync destination argument (`[user@]ip::module` or `ip:path`). */
  target: BytePath;
  /** The path relative to cwd, without './'. */
  rel: BytePath;
  /** sync form (`./rel target`) or delete form (`./ --include=… --exclude=* target`). */
  form: 'sync' | 'delete';
}

/** A rel we are willing to act on: relative, no empty, '.' or '..' component. */
function isCleanRel(rel: BytePath): boolean {
  if (rel === '' || rel.startsWith('/')) return false;
  return rel.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}

/**
 * Recognise the sync form (ours or sersync2's: exactly one `./rel` source then
 * the target) or the delete form (`./`, `--include=` chain, `--exclude=*`,
 * target) and return the path it is about, or null. This lets a replay take
 * only the *path* from the file and rebuild the command from the current
 * config, instead of executing arbitrary rsync options found in a file.
 */
export function recognizeEntry(entry: ParsedEntry): RecognizedEntry | null {
  const a = entry.args;
  const sources = a.map((x, i) => [x, i] as const).filter(([x]) => x.startsWith('./'));
  if (sources.length !== 1) return null;
  const [src, i] = sources[0]!;
  if (src !== './') {
    const target = a[i + 1];
    if (target === undefined || target.startsWith('-') || a.some((x) => x.startsWith('--include=') || x.startsWith('--exclude='))) return null;
    const rel = src.slice(2).replace(/\/+$/, '');
    return isCleanRel(rel) ? { target, rel, form: 'sync' } : null;
  }
  const ex = a.indexOf('--exclude=*', i + 1);
  if (ex < 0) return null;
  const includes = a.slice(i + 1, ex);
  if (includes.length === 0 || !includes.every((x) => x.startsWith('--include='))) return null;
  const target = a[ex + 1];
  if (target === undefined || target.startsWith('-')) return null;
  // The named path is the last include that is neither a parent (`dir/`) nor the subtree form (`rel/***`).
  const pats = includes.map((x) => x.slice('--include='.length)).filter((p) => !p.endsWith('/***') && !p.endsWith('/'));
  if (pats.length !== 1) return null;
  const rel = patternLiteral(pats[0]!);
  return isCleanRel(rel) ? { target, rel, form: 'delete' } : null;
}
