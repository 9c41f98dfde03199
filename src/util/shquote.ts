// sh quoting and a restricted sh tokeniser, both on byte strings (BytePath).
//
// shQuote makes a word that /bin/sh reads back as exactly the same bytes, for
// any bytes at all (newline, quotes, $, backquote, *?[, invalid UTF-8): inside
// single quotes sh treats every byte literally, and a ' itself is written as
// '\'' (close, escaped quote, reopen). Used for the fail-log script (spec §6.2,
// §9.1: every value quoted safely for sh).
//
// shTokens/shSplit read back one command line of the fail log: the lines we
// write and the ones sersync2 wrote (spec §5: `cd W && rsync … "./rel" …
// >/dev/null 2>&1 `, double quotes where only `\$` is escaped). They never
// run a shell: anything whose meaning depends on shell evaluation (expansions,
// command separators, other redirections, unbalanced quotes) gives null, so a
// line that is not a plain command is never executed by sersync-ts.
import type { BytePath } from './bytepath.js';

/** Characters that never need quoting in sh (POSIX portable, no globbing, no expansion). */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quote one word for /bin/sh. Words made only of safe characters stay bare
 * unless `always` is set; everything else (and the empty word) is single-quoted.
 */
export function shQuote(arg: BytePath, always = false): BytePath {
  if (!always && SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A token of a command line: a word (quotes removed) or one of the few operators we accept. */
export type ShToken =
  | { word: BytePath }
  | { op: '&&' | '>/dev/null' | '2>/dev/null' | '2>&1' };

const BLANK = new Set([' ', '\t']);
/** Unquoted, these make the line mean something other than one plain command (or expand). */
const REFUSED_UNQUOTED = new Set([';', '|', '&', '<', '>', '(', ')', '`', '$', '{', '}', '\n']);

function isBoundary(s: string, i: number): boolean {
  return i >= s.length || BLANK.has(s[i]!);
}

/** Matches one accepted operator at offset i (token start), or null. */
function operatorAt(s: string, i: number): { op: Extract<ShToken, { op: string }>['op']; end: number } | null {
  if (s.startsWith('&&', i)) return { op: '&&', end: i + 2 };
  if (s.startsWith('2>&1', i) && isBoundary(s, i + 4)) return { op: '2>&1', end: i + 4 };
  // `>/dev/null`, `1>/dev/null`, `2>/dev/null`, optionally with blanks before the target.
  const m = /^([12]?)>[ \t]*\/dev\/null/.exec(s.slice(i, i + 32));
  if (m && isBoundary(s, i + m[0].length)) {
    return { op: m[1] === '2' ? '2>/dev/null' : '>/dev/null', end: i + m[0].length };
  }
  return null;
}

/**
 * Tokenise one sh command line. Handles blanks, single quotes, double quotes
 * (where `\` escapes only $ ` " \ and newline), backslash outside quotes and
 * backslash-newline continuations, plus the operators `&&`, `>/dev/null`,
 * `2>/dev/null` and `2>&1`. Glob characters `*?[` stay literal (sersync2's
 * `--exclude=*` relies on sh keeping a pattern that matches nothing).
 *
 * Returns null for anything it cannot tokenise safely: unbalanced quotes, an
 * unquoted newline, ; | & (other than &&) < > ( ) { }, `$` or a backquote
 * outside single quotes, other redirections, `#` or `~` at the start of a word.
 */
export function shTokens(line: BytePath): ShToken[] | null {
  const out: ShToken[] = [];
  const s = line;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (BLANK.has(c)) {
      i++;
      continue;
    }
    if (c === '\\' && s[i + 1] === '\n') {
      i += 2; // line continuation between words
      continue;
    }
    const op = operatorAt(s, i);
    if (op) {
      out.push({ op: op.op });
      i = op.end;
      continue;
    }
    if (c === '#' || c === '~') return null; // comment / tilde expansion
    // One word, possibly made of several quoted and unquoted parts.
    let word = '';
    while (i < s.length && !BLANK.has(s[i]!)) {
      const d = s[i]!;
      if (d === "'") {
        const end = s.indexOf("'", i + 1);
        if (end < 0) return null;
        word += s.slice(i + 1, end);
        i = end + 1;
      } else if (d === '"') {
        i++;
        for (;;) {
          if (i >= s.length) return null;
          const e = s[i]!;
          if (e === '"') {
            i++;
            break;
          }
          if (e === '\\' && i + 1 < s.length && '$`"\\\n'.includes(s[i + 1]!)) {
            if (s[i + 1] !== '\n') word += s[i + 1];
            i += 2;
            continue;
          }
          if (e === '$' || e === '`') return null;
          word += e;
          i++;
        }
      } else if (d === '\\') {
        if (i + 1 >= s.length) return null;
        if (s[i + 1] !== '\n') word += s[i + 1];
        i += 2;
      } else if (REFUSED_UNQUOTED.has(d)) {
        return null;
      } else {
        word += d;
        i++;
      }
    }
    out.push({ word });
  }
  return out;
}

/** shTokens as plain strings (operators as their text), or null. */
export function shSplit(line: BytePath): BytePath[] | null {
  const t = shTokens(line);
  return t === null ? null : t.map((x) => ('word' in x ? x.word : x.op));
}
