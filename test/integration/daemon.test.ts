// Running it for real (issue 8): -d, pid file and lock, log reopen on SIGHUP,
// no passwords in the log. Real CLI processes and a real rsync daemon.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, startCli, type CliProcess } from '../helpers/cli.js';
import { writeConfig, type ConfigOptions } from '../helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir } from '../helpers/tmp.js';
import { waitForConvergence } from '../helpers/tree.js';
import { pidAlive } from '../../src/daemon/proc.js';

const daemons: RsyncDaemon[] = [];
const detached: number[] = [];
const foreground: CliProcess[] = [];

after(async () => {
  for (const pid of detached) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  await Promise.all(foreground.map((p) => p.stop('SIGKILL', 0)));
  await Promise.all(daemons.map((d) => d.stop()));
});

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const readText = (f: string): string => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');

interface Setup {
  dir: string;
  watch: string;
  state: string;
  config: string;
  rsyncd: RsyncDaemon;
  pidFile: string;
}

async function setup(name: string, over: Partial<ConfigOptions> = {}, rsyncAuth = false): Promise<Setup> {
  const dir = await makeTempDir(name);
  const watch = path.join(dir, 'w');
  const state = path.join(dir, 'state');
  fs.mkdirSync(watch);
  const rsyncd = await startRsyncDaemon({ auth: rsyncAuth });
  daemons.push(rsyncd);
  const config = await writeConfig(dir, {
    watch,
    remotes: [{ ip: '127.0.0.1', name: 'www' }],
    port: rsyncd.port,
    extra: `<sersyncts stateDir="${state}"/>`,
    ...over,
  });
  return { dir, watch, state, config, rsyncd, pidFile: path.join(state, 'sersync-ts.pid') };
}

describe('daemon mode (-d)', () => {
  it('exits 0 once the daemon is watching; the daemon runs, syncs, writes its pid file, and removes it on SIGTERM', async () => {
    const s = await setup('d-good');
    const log = path.join(s.dir, 'sersync.log');
    const r = await runCli(['-d', '-o', s.config, '--log-file', log], { cwd: s.dir });
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const m = /daemon running, pid (\d+)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const pid = Number(m[1]);
    detached.push(pid);
    assert.equal(fs.readFileSync(s.pidFile, 'utf8'), `${pid}\n`, 'the pid file names the daemon');
    assert.ok(pidAlive(pid), 'the daemon is running after its parent exited');
    assert.match(readText(log), /watch path is: /, "the daemon's output goes to the log file");

    fs.writeFileSync(path.join(s.watch, 'a.txt'), 'hello\n');
    await waitForConvergence(s.watch, s.rsyncd.moduleDir('www'), { timeoutMs: 15000 });

    process.kill(pid, 'SIGTERM');
    await waitFor('the daemon to exit', () => !pidAlive(pid));
    assert.equal(fs.existsSync(s.pidFile), false, 'the pid file is removed on SIGTERM');
    assert.deepEqual(fs.readdirSync(s.state), [], 'locks and the status socket are gone too');
  });

  it("exits non-zero with the daemon's own error when the watch directory is missing", async () => {
    const s = await setup('d-missing');
    fs.rmdirSync(s.watch);
    const r = await runCli(['-d', '-o', s.config], { cwd: s.dir });
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(`the watch directory ${s.watch} does not exist`), r.stderr);
    assert.match(r.stderr, /the daemon exited with code \d+ before it was watching/);
    assert.doesNotMatch(r.stdout, /daemon running/);
    assert.equal(fs.existsSync(s.pidFile), false, 'no pid file is left behind');
  });
});

describe('one instance per config and per watch root', () => {
  it('refuses a second instance on the same config, and on the same watch root with another config, naming the running pid', async () => {
    const s = await setup('lock');
    const first = startCli(['-o', s.config], { cwd: s.dir });
    foreground.push(first);
    await first.waitForOutput(/watch path is: /, 15000);
    const pidInFile = Number(readText(s.pidFile));
    assert.equal(pidInFile, first.pid, 'a foreground run writes the pid file too');

    const second = await runCli(['-o', s.config], { cwd: s.dir });
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`another sersync-ts \\(pid ${first.pid}\\) is already running with the config ${s.config.replace(/[.]/g, '\\.')}`));

    const daemonised = await runCli(['-d', '-o', s.config], { cwd: s.dir });
    assert.notEqual(daemonised.code, 0, '-d reports the refusal too');
    assert.match(daemonised.stderr, new RegExp(`another sersync-ts \\(pid ${first.pid}\\)`));

    const other = await writeConfig(s.dir, {
      fileName: 'other.xml',
      watch: `${s.watch}/`, // the same root, spelt differently
      remotes: [{ ip: '127.0.0.1', name: 'www' }],
      port: s.rsyncd.port,
      extra: `<sersyncts stateDir="${s.state}"/>`,
    });
    const third = await runCli(['-o', other], { cwd: s.dir });
    assert.equal(third.code, 1);
    assert.match(third.stderr, new RegExp(`another sersync-ts \\(pid ${first.pid}, config .*confxml\\.xml\\) is already watching ${s.watch}`));

    assert.equal(first.child.exitCode, null, 'the first instance keeps running');
    assert.equal(Number(readText(s.pidFile)), first.pid, 'and keeps its pid file');
    assert.equal(await first.stop('SIGTERM'), 0);
    assert.equal(fs.existsSync(s.pidFile), false);

    // Once it is gone, a new instance starts (its lock is not left behind).
    const again = startCli(['-o', s.config], { cwd: s.dir });
    foreground.push(again);
    await again.waitForOutput(/watch path is: /, 15000);
    await again.stop('SIGTERM');
  });

  it('takes over the lock of an instance that was killed with SIGKILL', async () => {
    const s = await setup('lock-stale');
    const first = startCli(['-o', s.config], { cwd: s.dir });
    foreground.push(first);
    await first.waitForOutput(/watch path is: /, 15000);
    await first.stop('SIGKILL', 0);
    assert.ok(fs.existsSync(s.pidFile), 'SIGKILL leaves the pid file and locks behind');
    const next = startCli(['-o', s.config], { cwd: s.dir });
    foreground.push(next);
    await next.waitForOutput(/watch path is: /, 15000);
    assert.equal(Number(readText(s.pidFile)), next.pid);
    await next.stop('SIGTERM');
  });
});

describe('logging', () => {
  it('reopens the log file on SIGHUP: after logrotate renames it, new lines go to a new file at the same path', async () => {
    const s = await setup('logrotate', { debug: true });
    const log = path.join(s.dir, 'sersync.log');
    const r = await runCli(['-d', '-o', s.config, '--log-file', log], { cwd: s.dir });
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(readText(s.pidFile));
    detached.push(pid);

    fs.writeFileSync(path.join(s.watch, 'before.txt'), '1\n');
    await waitFor('the event in the log', () => readText(log).includes('"before.txt"'));
    fs.renameSync(log, `${log}.1`);
    process.kill(pid, 'SIGHUP');
    await waitFor('a new log file', () => readText(log).includes('SIGHUP: log file reopened'));

    fs.writeFileSync(path.join(s.watch, 'after.txt'), '2\n');
    await waitFor('the new event in the new file', () => /event \S+ "after\.txt"/.test(readText(log)) && /rsync .*after\.txt/.test(readText(log)));
    const rotated = readText(`${log}.1`);
    assert.match(rotated, /before\.txt/);
    assert.doesNotMatch(rotated, /after\.txt/, 'nothing new goes to the rotated file');
    assert.ok(pidAlive(pid), 'SIGHUP does not stop the daemon');

    process.kill(pid, 'SIGTERM');
    await waitFor('the daemon to exit', () => !pidAlive(pid));
    assert.match(readText(log), /stopping \(SIGTERM\)/);
  });

  it('never writes the rsync password into the log, even at debug level with every rsync call logged (text and json)', async () => {
    for (const format of ['text', 'json']) {
      const s = await setup(`secret-${format}`, { debug: true }, true);
      const log = path.join(s.dir, 'sersync.log');
      const config = await writeConfig(s.dir, {
        watch: s.watch,
        remotes: [{ ip: '127.0.0.1', name: 'www' }],
        port: s.rsyncd.port,
        debug: true,
        auth: { users: s.rsyncd.user, passwordFile: s.rsyncd.passwordFile },
        extra: `<sersyncts stateDir="${s.state}"/>`,
      });
      const cli = startCli(['-o', config, '--log-file', log, '--log-format', format], { cwd: s.dir });
      foreground.push(cli);
      await cli.waitForOutput(/watch path is: /, 15000);
      fs.writeFileSync(path.join(s.watch, 'a.txt'), 'secret stuff\n');
      fs.mkdirSync(path.join(s.watch, 'd'));
      fs.writeFileSync(path.join(s.watch, 'd', 'b.txt'), 'more\n');
      await waitForConvergence(s.watch, s.rsyncd.moduleDir('www'), { timeoutMs: 15000 });
      // A failing call too: its error text is logged.
      await s.rsyncd.stop();
      fs.writeFileSync(path.join(s.watch, 'c.txt'), 'x\n');
      await waitFor('a failure in the log', () => /failed/.test(readText(log)));
      await cli.stop('SIGTERM');

      const text = readText(log);
      assert.ok(text.includes(`--password-file=${s.rsyncd.passwordFile}`), 'the rsync calls are in the log (so the check below means something)');
      assert.ok(!text.includes(s.rsyncd.password), `the password appears in the ${format} log`);
      assert.ok(!cli.output.includes(s.rsyncd.password), 'nor on stdout/stderr');
      if (format === 'json') {
        const lines = text.split('\n').filter((l) => l.startsWith('{'));
        assert.ok(lines.length > 5);
        for (const l of lines) {
          const o = JSON.parse(l) as { level?: string; message?: string };
          assert.ok(o.level && typeof o.message === 'string', l);
        }
      }
    }
  });
});
