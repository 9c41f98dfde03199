// The -d mechanics with a tiny stand-in program (no engine): the parent
// re-runs the script detached and waits for "ready" or the child's error.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { pidAlive } from '../../src/daemon/proc.js';

const DAEMONIZE = pathToFileURL(path.resolve(import.meta.dirname, '../../src/daemon/daemonize.js')).href;

// argv: <behaviour> [log file]. Parent when not the child, else the behaviour.
const PROGRAM = `
import fs from 'node:fs';
import { isDaemonChild, initDaemonChild, daemonReady, runDaemonParent } from '${DAEMONIZE}';
const [behaviour, logFile = null] = process.argv.slice(2);
if (!isDaemonChild()) {
  const code = await runDaemonParent({
    argv: process.argv.slice(2), logFile,
    out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s),
  });
  process.exitCode = code;
} else {
  initDaemonChild({ logFile });
  console.log('child says hello; marker in env: ' + (process.env.SERSYNC_TS_DAEMON_CHILD ?? 'none'));
  if (behaviour === 'ready') {
    fs.writeFileSync(process.env.INFO_FILE, JSON.stringify({ pid: process.pid, cwd: process.cwd(), umask: process.umask() }));
    daemonReady();
    process.on('SIGTERM', () => process.exit(0));
    setInterval(() => console.log('tick'), 100);
  } else if (behaviour === 'fail') {
    process.stderr.write('sersync2: the watch directory /nowhere does not exist — create it\\n');
    process.exitCode = 3;
  } else if (behaviour === 'crash') {
    throw new Error('boom');
  } else if (behaviour === 'hang') {
    setInterval(() => {}, 1000);
  }
}
`;

function procStat(pid: number): { ppid: number; pgrp: number; session: number; tty: number } {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]), tty: Number(f[4]) };
}

async function waitFor(cond: () => boolean, what: string, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('daemon: -d mechanics (daemonize.ts)', () => {
  let dir: string;
  let main: string;
  const started: number[] = [];
  before(async () => {
    dir = await makeTempDir('daemonize');
    main = path.join(dir, 'prog.mjs');
    fs.writeFileSync(main, PROGRAM);
  });
  after(() => {
    for (const pid of started) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('the parent exits 0 once the child is ready; the child runs on in its own session with no terminal, same cwd, stdin /dev/null, output in the log file', async () => {
    const log = path.join(dir, 'ready.log');
    const info = path.join(dir, 'info.json');
    const r = await runCli(['ready', log], { main, cwd: dir, env: { INFO_FILE: info } });
    assert.equal(r.code, 0, r.stderr);
    const child = JSON.parse(fs.readFileSync(info, 'utf8')) as { pid: number; cwd: string; umask: number };
    started.push(child.pid);
    assert.match(r.stdout, /^daemon start，sersync run behind the console \n/);
    assert.match(r.stdout, new RegExp(`daemon running, pid ${child.pid}\\n$`));
    assert.ok(pidAlive(child.pid), 'the daemon outlives its parent');
    const st = procStat(child.pid);
    assert.equal(st.session, child.pid, 'session leader (setsid)');
    assert.equal(st.tty, 0, 'no controlling terminal');
    assert.equal(child.cwd, fs.realpathSync(dir), 'launch directory kept');
    assert.equal(child.umask, process.umask(), 'umask kept (not 0)');
    assert.equal(fs.readlinkSync(`/proc/${child.pid}/fd/0`), '/dev/null');
    assert.equal(fs.readlinkSync(`/proc/${child.pid}/fd/1`), log);
    await waitFor(() => fs.readFileSync(log, 'utf8').includes('tick'), 'output in the log file');
    assert.match(fs.readFileSync(log, 'utf8'), /marker in env: none/, 'the marker is not passed on to children');
    process.kill(child.pid, 'SIGTERM');
    await waitFor(() => !pidAlive(child.pid), 'the daemon to stop');
  });

  it('after SIGHUP the daemon writes its stdout to a new file at the log path (logrotate)', async () => {
    const log = path.join(dir, 'rot.log');
    const info = path.join(dir, 'info2.json');
    const r = await runCli(['ready', log], { main, cwd: dir, env: { INFO_FILE: info } });
    assert.equal(r.code, 0, r.stderr);
    const { pid } = JSON.parse(fs.readFileSync(info, 'utf8')) as { pid: number };
    started.push(pid);
    await waitFor(() => fs.readFileSync(log, 'utf8').includes('tick'), 'first output');
    fs.renameSync(log, `${log}.1`);
    process.kill(pid, 'SIGHUP');
    await waitFor(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('tick'), 'output in the new file');
    const oldSize = fs.statSync(`${log}.1`).size;
    await new Promise((r2) => setTimeout(r2, 300));
    assert.equal(fs.statSync(`${log}.1`).size, oldSize, 'nothing more goes to the rotated file');
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !pidAlive(pid), 'the daemon to stop');
  });

  it("a child that fails before it is ready: the parent prints the child's error and exits with its code", async () => {
    const r = await runCli(['fail'], { main, cwd: dir });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /the watch directory \/nowhere does not exist — create it/);
    assert.match(r.stderr, /the daemon exited with code 3 before it was watching/);
  });

  it('a child that crashes: non-zero, with its error text', async () => {
    const log = path.join(dir, 'crash.log');
    const r = await runCli(['crash', log], { main, cwd: dir });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error: boom/);
    assert.match(r.stderr, new RegExp(`see ${log.replace(/[.]/g, '\\.')}`));
  });

  it('a child that never gets ready is stopped after the timeout (SERSYNC_TS_DAEMON_READY_TIMEOUT)', async () => {
    const r = await runCli(['hang'], { main, cwd: dir, env: { SERSYNC_TS_DAEMON_READY_TIMEOUT: '1' } });
    assert.equal(r.code, 1);
    const m = /the daemon \(pid (\d+)\) did not report that it is watching within 1 s; stopped it/.exec(r.stderr);
    assert.ok(m, r.stderr);
    await waitFor(() => !pidAlive(Number(m[1])), 'the hung child to be gone');
  });
});
