// runRsync against a stub `rsync` (a shell script): argv, cwd, stdin, stderr
// and exit handling, without a network.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runRsync, STDERR_TAIL } from '../../src/rsync/run.js';
import type { RsyncInvocation } from '../../src/rsync/argv.js';
import { fromText } from '../../src/util/bytepath.js';

let dir = '';
let stub = '';
let out = '';

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sersync-run-'));
  out = path.join(dir, 'out');
  mkdirSync(out);
  stub = path.join(dir, 'rsync-stub');
  // Records cwd, argv (NUL-separated) and stdin; then does what STUB_MODE says.
  writeFileSync(
    stub,
    `#!/bin/sh
pwd > "${out}/cwd"
printf '%s\\0' "$@" > "${out}/argv"
cat > "${out}/stdin"
case "$STUB_MODE" in
  exit*) echo "@ERROR: stub says no" >&2; exit "\${STUB_MODE#exit}" ;;
  spam) i=0; while [ $i -lt 3000 ]; do echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" >&2; i=$((i+1)); done; echo LAST >&2 ;;
  sleep) exec sleep 30 ;;
esac
exit 0
`,
  );
  chmodSync(stub, 0o755);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function inv(extra: Partial<RsyncInvocation> = {}): RsyncInvocation {
  return { args: ['-a', './x'], cwd: dir, paths: [], ...extra };
}

describe('runRsync', () => {
  it('runs the argv without a shell, in cwd, with the files-from bytes on stdin', async () => {
    const hostile = ['-artuz', './a b;$(id)`x`\n"\'', fromText('./é')];
    const stdin = Buffer.from([0x61, 0, 0xff, 0xfe, 0]);
    const r = await runRsync(inv({ args: hostile, stdin }), { rsyncPath: stub });
    assert.equal(r.exitCode, 0);
    assert.equal(r.classification, 'ok');
    assert.equal(readFileSync(path.join(out, 'cwd'), 'utf8').trim(), dir);
    assert.deepEqual(readFileSync(path.join(out, 'argv')), Buffer.from(`-artuz\0./a b;$(id)\`x\`\n"'\0./é\0`, 'utf8'));
    assert.deepEqual(readFileSync(path.join(out, 'stdin')), stdin);
  });

  it('gives rsync an empty stdin when there is no list', async () => {
    await runRsync(inv(), { rsyncPath: stub });
    assert.equal(readFileSync(path.join(out, 'stdin')).length, 0);
  });

  it('reports the exit code, stderr and classification of a failure', async () => {
    const r = await runRsync(inv(), { rsyncPath: stub, env: { STUB_MODE: 'exit5' } });
    assert.equal(r.exitCode, 5);
    assert.equal(r.signal, null);
    assert.equal(r.classification, 'config');
    assert.match(r.stderr, /@ERROR: stub says no/);
    const r23 = await runRsync(inv(), { rsyncPath: stub, env: { STUB_MODE: 'exit23' } });
    assert.equal(r23.classification, 'vanished');
    const r10 = await runRsync(inv(), { rsyncPath: stub, env: { STUB_MODE: 'exit10' } });
    assert.equal(r10.classification, 'transient');
  });

  it('keeps only the last STDERR_TAIL bytes of a long stderr', async () => {
    const r = await runRsync(inv(), { rsyncPath: stub, env: { STUB_MODE: 'spam' } });
    assert.equal(r.exitCode, 0);
    assert.ok(Buffer.byteLength(r.stderr) <= STDERR_TAIL);
    assert.ok(Buffer.byteLength(r.stderr) > STDERR_TAIL / 2);
    assert.match(r.stderr, /LAST\n$/);
    assert.doesNotMatch(r.stderr, /^line 0 /);
  });

  it('kills rsync after timeoutMs and calls it transient', async () => {
    const r = await runRsync(inv(), { rsyncPath: stub, env: { STUB_MODE: 'sleep' }, timeoutMs: 200 });
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.timedOut, true);
    assert.equal(r.classification, 'transient');
  });

  it('kills rsync when the AbortSignal fires', async () => {
    const ac = new AbortController();
    const p = runRsync(inv(), { rsyncPath: stub, env: { STUB_MODE: 'sleep' }, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const r = await p;
    assert.equal(r.canceled, true);
    assert.equal(r.exitCode, null);
  });

  it('says clearly when rsync is missing or cwd does not exist (config, not a crash)', async () => {
    const a = await runRsync(inv(), { rsyncPath: path.join(dir, 'no-such-rsync') });
    assert.equal(a.classification, 'config');
    assert.match(a.error ?? '', /rsync not found/);
    const b = await runRsync(inv({ cwd: path.join(dir, 'missing') }), { rsyncPath: stub });
    assert.equal(b.classification, 'config');
    assert.match(b.error ?? '', /does not exist/);
  });

  it('refuses a cwd or an argument that is not valid UTF-8 instead of mangling it', async () => {
    const a = await runRsync(inv({ cwd: '/tmp/\xff' }), { rsyncPath: stub });
    assert.equal(a.classification, 'config');
    assert.match(a.error ?? '', /not valid UTF-8/);
    const b = await runRsync(inv({ args: ['./\xff'] }), { rsyncPath: stub });
    assert.match(b.error ?? '', /not valid UTF-8/);
  });
});
