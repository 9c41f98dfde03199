// Several remotes (issue 3, spec §4.3): every change reaches every remote,
// and a dead or hung remote never holds back the others. Both remotes are
// modules of one rsync daemon on 127.0.0.1 (the config has one port for all
// remotes and tests may use no other address), so "remote 2 is down" is made
// by editing rsyncd.conf, which the daemon re-reads on every connection:
//   - refused: the module is gone (`@ERROR: Unknown module`, rsync exit 5);
//   - hung: `pre-xfer exec = sleep` holds every connection to it.
// Latencies of the healthy remote are measured and reported (diagnostics),
// never asserted.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startRsyncDaemon, type RsyncDaemon } from '../helpers/rsyncd.js';
import { removeTempDirs } from '../helpers/tmp.js';
import { writeTree } from '../helpers/tree.js';
import { converge, type Mirror, present, startMirror } from './engine-kit.js';

after(removeTempDirs);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Writes `n` new 1 KiB files `spacing` ms apart and returns, per file, the ms
 * from its close until `dst` holds it whole (polled every ~2 ms).
 */
async function latencies(src: string, dst: string, tag: string, n = 15, spacing = 150): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const name = `lat-${tag}-${i}`;
    const content = randomBytes(1024);
    await writeFile(path.join(src, name), content);
    const t0 = performance.now();
    for (;;) {
      let got: Buffer | null = null;
      try {
        got = readFileSync(path.join(dst, name));
      } catch {
        got = null;
      }
      if (got?.equals(content)) break;
      if (performance.now() - t0 > 15000) throw new Error(`${name} did not reach ${dst} within 15 s`);
      await sleep(2);
    }
    out.push(performance.now() - t0);
    await sleep(Math.max(0, spacing - (performance.now() - t0)));
  }
  return out;
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!.toFixed(1);
  return `n=${s.length} p50=${q(0.5)} ms p90=${q(0.9)} ms max=${s.at(-1)!.toFixed(1)} ms`;
}

describe('remotes: every change reaches every remote; a dead or hung remote does not hold back the other', () => {
  let daemon: RsyncDaemon;
  let m: Mirror;
  let conf: string;
  let original: string;
  const report: string[] = [];
  before(async () => {
    daemon = await startRsyncDaemon({ auth: true, modules: ['www', 'www2'] });
    conf = path.join(daemon.dir, 'rsyncd.conf');
    original = await readFile(conf, 'utf8');
    // A short retry backoff, so the remote that comes back catches up quickly.
    m = await startMirror({ daemon, modules: ['www', 'www2'], config: { extra: '    <sersyncts retryBaseMs="100" retryMaxMs="1000"/>' } });
  });
  after(async () => {
    await m?.stop();
    await daemon?.stop();
    if (report.length) process.stdout.write(`healthy remote latency (close → whole file on www):\n${report.map((l) => `  ${l}`).join('\n')}\n`);
  });
  const src = (rel: string) => path.join(m.src, rel);
  const www = () => m.dsts[0]!;

  it('both remotes converge after files, directories, renames and deletes', async () => {
    await writeTree(m.src, { 'a.txt': 'a', 'd/b.txt': 'b', 'd/e/c.txt': 'c' });
    await converge(m);
    await rename(src('d'), src('d2'));
    await writeFile(src('d2/e/c.txt'), 'c, edited');
    await rm(src('a.txt'));
    await converge(m);
  });

  it('latency of www with both remotes up (reported)', async (t: TestContext) => {
    const xs = await latencies(m.src, www(), 'both-up');
    report.push(`both up:        ${summary(xs)}`);
    t.diagnostic(`both up: ${summary(xs)}`);
    await converge(m);
  });

  it('www2 refused (module gone): www still converges, with its latency reported', async (t: TestContext) => {
    await writeFile(conf, original.replace(/\[www2\][^[]*/, ''));
    await writeTree(m.src, { 'during-refusal/x.txt': 'x', 'top-during-refusal.txt': 'y' });
    await rm(src('d2/b.txt'));
    await converge(m, { dsts: [www()] });
    const xs = await latencies(m.src, www(), 'refused');
    report.push(`www2 refused:   ${summary(xs)}`);
    assert.equal(present(path.join(m.dsts[1]!, 'during-refusal')), false, 'www2 was really refusing');
    t.diagnostic(`www2 refused: ${summary(xs)}`);
    await converge(m, { dsts: [www()] });
  });

  it('www2 back: it catches up with everything it missed (retries with backoff)', async () => {
    await writeFile(conf, original);
    await converge(m, { timeoutMs: 20000 });
  });

  it('www2 hung (every connection held for 30 s): www still converges, with its latency reported', async (t: TestContext) => {
    await writeFile(conf, original.replace(/(\[www2\]\n)/, '$1pre-xfer exec = /bin/sleep 30\n'));
    await writeTree(m.src, { 'during-hang/x.txt': 'x' });
    await rm(src('top-during-refusal.txt'));
    await converge(m, { dsts: [www()] });
    const xs = await latencies(m.src, www(), 'hung');
    report.push(`www2 hung:      ${summary(xs)}`);
    assert.equal(present(path.join(m.dsts[1]!, 'during-hang')), false, 'www2 was really hung');
    t.diagnostic(`www2 hung: ${summary(xs)}`);
    await converge(m, { dsts: [www()] });
  });

  it('www2 answers again: once the held calls are released it converges too', async () => {
    await writeFile(conf, original);
    // Release the calls held by `sleep 30` now (they then finish normally).
    await releaseSleepers(daemon);
    await converge(m, { timeoutMs: 30000 });
  });
});

/** Kills the `sleep` processes the daemon's pre-xfer exec started (only those: children of this daemon's processes). */
async function releaseSleepers(d: RsyncDaemon): Promise<void> {
  const { readdirSync } = await import('node:fs');
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  const info = new Map<number, { ppid: number; comm: string; args: string }>();
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const args = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
      info.set(Number(p), { ppid, comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), args });
    } catch {
      // gone
    }
  }
  // The daemon's processes: rsync with --config=<d.dir>/rsyncd.conf, and their descendants.
  const daemonPids = new Set([...info].filter(([, v]) => v.args.includes(`--config=${path.join(d.dir, 'rsyncd.conf')}`)).map(([p]) => p));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, v] of info) if (!daemonPids.has(p) && daemonPids.has(v.ppid)) (daemonPids.add(p), (grew = true));
  }
  for (const p of daemonPids) {
    const v = info.get(p)!;
    if (v.comm === 'sleep' && v.args.startsWith('/bin/sleep 30')) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
