import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shQuote, shSplit, shTokens } from '../../src/util/shquote.js';
import { fromText, toBuffer } from '../../src/util/bytepath.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sersync-shquote-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** What /bin/sh really makes of `printf '%s\0' <words>`: the words as raw bytes, NUL-terminated. */
function shWords(quoted: string[]): Buffer {
  const file = path.join(tmp, 'words.sh');
  writeFileSync(file, toBuffer(`printf '%s\\0' ${quoted.join(' ')}\n`));
  return execFileSync('sh', [file], { cwd: tmp });
}

const HOSTILE: string[] = [
  'plain',
  '',
  'a b',
  'a"b',
  "a'b",
  "''",
  "'",
  'a$b',
  '$HOME',
  '$(id)',
  '`id`',
  'a;b',
  'a&&b',
  'a|b',
  'a\nb',
  '\n',
  '-n',
  '--help',
  '*',
  '?',
  '[a]',
  'a\\b',
  '\\',
  '\t lead and trail \t',
  '~',
  '~root',
  '#x',
  '!',
  '{a,b}',
  'a>b',
  fromText('é ü 漢字'),
  '\xff\xfe',
  'x\x01y\x7f',
];

describe('shQuote', () => {
  it('gives /bin/sh back exactly the same bytes for hostile words (space, quotes, $, backquote, ;, newline, leading -, *?[, invalid UTF-8)', () => {
    const got = shWords(HOSTILE.map((w) => shQuote(w)));
    assert.deepEqual(got, toBuffer(HOSTILE.map((w) => `${w}\0`).join('')));
  });

  it('does the same when every word is forced into quotes', () => {
    const got = shWords(HOSTILE.map((w) => shQuote(w, true)));
    assert.deepEqual(got, toBuffer(HOSTILE.map((w) => `${w}\0`).join('')));
  });

  it('leaves words of safe characters bare, and quotes everything else', () => {
    assert.equal(shQuote('-artuz'), '-artuz');
    assert.equal(shQuote('./d1/b.txt'), './d1/b.txt');
    assert.equal(shQuote('u@10.0.0.2::www'), 'u@10.0.0.2::www');
    assert.equal(shQuote('--port=874'), '--port=874');
    assert.equal(shQuote(''), "''");
    assert.equal(shQuote('a b'), "'a b'");
    assert.equal(shQuote('--exclude=*'), "'--exclude=*'");
    assert.equal(shQuote("it's"), "'it'\\''s'");
  });

  it('quotes even safe words when asked to', () => {
    assert.equal(shQuote('-artuz', true), "'-artuz'");
  });
});

describe('shTokens / shSplit', () => {
  it('reads back what shQuote wrote', () => {
    const line = HOSTILE.map((w) => shQuote(w, true)).join(' ');
    assert.deepEqual(shSplit(line), HOSTILE);
  });

  it('tokenises a sersync2 sync command (T01): cd, &&, words, the redirect as operators', () => {
    assert.deepEqual(shTokens('cd /data/www && rsync -artuz -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 '), [
      { word: 'cd' },
      { word: '/data/www' },
      { op: '&&' },
      { word: 'rsync' },
      { word: '-artuz' },
      { word: '-R' },
      { word: './a.txt' },
      { word: '10.0.0.2::www' },
      { op: '>/dev/null' },
      { op: '2>&1' },
    ]);
  });

  it('distinguishes a quoted "&&" (a word) from the operator', () => {
    assert.deepEqual(shTokens("a '&&' && b"), [{ word: 'a' }, { word: '&&' }, { op: '&&' }, { word: 'b' }]);
  });

  it('turns \\$ inside double quotes into $ (T08)', () => {
    assert.deepEqual(shSplit('rsync "./price \\$5.txt"'), ['rsync', './price $5.txt']);
  });

  it('inside double quotes, backslash escapes only $ ` " \\ and newline', () => {
    assert.deepEqual(shSplit('"a\\\\b" "a\\"b" "a\\`b" "a\\xb" "a\\\nb"'), ['a\\b', 'a"b', 'a`b', 'a\\xb', 'ab']);
  });

  it('outside quotes, backslash escapes any character and backslash-newline joins lines', () => {
    assert.deepEqual(shSplit('a\\ b c\\;d e\\\nf \\\n g'), ['a b', 'c;d', 'ef', 'g']);
  });

  it('joins adjacent quoted and unquoted parts into one word', () => {
    assert.deepEqual(shSplit(`--include="d1/"'x'y`), ['--include=d1/xy']);
  });

  it('keeps glob characters literal (sersync2 relies on --exclude=* staying as it is)', () => {
    assert.deepEqual(shSplit('--exclude=* a?[b]'), ['--exclude=*', 'a?[b]']);
  });

  it('accepts the redirections >/dev/null, > /dev/null, 2>/dev/null and 2>&1 only', () => {
    assert.deepEqual(shSplit('x > /dev/null 2>/dev/null 2>&1'), ['x', '>/dev/null', '2>/dev/null', '2>&1']);
    assert.equal(shTokens('x >/tmp/file'), null);
    assert.equal(shTokens('x 2>&2'), null);
    assert.equal(shTokens('x >/dev/nullx'), null);
  });

  const refused: Array<[string, string]> = [
    ['unbalanced single quote', "rsync 'a"],
    ['unbalanced double quote', 'rsync "a'],
    ['trailing lone backslash', 'rsync a\\'],
    ['unquoted ;', 'rsync a; touch x'],
    ['unquoted |', 'rsync a | sh'],
    ['single &', 'rsync a & touch x'],
    ['& inside a word', 'rsync a&b'],
    ['command substitution $(…)', 'rsync $(id)'],
    ['variable', 'rsync $HOME'],
    ['variable inside double quotes', 'rsync "$HOME"'],
    ['backquote', 'rsync `id`'],
    ['backquote inside double quotes', 'rsync "`id`"'],
    ['input redirection', 'rsync < /etc/passwd'],
    ['subshell', 'rsync (a)'],
    ['braces', 'rsync {a,b}'],
    ['unquoted newline (two commands)', 'rsync a\ntouch x'],
    ['comment', 'rsync a #x'],
    ['tilde', 'rsync ~/x'],
    ['sersync2 injection (§9.1)', 'cd /w && rsync -artuz -R "./inj";touch INJECTED;".txt" 10.0.0.2::www'],
  ];
  for (const [what, line] of refused) {
    it(`refuses ${what}`, () => assert.equal(shTokens(line), null));
  }

  it('allows newlines, $, ` and ; inside single quotes', () => {
    assert.deepEqual(shSplit("'a\nb' '$x' '`id`;'"), ['a\nb', '$x', '`id`;']);
  });
});
