// Spec §10 cases 27–31, 37, 38: the command line, exit codes and messages,
// missing elements, and daemon mode — all with the real CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { pidAlive } from '../../src/daemon/proc.js';
import { assertCommandSet, readText, Suite, until, waitForConvergence, type CaseDirs } from './kit.js';

let s: Suite;
const detached: number[] = [];
before(async () => {
  s = await Suite.create('cli', ['c30', 'c37', 'c38']);
});
after(async () => {
  for (const pid of detached) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  await s.close();
});

const env = (c: CaseDirs) => ({ SERSYNC_TS_STATE_DIR: path.join(c.dir, 'state') });
const T01 = 'cd /data/www && rsync -artuz -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 ';

/** The stock confxml.xml (Appendix A, byte for byte), pointed at this case, minus the given elements. */
function stockConfig(c: CaseDirs, name: string, o: { module: string; port?: number; drop?: RegExp[] }): string {
  let text = fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/config/confxml.stock.xml'), 'latin1');
  text = text
    .replace('<localpath watch="/opt/tongbu">', `<localpath watch="${c.w}">`)
    .replace('name="tongbu1"', `name="${o.module}"`)
    .replace('path="/tmp/rsync_fail_log.sh"', `path="${path.join(c.dir, 'rsync_fail_log.sh')}"`);
  if (o.port !== undefined) text = text.replace('<userDefinedPort start="false" port="874"/>', `<userDefinedPort start="true" port="${o.port}"/>`);
  for (const re of o.drop ?? []) {
    assert.match(text, re);
    text = text.replace(re, '');
  }
  const file = path.join(c.dir, name);
  fs.writeFileSync(file, text, 'latin1');
  return file;
}

describe('spec §10: command line, exit codes, defaults, daemon', () => {
  it("case 27: missing config — sersync2's three lines on stdout, exit 255", async () => {
    const c = await s.case('c27');
    const r = await runCli([], { cwd: c.dir, env: env(c) });
    assert.equal(r.code, 255);
    assert.ok(r.stdout.endsWith("XML Parsing error inside file 'confxml.xml'.\nError: File not found\nAt line 0, column 0.\n"), r.stdout);
    assert.match(r.stderr, /confxml\.xml/, 'plus one line naming the file and the fix');
  });

  it("case 28: wrong root — `Error: First Tag not found` … `First Tag should be 'head'.`, exit 255", async () => {
    const c = await s.case('c28');
    fs.writeFileSync(path.join(c.dir, 'root.xml'), '<?xml version="1.0"?>\n<root>\n  <sersync/>\n</root>\n');
    const r = await runCli(['-o', 'root.xml'], { cwd: c.dir, env: env(c) });
    assert.equal(r.code, 255);
    assert.ok(r.stdout.endsWith("XML Parsing error inside file 'root.xml'.\nError: First Tag not found\nAt line 0, column 0.\nFirst Tag should be 'head'.\n"), r.stdout);
  });

  it('case 29: bad option / -h — `-x` and `-o` without argument exit 1 with sersync2\'s line; `-h` prints the help, exit 0', async () => {
    const c = await s.case('c29');
    const x = await runCli(['-x'], { cwd: c.dir, env: env(c) });
    assert.equal(x.code, 1);
    assert.ok(x.stdout.includes('命令行参数错误: 没有该选项-x\n'), x.stdout);
    assert.match(x.stderr, /invalid option -- 'x'/);
    const o = await runCli(['-o'], { cwd: c.dir, env: env(c) });
    assert.equal(o.code, 1);
    assert.ok(o.stdout.includes('命令行参数错误: 没有该选项-o\n'), o.stdout);
    assert.match(o.stderr, /option requires an argument -- 'o'/);
    const h = await runCli(['-h'], { cwd: c.dir, env: env(c) });
    assert.equal(h.code, 0);
    // The block between sersync2's two rules (55 and 64 underscores); the text is bilingual, not byte-identical.
    assert.ok(h.stdout.startsWith(`${'_'.repeat(55)}\n`), h.stdout);
    assert.ok(h.stdout.endsWith(`${'_'.repeat(64)}\n`), h.stdout);
    for (const flag of ['-d', '-r', '-n', '-o', '-m']) assert.ok(h.stdout.includes(`  ${flag} `), `help mentions ${flag}`);
    for (const zh of ['参数-d', '参数-r', '参数-n', '参数-o', '参数-m', '不加 -m 参数，则默认执行同步程序']) assert.ok(h.stdout.includes(zh), zh);
  });

  it('case 30: no remote — `error there are no remote servers in your config xml`, exit 1 (also with -d: sersync-ts checks before forking)', async () => {
    const c = await s.case('c30');
    const file = stockConfig(c, 'noremote.xml', { module: 'c30', drop: [/\t    <remote ip="127\.0\.0\.1" name="c30"\/>\n/] });
    const r = await runCli(['-o', file], { cwd: c.dir, env: env(c) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error there are no remote servers in your config xml/);
    // sersync2's -d parent exits 0 and only its child reports the error (§9 item 13).
    const d = await runCli(['-d', '-o', file], { cwd: c.dir, env: env(c) });
    assert.equal(d.code, 1);
    assert.match(d.stderr, /error there are no remote servers in your config xml/);
    assert.doesNotMatch(d.stdout, /daemon running/);
  });

  it('case 31: -n — `option: -n \\tthread num is：  3`, no `daemon thread num`; `-n abc` → `daemon thread num: 10`', async () => {
    const c = await s.case('c31');
    const three = await s.startDry(c, {}, { args: ['-n', '3'] });
    assert.ok(three.cli.stdout.includes('option: -n \tthread num is：  3\n'), three.cli.stdout);
    assert.doesNotMatch(three.cli.stdout, /daemon thread num/);
    // sersync2: `sersync working thread 5  = 1(primary thread) + 1(fail retry thread) + 3(daemon sub threads) `.
    // sersync-ts has no thread pool: -n is the number of rsync processes per remote.
    assert.match(three.cli.stdout, /^sersync working: up to 3 rsync process\(es\) per remote × 1 remote\(s\)/m);
    assert.equal(await three.stop(), 0);
    const abc = await s.startDry(c, {}, { args: ['-n', 'abc'] });
    // After every `option:` line, as in sersync2.
    assert.match(abc.cli.stdout, /^option: -n \tthread num is：  abc\n(option: .*\n)*daemon thread num: 10\n/m);
    assert.match(abc.cli.stdout, /^sersync working: up to 10 rsync process\(es\) per remote/m);
    assert.equal(await abc.stop(), 0);
  });

  it('case 37: missing element — the stock file without <failLog> or without <debug> starts with the defaults', async () => {
    // sersync2: SIGABRT (`basic_string::_S_construct NULL not valid`) without <failLog>, SIGSEGV without <debug>.
    const c = await s.case('c37');
    const noFailLog = stockConfig(c, 'nofaillog.xml', { module: 'www', drop: [/\t<failLog [^\n]*\n/] });
    const check = await runCli(['--check', '-o', noFailLog], { cwd: c.dir, env: env(c) });
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /\/tmp\/rsync_fail_log\.sh/, 'the default fail log');
    // A dry run opens no fail log (the default one is shared: /tmp/rsync_fail_log.sh).
    const dry = await s.start(c, noFailLog, 'dry', { args: ['--dry-run'], stub: true });
    assert.match(dry.cli.stdout, /^WARNING: .*missing in the file, defaults used .*<failLog>/m);
    fs.writeFileSync(path.join(c.w, 'a.txt'), 'a\n');
    await dry.waitCommands(1);
    assertCommandSet(await dry.settle(), [T01], c.w);
    assert.equal(await dry.stop(), 0);

    const noDebug = stockConfig(c, 'nodebug.xml', { module: 'c37', port: s.rsyncd.port, drop: [/ {4}<debug start="false"\/>\n/] });
    const real = await s.start(c, noDebug, 'real');
    assert.match(real.cli.stdout, /^WARNING: .*missing in the file, defaults used .*<debug>/m);
    fs.writeFileSync(path.join(c.w, 'b.txt'), 'b\n');
    await until('b.txt on the remote', () => fs.existsSync(path.join(c.mirror, 'b.txt')));
    assert.equal(await real.stop(), 0);
  });

  it('case 38: daemon — -d returns 0 once watching; the daemon has its own session, keeps the launch cwd, writes a pid file', async () => {
    const c = await s.case('c38');
    const config = await s.realConfig(c);
    const log = path.join(c.dir, 'daemon.log');
    const r = await runCli(['-d', '-o', path.basename(config), '--log-file', log], { cwd: c.dir, env: env(c) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const pid = Number(/daemon running, pid (\d+)/.exec(r.stdout)?.[1]);
    assert.ok(pid > 0, r.stdout);
    detached.push(pid);
    assert.ok(pidAlive(pid), 'the daemon outlives its parent');
    // /proc/<pid>/stat: pid (comm) state ppid pgrp session …
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(session), pid, 'SID = its pid (setsid)');
    assert.equal(Number(pgrp), pid, 'a process-group leader');
    assert.equal(fs.readlinkSync(`/proc/${pid}/cwd`), fs.realpathSync(c.dir), 'no chdir("/"): relative -o and fail-log paths keep working');
    // sersync-ts additions: a pid file, the output in --log-file (sersync2 kept writing to the terminal).
    assert.equal(readText(path.join(c.dir, 'state', 'sersync-ts.pid')), `${pid}\n`);
    assert.match(readText(log), /watch path is: /);

    fs.writeFileSync(path.join(c.w, 'a.txt'), 'a\n');
    await waitForConvergence(c.w, c.mirror, { timeoutMs: 15000 });
    process.kill(pid, 'SIGTERM');
    await until('the daemon to stop on SIGTERM', () => !pidAlive(pid));
    assert.equal(fs.existsSync(path.join(c.dir, 'state', 'sersync-ts.pid')), false, 'the pid file is removed');
  });
});
