import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type HintKind, type PathState } from '../../src/filter/toggles.js';
import type { InotifyToggles } from '../../src/config/types.js';

type Toggle = keyof InotifyToggles;
const ALL: Toggle[] = ['delete', 'createFolder', 'createFile', 'closeWrite', 'moveFrom', 'moveTo', 'attrib', 'modify'];
const KINDS: HintKind[] = ['create', 'update', 'delete'];
const NONE: InotifyToggles = {
  delete: false, createFolder: false, createFile: false, closeWrite: false,
  moveFrom: false, moveTo: false, attrib: false, modify: false,
};
const only = (...on: Toggle[]): InotifyToggles => ({ ...NONE, ...Object.fromEntries(on.map((k) => [k, true])) });
// The stock confxml.xml: createFile, attrib and modify off (spec §3.1).
const STOCK = only('delete', 'createFolder', 'closeWrite', 'moveFrom', 'moveTo');

const CONTENT: Toggle[] = ['createFile', 'closeWrite', 'modify', 'moveTo', 'attrib'];

// For each (state, hint): the action, and the toggles each of which alone enables it.
const TABLE: Array<{ state: PathState; kind: HintKind; action: string; enabledBy: Toggle[] }> = [
  ...KINDS.map((kind) => ({ state: 'missing' as const, kind, action: 'delete', enabledBy: ['delete'] as Toggle[] })),
  ...(['file', 'symlink', 'other'] as const).flatMap((state) => [
    { state, kind: 'create' as const, action: 'push', enabledBy: CONTENT },
    { state, kind: 'update' as const, action: 'push', enabledBy: CONTENT },
    { state, kind: 'delete' as const, action: 'push', enabledBy: [...CONTENT, 'delete', 'moveFrom'] as Toggle[] },
  ]),
  { state: 'dir', kind: 'create', action: 'pushDir', enabledBy: ['createFolder', 'moveTo'] },
  { state: 'dir', kind: 'update', action: 'pushDir', enabledBy: ['createFolder', 'moveTo', 'attrib'] },
  { state: 'dir', kind: 'delete', action: 'pushDir', enabledBy: ['createFolder', 'moveTo', 'delete', 'moveFrom'] },
];

describe('toggles: decide(hint, state, toggles)', () => {
  for (const row of TABLE) {
    it(`${row.kind} on ${row.state} → ${row.action} with exactly one of ${row.enabledBy.join(', ')} on`, () => {
      for (const t of ALL) {
        const expected = row.enabledBy.includes(t) ? row.action : 'ignore';
        assert.equal(decide(row.kind, row.state, only(t)), expected, `only ${t} on`);
      }
    });
    it(`${row.kind} on ${row.state} → ignore with every toggle off, ${row.action} with all on`, () => {
      assert.equal(decide(row.kind, row.state, NONE), 'ignore');
      assert.equal(decide(row.kind, row.state, only(...ALL)), row.action);
    });
  }
});

describe('toggles: the stock toggles (createFile, attrib, modify off)', () => {
  it('a written file is pushed (closeWrite stands for the missing IN_CLOSE_WRITE)', () => {
    assert.equal(decide('create', 'file', STOCK), 'push');
    assert.equal(decide('update', 'file', STOCK), 'push');
  });
  it('a new or moved-in directory is pushed recursively', () => {
    assert.equal(decide('create', 'dir', STOCK), 'pushDir');
  });
  it('an update on a directory (possibly delete+recreate coalesced) is pushed recursively', () => {
    assert.equal(decide('update', 'dir', STOCK), 'pushDir');
  });
  it('a path that is gone is deleted remotely', () => {
    for (const k of KINDS) assert.equal(decide(k, 'missing', STOCK), 'delete');
  });
  it('a symlink is pushed (sersync2 missed it: spec §9 item 9)', () => {
    assert.equal(decide('create', 'symlink', STOCK), 'push');
  });
});

describe('toggles: delete off', () => {
  it('never deletes remotely, not even when moveFrom is on', () => {
    const t = only('createFolder', 'closeWrite', 'moveFrom', 'moveTo');
    for (const k of KINDS) assert.equal(decide(k, 'missing', t), 'ignore');
  });
});

describe('toggles: attrib only', () => {
  it('a chmod of a file pushes it, a chmod of a directory pushes it recursively (spec §9 item 6)', () => {
    assert.equal(decide('update', 'file', only('attrib')), 'push');
    assert.equal(decide('update', 'dir', only('attrib')), 'pushDir');
  });
  it('does not push a newly created directory', () => {
    assert.equal(decide('create', 'dir', only('attrib')), 'ignore');
  });
});
