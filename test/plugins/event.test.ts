import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskFor, pluginEvent } from '../../src/plugins/event.js';

describe('plugin events', () => {
  it('build the absolute path as <W>/<rel>', () => {
    assert.equal(pluginEvent('/data/www', 'sub/p.txt', false, 'sync').abs, '/data/www/sub/p.txt');
  });

  it('do not double the slash of a watch root kept with its trailing slash (§2.4)', () => {
    const ev = pluginEvent('/data/www/', 'p.txt', false, 'sync');
    assert.equal(ev.abs, '/data/www/p.txt');
    assert.equal(ev.watchRoot, '/data/www/');
  });

  it('carry the inotify mask of the outcome: close-write, create|isdir, delete', () => {
    assert.equal(maskFor('sync', false), 8);
    assert.equal(maskFor('sync', true), 0x40000100);
    assert.equal(maskFor('delete', false), 512);
    assert.equal(maskFor('delete', true), 0x40000200);
  });
});
