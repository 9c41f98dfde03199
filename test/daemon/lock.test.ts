import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { acquireLock, LockHeldError, readLock, releaseLock } from '../../src/daemon/lock.js';
import { parseStartTime, pidAlive, processStartTime, processState, sameProcessAlive } from '../../src/daemon/proc.js';
import { makeTempDir } from '../helpers/tmp.js';

/** A pid that surely belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const c = spawn('true');
  await new Promise((r) => c.once('exit', r));
  return c.pid!;
}

function sleeper(): ChildProcess {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  c.unref();
  return c;
}

describe('daemon: process identity (/proc)', () => {
  it('reads field 22 of /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
    const fields = ['S', ...Array.from({ length: 18 }, (_, i) => String(i + 4)), '987654', '23', '24'];
    assert.equal(parseStartTime(`1234 (a b) c)) ${fields.join(' ')}`), 987654);
  });
  it('knows a running process and its start time, and a finished one as gone', async () => {
    assert.equal(pidAlive(process.pid), true);
    assert.equal(typeof processStartTime(process.pid), 'number');
    assert.equal(sameProcessAlive(process.pid, processStartTime(process.pid)), true);
    assert.equal(sameProcessAlive(process.pid, (processStartTime(process.pid) ?? 0) + 1), false, 'a reused pid is not the same process');
    assert.equal(pidAlive(await deadPid()), false);
  });
  it('counts a zombie (exited, not reaped yet) as gone', async () => {
    // The shell starts a short child, then becomes `sleep 30`, which never
    // reaps it: 0.2 s later the child is a zombie.
    const sh = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((r) => sh.stdout!.once('data', (d: Buffer) => r(d.toString()))));
      const end = Date.now() + 5000;
      while (processState(pid) !== 'Z' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      assert.equal(processState(pid), 'Z', 'the test set-up makes a zombie');
      assert.equal(pidAlive(pid), false);
    } finally {
      sh.kill('SIGKILL');
    }
  });
});

describe('daemon: lock files', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('lock');
  });

  it('creates the lock with this pid and removes it on release', () => {
    const f = path.join(dir, 'a.lock');
    acquireLock(f, 'config /x.xml');
    const h = readLock(f);
    assert.equal(h?.pid, process.pid);
    assert.equal(h?.what, 'config /x.xml');
    acquireLock(f, 'config /x.xml'); // re-entrant for the same process
    releaseLock(f);
    assert.equal(fs.existsSync(f), false);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('.a.lock')), [], 'no temp file left behind');
  });

  it('refuses a lock held by another live process, naming its pid', () => {
    const f = path.join(dir, 'b.lock');
    const other = sleeper();
    try {
      fs.writeFileSync(f, JSON.stringify({ pid: other.pid, startTime: processStartTime(other.pid!), what: 'config /etc/c.xml' }));
      assert.throws(
        () => acquireLock(f, 'mine'),
        (e: unknown) => e instanceof LockHeldError && e.holder.pid === other.pid && e.holder.what === 'config /etc/c.xml',
      );
      assert.equal(readLock(f)?.pid, other.pid, 'the holder keeps its lock');
      releaseLock(f);
      assert.equal(readLock(f)?.pid, other.pid, 'release never removes somebody else\'s lock');
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over a stale lock whose process is gone', async () => {
    const f = path.join(dir, 'c.lock');
    fs.writeFileSync(f, JSON.stringify({ pid: await deadPid(), startTime: 1, what: 'old' }));
    acquireLock(f, 'new');
    assert.equal(readLock(f)?.pid, process.pid);
    releaseLock(f);
  });

  it('takes over a lock whose pid now belongs to a younger process (pid reuse)', () => {
    const f = path.join(dir, 'd.lock');
    const other = sleeper();
    try {
      fs.writeFileSync(f, JSON.stringify({ pid: other.pid, startTime: (processStartTime(other.pid!) ?? 0) - 1, what: 'old' }));
      acquireLock(f, 'new');
      assert.equal(readLock(f)?.pid, process.pid);
      releaseLock(f);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('treats an unreadable lock file as stale', () => {
    const f = path.join(dir, 'e.lock');
    fs.writeFileSync(f, 'garbage');
    acquireLock(f, 'new');
    assert.equal(readLock(f)?.pid, process.pid);
    releaseLock(f);
  });
});
