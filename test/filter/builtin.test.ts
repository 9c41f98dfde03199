import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinDrop } from '../../src/filter/builtin.js';
import { fromText } from '../../src/util/bytepath.js';

describe('filter: built-in drops (spec §3.3)', () => {
  it('drops a hidden file (name starts with ".")', () => {
    assert.equal(builtinDrop('.x', false), true);
    assert.equal(builtinDrop('.bashrc', false), true);
  });
  it('drops a backup file (name ends with "~")', () => {
    assert.equal(builtinDrop('x~', false), true);
    assert.equal(builtinDrop('index.php~', false), true);
  });
  it('drops vim\'s probe file "4913" exactly', () => {
    assert.equal(builtinDrop('4913', false), true);
    assert.equal(builtinDrop('49130', false), false);
    assert.equal(builtinDrop('a4913', false), false);
  });
  it('keeps ordinary files, and dots or tildes elsewhere in the name', () => {
    assert.equal(builtinDrop('a.txt', false), false);
    assert.equal(builtinDrop('a~b', false), false);
    assert.equal(builtinDrop(fromText('é.txt'), false), false);
  });
  it('never drops a directory: hidden and backup-looking directories are kept', () => {
    assert.equal(builtinDrop('.svn', true), false);
    assert.equal(builtinDrop('.git', true), false);
    assert.equal(builtinDrop('old~', true), false);
    assert.equal(builtinDrop('4913', true), false);
  });
});
