import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeMemory, stateSignature } from '../../src/plugins/changeMemory.js';

const file = (ino: number, size: number, mtimeNs: bigint) => stateSignature('file', { ino: BigInt(ino), size: BigInt(size), mtimeNs, ctimeNs: mtimeNs });

describe('-m mode: one plugin call per real change', () => {
  it('skips a second report of a file whose state did not change', () => {
    const m = new ChangeMemory();
    assert.equal(m.isNew('a', 'file', file(1, 3, 10n)), true);
    assert.equal(m.isNew('a', 'file', file(1, 3, 10n)), false);
  });

  it('reports again when size, mtime or inode changed', () => {
    const m = new ChangeMemory();
    m.isNew('a', 'file', file(1, 3, 10n));
    assert.equal(m.isNew('a', 'file', file(1, 4, 10n)), true);
    assert.equal(m.isNew('a', 'file', file(1, 4, 11n)), true);
    assert.equal(m.isNew('a', 'file', file(2, 4, 11n)), true);
  });

  it('reports a directory once per inode, however often its entries change', () => {
    const m = new ChangeMemory();
    assert.equal(m.isNew('d', 'dir', stateSignature('dir', { ino: 7n, size: 4096n, mtimeNs: 1n })), true);
    assert.equal(m.isNew('d', 'dir', stateSignature('dir', { ino: 7n, size: 4096n, mtimeNs: 2n })), false);
  });

  it('reports a delete once, and a re-creation after it, even with the same state', () => {
    const m = new ChangeMemory();
    m.isNew('a', 'file', file(1, 3, 10n));
    assert.equal(m.isNew('a', 'delete', null), true);
    assert.equal(m.isNew('a', 'delete', null), false);
    assert.equal(m.isNew('a', 'file', file(1, 3, 10n)), true);
  });

  it('reports a delete of a path it never saw (it existed before the start)', () => {
    assert.equal(new ChangeMemory().isNew('old', 'delete', null), true);
  });

  it('forgets what was below a deleted directory (inode numbers are reused)', () => {
    const m = new ChangeMemory();
    m.isNew('d/sub', 'dir', 'd:9');
    m.isNew('d', 'delete', null);
    assert.equal(m.isNew('d/sub', 'dir', 'd:9'), true);
  });

  it('remembers that a path was a directory, for its delete event', () => {
    const m = new ChangeMemory();
    m.isNew('d', 'dir', 'd:9');
    m.isNew('f', 'file', file(1, 1, 1n));
    assert.equal(m.wasDir('d'), true);
    assert.equal(m.wasDir('f'), false);
    assert.equal(m.wasDir('never-seen'), false);
  });

  it('always reports a path it could not examine', () => {
    const m = new ChangeMemory();
    assert.equal(m.isNew('a', 'file', null), true);
    assert.equal(m.isNew('a', 'file', null), true);
  });

  it('stays bounded, forgetting the oldest entries first', () => {
    const m = new ChangeMemory(3);
    for (const r of ['a', 'b', 'c', 'd']) m.isNew(r, 'file', file(1, 1, 1n));
    assert.equal(m.size, 3);
    assert.equal(m.isNew('a', 'file', file(1, 1, 1n)), true, 'a was forgotten');
    assert.equal(m.isNew('d', 'file', file(1, 1, 1n)), false);
  });
});
