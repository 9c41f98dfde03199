// Split a string into argv words the way /bin/sh would split it, without
// running a shell. sersync2 splices `<commonParams params>` raw into a
// `system()` string (spec §2.2, §5), so `-az --bwlimit=100` is two words and
// `--rsh='ssh -p 2222'` is one. sersync-ts runs rsync from an argv array, so
// it needs the same words without the shell.
//
// Handled: blanks (space, TAB, newline) between words, single quotes (all
// literal), double quotes (backslash escapes only $ ` " \ and newline, as in
// sh), backslash outside quotes (escapes any char; backslash-newline is a line
// continuation), `#` at the start of a word (a comment to the end of the line).
// Refused (ShellWordsError): unbalanced quotes, a trailing lone backslash, and
// shell syntax that only a shell could honour: unquoted operators ; | & < > ( )
// and expansions ($VAR, ${…}, $(…), `…`) outside single quotes. Glob
// characters are kept literally (sh keeps a pattern that matches nothing,
// which is what `--exclude=*.tmp` relies on).

export class ShellWordsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellWordsError';
  }
}

const BLANKS = new Set([' ', '\t', '\n']);
const OPERATORS = new Set([';', '|', '&', '<', '>', '(', ')']);

function isExpansionStart(s: string, i: number): boolean {
  // `$` followed by a name char, `{`, `(`, or a special parameter expands in sh.
  return s[i] === '$' && i + 1 < s.length && /[A-Za-z0-9_{(@*#?$!-]/.test(s[i + 1]!);
}

export function splitShellWords(s: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false; // true once a word has started (even an empty '' one)
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (BLANKS.has(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (c === '#' && !inWord) {
      // Comment: skip to the end of the line.
      while (i < s.length && s[i] !== '\n') i++;
      continue;
    }
    if (OPERATORS.has(c)) {
      throw new ShellWordsError(`unquoted shell operator '${c}' at offset ${i} (quote it, sersync-ts does not use a shell)`);
    }
    if (c === '`' || isExpansionStart(s, i)) {
      throw new ShellWordsError(`shell expansion '${c === '`' ? '`' : s.slice(i, i + 2)}' at offset ${i} is not supported (write the value literally, or single-quote it)`);
    }
    if (c === '\\' && s[i + 1] === '\n') {
      // Line continuation: neither char is part of any word.
      i += 2;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new ShellWordsError(`unbalanced single quote at offset ${i}`);
      word += s.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      const start = i;
      i++;
      for (;;) {
        if (i >= s.length) throw new ShellWordsError(`unbalanced double quote at offset ${start}`);
        const d = s[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < s.length && '$`"\\\n'.includes(s[i + 1]!)) {
          if (s[i + 1] !== '\n') word += s[i + 1];
          i += 2;
          continue;
        }
        if (d === '`' || isExpansionStart(s, i)) {
          throw new ShellWordsError(`shell expansion '${d === '`' ? '`' : s.slice(i, i + 2)}' inside double quotes at offset ${i} is not supported (use single quotes)`);
        }
        word += d;
        i++;
      }
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= s.length) throw new ShellWordsError(`lone backslash at the end`);
      word += s[i + 1];
      i += 2;
      continue;
    }
    word += c;
    i++;
  }
  if (inWord) words.push(word);
  return words;
}
