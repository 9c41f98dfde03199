import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listingCommonArgs, pushExtras, remoteListingArgs, remoteSource } from '../../src/fullsync/args.js';
import { stockConfig } from '../rsync/configFixture.js';

describe('fullsync args: commonParams in listings', () => {
  it('keeps transfer and filter options, drops output, dry-run, delete and checksum options', () => {
    assert.deepEqual(listingCommonArgs(['-artuz']), ['-artuz']);
    assert.deepEqual(listingCommonArgs(['-avzq', '--progress', '--stats', '-i']), ['-az']);
    assert.deepEqual(listingCommonArgs(['-ac', '--delete-after', '--info=progress2', '--out-format=%n', '-P']), ['-a']);
    assert.deepEqual(listingCommonArgs(['-aR', '--exclude=*.tmp', '-C', '-L', '--rsync-path=sudo rsync']), ['-a', '--exclude=*.tmp', '-C', '-L', '--rsync-path=sudo rsync']);
  });
  it('does not touch the argument of a short option that takes one', () => {
    assert.deepEqual(listingCommonArgs(['-ave', 'ssh -v -p 22']), ['-ae', 'ssh -v -p 22']);
    assert.deepEqual(listingCommonArgs(['-vessh']), ['-essh']);
    assert.deepEqual(listingCommonArgs(['-aB', '1024']), ['-aB', '1024']);
  });
});

describe('fullsync args: the remote as a source', () => {
  it('is target + "/" so names are relative to the module', () => {
    const c = stockConfig();
    assert.equal(remoteSource(c, { ip: '10.0.0.2', name: 'www' }), '10.0.0.2::www/');
    assert.equal(remoteSource(c, { ip: '10.0.0.2', name: 'www/' }), '10.0.0.2::www/');
  });
  it('is never the remote root for an empty ssh path (ip:./, the home directory)', () => {
    const c = stockConfig((x) => void (x.rsync.ssh = true));
    assert.equal(remoteSource(c, { ip: 'h', name: '' }), 'h:./');
    assert.equal(remoteSource(c, { ip: 'h', name: '/backup/www' }), 'h:/backup/www/');
  });
  it('lists with transport, password file and the crontab excludes', () => {
    const c = stockConfig((x) => {
      x.rsync.userDefinedPort = { enabled: true, port: '874' };
      x.rsync.auth = { enabled: true, users: 'u', passwordFile: '/p' };
    });
    assert.deepEqual(remoteListingArgs(c, { ip: '10.0.0.2', name: 'www' }, ['*.php'], '/tmp/e'), [
      '-artuz', '-n', '-r', '-l', '-D', '-8', '--no-motd', '--out-format=%i %n', '--port=874', 'u@10.0.0.2::www/', '/tmp/e', '--password-file=/p', '--exclude=*.php',
    ]);
  });
});

describe('fullsync args: push extras', () => {
  it('always --stats; progress2 only when asked, with the whole list first for a recursive push; --force with delete on', () => {
    assert.deepEqual(pushExtras({ progress: false, force: false, recursive: true }), ['--stats']);
    assert.deepEqual(pushExtras({ progress: true, force: false, recursive: true }), ['--stats', '--info=progress2', '--no-inc-recursive']);
    assert.deepEqual(pushExtras({ progress: true, force: true, recursive: false }), ['--stats', '--info=progress2', '--force']);
  });
});
