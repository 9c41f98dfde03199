import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitShellWords, ShellWordsError } from '../../src/util/shellwords.js';

describe('shellwords: splitting commonParams the way sh does', () => {
  it('splits on blanks (spaces, TABs, newlines) and drops empty runs', () => {
    assert.deepEqual(splitShellWords('  -az \t--bwlimit=1000\n-v  '), ['-az', '--bwlimit=1000', '-v']);
  });
  it('gives no words for an empty or blank string', () => {
    assert.deepEqual(splitShellWords(''), []);
    assert.deepEqual(splitShellWords('   '), []);
  });
  it('keeps single-quoted text literally, including blanks, backslashes and $', () => {
    assert.deepEqual(splitShellWords("--rsh='ssh -p 2222' '$HOME\\x'"), ['--rsh=ssh -p 2222', '$HOME\\x']);
  });
  it('in double quotes, a backslash escapes only $ ` " \\ and keeps other backslashes', () => {
    assert.deepEqual(splitShellWords('"a \\"b\\" \\$x \\\\ \\n"'), ['a "b" $x \\ \\n']);
  });
  it('outside quotes, a backslash escapes any character (a blank included)', () => {
    assert.deepEqual(splitShellWords('--exclude=a\\ b \\"q'), ['--exclude=a b', '"q']);
  });
  it('treats backslash-newline as a line continuation', () => {
    assert.deepEqual(splitShellWords('-a\\\nz -v'), ['-az', '-v']);
  });
  it('joins adjacent quoted and unquoted parts into one word', () => {
    assert.deepEqual(splitShellWords(`--filter='- *.tmp'"x"y`), ['--filter=- *.tmpxy']);
  });
  it('keeps an empty quoted word', () => {
    assert.deepEqual(splitShellWords(`-e '' -v`), ['-e', '', '-v']);
  });
  it('keeps glob characters literally (sh keeps a pattern that matches nothing)', () => {
    assert.deepEqual(splitShellWords('--exclude=*.tmp --include=[ab]?'), ['--exclude=*.tmp', '--include=[ab]?']);
  });
  it('treats # at the start of a word as a comment, but not inside a word', () => {
    assert.deepEqual(splitShellWords('-az # a comment\n-v a#b'), ['-az', '-v', 'a#b']);
  });
  it('throws on an unbalanced single quote', () => {
    assert.throws(() => splitShellWords("-az --rsh='ssh"), (e: unknown) => e instanceof ShellWordsError && /unbalanced single quote/.test(e.message));
  });
  it('throws on an unbalanced double quote', () => {
    assert.throws(() => splitShellWords('-az "x'), (e: unknown) => e instanceof ShellWordsError && /unbalanced double quote/.test(e.message));
  });
  it('throws on a lone trailing backslash', () => {
    assert.throws(() => splitShellWords('-az \\'), ShellWordsError);
  });
  it('refuses unquoted shell operators, which only a shell could honour', () => {
    for (const s of ['-az; rm -rf /', '-az | cat', '-az && x', '-az >/dev/null', '-az <x', '(x)']) {
      assert.throws(() => splitShellWords(s), /unquoted shell operator/, s);
    }
  });
  it('refuses expansions outside single quotes but accepts them inside', () => {
    for (const s of ['--password-file=$HOME/p', '"${X}"', '$(id)', '`id`']) {
      assert.throws(() => splitShellWords(s), /expansion/, s);
    }
    assert.deepEqual(splitShellWords("'$HOME' a$ \\$x"), ['$HOME', 'a$', '$x']);
  });
  it('passes latin1 byte strings through unchanged', () => {
    assert.deepEqual(splitShellWords('--backup-dir=/b\xe9\xff'), ['--backup-dir=/b\xe9\xff']);
  });
});
