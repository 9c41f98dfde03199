import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildFailLogCommand,
  formatCommand,
  formatEntry,
  isParsed,
  parseFailLog,
  recognizeEntry,
  renderFailLog,
  waitStatus,
  type FailLogEntry,
  type ParsedEntry,
} from '../../src/faillog/format.js';
import { sersync2Command } from '../../src/rsync/argv.js';
import { fromText, toBuffer } from '../../src/util/bytepath.js';
import { remoteOf, stockConfig } from '../rsync/configFixture.js';

const BASE = stockConfig();
const R = remoteOf(BASE);

function parsed(e: FailLogEntry | undefined): ParsedEntry {
  assert.ok(e && isParsed(e), `expected a parsed entry, got ${JSON.stringify(e)}`);
  return e;
}

describe('waitStatus: the #errno value, as sersync2 wrote it (system() wait status)', () => {
  it('exit code × 256', () => {
    assert.equal(waitStatus(1), 256);
    assert.equal(waitStatus(24), 6144);
    assert.equal(waitStatus(23), 5888);
  });
  it('the signal number for a killed rsync, -1 when it did not run', () => {
    assert.equal(waitStatus(null, 'SIGKILL'), 9);
    assert.equal(waitStatus(null, 'SIGTERM'), 15);
    assert.equal(waitStatus(null, null), -1);
  });
});

describe('formatEntry', () => {
  it('writes `#errno <status>`, the quoted command, an empty line', () => {
    const { cwd, args } = buildFailLogCommand(BASE, R, { rel: 'e1.txt', kind: 'file' });
    assert.equal(
      formatEntry(256, cwd, args),
      "#errno 256\ncd '/data/www' && rsync '-artuz' '-R' '--ignore-times' '--force' '--sockopts=TCP_NODELAY' './e1.txt' '10.0.0.2::www'\n\n",
    );
  });
  it('quotes hostile names so sh sees one argument', () => {
    assert.equal(formatCommand('/w', ["./it's $x"]), "cd '/w' && rsync './it'\\''s $x'");
  });
});

describe('parseFailLog', () => {
  it('reads back what formatEntry wrote, for any bytes (round trip)', () => {
    const names = ['a.txt', 'sp ace', 'q"uote', "it's", '$HOME', '`id`', 'semi;colon', 'new\nline', '-lead', 'star*', '\xff\xfe', fromText('é')];
    const text = names.map((n, i) => formatEntry(256 * i, '/data/w w', ['-artuz', '-R', `./${n}`, '10.0.0.2::www'])).join('');
    const entries = parseFailLog(text);
    assert.equal(entries.length, names.length);
    names.forEach((n, i) => {
      const e = parsed(entries[i]);
      assert.equal(e.status, 256 * i);
      assert.equal(e.cwd, '/data/w w');
      assert.deepEqual(e.args, ['-artuz', '-R', `./${n}`, '10.0.0.2::www']);
    });
    assert.equal(renderFailLog(entries), text);
  });

  it("reads sersync2's legacy lines: double quotes, \\$, the redirect, with and without #errno (§6.2, case 23)", () => {
    const text =
      '#errno 256\ncd /data/www && rsync -artuz -R "./e1.txt" 10.0.0.2::www >/dev/null 2>&1 \n\n' +
      'cd /data/www && rsync -artuz -R "./a \\$b" 10.0.0.2::www >/dev/null 2>&1 \n' +
      '#errno 6144\ncd /data/www && rsync -artuz -R --delete ./   --include="d1/" --include="d1/e/b.txt" --exclude=*  10.0.0.2::www\n\n';
    const [a, b, c, ...rest] = parseFailLog(text);
    assert.equal(rest.length, 0);
    assert.deepEqual(parsed(a), {
      status: 256,
      line: 'cd /data/www && rsync -artuz -R "./e1.txt" 10.0.0.2::www >/dev/null 2>&1 ',
      cwd: '/data/www',
      args: ['-artuz', '-R', './e1.txt', '10.0.0.2::www'],
    });
    assert.equal(parsed(b).status, null);
    assert.deepEqual(parsed(b).args, ['-artuz', '-R', './a $b', '10.0.0.2::www']);
    assert.equal(parsed(c).status, 6144);
    assert.deepEqual(parsed(c).args, ['-artuz', '-R', '--delete', './', '--include=d1/', '--include=d1/e/b.txt', '--exclude=*', '10.0.0.2::www']);
  });

  it('parses every sersync2Command string (T01–T08 shapes) to the argv sh would run', () => {
    for (const [rel, op, isDir] of [
      ['a.txt', 'sync', false],
      ['d1/e', 'delete', true],
      ['price $5.txt', 'sync', false],
    ] as const) {
      const e = parsed(parseFailLog(`#errno 256\n${sersync2Command(BASE, R, rel, op, isDir)}\n\n`)[0]);
      assert.equal(e.cwd, '/data/www');
      assert.ok(e.args.includes(op === 'sync' ? `./${rel}` : `--include=${rel}`));
    }
  });

  it('keeps injection-looking and other odd lines as unparsable text, with their header', () => {
    const bad = [
      'cd /data/www && rsync -artuz -R "./inj";touch INJECTED;".txt" 10.0.0.2::www >/dev/null 2>&1 ',
      'cd /data/www && rsync -artuz -R "./$(id)" 10.0.0.2::www',
      'cd /data/www && rsync -a ./x 10.0.0.2::www; rm -rf /',
      'cd /data/www && rsync -a ./x 10.0.0.2::www > /tmp/out',
      'cd /data/www && rsync -a ./x 10.0.0.2::www | sh',
      'cd /data/www; rsync -a ./x 10.0.0.2::www',
      'cd /data/www && /usr/bin/rsync -a ./x 10.0.0.2::www',
      'cd /data/www && rm -rf x',
      'rsync -a ./x 10.0.0.2::www',
      'cd /data/www && rsync',
      'cd /data/www && rsync -a `id`',
      'touch /tmp/pwned',
    ];
    const text = bad.map((l) => `#errno 256\n${l}\n\n`).join('');
    const entries = parseFailLog(text);
    assert.deepEqual(
      entries,
      bad.map((l) => ({ unparsable: `#errno 256\n${l}` })),
    );
    // …and they are written back unchanged.
    assert.equal(renderFailLog(entries), text);
  });

  it('an unbalanced quote spoils only its own line, not the entries after it', () => {
    const text =
      '#errno 512\ncd /w && rsync -artuz -R "./sp ace\\$x`q".txt" 127.0.0.1::mod\n\n' + formatEntry(256, '/w', ['-a', './ok', '127.0.0.1::mod']);
    const [a, b, ...rest] = parseFailLog(text);
    assert.equal(rest.length, 0);
    assert.deepEqual(a, { unparsable: '#errno 512\ncd /w && rsync -artuz -R "./sp ace\\$x`q".txt" 127.0.0.1::mod' });
    assert.deepEqual(parsed(b).args, ['-a', './ok', '127.0.0.1::mod']);
  });

  it('keeps comments and a header without a command as unparsable; drops blank lines', () => {
    const entries = parseFailLog('# hand-written note\n\n#errno 256\n\n\n#errno 5\n');
    assert.deepEqual(entries, [{ unparsable: '# hand-written note' }, { unparsable: '#errno 256' }, { unparsable: '#errno 5' }]);
    assert.deepEqual(parseFailLog(''), []);
  });

  it('accepts a file without a final newline', () => {
    const [e] = parseFailLog("cd '/w' && rsync '-a' './x' 't::m'");
    assert.deepEqual(parsed(e).args, ['-a', './x', 't::m']);
  });
});

describe('the fail log is a valid /bin/sh script (hostile names do not inject)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sersync-faillog-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  it('sh runs each entry with exactly the recorded argv, in the recorded directory', () => {
    const stub = path.join(tmp, 'rsync');
    writeFileSync(stub, `#!/bin/sh\n{ pwd; printf '%s\\0' "$@"; printf '\\n'; } >> "${tmp}/calls"\n`);
    chmodSync(stub, 0o755);
    const names = ['inj";touch INJECTED;".txt', "q'uote", '$(touch INJ2)', '`touch INJ3`', 'new\nline', '\xff'];
    const script = names.map((n) => formatEntry(256, tmp, ['-a', `./${n}`, 't::m'])).join('');
    writeFileSync(path.join(tmp, 'fail.sh'), toBuffer(script));
    execFileSync('sh', [path.join(tmp, 'fail.sh')], { env: { PATH: `${tmp}:/usr/bin:/bin` } });
    const calls = execFileSync('cat', [path.join(tmp, 'calls')]);
    const want = names.map((n) => `${tmp}\n-a\0./${n}\0t::m\0\n`).join('');
    assert.deepEqual(calls, toBuffer(want));
    assert.throws(() => execFileSync('ls', [path.join(tmp, 'INJECTED')], { stdio: 'ignore' }));
  });
});

describe('recognizeEntry: which path an entry is about', () => {
  const entryFor = (text: string) => parsed(parseFailLog(text)[0]);
  it('our file and dir forms → sync of the path', () => {
    for (const kind of ['file', 'dir'] as const) {
      const { cwd, args } = buildFailLogCommand(BASE, R, { rel: 'd1/b*.txt', kind });
      assert.deepEqual(recognizeEntry(entryFor(formatEntry(256, cwd, args))), { target: '10.0.0.2::www', rel: 'd1/b*.txt', form: 'sync' });
    }
  });
  it('our delete form, including escaped and anchored names → delete of the path', () => {
    for (const rel of ['a.txt', 'd1/e/b.txt', 'a*/b?[1]', '- x', '!', 'x\\y', 'n\nl', '\xff']) {
      const { cwd, args } = buildFailLogCommand(stockConfig((c) => (c.rsync.auth = { enabled: true, users: 'u', passwordFile: '/p' })), R, { rel, kind: 'delete' });
      assert.deepEqual(recognizeEntry(entryFor(formatEntry(256, cwd, args))), { target: 'u@10.0.0.2::www', rel, form: 'delete' }, rel);
    }
  });
  it("sersync2's legacy sync and delete lines (T01–T07)", () => {
    assert.deepEqual(recognizeEntry(entryFor(sersync2Command(BASE, R, 'd1/b.txt', 'sync', false))), { target: '10.0.0.2::www', rel: 'd1/b.txt', form: 'sync' });
    assert.deepEqual(recognizeEntry(entryFor(sersync2Command(BASE, R, 'd1/e/b.txt', 'delete', false))), { target: '10.0.0.2::www', rel: 'd1/e/b.txt', form: 'delete' });
    assert.deepEqual(recognizeEntry(entryFor(sersync2Command(BASE, R, 'd1/e', 'delete', true))), { target: '10.0.0.2::www', rel: 'd1/e', form: 'delete' });
  });
  it('refuses shapes it does not know and paths that climb out of W', () => {
    const no = [
      "cd '/w' && rsync '-a' '../etc/passwd' 't::m'",
      "cd '/w' && rsync '-a' './../etc/passwd' 't::m'",
      "cd '/w' && rsync '-a' './a/../../x' 't::m'",
      "cd '/w' && rsync '-a' './a' './b' 't::m'",
      "cd '/w' && rsync '-a' './a'",
      "cd '/w' && rsync '-a' './' 't::m'",
      "cd '/w' && rsync '-a' './' '--include=x' 't::m'",
      "cd '/w' && rsync '-a' './' '--include=a/' '--exclude=*' 't::m'",
    ];
    for (const l of no) assert.equal(recognizeEntry(entryFor(l)), null, l);
  });
});
