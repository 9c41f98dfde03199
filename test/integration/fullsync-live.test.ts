// `-r` while the tree changes: sersync2 ran its full sync before watching and
// lost what changed meanwhile (§3.2, §9 item 10). sersync-ts watches first;
// everything created, changed, renamed or deleted during the full sync must
// be right on the remote at the end. Real CLI, real rsync daemon with auth.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startCli, type CliProcess } from '../helpers/cli.js';
import { writeConfig } from '../helpers/config.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { waitForConvergence } from '../helpers/tree.js';

const running = new Set<CliProcess>();
const daemons = new Set<RsyncDaemon>();
after(async () => {
  await Promise.all([...running].map((c) => c.stop()));
  await Promise.all([...daemons].map((d) => d.stop()));
  await removeTempDirs();
});

const DIRS = 100;
const PER_DIR = 200; // 20,000 files
const KIB = 'x'.repeat(1023) + '\n';

async function inBatches(jobs: Array<() => Promise<unknown>>, width = 64): Promise<void> {
  for (let i = 0; i < jobs.length; i += width) await Promise.all(jobs.slice(i, i + width).map((j) => j()));
}

const SUMMARY = /full sync to 127\.0\.0\.1::www: \d+ files, \d+ bytes, [\d.]+ s \(-r; \d+ transferred, \d+ deleted[;)]/;

describe('fullsync: -r on a 20,000-file tree while it changes', () => {
  for (const withFilter of [false, true]) {
    it(`creates, changes, renames and deletes during -r end up right on the remote${withFilter ? ' (main filter on: list mode)' : ''}`, async () => {
      const d = await startRsyncDaemon({ auth: true });
      daemons.add(d);
      const dir = await makeTempDir('fs-live');
      const w = path.join(dir, 'w');
      const jobs: Array<() => Promise<unknown>> = [];
      for (let i = 0; i < DIRS; i++) {
        await mkdir(path.join(w, `d${i}`), { recursive: true });
        for (let j = 0; j < PER_DIR; j++) jobs.push(() => writeFile(path.join(w, `d${i}`, `f${j}.txt`), KIB));
      }
      if (withFilter) jobs.push(() => writeFile(path.join(w, 'd0', 'skip.gz'), 'excluded'));
      await inBatches(jobs);
      // A remote-only file, to be deleted by the full sync.
      await writeFile(path.join(d.moduleDir('www'), 'stale.txt'), 'remote only');

      const cfg = await writeConfig(dir, {
        watch: w,
        remotes: [{ ip: '127.0.0.1', name: 'www' }],
        auth: { users: d.user, passwordFile: d.passwordFile },
        port: d.port,
        ...(withFilter ? { filter: ['(.*)\\.gz'] } : {}),
      });
      const cli = startCli(['-r', '-o', cfg], { cwd: dir });
      running.add(cli);
      await cli.waitForOutput(/working please wait\.\.\.\n/, 20000, 'stdout');

      // Changes while the full sync runs.
      const changes: Array<() => Promise<unknown>> = [];
      for (let i = 0; i < 50; i++) {
        changes.push(() => writeFile(path.join(w, `d${i}`, 'new.txt'), `new ${i}\n`)); // created
        changes.push(() => writeFile(path.join(w, `d${i}`, 'f1.txt'), 'y'.repeat(1023) + '\n')); // changed, same size
        changes.push(() => rm(path.join(w, `d${i}`, 'f2.txt'))); // deleted
      }
      await inBatches(changes, 16);
      await mkdir(path.join(w, 'fresh', 'sub'), { recursive: true }); // a new subtree
      await writeFile(path.join(w, 'fresh', 'sub', 'deep.txt'), 'deep\n');
      await rm(path.join(w, 'd99'), { recursive: true }); // a whole directory deleted
      await rename(path.join(w, 'd98'), path.join(w, 'd98-renamed')); // and one renamed
      assert.ok(
        !SUMMARY.test(cli.stdout),
        'precondition: the full sync must still run while the tree changes (it ended first; make the tree bigger)',
      );

      await cli.waitForOutput(SUMMARY, 45000, 'stdout');
      await waitForConvergence(w, d.moduleDir('www'), {
        timeoutMs: 20000,
        ...(withFilter ? { ignore: (rel: string) => rel.endsWith('.gz') } : {}),
      });
      if (withFilter) assert.ok(!existsSync(path.join(d.moduleDir('www'), 'd0', 'skip.gz')), 'the filter keeps skip.gz off the remote');
      running.delete(cli);
      await cli.stop();
      await d.stop();
    });
  }
});
