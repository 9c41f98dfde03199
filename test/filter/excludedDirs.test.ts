import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExcludedDirSet } from '../../src/filter/excludedDirs.js';

describe('filter: directories excluded at runtime (ExcludedDirSet)', () => {
  it('covers the recorded directory and everything below it', () => {
    const s = new ExcludedDirSet();
    s.add('sub/deep');
    assert.equal(s.covers('sub/deep'), true);
    assert.equal(s.covers('sub/deep/f.txt'), true);
    assert.equal(s.covers('sub/deep/x/y'), true);
  });
  it('does not cover siblings, ancestors or names that only share a prefix', () => {
    const s = new ExcludedDirSet();
    s.add('sub/deep');
    assert.equal(s.covers('sub'), false);
    assert.equal(s.covers('sub/deeper'), false);
    assert.equal(s.covers('sub/dee'), false);
    assert.equal(s.covers('other/deep/f'), false);
  });
  it('remove forgets the directory and recorded directories below it, not siblings', () => {
    const s = new ExcludedDirSet();
    s.add('a/deep');
    s.add('a/deep/x/deep');
    s.add('a/deeper');
    s.remove('a/deep');
    assert.equal(s.covers('a/deep/f'), false);
    assert.equal(s.covers('a/deep/x/deep/f'), false);
    assert.equal(s.covers('a/deeper/f'), true);
    assert.equal(s.size, 1);
  });
  it('remove of an ancestor forgets directories below it', () => {
    const s = new ExcludedDirSet();
    s.add('a/b/deep');
    s.remove('a');
    assert.equal(s.size, 0);
  });
  it('clear forgets everything', () => {
    const s = new ExcludedDirSet();
    s.add('x');
    s.clear();
    assert.equal(s.covers('x/y'), false);
  });
});
