import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileBoostRegex } from '../../src/config/regex.js';
import { PathFilter } from '../../src/filter/pathFilter.js';
import type { EntryType, Listing } from '../../src/fullsync/listing.js';
import { buildPushList, parentDirs, planDeletions } from '../../src/fullsync/plan.js';

function filter(...exprs: string[]): PathFilter {
  return new PathFilter(exprs.map((expression) => ({ expression, regex: compileBoostRegex(expression) })));
}
function listing(entries: Record<string, EntryType>): Listing {
  return new Map(Object.entries(entries));
}

describe('fullsync plan: what a full sync with the main filter pushes', () => {
  // The excludes of the spec's observation (§3.5).
  const f = filter('(.*)\\.gz', '^info/*', '/sub/x\\.txt', 'top\\.txt', 'skipdir/', '(.*)/deep');
  const local = listing({
    'a.gz': 'file',
    'top.txt': 'file',
    'x.txt': 'file',
    sub: 'dir',
    'sub/top.txt': 'file',
    'sub/x.txt': 'file',
    keep: 'dir',
    'keep/k.gz': 'file',
    info: 'dir',
    'info/i.txt': 'file',
    skipdir: 'dir',
    'skipdir/s.txt': 'file',
    'skipdir/inner': 'dir',
    'skipdir/inner/t.txt': 'file',
    a: 'dir',
    'a/deep': 'dir',
    'a/deep/d.txt': 'file',
    '.hidden': 'file',
    'sub/editor~': 'file',
    '4913': 'file',
    'link.gz': 'symlink',
  });

  it('skips directories by their start-up string, with their whole subtree', () => {
    const { rels } = buildPushList(local, f);
    for (const r of ['info', 'info/i.txt', 'skipdir', 'skipdir/s.txt', 'skipdir/inner', 'skipdir/inner/t.txt']) {
      assert.ok(!rels.includes(r), r);
    }
  });
  it('tests files with the runtime string: name in W, /rel deeper', () => {
    const { rels } = buildPushList(local, f);
    assert.ok(!rels.includes('a.gz'));
    assert.ok(!rels.includes('top.txt'));
    assert.ok(rels.includes('sub/top.txt'));
    assert.ok(!rels.includes('sub/x.txt'));
    assert.ok(rels.includes('x.txt'));
    assert.ok(!rels.includes('keep/k.gz'));
    assert.ok(!rels.includes('link.gz'), 'a symlink is tested like a file');
  });
  it('keeps a pre-existing a/deep (a/deep/ does not match (.*)/deep) and its files', () => {
    const { rels } = buildPushList(local, f);
    assert.ok(rels.includes('a/deep'));
    assert.ok(rels.includes('a/deep/d.txt'));
  });
  it("sends dot-files, *~ and 4913: sersync2's built-in drops do not apply to full syncs", () => {
    const { rels } = buildPushList(local, f);
    for (const r of ['.hidden', 'sub/editor~', '4913']) assert.ok(rels.includes(r), r);
  });
  it('sorts by bytes and counts what it left out', () => {
    const { rels, excluded } = buildPushList(local, f);
    assert.deepEqual(rels, [...rels].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    assert.equal(rels.length + excluded, local.size);
  });
  it('matches regexes on bytes (invalid UTF-8, newline)', () => {
    const g = filter('(.*)\\xff', 'x\\ny/');
    const l = listing({ 'ok\xfe': 'file', 'bad\xff': 'file', 'd/new\nline': 'file', d: 'dir', 'x\ny': 'dir', 'x\ny/in': 'file' });
    assert.deepEqual(buildPushList(l, g).rels, ['d', 'd/new\nline', 'ok\xfe']);
  });
  it('with no filter, pushes everything', () => {
    assert.equal(buildPushList(local, filter()).rels.length, local.size);
  });
});

describe('fullsync plan: what a full sync deletes on the remote', () => {
  const f = filter('(.*)\\.gz', '^info/*');

  it('deletes remote-only paths, a remote-only directory as one top-most path', () => {
    const remote = listing({ 'a.txt': 'file', old: 'dir', 'old/b.txt': 'file', 'old/sub': 'dir', 'old/sub/c.txt': 'file', 'gone.txt': 'file' });
    const plan = planDeletions(remote, new Set(['a.txt']), f);
    assert.deepEqual(plan.deletes, ['gone.txt', 'old']);
    assert.equal(plan.deleteCount, 5);
    assert.equal(plan.remoteTotal, 6);
  });
  it('leaves remote paths the filter excludes alone, and the directories that hold them', () => {
    const remote = listing({
      'x.gz': 'file',
      info: 'dir',
      'info/i.txt': 'file',
      old: 'dir',
      'old/keep.gz': 'file',
      'old/b.txt': 'file',
      'old/sub': 'dir',
      'old/sub/c.txt': 'file',
    });
    const plan = planDeletions(remote, new Set(), f);
    assert.deepEqual(plan.deletes, ['old/b.txt', 'old/sub']);
    assert.equal(plan.protectedCount, 4); // x.gz, info, info/i.txt, old/keep.gz
    assert.equal(plan.deleteCount, 3);
  });
  it('keeps what was pushed, and the directories above it', () => {
    const remote = listing({ d: 'dir', 'd/e': 'dir', 'd/e/f.txt': 'file', 'd/stale': 'file' });
    const plan = planDeletions(remote, new Set(['d', 'd/e', 'd/e/f.txt']), f);
    assert.deepEqual(plan.deletes, ['d/stale']);
  });
  it('handles hostile names as bytes', () => {
    const remote = listing({ 'new\nline': 'file', 'bad\xff': 'file', 'keep\xff.gz': 'file' });
    assert.deepEqual(planDeletions(remote, new Set(['bad\xff']), f).deletes, ['new\nline']);
  });
  it('lists the parent directories a stand-in source needs, outermost first', () => {
    assert.deepEqual(parentDirs(['a/b/c', 'a/x', 'top', 'q/r']), ['a', 'a/b', 'q']);
  });
});
