import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { acquire, lockOwner, LockTimeoutError, parseOwner, tryLock, unlock } from '../../src/faillog/lockFile.js';
import { makeTempDir } from '../helpers/tmp.js';

/** A pid that is certainly not running: a child that already exited and was reaped. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => c.once('close', r));
  return c.pid!;
}

describe('fail-log lock file', () => {
  it('is created exclusively, mode 0600, holding "<pid> <start time>"', async () => {
    const f = path.join(await makeTempDir('lock'), 'x.lock');
    assert.deepEqual(tryLock(f), { ok: true });
    assert.equal(fs.statSync(f).mode & 0o777, 0o600);
    assert.equal(lockOwner(f)?.pid, process.pid);
    assert.match(fs.readFileSync(f, 'utf8'), /^\d+ \d+\n$/);
    unlock(f);
    assert.equal(fs.existsSync(f), false);
  });

  it('is busy while another live process holds it', async () => {
    const f = path.join(await makeTempDir('lock'), 'x.lock');
    const holder = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(f, `${holder.pid} 0\n`);
      const r = tryLock(f);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.owner?.pid, holder.pid);
      await assert.rejects(acquire(f, { timeoutMs: 100 }), LockTimeoutError);
      assert.equal(lockOwner(f)?.pid, holder.pid, 'a live holder is never removed');
    } finally {
      holder.kill();
    }
  });

  it('is busy while this same process holds it (two users in one process do not share it)', async () => {
    const f = path.join(await makeTempDir('lock'), 'x.lock');
    assert.equal(tryLock(f).ok, true);
    assert.equal(tryLock(f).ok, false);
    unlock(f);
    assert.equal(tryLock(f).ok, true);
  });

  it('takes over a stale lock whose holder is dead', async () => {
    const f = path.join(await makeTempDir('lock'), 'x.lock');
    fs.writeFileSync(f, `${await deadPid()} 123\n`);
    assert.deepEqual(tryLock(f), { ok: true });
    assert.equal(lockOwner(f)?.pid, process.pid);
  });

  it('takes over a lock of a live pid with another start time (pid reused)', async () => {
    const f = path.join(await makeTempDir('lock'), 'x.lock');
    fs.writeFileSync(f, `${process.pid} 1\n`); // this pid, but "started" at tick 1: an earlier life
    assert.deepEqual(tryLock(f), { ok: true });
  });

  it('waits for a lock that is released meanwhile', async () => {
    const f = path.join(await makeTempDir('lock'), 'x.lock');
    const holder = spawn('sleep', ['30']);
    fs.writeFileSync(f, `${holder.pid} 0\n`);
    let told = 0;
    setTimeout(() => {
      holder.kill();
    }, 150);
    await acquire(f, { timeoutMs: 5000, pollMs: 20, onWait: () => told++ });
    assert.equal(lockOwner(f)?.pid, process.pid);
    assert.equal(told, 1);
  });

  it('treats an empty lock file as being written, then as stale once it is old', async () => {
    const f = path.join(await makeTempDir('lock'), 'x.lock');
    fs.writeFileSync(f, '');
    assert.equal(tryLock(f).ok, false);
    const old = new Date(Date.now() - 10_000);
    fs.utimesSync(f, old, old);
    assert.equal(tryLock(f).ok, true);
  });

  it('never follows a symlink planted at the lock path', async () => {
    const dir = await makeTempDir('lock');
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'precious\n');
    const f = path.join(dir, 'x.lock');
    fs.symlinkSync(victim, f);
    const old = new Date(Date.now() - 10_000);
    fs.lutimesSync(f, old, old);
    tryLock(f);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious\n');
  });

  it('parses only well-formed owner lines', () => {
    assert.deepEqual(parseOwner('12 34\n'), { pid: 12, startTime: 34 });
    assert.deepEqual(parseOwner('12\n'), { pid: 12, startTime: null });
    assert.equal(parseOwner('12'), null);
    assert.equal(parseOwner('{"pid":1}'), null);
    assert.equal(parseOwner(null), null);
  });
});
