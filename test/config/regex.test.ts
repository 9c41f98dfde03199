import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileBoostRegex, BoostRegexError } from '../../src/config/regex.js';

const m = (expr: string, s: string): boolean => compileBoostRegex(expr).test(s);

describe('regex: boost regex_match semantics', () => {
  it('matches the whole string only, like boost regex_match', () => {
    assert.equal(m('top\\.txt', 'top.txt'), true);
    assert.equal(m('top\\.txt', '/sub/top.txt'), false);
    assert.equal(m('top\\.txt', 'top.txt.bak'), false);
  });
  it('accepts redundant ^ and $ (the stock ^info/* example)', () => {
    assert.equal(m('^info/*', 'info'), true);
    assert.equal(m('^info/*', 'info/'), true);
    assert.equal(m('^info/*', 'x/info'), false);
    assert.equal(m('^info/*', 'info2'), false);
  });
  it('keeps the alternation inside the anchors', () => {
    assert.equal(m('a|b', 'a'), true);
    assert.equal(m('a|b', 'ab'), false);
  });
  it('lets . match a newline byte, as boost does by default', () => {
    assert.equal(m('(.*)\\.gz', 'line1\nname.gz'), true);
  });
  it('still requires the WHOLE subject when ^ and $ are line anchors (names with newlines)', () => {
    assert.equal(m('^a$', 'a\nb'), false);
    assert.equal(m('a\\nb', 'a\nb'), true);
  });
  it('matches bytes: . is one byte of a UTF-8 name (latin1 byte string)', () => {
    const utf8e = Buffer.from('é', 'utf8').toString('latin1'); // two bytes
    assert.equal(m('.', utf8e), false);
    assert.equal(m('..', utf8e), true);
    assert.equal(m('caf\xc3\xa9', 'caf' + utf8e), true);
  });
  it('in search mode (refreshCDN regexurl) finds the expression anywhere', () => {
    const re = compileBoostRegex('site([/a-z]*)', { search: true });
    assert.equal(re.exec('/data/site/abc/x.jpg')?.[1], '/abc/x');
  });
});

describe('regex: boost syntax translated to JavaScript', () => {
  it('translates POSIX classes [[:alpha:]] [[:digit:]] [[:space:]] [[:alnum:]]', () => {
    assert.equal(m('[[:alpha:]]+', 'abcXYZ'), true);
    assert.equal(m('[[:alpha:]]+', 'abc1'), false);
    assert.equal(m('[[:digit:]]{3}', '123'), true);
    assert.equal(m('a[[:space:]]b', 'a\tb'), true);
    assert.equal(m('[[:alnum:]_]+', 'a_1'), true);
  });
  it('translates [[:upper:]] [[:lower:]] [[:punct:]] [[:xdigit:]] and negated brackets', () => {
    assert.equal(m('[[:upper:]][[:lower:]]', 'Ab'), true);
    assert.equal(m('[[:upper:]][[:lower:]]', 'aB'), false);
    assert.equal(m('[[:punct:]]+', '!-/:@[`{~'), true);
    assert.equal(m('[[:xdigit:]]+', '0fA9'), true);
    assert.equal(m('[[:xdigit:]]+', 'g'), false);
    assert.equal(m('[^[:digit:]]+', 'abc'), true);
    assert.equal(m('[^[:digit:]]+', 'a1'), false);
  });
  it('keeps a ] that comes first in a bracket literal', () => {
    assert.equal(m('[]a]+', ']a]'), true);
  });
  it('translates \\A to the start and \\z / \\Z to the end of the subject', () => {
    assert.equal(m('\\Aabc\\z', 'abc'), true);
    assert.equal(m('(.*)\\Z', 'abc'), true);
    assert.equal(compileBoostRegex('\\Aab', { search: true }).test('xab'), false);
    assert.equal(compileBoostRegex('ab\\z', { search: true }).test('abx'), false);
  });
  it('translates \\Q…\\E literal runs and (?#comments)', () => {
    assert.equal(m('\\Q(.*)+\\E', '(.*)+'), true);
    assert.equal(m('\\Q(.*)+\\E', 'anything'), false);
    assert.equal(m('a(?#comment)b', 'ab'), true);
  });
  it('translates \\h, \\l and \\u (boost classes) and \\x{HH}', () => {
    assert.equal(m('a\\hb', 'a b'), true);
    assert.equal(m('\\l+\\u', 'abC'), true);
    assert.equal(m('\\x{41}', 'A'), true);
  });
  it('honours a leading (?i)', () => {
    assert.equal(m('(?i)(.*)\\.JPG', 'a.jpg'), true);
    assert.equal(m('(.*)\\.JPG', 'a.jpg'), false);
  });
  it('supports back-references and lookarounds unchanged', () => {
    assert.equal(m('(a)\\1', 'aa'), true);
    assert.equal(m('(?!tmp).*', 'tmpx'), false);
  });
});

describe('regex: invalid expressions are errors with the reason', () => {
  const bad: Array<[string, RegExp]> = [
    ['(.*', /Unterminated group/],
    ['*.php', /Nothing to repeat/],
    ['[[:nosuch:]]', /unknown character class/],
    ['[abc', /unterminated character class/],
    ['a(?i)b', /inline flag group/],
    ['\\x{263A}', /not a byte/],
    ['\\pL', /not supported/],
    ['abc\\', /trailing backslash/],
  ];
  for (const [expr, why] of bad) {
    it(`rejects ${JSON.stringify(expr)}`, () => {
      assert.throws(() => compileBoostRegex(expr), (e: unknown) => e instanceof BoostRegexError && why.test(e.message));
    });
  }
});
