// boost::regex (Perl syntax, default flags) → JavaScript RegExp, for the
// regexes of confxml.xml (main filter excludes, command plugin includes,
// refreshCDN regexurl). Spec §3.5, §7.1, §7.3.
//
// Patterns and subjects are byte strings (latin1, one char per byte), so the
// RegExp is built WITHOUT the 'u' flag: `.` then matches one byte, as boost
// does on std::string.
//
// Semantics kept from boost's defaults:
// * `.` matches any byte, newline included (boost: match_not_dot_newline is
//   not set) → JS flag 's'.
// * `^` and `$` are LINE anchors (boost behaves as if Perl's m modifier is on)
//   → JS flag 'm'. Because of that the whole-string anchoring of regex_match
//   uses lookarounds (`(?<![^]…`) instead of ^…$.
// * `\A` = start of the subject, `\z` = end, `\Z` = end or before a final
//   newline, `` \` `` and `\'` = start/end of the buffer.
// Translated: POSIX bracket classes ([[:alpha:]] …), `\<` `\>` word starts and
// ends, `\h` `\H` (horizontal space), `\l` `\L` `\u` `\U` (lower/upper
// classes), `\e`, `\x{HH}`, `\Q…\E` literal runs, `(?#comment)`, and a
// leading inline flag group such as `(?i)`.
// Not translatable (JS throws, so the config is rejected with the reason):
// possessive quantifiers, atomic groups, mid-pattern inline flags, `(?x)`.

export class BoostRegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoostRegexError';
  }
}

const START = '(?<![\\s\\S])'; // start of the subject, even with the m flag
const END = '(?![\\s\\S])'; // end of the subject, even with the m flag

/** Contents (for inside [...]) of the POSIX / boost named classes. */
const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: '0-9a-zA-Z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
  word: '\\w',
  // boost's short names
  w: '\\w',
  s: ' \\t\\n\\r\\f\\v',
  d: '0-9',
  l: 'a-z',
  u: 'A-Z',
};

/** boost single-letter class escapes that JS lacks or spells differently. */
const CLASS_ESCAPES: Record<string, { inner: string; negated: boolean }> = {
  h: { inner: ' \\t', negated: false },
  H: { inner: ' \\t', negated: true },
  l: { inner: 'a-z', negated: false },
  L: { inner: 'a-z', negated: true },
  u: { inner: 'A-Z', negated: false },
  U: { inner: 'A-Z', negated: true },
};

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function hexByte(code: number): string {
  return '\\x' + code.toString(16).padStart(2, '0');
}

/** Parse a bracket expression starting at pattern[i] === '['; return JS text and the next index. */
function translateBracket(p: string, i: number): [string, number] {
  let out = '[';
  let j = i + 1;
  if (p[j] === '^') {
    out += '^';
    j++;
  }
  let first = true;
  for (;;) {
    if (j >= p.length) throw new BoostRegexError('unterminated character class [...]');
    const c = p[j]!;
    if (c === ']' && !first) {
      return [out + ']', j + 1];
    }
    first = false;
    if (c === '[' && (p[j + 1] === ':' || p[j + 1] === '=' || p[j + 1] === '.')) {
      const kind = p[j + 1]!;
      const close = p.indexOf(kind + ']', j + 2);
      if (close < 0) throw new BoostRegexError(`unterminated [${kind}…${kind}] in a character class`);
      const name = p.slice(j + 2, close);
      if (kind === ':') {
        const cls = POSIX_CLASSES[name];
        if (cls === undefined) throw new BoostRegexError(`unknown character class [:${name}:]`);
        out += cls;
      } else {
        // Collating element / equivalence class: the character(s) themselves.
        out += escapeLiteral(name);
      }
      j = close + 2;
      continue;
    }
    if (c === '\\' && j + 1 < p.length) {
      const e = p[j + 1]!;
      const ce = CLASS_ESCAPES[e];
      if (ce && !ce.negated) {
        out += ce.inner;
      } else if (ce) {
        throw new BoostRegexError(`\\${e} inside a character class is not supported`);
      } else if (e === 'e') {
        out += '\\x1b';
      } else {
        out += '\\' + e;
      }
      j += 2;
      continue;
    }
    if (c === '[' || c === ']') {
      out += '\\' + c; // a literal bracket ("]" only as the first member)
    } else {
      out += c;
    }
    j++;
  }
}

interface Translated {
  source: string;
  flags: string;
}

function translate(p: string): Translated {
  let flags = new Set(['m', 's']);
  let out = '';
  let i = 0;
  // A leading inline flag group, e.g. (?i) or (?-s).
  const lead = /^\(\?([a-z]*)(?:-([a-z]*))?\)/.exec(p);
  if (lead && (lead[1] || lead[2])) {
    for (const f of lead[1] ?? '') {
      if (!'ims'.includes(f)) throw new BoostRegexError(`inline flag (?${f}) is not supported`);
      flags.add(f);
    }
    for (const f of lead[2] ?? '') {
      if (!'ims'.includes(f)) throw new BoostRegexError(`inline flag (?-${f}) is not supported`);
      flags.delete(f);
    }
    i = lead[0].length;
  }
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      if (i + 1 >= p.length) throw new BoostRegexError('trailing backslash');
      const e = p[i + 1]!;
      i += 2;
      switch (e) {
        case 'A':
        case '`':
          out += START;
          break;
        case 'z':
        case "'":
          out += END;
          break;
        case 'Z':
          out += `(?=\\n?${END})`;
          break;
        case '<':
          out += '\\b(?=\\w)';
          break;
        case '>':
          out += '\\b(?<=\\w)';
          break;
        case 'e':
          out += '\\x1b';
          break;
        case 'Q': {
          const end = p.indexOf('\\E', i);
          const lit = end < 0 ? p.slice(i) : p.slice(i, end);
          out += escapeLiteral(lit);
          i = end < 0 ? p.length : end + 2;
          break;
        }
        case 'E':
          break; // a stray \E is ignored by boost too
        case 'x':
          if (p[i] === '{') {
            const close = p.indexOf('}', i);
            if (close < 0) throw new BoostRegexError('unterminated \\x{...}');
            const code = parseInt(p.slice(i + 1, close), 16);
            if (!Number.isFinite(code) || code > 0xff) {
              throw new BoostRegexError(`\\x{${p.slice(i + 1, close)}} is not a byte (names are matched as bytes)`);
            }
            out += hexByte(code);
            i = close + 1;
          } else {
            out += '\\x';
          }
          break;
        case 'C':
          out += '[\\s\\S]'; // any single byte
          break;
        case 'R':
          out += '(?:\\r\\n|[\\n\\x0b\\f\\r\\x85])';
          break;
        case 'p':
        case 'P':
        case 'X':
        case 'N':
        case 'K':
        case 'G':
          throw new BoostRegexError(`\\${e} is not supported by sersync-ts (no JavaScript equivalent on byte strings)`);
        default: {
          const ce = CLASS_ESCAPES[e];
          if (ce) out += `[${ce.negated ? '^' : ''}${ce.inner}]`;
          else out += '\\' + e;
        }
      }
      continue;
    }
    if (c === '[') {
      const [cls, next] = translateBracket(p, i);
      out += cls;
      i = next;
      continue;
    }
    if (c === '(' && p.startsWith('(?#', i)) {
      const close = p.indexOf(')', i);
      if (close < 0) throw new BoostRegexError('unterminated (?#comment)');
      i = close + 1;
      continue;
    }
    if (c === '(' && /^\(\?[a-z]*(?:-[a-z]*)?[):]/.test(p.slice(i)) && !p.startsWith('(?:', i)) {
      throw new BoostRegexError(`inline flag group ${/^\(\?[a-z-]*/.exec(p.slice(i))![0]}…) is not supported; only a leading (?i) style group for the whole expression is`);
    }
    out += c;
    i++;
  }
  return { source: out, flags: [...flags].sort().join('') };
}

export interface BoostRegexOptions {
  /** true: boost regex_search (match anywhere); default: regex_match (whole string). */
  search?: boolean;
}

/**
 * Compile a boost (Perl syntax) expression, read from confxml.xml as a byte
 * string, into a JS RegExp. By default the result is anchored so that
 * `re.test(s)` is boost's `regex_match` (the whole string must match).
 * Throws BoostRegexError with the reason when the expression is invalid.
 */
export function compileBoostRegex(expr: string, opts: BoostRegexOptions = {}): RegExp {
  const t = translate(expr);
  const source = opts.search ? t.source : `${START}(?:${t.source})${END}`;
  try {
    return new RegExp(source, t.flags);
  } catch (err) {
    // "Invalid regular expression: /…/ms: Nothing to repeat" → keep the reason only.
    const msg = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new BoostRegexError(msg);
  }
}
