import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildBatchPush,
  buildFailLogCommand,
  buildFilePush,
  buildFullSync,
  buildPush,
  filesFromList,
  remoteTarget,
  sersync2Argv,
  sersync2Command,
  sersync2FullSyncArgv,
  sersync2FullSyncCommand,
  transportArgs,
  type PushOp,
} from '../../src/rsync/argv.js';
import type { Config } from '../../src/config/types.js';
import { fromText, isValidUtf8, toBuffer } from '../../src/util/bytepath.js';
import { shTokens } from '../../src/util/shquote.js';
import { remoteOf, stockConfig } from './configFixture.js';

const BASE = stockConfig();
const R = remoteOf(BASE);
const auth = stockConfig((c) => {
  c.rsync.auth = { enabled: true, users: 'rsync_backup', passwordFile: '/etc/rsync.password' };
});
const portTmo = stockConfig((c) => {
  c.rsync.userDefinedPort = { enabled: true, port: '874' };
  c.rsync.timeout = { enabled: true, time: '100' };
});
const ssh = stockConfig((c) => {
  c.rsync.ssh = true;
  c.remotes[0]!.name = '/backup/www';
});
const allOn = stockConfig((c) => {
  c.rsync.ssh = true;
  c.rsync.userDefinedPort = { enabled: true, port: '874' };
  c.rsync.timeout = { enabled: true, time: '100' };
  c.rsync.auth = { enabled: true, users: 'u', passwordFile: '/p' };
});
const deleteOff = stockConfig((c) => {
  c.inotify.delete = false;
});

/** The rsync argv sh would run for a sersync2 command string (cd, && and the redirect removed). */
function shArgv(cmd: string, w = '/data/www'): string[] {
  const t = shTokens(cmd);
  assert.ok(t, `sh could not tokenise: ${cmd}`);
  const words = t.map((x) => ('word' in x ? x.word : `<${x.op}>`));
  assert.deepEqual(words.slice(0, 4), ['cd', w, '<&&>', 'rsync']);
  const rest = words.slice(4);
  if (rest.at(-1) === '<2>&1>') {
    assert.equal(rest.at(-2), '<>/dev/null>');
    return rest.slice(0, -2);
  }
  return rest;
}

describe('sersync2Command: the exact system() strings of spec §5.3 (stock, W=/data/www, 10.0.0.2::www)', () => {
  const cases: Array<[string, string, 'sync' | 'delete', boolean, string]> = [
    ['T01 sync file', 'a.txt', 'sync', false, 'cd /data/www && rsync -artuz -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 '],
    ['T02 sync dir', 'd1', 'sync', true, 'cd /data/www && rsync -artuz -R "./d1" 10.0.0.2::www >/dev/null 2>&1 '],
    ['T03 nested file', 'd1/b.txt', 'sync', false, 'cd /data/www && rsync -artuz -R "./d1/b.txt" 10.0.0.2::www >/dev/null 2>&1 '],
    ['T04 delete file', 'a.txt', 'delete', false, 'cd /data/www && rsync -artuz -R --delete ./   --include="a.txt" --exclude=*  10.0.0.2::www >/dev/null 2>&1 '],
    ['T05 delete nested', 'd1/e/b.txt', 'delete', false, 'cd /data/www && rsync -artuz -R --delete ./   --include="d1/" --include="d1/e/" --include="d1/e/b.txt" --exclude=*  10.0.0.2::www >/dev/null 2>&1 '],
    ['T06 delete dir', 'd1', 'delete', true, 'cd /data/www && rsync -artuz -R --delete ./   --include="d1"  --include="d1/***" --exclude=*  10.0.0.2::www >/dev/null 2>&1 '],
    ['T07 delete sub-dir', 'd1/e', 'delete', true, 'cd /data/www && rsync -artuz -R --delete ./   --include="d1/" --include="d1/e"  --include="d1/e/***" --exclude=*  10.0.0.2::www >/dev/null 2>&1 '],
    ["T08 '$' in name", 'price $5.txt', 'sync', false, 'cd /data/www && rsync -artuz -R "./price \\$5.txt" 10.0.0.2::www >/dev/null 2>&1 '],
  ];
  for (const [name, rel, op, isDir, want] of cases) {
    it(name, () => assert.equal(sersync2Command(BASE, R, rel, op, isDir), want));
  }
});

describe('sersync2Command: daemon vs ssh, auth, port, timeout (spec §5.4, §10 cases 16–18)', () => {
  it('auth sync', () =>
    assert.equal(
      sersync2Command(auth, R, 'a.txt', 'sync', false),
      'cd /data/www && rsync -artuz -R "./a.txt" rsync_backup@10.0.0.2::www --password-file=/etc/rsync.password >/dev/null 2>&1 ',
    ));
  it('auth delete', () =>
    assert.equal(
      sersync2Command(auth, R, 'a.txt', 'delete', false),
      'cd /data/www && rsync -artuz -R --delete ./   --include="a.txt" --exclude=*  rsync_backup@10.0.0.2::www --password-file=/etc/rsync.password >/dev/null 2>&1 ',
    ));
  it('port + timeout sync', () =>
    assert.equal(
      sersync2Command(portTmo, R, 'a.txt', 'sync', false),
      'cd /data/www && rsync -artuz -R  --port=874  --timeout=100 "./a.txt" 10.0.0.2::www >/dev/null 2>&1 ',
    ));
  it('port + timeout delete', () =>
    assert.equal(
      sersync2Command(portTmo, R, 'a.txt', 'delete', false),
      'cd /data/www && rsync -artuz -R  --port=874  --timeout=100 --delete ./   --include="a.txt" --exclude=*  10.0.0.2::www >/dev/null 2>&1 ',
    ));
  it('ssh sync (single colon, remote name is a path)', () =>
    assert.equal(
      sersync2Command(ssh, remoteOf(ssh), 'a.txt', 'sync', false),
      'cd /data/www && rsync -artuz -R  -e ssh "./a.txt" 10.0.0.2:/backup/www >/dev/null 2>&1 ',
    ));
  it('ssh delete', () =>
    assert.equal(
      sersync2Command(ssh, remoteOf(ssh), 'a.txt', 'delete', false),
      'cd /data/www && rsync -artuz -R  -e ssh --delete ./   --include="a.txt" --exclude=*  10.0.0.2:/backup/www >/dev/null 2>&1 ',
    ));
  it('everything on, delete d/x.txt', () =>
    assert.equal(
      sersync2Command(allOn, remoteOf(allOn), 'd/x.txt', 'delete', false),
      'cd /data/www && rsync -artuz -R  -e ssh  --port=874  --timeout=100 --delete ./   --include="d/" --include="d/x.txt" --exclude=*  u@10.0.0.2:www --password-file=/p >/dev/null 2>&1 ',
    ));
  it('auth on with empty users and password file adds neither `@` nor --password-file', () => {
    const c = stockConfig((x) => {
      x.rsync.auth = { enabled: true, users: '', passwordFile: '' };
    });
    assert.equal(sersync2Command(c, R, 'a.txt', 'sync', false), 'cd /data/www && rsync -artuz -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 ');
  });
});

describe('sersync2FullSyncCommand: spec §5.5 (-r, crontab)', () => {
  it('-r default (§10 case 15)', () =>
    assert.equal(sersync2FullSyncCommand(BASE, R), 'cd /data/www && rsync -artuz -R --delete ./ 10.0.0.2::www >/dev/null 2>&1 '));
  it('-r auth', () =>
    assert.equal(
      sersync2FullSyncCommand(auth, R),
      'cd /data/www && rsync -artuz -R --delete ./ rsync_backup@10.0.0.2::www --password-file=/etc/rsync.password >/dev/null 2>&1 ',
    ));
  it('-r port + timeout (after ./)', () =>
    assert.equal(sersync2FullSyncCommand(portTmo, R), 'cd /data/www && rsync -artuz -R --delete ./  --port=874  --timeout=100 10.0.0.2::www >/dev/null 2>&1 '));
  it('-r ssh', () =>
    assert.equal(sersync2FullSyncCommand(ssh, remoteOf(ssh)), 'cd /data/www && rsync -artuz -R --delete ./  -e ssh 10.0.0.2:/backup/www >/dev/null 2>&1 '));
  it('-r delete off (two spaces)', () =>
    assert.equal(sersync2FullSyncCommand(deleteOff, R), 'cd /data/www && rsync -artuz -R  ./ 10.0.0.2::www >/dev/null 2>&1 '));
  it('crontab + crontab filter: excludes after the target', () => {
    const c = stockConfig((x) => {
      x.crontab.enabled = true;
      x.crontab.filter.enabled = true;
    });
    assert.equal(sersync2FullSyncCommand(c, R), 'cd /data/www && rsync -artuz -R --delete ./ 10.0.0.2::www --exclude="*.php" --exclude="info/*" >/dev/null 2>&1 ');
  });
  it('no excludes while the crontab filter is off', () => {
    const c = stockConfig((x) => {
      x.crontab.enabled = true;
    });
    assert.equal(sersync2FullSyncCommand(c, R), 'cd /data/www && rsync -artuz -R --delete ./ 10.0.0.2::www >/dev/null 2>&1 ');
  });
});

describe('sersync2Command: other §10 cases', () => {
  it('case 13, delete off: the delete form has no --delete and two spaces', () =>
    assert.equal(
      sersync2Command(deleteOff, R, 'a.txt', 'delete', false),
      'cd /data/www && rsync -artuz -R  ./   --include="a.txt" --exclude=*  10.0.0.2::www >/dev/null 2>&1 ',
    ));
  it('case 21, commonParams spliced raw', () => {
    const c = stockConfig((x) => {
      x.rsync.commonParams = '-az --bwlimit=1000';
      x.rsync.commonArgs = ['-az', '--bwlimit=1000'];
    });
    assert.equal(sersync2Command(c, R, 'a.txt', 'sync', false), 'cd /data/www && rsync -az --bwlimit=1000 -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 ');
  });
  it('case 21, empty commonParams gives `rsync  -R`', () => {
    const c = stockConfig((x) => {
      x.rsync.commonParams = '';
      x.rsync.commonArgs = [];
    });
    assert.equal(sersync2Command(c, R, 'a.txt', 'sync', false), 'cd /data/www && rsync  -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 ');
  });
  it('case 22, debug on: no redirect suffix', () => {
    const c = stockConfig((x) => {
      x.debug = true;
    });
    assert.equal(sersync2Command(c, R, 'a.txt', 'sync', false), 'cd /data/www && rsync -artuz -R "./a.txt" 10.0.0.2::www');
    assert.equal(sersync2FullSyncCommand(c, R), 'cd /data/www && rsync -artuz -R --delete ./ 10.0.0.2::www');
  });
  it('uses the given W (a plugin may replace it, §2.4), unquoted', () =>
    assert.equal(sersync2Command(BASE, R, 'a.txt', 'sync', false, '/data/www/'), 'cd /data/www/ && rsync -artuz -R "./a.txt" 10.0.0.2::www >/dev/null 2>&1 '));
  it('keeps the injection hole of the original (only $ escaped, §9.1): never run these strings', () =>
    assert.equal(sersync2Command(BASE, R, 'inj";touch X;".txt', 'sync', false), 'cd /data/www && rsync -artuz -R "./inj";touch X;".txt" 10.0.0.2::www >/dev/null 2>&1 '));
});

describe('sersync2Argv: the argv sh makes of the sersync2 string (§10: compare tokenised argv)', () => {
  const configs: Array<[string, Config]> = [
    ['stock', BASE],
    ['auth', auth],
    ['port+timeout', portTmo],
    ['ssh', ssh],
    ['all on', allOn],
    ['delete off', deleteOff],
    [
      'empty commonParams',
      stockConfig((x) => {
        x.rsync.commonParams = '';
        x.rsync.commonArgs = [];
      }),
    ],
    ['debug', stockConfig((x) => (x.debug = true))],
  ];
  const names: Array<[string, boolean]> = [
    ['a.txt', false],
    ['d1', true],
    ['d1/e/b.txt', false],
    ['d1/e', true],
    ['price $5.txt', false],
    ['sp ace/x y', false],
    [fromText('dé/ü.txt'), false],
  ];
  for (const [cname, c] of configs) {
    it(`equals shSplit(sersync2Command) for ${cname}`, () => {
      for (const [rel, isDir] of names) {
        for (const op of ['sync', 'delete'] as const) {
          assert.deepEqual(sersync2Argv(c, remoteOf(c), rel, op, isDir), shArgv(sersync2Command(c, remoteOf(c), rel, op, isDir)), `${op} ${rel}`);
        }
      }
      assert.deepEqual(sersync2FullSyncArgv(c, remoteOf(c)), shArgv(sersync2FullSyncCommand(c, remoteOf(c))));
    });
  }
  it('is the intended argv; for a name with a double quote sh cannot even tokenise the original string', () => {
    assert.deepEqual(sersync2Argv(BASE, R, 'a"b', 'sync', false), ['-artuz', '-R', './a"b', '10.0.0.2::www']);
    assert.equal(shTokens(sersync2Command(BASE, R, 'a"b', 'sync', false)), null);
  });
  it('case 1: create file → argv `-artuz -R ./a.txt 10.0.0.2::www`', () =>
    assert.deepEqual(sersync2Argv(BASE, R, 'a.txt', 'sync', false), ['-artuz', '-R', './a.txt', '10.0.0.2::www']));
});

describe('building blocks', () => {
  it('remoteTarget: daemon `ip::module`, ssh `ip:path`, `users@` only with auth and non-empty users', () => {
    assert.equal(remoteTarget(BASE, R), '10.0.0.2::www');
    assert.equal(remoteTarget(ssh, remoteOf(ssh)), '10.0.0.2:/backup/www');
    assert.equal(remoteTarget(auth, R), 'rsync_backup@10.0.0.2::www');
    assert.equal(remoteTarget(allOn, remoteOf(allOn)), 'u@10.0.0.2:www');
    // users set but auth off: no user
    assert.equal(remoteTarget(stockConfig((x) => (x.rsync.auth.users = 'someone')), R), '10.0.0.2::www');
  });
  it('transportArgs: -e ssh, --port=, --timeout= in that order', () => {
    assert.deepEqual(transportArgs(BASE), []);
    assert.deepEqual(transportArgs(allOn), ['-e', 'ssh', '--port=874', '--timeout=100']);
    assert.deepEqual(transportArgs(portTmo), ['--port=874', '--timeout=100']);
  });
  it('filesFromList: every rel NUL-terminated, raw bytes', () => {
    assert.deepEqual(filesFromList(['a', 'b\nc', '\xff']), Buffer.from([0x61, 0, 0x62, 0x0a, 0x63, 0, 0xff, 0]));
  });
});

describe('buildFilePush: sersync2 sync form as argv, plus --ignore-times (and TCP_NODELAY in daemon mode)', () => {
  it('stock', () => {
    assert.deepEqual(buildFilePush(BASE, R, 'a.txt'), {
      args: ['-artuz', '-R', '--ignore-times', '--force', '--sockopts=TCP_NODELAY', './a.txt', '10.0.0.2::www'],
      cwd: '/data/www',
      paths: [{ rel: 'a.txt', kind: 'file' }],
    });
  });
  it('all on: transport after -R, password file after the target, no sockopts over ssh', () => {
    assert.deepEqual(buildFilePush(allOn, remoteOf(allOn), 'd/x.txt').args, [
      '-artuz',
      '-R',
      '-e',
      'ssh',
      '--port=874',
      '--timeout=100',
      '--ignore-times',
      '--force',
      './d/x.txt',
      'u@10.0.0.2:www',
      '--password-file=/p',
    ]);
  });
  it('is sersync2Argv with only our additions inserted before the source', () => {
    for (const c of [BASE, auth, portTmo, ssh, allOn]) {
      const ours = buildFilePush(c, remoteOf(c), 'd1/b.txt').args.filter((a) => a !== '--ignore-times' && a !== '--force' && a !== '--sockopts=TCP_NODELAY');
      assert.deepEqual(ours, sersync2Argv(c, remoteOf(c), 'd1/b.txt', 'sync', false));
    }
  });
  it('a name starting with - stays a path (./-x), hostile characters stay one argument', () => {
    assert.equal(buildFilePush(BASE, R, '-x').args[5], './-x');
    assert.equal(buildFilePush(BASE, R, 'a";rm -rf /;"\n$(id)').args[5], './a";rm -rf /;"\n$(id)');
  });
  it('falls back to the files-from form for a name that is not valid UTF-8', () => {
    const inv = buildFilePush(BASE, R, 'bad\xff');
    assert.ok(inv.args.includes('--files-from=-'));
    assert.deepEqual(inv.stdin, Buffer.from([0x62, 0x61, 0x64, 0xff, 0]));
    assert.ok(inv.args.every(isValidUtf8));
    assert.deepEqual(inv.paths, [{ rel: 'bad\xff', kind: 'file' }]);
  });
  it('uses the W it is given', () => assert.equal(buildFilePush(BASE, R, 'a', '/other').cwd, '/other'));
  it('replaces a non-empty remote directory by the file only when deletes are on (--force)', () => {
    assert.ok(buildFilePush(BASE, R, 'x').args.includes('--force'));
    const noDelete = { ...BASE, inotify: { ...BASE.inotify, delete: false } };
    assert.ok(!buildFilePush(noDelete, R, 'x').args.includes('--force'));
  });
});

describe('buildBatchPush', () => {
  const F = (rel: string): PushOp => ({ rel, kind: 'file' });
  const D = (rel: string): PushOp => ({ rel, kind: 'dir' });
  const X = (rel: string): PushOp => ({ rel, kind: 'delete' });
  const list = (b: Buffer | undefined) => (b ? b.toString('latin1').split('\0').slice(0, -1) : []);

  it('files and deletes: one call with --files-from=- --from0, --ignore-times, --delete-missing-args --force', () => {
    const [inv, ...rest] = buildBatchPush(BASE, R, [F('b.txt'), X('gone'), F('a.txt')]);
    assert.equal(rest.length, 0);
    assert.deepEqual(inv!.args, [
      '-artuz',
      '-R',
      '--sockopts=TCP_NODELAY',
      '--ignore-times',
      '--delete-missing-args',
      '--force',
      '--files-from=-',
      '--from0',
      '.',
      '10.0.0.2::www',
    ]);
    assert.equal(inv!.cwd, '/data/www');
    assert.deepEqual(list(inv!.stdin), ['a.txt', 'b.txt', 'gone']);
    assert.deepEqual(inv!.paths, [F('a.txt'), F('b.txt'), X('gone')]);
  });

  it('directories: a second call with -r --delete --delete-missing-args and without --ignore-times', () => {
    const invs = buildBatchPush(BASE, R, [D('d2'), F('a'), D('d1')]);
    assert.equal(invs.length, 2);
    assert.deepEqual(list(invs[0]!.stdin), ['a']);
    assert.deepEqual(invs[1]!.args, ['-artuz', '-R', '--sockopts=TCP_NODELAY', '-r', '--delete', '--delete-missing-args', '--files-from=-', '--from0', '.', '10.0.0.2::www']);
    assert.deepEqual(list(invs[1]!.stdin), ['d1', 'd2']);
    assert.deepEqual(invs[1]!.paths, [D('d1'), D('d2')]);
  });

  it('delete off: deletes are dropped, missing sources ignored, no --delete anywhere', () => {
    const invs = buildBatchPush(deleteOff, R, [X('gone'), F('a'), D('d')]);
    assert.equal(invs.length, 2);
    assert.deepEqual(list(invs[0]!.stdin), ['a']);
    assert.ok(invs[0]!.args.includes('--ignore-missing-args'));
    assert.ok(invs[1]!.args.includes('--ignore-missing-args'));
    for (const inv of invs) assert.ok(!inv.args.some((a) => a.startsWith('--delete') || a === '--force'), inv.args.join(' '));
    assert.deepEqual(buildBatchPush(deleteOff, R, [X('gone')]), []);
  });

  it('ssh, auth, port and timeout keep sersync2 order: transport after -R, password file last', () => {
    const [inv] = buildBatchPush(allOn, remoteOf(allOn), [F('a')]);
    assert.deepEqual(inv!.args.slice(0, 6), ['-artuz', '-R', '-e', 'ssh', '--port=874', '--timeout=100']);
    assert.deepEqual(inv!.args.slice(-3), ['.', 'u@10.0.0.2:www', '--password-file=/p']);
  });

  it('a deleted directory swallows deletes below it (but not pushes below it)', () => {
    const [inv, ...rest] = buildBatchPush(BASE, R, [X('d/e/f'), X('d'), X('d/x'), F('d/new'), X('dd')]);
    assert.equal(rest.length, 0);
    assert.deepEqual(list(inv!.stdin), ['d', 'd/new', 'dd']);
    assert.deepEqual(inv!.covered, [X('d/e/f'), X('d/x')]);
  });

  it('a pushed directory swallows files, subdirectories and deletes below it', () => {
    const invs = buildBatchPush(BASE, R, [F('d/a'), X('d/gone'), D('d/sub'), D('d'), F('d2/a'), X('d/sub/x')]);
    assert.equal(invs.length, 2);
    assert.deepEqual(list(invs[0]!.stdin), ['d2/a']);
    assert.equal(invs[0]!.covered, undefined);
    assert.deepEqual(list(invs[1]!.stdin), ['d']);
    assert.deepEqual(invs[1]!.covered, [F('d/a'), X('d/gone'), D('d/sub'), X('d/sub/x')]);
  });

  it('does not treat a name that merely starts with a directory name as below it', () => {
    const invs = buildBatchPush(BASE, R, [D('d'), F('d.txt'), F('dd/x'), X('d-old')]);
    assert.deepEqual(list(invs[0]!.stdin), ['d-old', 'd.txt', 'dd/x']);
    assert.deepEqual(list(invs[1]!.stdin), ['d']);
  });

  it('several ops for one path: the last one wins', () => {
    const invs = buildBatchPush(BASE, R, [F('p'), X('p'), D('p')]);
    assert.equal(invs.length, 1);
    assert.deepEqual(invs[0]!.paths, [D('p')]);
    assert.deepEqual(buildBatchPush(BASE, R, [D('p'), F('p')])[0]!.paths, [F('p')]);
  });

  it('sorts by bytes, so the output does not depend on the input order', () => {
    const ops = [F('b'), F('\xff'), F('B'), F('a/b'), F('a')];
    const a = buildBatchPush(BASE, R, ops);
    const b = buildBatchPush(BASE, R, [...ops].reverse());
    assert.deepEqual(a, b);
    assert.deepEqual(list(a[0]!.stdin), ['B', 'a', 'a/b', 'b', '\xff']);
  });

  it('passes any name as raw bytes on stdin; every argument stays valid UTF-8', () => {
    const names = ['new\nline', 'q"uote', "it's", '$HOME', '`id`', '-leading', 'star*', '\xff\xfe', fromText('é')];
    const [inv] = buildBatchPush(BASE, R, names.map(F));
    assert.ok(inv!.args.every(isValidUtf8));
    assert.deepEqual(inv!.stdin, toBuffer([...names].sort().map((n) => `${n}\0`).join('')));
  });

  it('splits a group into calls of at most extensions.maxBatch paths, covered ops go with their cover', () => {
    const c = stockConfig((x) => (x.extensions.maxBatch = 2));
    const invs = buildBatchPush(c, R, [F('a'), F('b'), F('c'), D('d1'), D('d2'), D('d3'), F('d3/x')]);
    assert.deepEqual(invs.map((i) => list(i.stdin)), [['a', 'b'], ['c'], ['d1', 'd2'], ['d3']]);
    assert.deepEqual(invs[3]!.covered, [F('d3/x')]);
    assert.equal(invs[2]!.covered, undefined);
  });

  it('returns nothing for no ops', () => assert.deepEqual(buildBatchPush(BASE, R, []), []));
});

describe('buildPush', () => {
  it('one valid-UTF-8 file → the per-file sersync2 form', () => assert.deepEqual(buildPush(BASE, R, [{ rel: 'a', kind: 'file' }]), [buildFilePush(BASE, R, 'a')]));
  it('a single dir or delete, or several ops → batch form', () => {
    assert.ok(buildPush(BASE, R, [{ rel: 'd', kind: 'dir' }])[0]!.args.includes('--files-from=-'));
    assert.ok(buildPush(BASE, R, [{ rel: 'd', kind: 'delete' }])[0]!.args.includes('--delete-missing-args'));
    assert.equal(buildPush(BASE, R, [{ rel: 'a', kind: 'file' }, { rel: 'b', kind: 'file' }]).length, 1);
  });
});

describe('buildFullSync', () => {
  it('is the §5.5 shape as argv (same argv as sersync2FullSyncArgv)', () => {
    for (const c of [BASE, auth, portTmo, ssh, allOn, deleteOff]) {
      const inv = buildFullSync(c, remoteOf(c), { excludes: [] });
      assert.deepEqual(inv.args, sersync2FullSyncArgv(c, remoteOf(c)));
      assert.equal(inv.cwd, '/data/www');
      assert.equal(inv.stdin, undefined);
    }
    assert.deepEqual(buildFullSync(BASE, R, { excludes: [] }).args, ['-artuz', '-R', '--delete', './', '10.0.0.2::www']);
  });
  it('puts the excludes after the target', () => {
    assert.deepEqual(buildFullSync(auth, R, { excludes: ['*.php', 'info/*'] }).args, [
      '-artuz',
      '-R',
      '--delete',
      './',
      'rsync_backup@10.0.0.2::www',
      '--password-file=/etc/rsync.password',
      '--exclude=*.php',
      '--exclude=info/*',
    ]);
  });
  it('with a file list: --no-recursive --files-from=- --from0, no --delete, the list on stdin', () => {
    const list = filesFromList(['d', 'd/a']);
    const inv = buildFullSync(BASE, R, { excludes: ['*.tmp'], filesFrom: list });
    assert.deepEqual(inv.args, ['-artuz', '-R', '--no-recursive', '--files-from=-', '--from0', '--ignore-missing-args', '.', '10.0.0.2::www', '--exclude=*.tmp']);
    assert.equal(inv.stdin, list);
  });
});

describe('buildFailLogCommand: the sersync2-shaped per-path command for the fail log', () => {
  it('file: the buildFilePush argv, even for a name that is not valid UTF-8', () => {
    assert.deepEqual(buildFailLogCommand(BASE, R, { rel: 'a.txt', kind: 'file' }), { cwd: '/data/www', args: buildFilePush(BASE, R, 'a.txt').args });
    assert.equal(buildFailLogCommand(BASE, R, { rel: 'x\xff', kind: 'file' }).args[5], './x\xff');
  });
  it('dir: the sync form without --ignore-times', () => {
    assert.deepEqual(buildFailLogCommand(BASE, R, { rel: 'd1', kind: 'dir' }).args, ['-artuz', '-R', '--sockopts=TCP_NODELAY', './d1', '10.0.0.2::www']);
  });
  it('delete: sersync2 delete form with the parent chain and always the subtree include', () => {
    assert.deepEqual(buildFailLogCommand(BASE, R, { rel: 'd1/e/b.txt', kind: 'delete' }).args, [
      '-artuz',
      '-R',
      '--delete',
      './',
      '--include=d1/',
      '--include=d1/e/',
      '--include=d1/e/b.txt',
      '--include=d1/e/b.txt/***',
      '--exclude=*',
      '10.0.0.2::www',
    ]);
  });
  it('delete: names with wildcards become literal patterns (§9.18 fixed)', () => {
    assert.deepEqual(buildFailLogCommand(auth, R, { rel: 'a*/b?[1]', kind: 'delete' }).args.slice(3, 8), [
      './',
      '--include=a\\*/',
      '--include=a\\*/b\\?\\[1]',
      '--include=a\\*/b\\?\\[1]/***',
      '--exclude=*',
    ]);
  });
  it('delete: a backslash in a name without wildcards stays as it is, except where /*** makes the pattern a wildcard one', () => {
    assert.deepEqual(buildFailLogCommand(BASE, R, { rel: 'x\\y', kind: 'delete' }).args.slice(4, 6), ['--include=x\\y', '--include=x\\\\y/***']);
  });
});
