// Spec §10 cases 14, 15, 25, 26: full syncs (`-r` and crontab). The crontab
// cases shorten the minute with SERSYNC_TS_CRONTAB_MINUTE_MS (scheduler.ts),
// so `schedule="1"` comes round within seconds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { snapshotTree } from '../helpers/tree.js';
import { assertCommand, Suite, until, waitForConvergence, type Run } from './kit.js';

let s: Suite;
before(async () => {
  s = await Suite.create('fullsync', ['c14', 'c15', 'c25', 'c26']);
});
after(async () => {
  await s.close();
});

/** Entries below root (sentinels left out), as `rel:type`, sorted. */
async function listing(root: string): Promise<string[]> {
  return [...(await snapshotTree(root)).entries()]
    .filter(([rel]) => !rel.startsWith('zz-sentinel-'))
    .map(([rel, e]) => `${rel}:${e.type}`)
    .sort();
}

const crontabRuns = (r: Run) => (r.cli.output.match(/full sync to \S+: .*\(crontab;/g) ?? []).length;
/** A crontab "minute" in these tests (long enough to look at the remote before the first run). */
const MINUTE_MS = '4000';

describe('spec §10: full syncs', () => {
  it('case 14: filter disables -r — sersync-ts runs it anyway, and the excluded paths stay off the remote', async () => {
    const c = await s.case(
      'c14',
      { 'a.txt': 'a\n', 'b.gz': 'b\n', 'info/i.txt': 'i\n', 'sub/k.txt': 'k\n', 'sub/c.gz': 'c\n' },
      { 'old.txt': 'remote only\n', 'keep.gz': 'remote only, excluded\n' },
    );
    const real = await s.startReal(c, { filter: ['(.*)\\.gz', '^info/*'] }, { args: ['-r'] });
    await real.cli.waitForOutput(/^full sync to 127\.0\.0\.1::c14: .*\(-r;/m, 20000, 'stdout');
    // sersync2 prints the `attention` block and `you set the filter so the "-r " can not work`.
    assert.doesNotMatch(real.cli.stdout, /can not work/);
    assert.match(real.cli.stdout, /the filter is on: the full sync sends only what the filter keeps/);
    assert.deepEqual(await listing(c.mirror), ['a.txt:file', 'keep.gz:file', 'sub/k.txt:file', 'sub:dir'],
      'excluded paths (b.gz, info/, sub/c.gz) are not pushed; remote-only old.txt is deleted; remote-only keep.gz, excluded, is left alone');
    assert.equal(await real.stop(), 0);
  });

  it('case 15: -r default — `cd W && rsync -artuz -R --delete ./ ip::module`, the remote becomes W', async () => {
    const c = await s.case('c15', { 'a.txt': 'a\n', 'd/e/b.txt': 'b\n', '.hidden': 'h\n', 'ln': { symlink: 'a.txt' } }, { 'old.txt': 'remote only\n', 'd/old/x': 'x\n' });
    const [real, dry] = await Promise.all([s.startReal(c, {}, { args: ['-r'] }), s.startDry(c, {}, { args: ['-r'] })]);
    const full = await dry.cli.waitForOutput(/^execute command: (.*)$/m, 10000, 'stdout');
    assertCommand(full[1]!, 'cd /data/www && rsync -artuz -R --delete ./ 10.0.0.2::www >/dev/null 2>&1 ', c.w);
    // sersync-ts runs it once watching has started (sersync2: before), so nothing changed meanwhile is lost.
    assert.ok(dry.cli.stdout.indexOf('watch path is:') < dry.cli.stdout.indexOf('execute command:'));
    await real.cli.waitForOutput(/^full sync to 127\.0\.0\.1::c15: .*\(-r;/m, 20000, 'stdout');
    await waitForConvergence(c.w, c.mirror);
    assert.deepEqual(dry.stubCalls(), [], '--dry-run runs no full sync');
    assert.equal(await real.stop(), 0);
    assert.equal(await dry.stop(), 0);
  });

  it('case 25: crontab — no full sync at start-up, then one every `schedule` minutes with the crontabfilter excludes', async () => {
    const c = await s.case('c25', { 'a.txt': 'a\n', 'x.php': 'p\n', 'info/i.txt': 'i\n', 'sub/s.txt': 's\n' }, { 'old.txt': 'remote only\n' });
    const cfg = { crontab: { schedule: 1, excludes: ['*.php', 'info/*'] } };
    const env = { SERSYNC_TS_CRONTAB_MINUTE_MS: MINUTE_MS };
    const real = await s.startReal(c, cfg, { env });
    // No full sync at start-up (no -r): the remote is as it was.
    assert.deepEqual(await listing(c.mirror), ['old.txt:file']);
    const dry = await s.startDry(c, cfg, { args: ['-r'], env });
    for (const r of [real, dry]) {
      assert.ok(r.cli.stdout.includes('Start the crontab \tEvery 1 minutes rsync all the files to the remote servers entirely\n'), r.cli.stdout);
      assert.ok(r.cli.stdout.includes('开启crontab过滤功能:\t作整体同步的时候会对如下文件进行过滤\n*.php\ninfo/*\n'), r.cli.stdout);
    }
    // The full-sync command shape (§5.5 "crontab + filter"; -r prints the same string).
    const full = await dry.cli.waitForOutput(/^execute command: (.*)$/m, 10000, 'stdout');
    assertCommand(full[1]!, 'cd /data/www && rsync -artuz -R --delete ./ 10.0.0.2::www --exclude="*.php" --exclude="info/*" >/dev/null 2>&1 ', c.w);

    await until('two crontab full syncs', () => crontabRuns(real) >= 2, 30000);
    assert.deepEqual(await listing(c.mirror), ['a.txt:file', 'info:dir', 'sub/s.txt:file', 'sub:dir'], '*.php and info/* are excluded; old.txt is deleted');
    assert.equal(crontabRuns(dry), 0, 'a dry run runs no crontab');
    assert.deepEqual(dry.stubCalls(), []);
    assert.equal(await real.stop(), 0);
    assert.equal(await dry.stop(), 0);
  });

  it('case 26: crontab with the main filter and no crontabfilter — sersync-ts keeps crontab on and applies the main filter', async () => {
    // sersync2 prints its WARNING block and never runs the crontab in this case; sersync-ts says what it
    // does instead and runs it, leaving the main filter's excluded paths out (README: differences).
    const c = await s.case('c26', { 'a.txt': 'a\n', 'b.gz': 'b\n' }, {});
    const real = await s.startReal(c, { filter: ['(.*)\\.gz'], crontab: { schedule: 1 } }, { env: { SERSYNC_TS_CRONTAB_MINUTE_MS: MINUTE_MS } });
    assert.match(real.cli.stdout, /^WARNING: .*sersync2 turns crontab OFF in this case; sersync-ts keeps crontab on/m);
    await until('a crontab full sync', () => crontabRuns(real) >= 1, 30000);
    assert.deepEqual(await listing(c.mirror), ['a.txt:file'], 'b.gz (main filter) is not pushed');
    assert.ok(!fs.existsSync(path.join(c.mirror, 'b.gz')));
    assert.equal(await real.stop(), 0);
  });
});
