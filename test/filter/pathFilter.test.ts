import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PathFilter, runtimeFilterString, startupFilterString } from '../../src/filter/pathFilter.js';
import type { ExcludeRule } from '../../src/config/types.js';
import { fromText } from '../../src/util/bytepath.js';
import { compileBoostRegex } from '../../src/config/regex.js';

// Compiled the way the config loader does (boost syntax, regex_match anchoring).
function rule(expression: string): ExcludeRule {
  return { expression, regex: compileBoostRegex(expression) };
}
function filter(...exprs: string[]): PathFilter {
  return new PathFilter(exprs.map(rule));
}

describe('filter: the three strings sersync2 tests (spec §3.5)', () => {
  it('uses the bare name for an item directly in W', () => {
    assert.equal(runtimeFilterString('a.gz'), 'a.gz');
    assert.equal(runtimeFilterString('info'), 'info');
  });
  it('uses "/" + rel for an item deeper down, with no trailing slash even for a directory', () => {
    assert.equal(runtimeFilterString('sub/x.txt'), '/sub/x.txt');
    assert.equal(runtimeFilterString('sub/deep'), '/sub/deep');
  });
  it('uses rel + "/" for a directory found by the start-up scan', () => {
    assert.equal(startupFilterString('info'), 'info/');
    assert.equal(startupFilterString('a/deep'), 'a/deep/');
  });
});

describe('filter: observed with excludes (.*)\\.gz, ^info/*, /sub/x\\.txt, top\\.txt, skipdir/, (.*)/deep', () => {
  const f = filter('(.*)\\.gz', '^info/*', '/sub/x\\.txt', 'top\\.txt', 'skipdir/', '(.*)/deep');

  it('drops a.gz (root file, bare name matches (.*)\\.gz)', () => {
    assert.equal(f.excludesRuntime('a.gz'), true);
  });
  it('drops top.txt in the root', () => {
    assert.equal(f.excludesRuntime('top.txt'), true);
  });
  it('syncs sub/top.txt (tested as /sub/top.txt, which top\\.txt does not fully match)', () => {
    assert.equal(f.excludesRuntime('sub/top.txt'), false);
  });
  it('syncs keep/top.txt', () => {
    assert.equal(f.excludesRuntime('keep/top.txt'), false);
  });
  it('drops sub/x.txt (matched through the leading slash)', () => {
    assert.equal(f.excludesRuntime('sub/x.txt'), true);
  });
  it('syncs x.txt in the root', () => {
    assert.equal(f.excludesRuntime('x.txt'), false);
  });
  it('drops keep/k.gz', () => {
    assert.equal(f.excludesRuntime('keep/k.gz'), true);
  });
  it('does not watch a pre-existing info/ (start-up string info/)', () => {
    assert.equal(f.excludesStartupDir('info'), true);
    assert.equal(f.insideStartupExcludedDir('info/i.txt'), true);
  });
  it('does not watch a pre-existing skipdir/ (start-up string skipdir/)', () => {
    assert.equal(f.excludesStartupDir('skipdir'), true);
    assert.equal(f.insideStartupExcludedDir('skipdir/s.txt'), true);
  });
  it('watches a pre-existing a/deep/ (a/deep/ does not fully match (.*)/deep)', () => {
    assert.equal(f.excludesStartupDir('a'), false);
    assert.equal(f.excludesStartupDir('a/deep'), false);
    assert.equal(f.insideStartupExcludedDir('a/deep/d.txt'), false);
  });
  it('syncs a/deep/d.txt inside that pre-existing directory', () => {
    assert.equal(f.excludesRuntime('a/deep/d.txt'), false);
  });
  it('syncs a new root directory info2 (info2 does not match ^info/*)', () => {
    assert.equal(f.excludesRuntime('info2'), false);
  });
  it('drops a new sub/deep (runtime string /sub/deep), so it is never watched', () => {
    assert.equal(f.excludesRuntime('sub/deep'), true);
  });
  it('syncs a new root directory skipdir2', () => {
    assert.equal(f.excludesRuntime('skipdir2'), false);
  });
  it('a new root directory skipdir is not dropped at runtime (skipdir/ needs the trailing slash)', () => {
    assert.equal(f.excludesRuntime('skipdir'), false);
  });
});

describe('filter: the stock examples', () => {
  const f = filter('^info/*', '(.*)\\.svn');

  it('^info/* excludes the root directory info at start-up (info/) and at runtime (info)', () => {
    assert.equal(f.excludesStartupDir('info'), true);
    assert.equal(f.excludesRuntime('info'), true);
  });
  it('^info/* does not exclude x/info, neither at start-up nor at runtime', () => {
    assert.equal(f.excludesStartupDir('x/info'), false);
    assert.equal(f.excludesRuntime('x/info'), false);
  });
  it('^info/* does not exclude the file info/a by its own string (/info/a)', () => {
    assert.equal(f.excludesRuntime('info/a'), false);
  });
  it('(.*)\\.svn excludes .svn at every level at runtime', () => {
    assert.equal(f.excludesRuntime('.svn'), true);
    assert.equal(f.excludesRuntime('a/.svn'), true);
    assert.equal(f.excludesRuntime('a/b/c/.svn'), true);
  });
  it('(.*)\\.svn does not match the start-up string of a pre-existing .svn (a/.svn/ has the trailing slash)', () => {
    assert.equal(f.excludesStartupDir('.svn'), false);
    assert.equal(f.excludesStartupDir('a/.svn'), false);
  });
});

describe('filter: whole-string match, like boost regex_match', () => {
  it('a rule matching only part of the string does not exclude', () => {
    const f = filter('sub');
    assert.equal(f.excludesRuntime('sub'), true);
    assert.equal(f.excludesRuntime('subway'), false);
    assert.equal(f.excludesRuntime('a/sub'), false);
  });
  it('tests every rule; one match is enough', () => {
    const f = filter('a', 'b');
    assert.equal(f.excludesRuntime('b'), true);
    assert.equal(f.excludesRuntime('c'), false);
  });
  it('an empty rule list excludes nothing', () => {
    const f = filter();
    assert.equal(f.empty, true);
    assert.equal(f.active, false);
    assert.equal(filter('a').active, true);
    assert.equal(f.excludesRuntime('a'), false);
    assert.equal(f.excludesStartupDir('a'), false);
    assert.equal(f.excludedByAncestry('a/b', false), false);
  });
  it('is not stateful even if a rule was compiled with the g flag', () => {
    const f = new PathFilter([{ expression: 'a', regex: /^(?:a)$/g }]);
    assert.equal(f.excludesRuntime('a'), true);
    assert.equal(f.excludesRuntime('a'), true);
  });
});

describe('filter: matching is on bytes (spec §3.5, §9 item 23)', () => {
  const name = (middle: string) => fromText('a' + middle + 'b');
  it('"." matches one byte, so a.b does not match a + é (2 bytes in UTF-8) + b', () => {
    assert.equal(filter('a.b').excludesRuntime(name('é')), false);
  });
  it('a..b matches a + é + b', () => {
    assert.equal(filter('a..b').excludesRuntime(name('é')), true);
  });
  it('a literal UTF-8 name in the config matches the same bytes', () => {
    assert.equal(filter(fromText('café\\.txt')).excludesRuntime(fromText('café.txt')), true);
  });
  it('matches names that are not valid UTF-8', () => {
    const raw = Buffer.from([0x66, 0xff, 0x2e, 0x67, 0x7a]).toString('latin1'); // f\xff.gz
    assert.equal(filter('(.*)\\.gz').excludesRuntime('d/' + raw), true);
    assert.equal(filter('f.\\.gz').excludesRuntime(raw), true);
  });
});

describe('filter: excludedByAncestry', () => {
  const f = filter('(.*)\\.gz', '^info/*', '(.*)/deep');

  it('is true when the path itself is excluded at runtime', () => {
    assert.equal(f.excludedByAncestry('keep/k.gz', false), true);
    assert.equal(f.excludedByAncestry('sub/deep', true), true);
  });
  it('is true below a directory excluded at runtime (children of a new sub/deep are never pushed)', () => {
    assert.equal(f.excludedByAncestry('sub/deep/f.txt', false), true);
    assert.equal(f.excludedByAncestry('sub/deep/x/y', true), true);
    assert.equal(f.excludedByAncestry('info/a', false), true);
  });
  it('is false when neither the path nor any ancestor is excluded', () => {
    assert.equal(f.excludedByAncestry('sub/x.txt', false), false);
    assert.equal(f.excludedByAncestry('x/info/a', false), false);
    assert.equal(f.excludedByAncestry('deep/a', false), false);
  });
  it('tests ancestors with the runtime string: the root-level name for the first component', () => {
    const g = filter('top');
    assert.equal(g.excludedByAncestry('top/a/b', false), true);
    assert.equal(g.excludedByAncestry('x/top/b', false), false);
  });
  it('differs from sersync2 for a pre-existing a/deep/ (documented): its children count as excluded', () => {
    assert.equal(f.excludedByAncestry('a/deep/d.txt', false), true);
    assert.equal(f.excludesRuntime('a/deep/d.txt'), false);
  });
});
