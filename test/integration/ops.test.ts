// Status and metrics of a running daemon (issue 8), with real processes.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { runCli, startCli, type CliProcess } from '../helpers/cli.js';
import { writeConfig } from '../helpers/config.js';
import { freePort } from '../helpers/ports.js';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { makeTempDir } from '../helpers/tmp.js';
import { waitForConvergence } from '../helpers/tree.js';

const daemons: RsyncDaemon[] = [];
const clis: CliProcess[] = [];
after(async () => {
  await Promise.all(clis.map((c) => c.stop('SIGKILL', 0)));
  await Promise.all(daemons.map((d) => d.stop()));
});

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function setup(name: string) {
  const dir = await makeTempDir(name);
  const watch = path.join(dir, 'w');
  fs.mkdirSync(watch);
  const rsyncd = await startRsyncDaemon();
  daemons.push(rsyncd);
  const config = await writeConfig(dir, {
    watch,
    remotes: [{ ip: '127.0.0.1', name: 'www' }],
    port: rsyncd.port,
    extra: `<sersyncts stateDir="${path.join(dir, 'state')}"/>`,
  });
  return { dir, watch, rsyncd, config };
}

/** The row of `remote` in the --status table, as its columns. */
function row(statusText: string, remote: string): string[] | undefined {
  const line = statusText.split('\n').find((l) => l.startsWith(`${remote} `));
  return line?.split(/\s{2,}/);
}

describe('metrics (--metrics 127.0.0.1:PORT)', () => {
  it('a scrape after some changes shows the events, pushes, files and an in-sync remote', async () => {
    const s = await setup('metrics');
    const port = await freePort();
    const cli = startCli(['-o', s.config, '--metrics', `127.0.0.1:${port}`], { cwd: s.dir });
    clis.push(cli);
    await cli.waitForOutput(/watch path is: /, 15000);

    const before = await get(port, '/metrics');
    assert.equal(before.status, 200);
    const r = 'remote="127.0.0.1::www"';
    assert.equal(sample(before.body, `sersync_files_total{${r}}`), 0, 'series exist from the start');

    for (const n of ['a.txt', 'b.txt', 'c.txt']) fs.writeFileSync(path.join(s.watch, n), `${n}\n`);
    fs.mkdirSync(path.join(s.watch, 'sub'));
    fs.writeFileSync(path.join(s.watch, 'sub', 'd.txt'), 'd\n');
    await waitForConvergence(s.watch, s.rsyncd.moduleDir('www'), { timeoutMs: 15000 });

    // The counters follow the engine's own bookkeeping, which may finish a moment after the files land.
    let body = '';
    for (let i = 0; i < 100; i++) {
      body = (await get(port, '/metrics')).body;
      if (sample(body, `sersync_pending_paths{${r}}`) === 0 && sample(body, `sersync_in_flight_paths{${r}}`) === 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(sample(body, 'sersync_events_total')! >= 4, body);
    assert.ok(sample(body, `sersync_files_total{${r}}`)! >= 4, 'at least the four paths were delivered');
    assert.ok(sample(body, `sersync_pushes_total{${r},result="ok"}`)! >= 1);
    assert.equal(sample(body, `sersync_pushes_total{${r},result="failed"}`), 0);
    assert.equal(sample(body, `sersync_failures_total{${r}}`), 0);
    assert.equal(sample(body, `sersync_pending_paths{${r}}`), 0);
    assert.equal(sample(body, `sersync_replication_lag_seconds{${r}}`), 0);
    assert.equal(sample(body, `sersync_remote_up{${r}}`), 1);
    assert.ok(sample(body, `sersync_last_success_timestamp_seconds{${r}}`)! > 1e9);
    assert.ok(sample(body, 'sersync_watches')! >= 2, 'the root and sub are watched');
    assert.ok(sample(body, 'sersync_watches_limit')! > 0);
    await cli.stop('SIGTERM');
  });

  it('refuses to start when the metrics address is unusable', async () => {
    const s = await setup('metrics-bad');
    const bad = await runCli(['-o', s.config, '--metrics', 'localhost'], { cwd: s.dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--metrics "localhost": give HOST:PORT, e\.g\. 127\.0\.0\.1:9108/);
  });
});

describe('status (sersync2 --status -o confxml.xml)', () => {
  it("shows a remote's pending count and lag while its rsync daemon is down, and in sync once it is back", async () => {
    const s = await setup('status');
    const cli = startCli(['-o', s.config], { cwd: s.dir });
    clis.push(cli);
    await cli.waitForOutput(/watch path is: /, 15000);

    fs.writeFileSync(path.join(s.watch, 'first.txt'), '1\n');
    await waitForConvergence(s.watch, s.rsyncd.moduleDir('www'), { timeoutMs: 15000 });
    let st = await runCli(['--status', '-o', s.config], { cwd: s.dir });
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`sersync-ts pid ${cli.pid}, up `));
    assert.match(st.stdout, /inotify watches: \d+ in use of \d+/);
    assert.deepEqual(row(st.stdout, '127.0.0.1::www')?.slice(1, 5), ['in sync', '0', '0', '-']);

    await s.rsyncd.stop();
    fs.writeFileSync(path.join(s.watch, 'second.txt'), '2\n');
    fs.writeFileSync(path.join(s.watch, 'third.txt'), '3\n');
    let cols: string[] | undefined;
    for (let i = 0; i < 100; i++) {
      st = await runCli(['--status', '-o', s.config], { cwd: s.dir });
      cols = row(st.stdout, '127.0.0.1::www');
      if (cols?.[1] === 'DOWN' && cols[2] === '2' && /^[1-9]\d*s$/.test(cols[4] ?? '')) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    // REMOTE STATE PENDING IN-FLIGHT LAG LAST-SUCCESS FAILURES FAIL-LOG
    assert.equal(cols?.[1], 'DOWN', st.stdout);
    assert.equal(cols?.[2], '2', 'two paths wait for the remote');
    assert.match(cols?.[4] ?? '', /^[1-9]\d*s$/, 'the lag is the age of the oldest pending change');
    assert.match(cols?.[5] ?? '', /ago$/);
    assert.ok(Number(cols?.[6]) >= 1, 'failures are counted');
    assert.ok(Number(cols?.[7]) >= 2, 'the failed paths are in the fail log');
    assert.match(st.stdout, /127\.0\.0\.1::www: last error .*rsync exit/);

    await s.rsyncd.start();
    for (let i = 0; i < 300; i++) {
      st = await runCli(['--status', '-o', s.config], { cwd: s.dir });
      cols = row(st.stdout, '127.0.0.1::www');
      if (cols?.[1] === 'in sync') break;
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.deepEqual(cols?.slice(1, 5), ['in sync', '0', '0', '-'], st.stdout);
    await waitForConvergence(s.watch, s.rsyncd.moduleDir('www'), { timeoutMs: 15000 });
    await cli.stop('SIGTERM');
  });

  it('says clearly that no daemon runs for that config, exit 1', async () => {
    const s = await setup('status-none');
    const st = await runCli(['--status', '-o', s.config], { cwd: s.dir });
    assert.equal(st.code, 1);
    assert.match(st.stderr, /no sersync-ts daemon is running for config .*confxml\.xml \(watch root .*\/w\)/);
    assert.equal(st.stdout, '');
  });
});
