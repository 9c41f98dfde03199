import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isWildPattern, literalPattern, patternLiteral } from '../../src/rsync/pattern.js';

describe('rsync literal patterns (sersync2 bug §9.18 fixed)', () => {
  it('leaves a name without *?[ as it is (rsync compares it literally, backslash included)', () => {
    assert.equal(literalPattern('a.txt'), 'a.txt');
    assert.equal(literalPattern('x\\y'), 'x\\y');
    assert.equal(literalPattern('d1/'), 'd1/');
    assert.equal(literalPattern(' sp \n'), ' sp \n');
  });
  it('escapes * ? [ and \\ once the pattern is a wildcard pattern', () => {
    assert.equal(literalPattern('a*'), 'a\\*');
    assert.equal(literalPattern('a?[1]\\'), 'a\\?\\[1]\\\\');
    assert.equal(literalPattern('a**/'), 'a\\*\\*/');
  });
  it('a wildcard suffix (/***) makes the whole pattern a wildcard one, so the name is escaped', () => {
    assert.equal(literalPattern('d1', '/***'), 'd1/***');
    assert.equal(literalPattern('x\\y', '/***'), 'x\\\\y/***');
    assert.equal(literalPattern('d*', '/***'), 'd\\*/***');
  });
  it('anchors names rsync would read as a rule prefix ("- ", "+ ") or a list clear ("!")', () => {
    assert.equal(literalPattern('- x'), '/- x');
    assert.equal(literalPattern('+ y'), '/+ y');
    assert.equal(literalPattern('!'), '/!');
    assert.equal(literalPattern('- x', '/***'), '/- x/***');
    assert.equal(literalPattern('-x'), '-x');
  });
  it('patternLiteral undoes literalPattern', () => {
    for (const n of ['a.txt', 'x\\y', 'a*', 'a?[1]\\', '- x', '+ y', '!', 'é\xff', 'd1/e/f']) {
      assert.equal(patternLiteral(literalPattern(n)), n, n);
    }
  });
  it("patternLiteral reads sersync2's unescaped patterns as the name it meant", () => {
    assert.equal(patternLiteral('a*'), 'a*');
    assert.equal(patternLiteral('d1/e/b.txt'), 'd1/e/b.txt');
  });
  it('isWildPattern: only * ? [ make a wildcard pattern', () => {
    assert.equal(isWildPattern('a\\b'), false);
    assert.equal(isWildPattern('a]'), false);
    assert.equal(isWildPattern('a['), true);
  });
});
