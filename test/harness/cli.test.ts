// Self-test of test/helpers/cli.ts, against a stand-in script (the real CLI is tested
// by the integration tests): results are captured, waitForOutput works, and stop()
// leaves no process behind, not even a child that ignores SIGTERM.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { runCli, startCli, CLI_MAIN, REPO_ROOT } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { groupAlive, pidAlive as alive } from '../helpers/procs.js';

const FAKE = `
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const [mode, arg] = process.argv.slice(2);
if (mode === 'echo') {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => (input += d));
  process.stdin.on('end', () => {
    process.stdout.write('out:' + input.toUpperCase() + ':' + process.cwd() + ':' + process.env.FAKE_VAR);
    process.stderr.write('err-line');
    process.exit(3);
  });
} else if (mode === 'serve') {
  // A child that ignores SIGTERM, like an rsync in the middle of a transfer would linger.
  const child = spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 1; done'], { stdio: 'ignore' });
  writeFileSync(arg, String(child.pid));
  process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); });
  setTimeout(() => console.log('ready pid=' + process.pid), 100);
  setInterval(() => {}, 1000);
} else if (mode === 'hang') {
  process.on('SIGTERM', () => {});
  console.log('hanging');
  setInterval(() => {}, 1000);
}
`;

async function fake(): Promise<string> {
  const dir = await makeTempDir('fakecli');
  const file = path.join(dir, 'fake.mjs');
  await writeFile(file, FAKE);
  return file;
}

describe('harness: runCli / startCli', () => {
  it('locates the real CLI at dist/src/cli/main.js from the repo root', () => {
    assert.equal(CLI_MAIN, path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'));
    assert.ok(existsSync(path.join(REPO_ROOT, 'package.json')));
  });

  it('runCli returns exit code, stdout and stderr; passes input, cwd and env', async () => {
    const main = await fake();
    const cwd = await makeTempDir('cwd');
    const r = await runCli(['echo'], { main, input: 'abc', cwd, env: { FAKE_VAR: 'v1' } });
    assert.equal(r.code, 3);
    assert.equal(r.stdout, `out:ABC:${cwd}:v1`);
    assert.equal(r.stderr, 'err-line');
  });

  it('runCli rejects a run that exceeds timeoutMs, and kills it', async () => {
    const main = await fake();
    await assert.rejects(runCli(['hang'], { main, timeoutMs: 500 }), /still running after 500 ms/);
  });

  it('startCli: waitForOutput matches; stop() signals the CLI and kills its leftover children', async () => {
    const main = await fake();
    const pidFile = path.join(await makeTempDir('pid'), 'child.pid');
    const cli = startCli(['serve', pidFile], { main });
    const m = await cli.waitForOutput(/ready pid=(\d+)/);
    assert.equal(Number(m[1]), cli.pid);
    const childPid = Number(await readFile(pidFile, 'utf8'));
    assert.ok(alive(childPid));

    const code = await cli.stop();
    assert.equal(code, 0);
    assert.match(cli.stdout, /got SIGTERM/);
    assert.equal(alive(childPid), false, 'the SIGTERM-ignoring child must be gone');
    assert.equal(groupAlive(cli.pid), false);
  });

  it('stop() falls back to SIGKILL when the CLI ignores the signal', async () => {
    const main = await fake();
    const cli = startCli(['hang'], { main });
    await cli.waitForOutput(/hanging/);
    const code = await cli.stop('SIGTERM', 300);
    assert.equal(code, null);
    assert.equal((await cli.exited).signal, 'SIGKILL');
    assert.equal(groupAlive(cli.pid), false);
  });

  it('waitForOutput rejects when the process exits first, quoting the output', async () => {
    const main = await fake();
    const cli = startCli(['echo'], { main, input: 'x' });
    await assert.rejects(cli.waitForOutput(/never printed/, 10000), /exited \(code 3.*\) before printing[\s\S]*out:X/);
    await cli.stop();
  });

  it('waitForOutput rejects on timeout', async () => {
    const main = await fake();
    const cli = startCli(['hang'], { main });
    try {
      await cli.waitForOutput(/hanging/);
      await assert.rejects(cli.waitForOutput(/never printed/, 200), /after 200 ms; it was:\nhanging/);
    } finally {
      await cli.stop('SIGKILL');
    }
  });
});
