// Self-test of test/helpers/rsyncd.ts: the daemon every integration test pushes to.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile, readlink, lstat } from 'node:fs/promises';
import path from 'node:path';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir } from '../helpers/tmp.js';
import { writeTree, snapshotTree, diffTrees } from '../helpers/tree.js';
import { run } from '../helpers/exec.js';

/** Pushes `rel` from `src` the way sersync2 does: rsync -artuz -R ./rel target --port --password-file. */
function push(d: RsyncDaemon, src: string, rel: string, extra: string[] = [], module = 'www') {
  return run('rsync', ['-artuz', '-R', `./${rel}`, d.target(module), ...d.clientArgs(), ...extra], { cwd: src, timeoutMs: 30000 });
}

describe('harness: rsync daemon with auth', () => {
  const daemons: RsyncDaemon[] = [];
  after(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it('listens on 127.0.0.1 at a high port and accepts a push with the right password', async () => {
    const d = await startRsyncDaemon({ auth: true });
    daemons.push(d);
    assert.equal(d.host, '127.0.0.1');
    assert.ok(d.port >= 1024, `port ${d.port}`);
    assert.equal(((await lstat(d.passwordFile)).mode & 0o777).toString(8), '600');
    const src = await makeTempDir('src');
    await writeTree(src, { 'a.txt': 'hello\n', 'd1/b.txt': 'b' });

    const r = await push(d, src, 'a.txt');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(path.join(d.moduleDir('www'), 'a.txt'), 'utf8'), 'hello\n');
    const r2 = await push(d, src, 'd1/b.txt');
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(await readFile(path.join(d.moduleDir('www'), 'd1/b.txt'), 'utf8'), 'b');
  });

  it('rejects a push with a wrong password (rsync exit 5) and writes nothing', async () => {
    const d = await startRsyncDaemon({ auth: true });
    daemons.push(d);
    const src = await makeTempDir('src');
    await writeTree(src, { 'a.txt': 'hello\n' });
    const wrong = path.join(await makeTempDir('pw'), 'wrong.password');
    await writeFile(wrong, 'not-the-password\n', { mode: 0o600 });

    const r = await run('rsync', ['-artuz', '-R', './a.txt', d.target('www'), `--port=${d.port}`, `--password-file=${wrong}`], { cwd: src });
    assert.equal(r.code, 5, `expected an auth failure, got ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, /auth failed/);
    assert.deepEqual([...(await snapshotTree(d.moduleDir('www'))).keys()], []);
  });

  it('rejects a push without any password', async () => {
    const d = await startRsyncDaemon({ auth: true });
    daemons.push(d);
    const src = await makeTempDir('src');
    await writeTree(src, { 'a.txt': 'x' });
    const r = await run('rsync', ['-artuz', '-R', './a.txt', d.target('www'), `--port=${d.port}`], {
      cwd: src,
      env: { RSYNC_PASSWORD: 'wrong' },
    });
    assert.notEqual(r.code, 0);
  });
});

describe('harness: rsync daemon without auth', () => {
  const daemons: RsyncDaemon[] = [];
  after(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it('serves several modules, each its own directory', async () => {
    const d = await startRsyncDaemon({ modules: ['www', 'bak'] });
    daemons.push(d);
    assert.equal(d.target('www'), '127.0.0.1::www');
    const src = await makeTempDir('src');
    await writeTree(src, { 'f': '1' });
    assert.equal((await push(d, src, 'f', [], 'bak')).code, 0);
    assert.equal(await readFile(path.join(d.moduleDir('bak'), 'f'), 'utf8'), '1');
    assert.equal((await snapshotTree(d.moduleDir('www'))).size, 0);
  });

  it('keeps symlinks as symlinks with their targets verbatim, and mirrors a tree exactly', { skip: process.getuid?.() !== 0 && 'needs root (use chroot)' }, async () => {
    const d = await startRsyncDaemon();
    daemons.push(d);
    const src = await makeTempDir('src');
    await writeTree(src, {
      'a.txt': 'a',
      'd/b.txt': 'b',
      'ln': { symlink: 'a.txt' },
      'abs-ln': { symlink: '/etc/hostname' },
      'd/up-ln': { symlink: '../../../outside' },
      'x.sh': { content: '#!/bin/sh\n', mode: 0o751 },
    });
    const r = await run('rsync', ['-artuz', '--delete', './', d.target('www'), ...d.clientArgs()], { cwd: src });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readlink(path.join(d.moduleDir('www'), 'ln')), 'a.txt');
    assert.equal(await readlink(path.join(d.moduleDir('www'), 'abs-ln')), '/etc/hostname');
    assert.equal(await readlink(path.join(d.moduleDir('www'), 'd/up-ln')), '../../../outside');
    assert.deepEqual(diffTrees(await snapshotTree(src), await snapshotTree(d.moduleDir('www')), { compareModes: true }), []);
  });

  it('refuses pushes to a read-only module', async () => {
    const d = await startRsyncDaemon({ readOnly: true });
    daemons.push(d);
    const src = await makeTempDir('src');
    await writeTree(src, { 'a.txt': 'a' });
    const r = await push(d, src, 'a.txt');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /read only/i);
  });
});

describe('harness: rsync daemon stop and start', () => {
  it('after stop() a push fails; after start() it works again on the same port', async () => {
    const d = await startRsyncDaemon({ auth: true });
    try {
      const port = d.port;
      const src = await makeTempDir('src');
      await writeTree(src, { 'a.txt': 'one', 'b.txt': 'two', 'c.txt': 'three' });
      assert.equal((await push(d, src, 'a.txt')).code, 0);

      await d.stop();
      assert.equal(d.running, false);
      const down = await push(d, src, 'b.txt', ['--contimeout=5']);
      assert.notEqual(down.code, 0, 'a push to a stopped daemon must fail');
      assert.match(down.stderr, /connection refused|failed to connect/i);

      await d.start();
      assert.equal(d.running, true);
      assert.equal(d.port, port);
      const up = await push(d, src, 'c.txt');
      assert.equal(up.code, 0, up.stderr);
      assert.equal(await readFile(path.join(d.moduleDir('www'), 'c.txt'), 'utf8'), 'three');
      // The module directory survived the restart; b.txt never arrived.
      assert.deepEqual([...(await snapshotTree(d.moduleDir('www'))).keys()].sort(), ['a.txt', 'c.txt']);
    } finally {
      await d.stop();
    }
  });

  it('stop() also ends a transfer in progress (no forked daemon child survives)', async () => {
    const d = await startRsyncDaemon();
    const src = await makeTempDir('src');
    await writeTree(src, { 'big.bin': Buffer.alloc(8 * 1024 * 1024, 7) });
    // A slow push keeps a forked daemon child busy while we stop the daemon.
    const slow = run('rsync', ['-a', '--bwlimit=256', './big.bin', d.target('www'), ...d.clientArgs()], { cwd: src });
    // Wait until the daemon's child is receiving (its temp file appears in the module).
    const deadline = Date.now() + 10000;
    while ((await snapshotTree(d.moduleDir('www'))).size === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok((await snapshotTree(d.moduleDir('www'))).size > 0, 'the transfer never started');
    await d.stop();
    const r = await slow;
    assert.notEqual(r.code, 0, 'the push was cut off by stop()');
  });

  it('start() on an explicit port that is busy fails with the daemon\'s message', async () => {
    const d = await startRsyncDaemon();
    try {
      await assert.rejects(startRsyncDaemon({ port: d.port }), /did not start on 127\.0\.0\.1:\d+/);
    } finally {
      await d.stop();
    }
  });
});
