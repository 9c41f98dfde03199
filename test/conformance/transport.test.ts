// Spec §10 cases 16–18: auth, port + timeout, ssh. For each: the dry run's
// sync, delete and `-r` commands against §5.4/§5.5's exact strings, and a real
// run (rsync daemon with auth / on its own port / a real sshd) that converges.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigOptions } from '../helpers/config.js';
import type { RsyncDaemon } from '../helpers/rsyncd.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { writeTree } from '../helpers/tree.js';
import { assertCommand, assertCommandSet, readText, Suite, until, waitForConvergence, type CaseDirs, type Run } from './kit.js';

let s: Suite;
let authd: RsyncDaemon;
let sshd: Sshd | null = null;
before(async () => {
  s = await Suite.create('transport', ['c17']);
  authd = await s.daemon({ auth: true, modules: ['c16'] });
});
after(async () => {
  await sshd?.stop();
  await s.close();
});

interface Shapes {
  sync: string;
  del: string;
  full: string;
}

/** The dry run (started with -r) prints the §5.5 full-sync line, then the live sync and delete forms. */
async function assertShapes(c: CaseDirs, dry: Run, spec: Shapes): Promise<void> {
  const full = await dry.cli.waitForOutput(/^execute command: (.*)$/m, 10000, 'stdout');
  assertCommand(full[1]!, spec.full, c.w, `-r: ${full[1]}`);
  const file = path.join(c.w, 'a.txt');
  fs.writeFileSync(file, 'a\n');
  await until('the sync of a.txt', () => dry.commands().some((l) => l.includes('"./a.txt"')));
  const first = await dry.settle();
  assertCommandSet(first, [spec.sync], c.w);
  fs.rmSync(file);
  await dry.waitCommands(first.length + 1);
  assertCommandSet((await dry.settle()).slice(first.length), [spec.del], c.w);
  assert.deepEqual(dry.stubCalls(), [], '--dry-run never runs rsync');
}

/** The real run (with -r): remote-only files go, W's tree arrives; then a.txt comes and goes. */
async function assertRealRun(c: CaseDirs, real: Run): Promise<void> {
  await real.cli.waitForOutput(/^full sync to .*\(-r;/m, 30000, 'stdout');
  await waitForConvergence(c.w, c.mirror, { timeoutMs: 15000 });
  fs.writeFileSync(path.join(c.w, 'b.txt'), 'b\n');
  await until('b.txt on the remote', () => fs.existsSync(path.join(c.mirror, 'b.txt')));
  fs.rmSync(path.join(c.w, 'b.txt'));
  await waitForConvergence(c.w, c.mirror, { timeoutMs: 15000 });
}

const seed = { 't.txt': 't\n', 'd/u.txt': 'u\n' };

describe('spec §10: transports and rsync options', () => {
  it('case 16: auth — users@ip::module and --password-file= in every command; the start-up lines', async () => {
    const c = await s.case('c16', seed, { 'old.txt': 'remote only\n' }, authd);
    const dryCfg: Partial<ConfigOptions> = { auth: { users: 'rsync_backup', passwordFile: '/etc/rsync.password' } };
    const [real, dry] = await Promise.all([
      s.start(c, await s.realConfig(c, { auth: { users: authd.user, passwordFile: authd.passwordFile } }, 'real.xml', authd), 'real', { args: ['-r'] }),
      s.startDry(c, dryCfg, { args: ['-r'] }),
    ]);
    assert.ok(dry.cli.stdout.includes('use rsync password-file :\nuser is\trsync_backup\npasswordfile is \t/etc/rsync.password\n'), dry.cli.stdout);
    await assertShapes(c, dry, {
      sync: 'cd /data/www && rsync -artuz -R "./a.txt" rsync_backup@10.0.0.2::www --password-file=/etc/rsync.password >/dev/null 2>&1 ',
      del: 'cd /data/www && rsync -artuz -R --delete ./   --include="a.txt" --exclude=*  rsync_backup@10.0.0.2::www --password-file=/etc/rsync.password >/dev/null 2>&1 ',
      full: 'cd /data/www && rsync -artuz -R --delete ./ rsync_backup@10.0.0.2::www --password-file=/etc/rsync.password >/dev/null 2>&1 ',
    });
    await assertRealRun(c, real);
    assert.equal(await real.stop(), 0);
    const secret = authd.password;
    assert.ok(!real.cli.output.includes(secret), 'the password never appears in the output');
    assert.ok(!readText(path.join(c.dir, 'rsync_fail_log.sh')).includes(secret), 'nor in the fail log');
    assert.equal(await dry.stop(), 0);
  });

  it('case 17: port + timeout — ` --port=874  --timeout=100 ` in the live and the full-sync positions', async () => {
    const c = await s.case('c17', seed, { 'old.txt': 'remote only\n' });
    const [real, dry] = await Promise.all([
      s.startReal(c, { timeout: 100 }, { args: ['-r'] }), // port = the daemon's own port
      s.startDry(c, { port: 874, timeout: 100 }, { args: ['-r'] }),
    ]);
    await assertShapes(c, dry, {
      sync: 'cd /data/www && rsync -artuz -R  --port=874  --timeout=100 "./a.txt" 10.0.0.2::www >/dev/null 2>&1 ',
      del: 'cd /data/www && rsync -artuz -R  --port=874  --timeout=100 --delete ./   --include="a.txt" --exclude=*  10.0.0.2::www >/dev/null 2>&1 ',
      full: 'cd /data/www && rsync -artuz -R --delete ./  --port=874  --timeout=100 10.0.0.2::www >/dev/null 2>&1 ',
    });
    await assertRealRun(c, real);
    assert.equal(await real.stop(), 0);
    assert.equal(await dry.stop(), 0);
  });

  it('case 18: ssh — ` -e ssh ` and `ip:path` (single colon); pushes over a real sshd', async () => {
    sshd = await startSshd();
    const c = await s.case('c18', seed, {});
    const remote: CaseDirs = { ...c, mirror: sshd.remoteDir };
    await writeTree(remote.mirror, { 'old.txt': 'remote only\n' });
    const [real, dry] = await Promise.all([
      s.start(c, await s.realConfig(c, { ssh: true, port: undefined, remotes: [{ ip: '127.0.0.1', name: sshd.remoteDir }] }), 'real', { args: ['-r'], env: sshd.env }),
      s.startDry(c, { ssh: true, remotes: [{ ip: '127.0.0.1', name: '/backup/www' }] }, { args: ['-r'] }),
    ]);
    await assertShapes(c, dry, {
      sync: 'cd /data/www && rsync -artuz -R  -e ssh "./a.txt" 10.0.0.2:/backup/www >/dev/null 2>&1 ',
      del: 'cd /data/www && rsync -artuz -R  -e ssh --delete ./   --include="a.txt" --exclude=*  10.0.0.2:/backup/www >/dev/null 2>&1 ',
      full: 'cd /data/www && rsync -artuz -R --delete ./  -e ssh 10.0.0.2:/backup/www >/dev/null 2>&1 ',
    });
    await assertRealRun(remote, real);
    assert.equal(await real.stop(), 0);
    assert.equal(await dry.stop(), 0);
  });
});
