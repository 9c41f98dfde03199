import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PidFileBusyError, readPidFile, removePidFile, writePidFile } from '../../src/daemon/pidfile.js';
import { claimInstance, InstanceError } from '../../src/daemon/instance.js';
import { statePaths } from '../../src/daemon/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('daemon: pid file', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('pidfile');
  });

  it('writes "<pid>\\n", creating the directory 0700, and removes it', () => {
    const f = path.join(dir, 'run', 'sub', 'x.pid');
    writePidFile(f);
    assert.equal(fs.readFileSync(f, 'utf8'), `${process.pid}\n`);
    assert.equal(fs.statSync(path.dirname(f)).mode & 0o777, 0o700);
    assert.equal(readPidFile(f), process.pid);
    removePidFile(f);
    assert.equal(fs.existsSync(f), false);
  });

  it("never overwrites or removes another live process's pid file", () => {
    const f = path.join(dir, 'busy.pid');
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(f, `${other.pid}\n`);
      assert.throws(() => writePidFile(f), (e: unknown) => e instanceof PidFileBusyError && e.pid === other.pid);
      removePidFile(f);
      assert.equal(readPidFile(f), other.pid);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('replaces the pid file of a dead process', async () => {
    const f = path.join(dir, 'stale.pid');
    const c = spawn('true');
    await new Promise((r) => c.once('exit', r));
    fs.writeFileSync(f, `${c.pid}\n`);
    writePidFile(f);
    assert.equal(readPidFile(f), process.pid);
    removePidFile(f);
  });
});

describe('daemon: state paths and instance claim', () => {
  it('gives the same keys for a watch root reached through a symlink, other keys for another mode', async () => {
    const dir = await makeTempDir('paths');
    fs.mkdirSync(path.join(dir, 'w'));
    fs.symlinkSync(path.join(dir, 'w'), path.join(dir, 'link'));
    const base = { stateDir: path.join(dir, 'state'), configFile: path.join(dir, 'c.xml') };
    const a = statePaths({ ...base, root: path.join(dir, 'w'), mode: 'sync' });
    const b = statePaths({ ...base, root: path.join(dir, 'link/'), mode: 'sync' });
    const c = statePaths({ ...base, root: path.join(dir, 'w'), mode: 'refreshCDN' });
    assert.equal(a.rootKey, b.rootKey);
    assert.equal(a.statusSocket, b.statusSocket);
    assert.notEqual(a.rootKey, c.rootKey);
    assert.notEqual(a.pidFile, c.pidFile);
    assert.equal(a.pidFile, path.join(dir, 'state', 'sersync-ts.pid'));
    assert.ok(Buffer.byteLength(a.statusSocket) < 108);
  });

  it('takes both locks and the pid file, refuses a second claim while a live process holds them, and gives all back', async () => {
    const dir = await makeTempDir('claim');
    const paths = statePaths({ stateDir: path.join(dir, 'state'), root: dir, configFile: path.join(dir, 'c.xml'), mode: 'sync' });
    const claim = claimInstance({ paths, pidFile: null, configFile: path.join(dir, 'c.xml'), rootText: dir });
    assert.equal(readPidFile(paths.pidFile), process.pid);
    assert.ok(fs.existsSync(paths.configLock) && fs.existsSync(paths.rootLock));
    assert.equal(fs.statSync(paths.stateDir).mode & 0o777, 0o700);
    claim.release();
    assert.equal(fs.existsSync(paths.pidFile), false);
    assert.equal(fs.existsSync(paths.configLock), false);
    assert.equal(fs.existsSync(paths.rootLock), false);

    // Another live process holding the root lock (e.g. same root, other config).
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      fs.mkdirSync(paths.stateDir, { recursive: true });
      fs.writeFileSync(paths.rootLock, JSON.stringify({ pid: other.pid, startTime: null, what: 'config /etc/other.xml' }));
      assert.throws(
        () => claimInstance({ paths, pidFile: null, configFile: path.join(dir, 'c.xml'), rootText: dir }),
        (e: unknown) =>
          e instanceof InstanceError &&
          e.message.includes(`pid ${other.pid}`) &&
          e.message.includes('/etc/other.xml') &&
          e.message.includes(`already watching ${dir}`),
      );
      assert.equal(fs.existsSync(paths.configLock), false, 'the config lock taken first is given back');
      assert.equal(fs.existsSync(paths.pidFile), false);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('uses a pid file of its own when the default one belongs to another instance; refuses a busy --pid-file', async () => {
    const dir = await makeTempDir('claim-pid');
    const paths = statePaths({ stateDir: path.join(dir, 'state'), root: dir, configFile: path.join(dir, 'c.xml'), mode: 'sync' });
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      fs.mkdirSync(paths.stateDir, { recursive: true });
      fs.writeFileSync(paths.pidFile, `${other.pid}\n`);
      const notes: string[] = [];
      const claim = claimInstance({ paths, pidFile: null, configFile: 'c.xml', rootText: dir, onNote: (m) => notes.push(m) });
      assert.notEqual(claim.pidFile, paths.pidFile);
      assert.equal(path.dirname(claim.pidFile), paths.stateDir);
      assert.equal(readPidFile(claim.pidFile), process.pid);
      assert.equal(readPidFile(paths.pidFile), other.pid, "the other instance's pid file is untouched");
      assert.match(notes.join('\n'), new RegExp(`belongs to another sersync-ts \\(pid ${other.pid}\\); this instance uses ${claim.pidFile}`));
      claim.release();
      assert.equal(fs.existsSync(claim.pidFile), false);

      assert.throws(
        () => claimInstance({ paths, pidFile: paths.pidFile, configFile: 'c.xml', rootText: dir }),
        (e: unknown) => e instanceof InstanceError && /belongs to another running process \(pid \d+\); give this instance its own file with --pid-file/.test(e.message),
      );
    } finally {
      other.kill('SIGKILL');
    }
  });
});
