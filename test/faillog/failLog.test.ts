import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../src/config/types.js';
import { FailLog } from '../../src/faillog/failLog.js';
import { formatEntry, isParsed, parseFailLog, type ParsedEntry } from '../../src/faillog/format.js';
import { buildFailLogCommand } from '../../src/rsync/argv.js';
import { fromBuffer, toBuffer } from '../../src/util/bytepath.js';
import { stockConfig } from '../rsync/configFixture.js';
import { makeTempDir } from '../helpers/tmp.js';
import { captureLog } from './captureLog.js';

const W = '/data/www';

async function setup(edit?: (c: Config) => void) {
  const dir = await makeTempDir('faillog');
  const file = path.join(dir, 'rsync_fail_log.sh');
  const config = stockConfig((c) => {
    c.failLog.path = file;
    c.remotes = [
      { ip: '10.0.0.2', name: 'www' },
      { ip: '10.0.0.3', name: 'www' },
    ];
    edit?.(c);
  });
  const log = captureLog();
  const fl = new FailLog({ config, root: W, log, removeDebounceMs: 10 });
  return { dir, file, config, log, fl };
}

function entries(file: string): ParsedEntry[] {
  const text = fs.existsSync(file) ? fromBuffer(fs.readFileSync(file)) : '';
  return parseFailLog(text).map((e) => {
    assert.ok(isParsed(e), `unparsable entry in ${file}: ${JSON.stringify(e)}`);
    return e;
  });
}

const relsOf = (es: ParsedEntry[]) => es.map((e) => e.args.find((a) => a.startsWith('./'))).sort();

describe('fail log: appending failed pushes', () => {
  it('writes one sersync2-format entry per path, mode 0600, with #errno = exit × 256', async () => {
    const s = await setup();
    await s.fl.append(0, [{ rel: 'a.txt', kind: 'file' }, { rel: 'd/b.txt', kind: 'file' }], 10 * 256);
    const text = fs.readFileSync(s.file, 'latin1');
    const { cwd, args } = buildFailLogCommand(s.config, s.config.remotes[0]!, { rel: 'a.txt', kind: 'file' }, W);
    assert.ok(text.startsWith(formatEntry(2560, cwd, args)), text);
    assert.equal(entries(s.file).length, 2);
    assert.equal(fs.statSync(s.file).mode & 0o777, 0o600);
    assert.equal(fs.existsSync(`${s.file}.lock`), false, 'the lock is released');
  });

  it('never writes the same (remote, path) twice', async () => {
    const s = await setup();
    await s.fl.append(0, [{ rel: 'a.txt', kind: 'file' }], 256);
    await s.fl.append(0, [{ rel: 'a.txt', kind: 'file' }, { rel: 'b.txt', kind: 'file' }], 2560);
    await s.fl.append(1, [{ rel: 'a.txt', kind: 'file' }], 2560); // another remote: its own entry
    const es = entries(s.file);
    assert.equal(es.length, 3);
    assert.equal(es[0]!.status, 256, 'the first entry is kept as it was');
  });

  it('dedupes against what an earlier run left in the file', async () => {
    const s = await setup();
    await s.fl.append(0, [{ rel: 'a.txt', kind: 'file' }], 256);
    const again = new FailLog({ config: s.config, root: W, log: captureLog() });
    await again.checkAtStartup();
    await again.append(0, [{ rel: 'a.txt', kind: 'file' }], 256);
    assert.equal(entries(s.file).length, 1);
  });

  it('replaces the entry when the same path now needs another command (file → delete)', async () => {
    const s = await setup();
    await s.fl.append(0, [{ rel: 'a.txt', kind: 'file' }, { rel: 'b.txt', kind: 'file' }], 256);
    await s.fl.append(0, [{ rel: 'a.txt', kind: 'delete' }], 512);
    const es = entries(s.file);
    assert.equal(es.length, 2);
    assert.ok(es[0]!.args.includes('--exclude=*'), 'a.txt is now the delete form, in place');
    assert.equal(es[0]!.status, 512);
  });

  it('never contains a password, only --password-file=', async () => {
    const s = await setup((c) => {
      c.rsync.auth = { enabled: true, users: 'rsync_backup', passwordFile: '/etc/rsync.password' };
    });
    process.env.RSYNC_PASSWORD = 'hunter2-secret';
    try {
      await s.fl.append(0, [{ rel: 'a.txt', kind: 'file' }], 256);
    } finally {
      delete process.env.RSYNC_PASSWORD;
    }
    const text = fs.readFileSync(s.file, 'latin1');
    assert.match(text, /'--password-file=\/etc\/rsync\.password'/);
    assert.doesNotMatch(text, /hunter2/);
  });

  it('keeps names with newlines, quotes and invalid UTF-8 exact', async () => {
    const s = await setup();
    const names = ['new\nline.txt', `x";touch INJECTED;".txt`, "it's.txt", '\xff\xfe.bin'];
    await s.fl.append(0, names.map((rel) => ({ rel, kind: 'file' as const })), 256);
    assert.deepEqual(relsOf(entries(s.file)), names.map((n) => `./${n}`).sort());
  });
});

describe('fail log: delivered paths leave it', () => {
  it('removes the entries of delivered paths (batched), atomically, keeping the rest', async () => {
    const s = await setup();
    await s.fl.append(0, ['a', 'b', 'c'].map((rel) => ({ rel, kind: 'file' as const })), 256);
    const inoBefore = fs.statSync(s.file).ino;
    s.fl.noteDelivered(0, [{ rel: 'a', kind: 'file' }]);
    s.fl.noteDelivered(0, [{ rel: 'c', kind: 'file' }]);
    s.fl.noteDelivered(1, [{ rel: 'b', kind: 'file' }]); // other remote: its entry is not there
    await s.fl.flush();
    assert.deepEqual(relsOf(entries(s.file)), ['./b']);
    assert.notEqual(fs.statSync(s.file).ino, inoBefore, 'rewritten by rename, not in place');
    assert.equal(fs.statSync(s.file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(s.dir).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');
  });

  it('keeps an entry whose path failed again after it was delivered (order counts)', async () => {
    const s = await setup();
    await s.fl.append(0, [{ rel: 'a', kind: 'file' }], 256);
    s.fl.noteDelivered(0, [{ rel: 'a', kind: 'file' }]);
    const p = s.fl.append(0, [{ rel: 'a', kind: 'file' }], 2560);
    await p;
    await s.fl.flush();
    assert.equal(entries(s.file).length, 1);
  });

  it('a delivered directory push or delete also removes the entries below it', async () => {
    const s = await setup();
    await s.fl.append(0, ['d/a', 'd/e/b', 'dx', 'k/c', 'z'].map((rel) => ({ rel, kind: 'file' as const })), 256);
    s.fl.noteDelivered(0, [{ rel: 'd', kind: 'dir' }]);
    s.fl.noteDelivered(0, [{ rel: 'k', kind: 'delete' }]);
    s.fl.noteDelivered(0, [{ rel: 'z', kind: 'file' }]);
    await s.fl.flush();
    assert.deepEqual(relsOf(entries(s.file)), ['./dx']);
  });

  it('costs nothing when the path is not in the file', async () => {
    const s = await setup();
    s.fl.noteDelivered(0, [{ rel: 'zzz', kind: 'file' }]);
    await s.fl.flush();
    assert.equal(fs.existsSync(s.file), false, 'no file created, nothing written');
  });

  it('leaves entries it does not recognise alone', async () => {
    const s = await setup();
    const foreign = `#errno 256\ncd ${W} && rsync -artuz -R --log-file=/etc/x "./a" 10.0.0.2::www >/dev/null 2>&1 \n\n`;
    fs.writeFileSync(s.file, foreign, { mode: 0o600 });
    await s.fl.checkAtStartup();
    await s.fl.append(0, [{ rel: 'a', kind: 'file' }], 256);
    s.fl.noteDelivered(0, [{ rel: 'a', kind: 'file' }]);
    await new Promise((r) => setTimeout(r, 30));
    await s.fl.flush();
    assert.equal(fs.readFileSync(s.file, 'latin1'), foreign);
  });
});

describe('fail log: file safety', () => {
  it('fixes a world-writable file left by sersync2 to 0600 at start-up, loudly', async () => {
    const s = await setup();
    fs.writeFileSync(s.file, '');
    fs.chmodSync(s.file, 0o777);
    await s.fl.checkAtStartup();
    assert.equal(fs.statSync(s.file).mode & 0o777, 0o600);
    assert.equal(s.log.said('error', /SECURITY: .*writable by everyone \(mode 0777/), 1);
  });

  it('refuses to write through a symlink at the fail-log path', async () => {
    const s = await setup();
    const victim = path.join(s.dir, 'victim');
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, s.file);
    await s.fl.checkAtStartup();
    assert.equal(s.log.said('error', /symbolic link/), 1);
    await s.fl.append(0, [{ rel: 'a', kind: 'file' }], 256);
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious\n');
  });

  it('a replay snapshot says why a file writable by others must not be replayed', async () => {
    const s = await setup();
    await s.fl.append(0, [{ rel: 'a', kind: 'file' }], 256);
    fs.chmodSync(s.file, 0o666);
    const snap = await new FailLog({ config: s.config, root: W, log: captureLog() }).snapshot();
    assert.match(snap.unsafe ?? '', /writable by everyone/);
  });

  it('waits for the lock held by another writer, and never corrupts the file', async () => {
    const s = await setup();
    const other = new FailLog({ config: s.config, root: W, log: captureLog() });
    const rels = Array.from({ length: 50 }, (_, i) => `f${i}`);
    await Promise.all(
      rels.map((rel, i) => ((i % 2 ? s.fl : other) as FailLog).append(0, [{ rel, kind: 'file' }], 256)),
    );
    assert.deepEqual(relsOf(entries(s.file)), rels.map((r) => `./${r}`).sort());
    const bytes = toBuffer(fromBuffer(fs.readFileSync(s.file)));
    assert.ok(bytes.length > 0);
  });
});
