import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromText, toBuffer } from '../../src/util/bytepath.js';
import { assertConfigError, load, minimal, stockWith, STOCK, warningWith } from './tmpconfig.js';

describe('config: XML leniency of sersync2\'s parser (spec §2.1)', () => {
  it('accepts a file without <?xml?>', () => {
    assert.equal(load(minimal()).localPath, '/data/www');
  });
  it('ignores stray text lines such as "# comment", inside and outside <head>', () => {
    const text = '# my config\n' + stockWith(['<sersync>', '# rsync & sersync stuff\n    <sersync>'], ['</head>', '# end\n</head>\n# trailer']);
    const c = load(text);
    assert.equal(c.localPath, '/opt/tongbu');
    assert.deepEqual(c.warnings, []);
  });
  it('ignores comments, also ones that hide elements', () => {
    const c = load(stockWith(['<remote ip="127.0.0.1" name="tongbu1"/>', '<remote ip="127.0.0.1" name="tongbu1"/><!-- <remote ip="9.9.9.9" name="x"/> -->']));
    assert.equal(c.remotes.length, 1);
  });
  it('accepts a UTF-8 byte-order mark and blank lines before <?xml?>', () => {
    assert.equal(load('\xef\xbb\xbf\n\n' + STOCK).localPath, '/opt/tongbu');
  });
  it('treats element and attribute names case-insensitively (closing tags too)', () => {
    const c = load(
      '<HEAD><Debug START="true"/><INOTIFY><Delete Start="false"/></INOTIFY>' +
        '<SerSync><LocalPath WATCH="/w"><Remote IP="1.2.3.4" NAME="m"/></LOCALPATH>' +
        '<RSYNC><CommonParams PARAMS="-az"/></rsync><FAILLOG PATH="/f" TIMETOEXECUTE="2"/></SERSYNC></head>',
    );
    assert.equal(c.debug, true);
    assert.equal(c.inotify.delete, false);
    assert.equal(c.localPath, '/w');
    assert.deepEqual(c.remotes, [{ ip: '1.2.3.4', name: 'm' }]);
    assert.equal(c.rsync.commonParams, '-az');
    assert.deepEqual([c.failLog.path, c.failLog.intervalSeconds], ['/f', 120]);
  });
  it('compares values exactly: a switch is on only for "true" (True, 1, yes are off, with a warning)', () => {
    const c = load(stockWith(['<debug start="false"/>', '<debug start="True"/>'], ['<ssh start="false"/>', '<ssh start="1"/>']));
    assert.equal(c.debug, false);
    assert.equal(c.rsync.ssh, false);
    assert.match(warningWith(c, '<debug> start="True" means OFF'), /only the exact value "true"/);
    warningWith(c, '<ssh> start="1" means OFF');
  });
  it('accepts a <head> wrapped in another root element', () => {
    assert.equal(load('<config>' + minimal() + '</config>').localPath, '/data/www');
  });
  it('finds <head> among several top-level elements', () => {
    assert.equal(load('<x/>\n' + minimal() + '\n<y></y>').localPath, '/data/www');
  });
  it('uses the first element of a name (a second <debug> is ignored)', () => {
    assert.equal(load(minimal({ head: '<debug start="true"/><debug start="false"/>' })).debug, true);
  });
});

describe('config: entities and bytes', () => {
  it('decodes &amp; &lt; &gt; &quot; &apos; in attribute values (here in a regex)', () => {
    const c = load(minimal({ head: '<filter start="true"><exclude expression="a&amp;b&lt;&gt;&quot;&apos;"/></filter>' }));
    assert.equal(c.filter.excludes[0]!.expression, `a&b<>"'`);
    assert.equal(c.filter.excludes[0]!.regex.test(`a&b<>"'`), true);
  });
  it('decodes &#N; and &#xN; character references (&#36; is $)', () => {
    const c = load(minimal({ head: '<filter start="true"><exclude expression="(.*)\\.tmp&#36;"/><exclude expression="&#x41;&#x263A;"/></filter>' }));
    assert.equal(c.filter.excludes[0]!.expression, '(.*)\\.tmp$');
    assert.equal(c.filter.excludes[0]!.regex.test('x.tmp'), true);
    // above 0xFF: the UTF-8 bytes of the character, so the value stays a byte string
    assert.equal(c.filter.excludes[1]!.expression, 'A' + fromText('\u263a'));
  });
  it('leaves unknown entities as written', () => {
    assert.equal(load(minimal({ localpath: '<localpath watch="/a&nbsp;b"><remote ip="1.1.1.1" name="m"/></localpath>' })).localPath, '/a&nbsp;b');
  });
  it('keeps non-UTF-8 bytes of a path exact (latin1 byte-string round trip)', () => {
    const raw = Buffer.concat([Buffer.from('<head><sersync><localpath watch="/data/caf'), Buffer.from([0xe9, 0xff, 0x80]), Buffer.from('/"><remote ip="1.1.1.1" name="m"/></localpath></sersync></head>')]);
    const c = load(raw);
    assert.deepEqual(toBuffer(c.localPath), Buffer.concat([Buffer.from('/data/caf'), Buffer.from([0xe9, 0xff, 0x80])]));
  });
  it('keeps UTF-8 paths as their bytes', () => {
    const c = load(Buffer.from('<head><sersync><localpath watch="/数据/www"><remote ip="1.1.1.1" name="模块"/></localpath></sersync></head>', 'utf8'));
    assert.equal(c.localPath, fromText('/数据/www'));
    assert.equal(c.remotes[0]!.name, fromText('模块'));
  });
});

describe('config: localpath and remotes (spec §2.2, cases 19, 20)', () => {
  it('strips one trailing slash from the watch path (case 20)', () => {
    assert.equal(load(stockWith(['watch="/opt/tongbu">\n\t    <remote', 'watch="/opt/tongbu/">\n\t    <remote'])).localPath, '/opt/tongbu');
  });
  it('strips only one slash, and keeps "/" itself', () => {
    const lp = (w: string): string => load(minimal({ localpath: `<localpath watch="${w}"><remote ip="1.1.1.1" name="m"/></localpath>` })).localPath;
    assert.equal(lp('/a//'), '/a/');
    assert.equal(lp('/'), '/');
  });
  it('uses only the first localpath; a second one is ignored with a warning (case 19)', () => {
    const c = load(
      minimal({
        localpath:
          '<localpath watch="/data/www"><remote ip="10.0.0.2" name="www"/></localpath>' +
          '<localpath watch="/data/other/"><remote ip="10.0.0.3" name="other"/></localpath>',
      }),
    );
    assert.equal(c.localPath, '/data/www');
    assert.deepEqual(c.ignoredLocalPaths, ['/data/other']);
    assert.deepEqual(c.remotes, [{ ip: '10.0.0.2', name: 'www' }]);
    assert.match(warningWith(c, 'second <localpath'), /only the first <localpath> is used/);
  });
  it('keeps every <remote> of the first localpath, in order', () => {
    const c = load(minimal({ localpath: '<localpath watch="/w"><remote ip="a" name="1"/><remote ip="b" name="2"/><remote ip="c" name="/p"/></localpath>' }));
    assert.deepEqual(c.remotes.map((r) => `${r.ip}/${r.name}`), ['a/1', 'b/2', 'c//p']);
  });
});

describe('config: defaults where sersync2 would crash (spec §2.2, §9 item 14, case 37)', () => {
  it('a file with only the localpath gets every recommended default', () => {
    const c = load(minimal());
    assert.deepEqual(c.host, { ip: 'localhost', port: 8008 });
    assert.equal(c.debug, false);
    assert.equal(c.xfs, false);
    assert.deepEqual(c.filter, { enabled: false, excludes: [] });
    assert.deepEqual(c.inotify, { delete: true, createFolder: true, createFile: false, closeWrite: true, moveFrom: true, moveTo: true, attrib: false, modify: false });
    assert.deepEqual([c.rsync.commonParams, c.rsync.commonArgs], ['-artuz', ['-artuz']]);
    assert.deepEqual(c.rsync.auth, { enabled: false, users: '', passwordFile: '' });
    assert.equal(c.rsync.userDefinedPort.enabled || c.rsync.timeout.enabled || c.rsync.ssh, false);
    assert.deepEqual(c.failLog, { path: '/tmp/rsync_fail_log.sh', intervalSeconds: 3600, timeToExecuteRaw: '' });
    assert.equal(c.crontab.enabled, false);
    assert.equal(c.crontab.scheduleMinutes, 600);
    assert.deepEqual(c.plugin, { enabled: false, name: '' });
    assert.deepEqual([c.plugins.socket, c.plugins.refreshCDN, c.plugins.http], [null, null, null]);
    assert.equal(c.plugins.command!.prefix, '/bin/sh');
    const w = warningWith(c, 'defaults used');
    for (const el of ['<host>', '<debug>', '<failLog>', '<inotify>', '<rsync>', '<crontab>']) assert.ok(w.includes(el), `${el} in ${w}`);
  });
  it('the stock file without <failLog> starts with /tmp/rsync_fail_log.sh every 60 min (case 37)', () => {
    const c = load(stockWith([/<failLog[^>]*>/, '']));
    assert.deepEqual([c.failLog.path, c.failLog.intervalSeconds], ['/tmp/rsync_fail_log.sh', 3600]);
  });
  it('the stock file without <debug> starts with debug off (case 37)', () => {
    const c = load(stockWith(['<debug start="false"/>', '']));
    assert.equal(c.debug, false);
    warningWith(c, '<debug> (off)');
  });
  it('the stock file without <host> gets localhost:8008', () => {
    assert.deepEqual(load(stockWith([/<host[^>]*><\/host>/, ''])).host, { ip: 'localhost', port: 8008 });
  });
  it('a missing <inotify> child takes its default, the others are read', () => {
    const c = load(stockWith(['<delete start="true"/>', ''], ['<attrib start="false"/>', '<attrib start="true"/>']));
    assert.equal(c.inotify.delete, true);
    assert.equal(c.inotify.attrib, true);
    warningWith(c, '<inotify><delete> (true)');
  });
  it('missing <rsync> children are off; a missing <commonParams> means -artuz', () => {
    const c = load(stockWith([/<rsync>[\s\S]*<\/rsync>/, '<rsync></rsync>']));
    assert.equal(c.rsync.commonParams, '-artuz');
    assert.equal(c.rsync.auth.enabled, false);
    assert.equal(c.rsync.ssh, false);
  });
  it('the stock file without the plugin sections loads (they are only needed when used)', () => {
    const c = load(stockWith([/<plugin name="command">[\s\S]*<\/head>/, '</head>']));
    assert.deepEqual([c.plugins.socket, c.plugins.refreshCDN, c.plugins.http], [null, null, null]);
    assert.deepEqual(c.plugins.command!.prefixArgs, ['/bin/sh']);
  });
  it('host port goes through atoi like sersync2', () => {
    assert.equal(load(stockWith(['port="8008"', 'port="80x"'])).host.port, 80);
    assert.equal(load(stockWith(['port="8008"', 'port="x"'])).host.port, 0);
  });
  it('a failLog path="" uses the default path with a warning (sersync2 breaks)', () => {
    const c = load(stockWith(['path="/tmp/rsync_fail_log.sh"', 'path=""']));
    assert.equal(c.failLog.path, '/tmp/rsync_fail_log.sh');
    warningWith(c, 'failLog path=""');
  });
});

describe('config: rsync settings (spec §2.2, §5.4, case 21)', () => {
  it('keeps commonParams raw and splits several options into argv words', () => {
    const c = load(stockWith(['params="-artuz"', 'params="-az --bwlimit=1000"']));
    assert.equal(c.rsync.commonParams, '-az --bwlimit=1000');
    assert.deepEqual(c.rsync.commonArgs, ['-az', '--bwlimit=1000']);
  });
  it('params="" means no options at all (no -artuz fallback)', () => {
    const c = load(stockWith(['params="-artuz"', 'params=""']));
    assert.equal(c.rsync.commonParams, '');
    assert.deepEqual(c.rsync.commonArgs, []);
  });
  it('splits quoted commonParams like sh (entities decoded first)', () => {
    const c = load(stockWith(['params="-artuz"', `params="-az --rsh='ssh -p 2222' &quot;--exclude=a b&quot;"`]));
    assert.deepEqual(c.rsync.commonArgs, ['-az', '--rsh=ssh -p 2222', '--exclude=a b']);
  });
  it('reads auth, port, timeout and ssh when on', () => {
    const c = load(
      stockWith(
        ['<auth start="false" users="root" passwordfile="/etc/rsync.pas"/>', '<auth start="true" users="rsync_backup" passwordfile="/etc/rsync.password"/>'],
        ['<userDefinedPort start="false"', '<userDefinedPort start="true"'],
        ['<timeout start="false"', '<timeout start="true"'],
      ),
    );
    assert.deepEqual(c.rsync.auth, { enabled: true, users: 'rsync_backup', passwordFile: '/etc/rsync.password' });
    assert.deepEqual(c.rsync.userDefinedPort, { enabled: true, port: '874' });
    assert.deepEqual(c.rsync.timeout, { enabled: true, time: '100' });
    assert.deepEqual(c.warnings, []);
  });
  it('warns when auth (with a password file) and ssh are both on: rsync rejects --password-file over ssh', () => {
    const c = load(stockWith(['<auth start="false"', '<auth start="true"'], ['<ssh start="false"/>', '<ssh start="true"/>']));
    assert.equal(c.rsync.ssh, true);
    assert.match(warningWith(c, '--password-file'), /ssh/);
  });
  it('warns when a port that is on is not a number', () => {
    warningWith(load(stockWith(['<userDefinedPort start="false" port="874"/>', '<userDefinedPort start="true" port="abc"/>'])), 'is not a number');
  });
});

describe('config: failLog and crontab numbers (spec §2.2, §9 item 14)', () => {
  it('resolves a relative failLog path against opts.cwd', () => {
    assert.equal(load(stockWith(['path="/tmp/rsync_fail_log.sh"', 'path="logs/fail.sh"']), { cwd: '/srv/sersync' }).failLog.path, '/srv/sersync/logs/fail.sh');
  });
  it('timeToExecute is minutes; "" keeps sersync2\'s 7200 s; "0" replays every idle minute (with a warning)', () => {
    assert.equal(load(stockWith(['timeToExecute="60"', 'timeToExecute="5"'])).failLog.intervalSeconds, 300);
    const empty = load(stockWith(['timeToExecute="60"', 'timeToExecute=""']));
    assert.deepEqual([empty.failLog.intervalSeconds, empty.failLog.timeToExecuteRaw], [7200, '']);
    const zero = load(stockWith(['timeToExecute="60"', 'timeToExecute="0"']));
    assert.equal(zero.failLog.intervalSeconds, 0);
    warningWith(zero, 'every idle minute');
  });
  it('reads crontab on with its schedule and crontabfilter globs (kept as written)', () => {
    const c = load(stockWith(['<crontab start="false" schedule="600">', '<crontab start="true" schedule="1">'], ['<crontabfilter start="false">', '<crontabfilter start="true">']));
    assert.deepEqual(c.crontab, { enabled: true, scheduleMinutes: 1, scheduleRaw: '1', filter: { enabled: true, excludes: ['*.php', 'info/*'] } });
  });
  it('a non-numeric or non-positive schedule becomes 600 with a warning, as sersync2 does silently', () => {
    for (const v of ['abc', '0', '-3', '']) {
      const c = load(stockWith(['<crontab start="false" schedule="600">', `<crontab start="true" schedule="${v}">`]));
      assert.equal(c.crontab.scheduleMinutes, 600, v);
      assert.equal(c.crontab.scheduleRaw, v);
      warningWith(c, 'using 600');
    }
  });
  it('a schedule with trailing junk is read like atoi, with a warning', () => {
    const c = load(stockWith(['<crontab start="false" schedule="600">', '<crontab start="true" schedule="10min">']));
    assert.equal(c.crontab.scheduleMinutes, 10);
    warningWith(c, 'read as 10 minutes');
  });
  it('warns when the main filter has excludes, crontab is on and crontabfilter is off (sersync2 turns crontab off)', () => {
    const c = load(stockWith(['<filter start="false">', '<filter start="true">'], ['<crontab start="false"', '<crontab start="true"']));
    assert.equal(c.crontab.enabled, true);
    assert.equal(c.filter.excludes.length, 4);
    const w = warningWith(c, 'sersync2 turns crontab OFF');
    assert.match(w, /sersync-ts keeps crontab on/);
    assert.match(w, /main filter/);
  });
  it('does not warn about that when crontabfilter has patterns', () => {
    const c = load(stockWith(['<filter start="false">', '<filter start="true">'], ['<crontab start="false"', '<crontab start="true"'], ['<crontabfilter start="false">', '<crontabfilter start="true">']));
    assert.equal(c.warnings.some((w) => w.includes('crontab OFF')), false);
  });
});

describe('config: the main filter (spec §3.5)', () => {
  it('compiles the stock excludes once, as whole-string byte regexes', () => {
    const c = load(stockWith(['<filter start="false">', '<filter start="true">']));
    assert.deepEqual(c.filter.excludes.map((r) => r.expression), ['(.*)\\.svn', '(.*)\\.gz', '^info/*', '^static/*']);
    const [svn, gz, info] = c.filter.excludes.map((r) => r.regex);
    assert.equal(svn!.test('/a/.svn'), true);
    assert.equal(gz!.test('a.gz'), true);
    assert.equal(gz!.test('a.gz.txt'), false);
    assert.equal(info!.test('info/'), true);
    assert.equal(info!.test('x/info'), false);
  });
  it('translates boost POSIX classes in excludes', () => {
    const c = load(minimal({ head: '<filter start="true"><exclude expression="(.*)[[:digit:]]{4}\\.log"/></filter>' }));
    assert.equal(c.filter.excludes[0]!.regex.test('/logs/app2024.log'), true);
    assert.equal(c.filter.excludes[0]!.regex.test('/logs/appXXXX.log'), false);
  });
  it('reads only <exclude> children and warns when other elements are mixed in (list quirk)', () => {
    const c = load(minimal({ head: '<filter start="true"><exclude expression="a"/><include expression="b"/><exclude expression="c"/></filter>' }));
    assert.deepEqual(c.filter.excludes.map((r) => r.expression), ['a', 'c']);
    assert.match(warningWith(c, 'besides <exclude>'), /<include>/);
  });
  it('ignores an <exclude> without expression, with a warning', () => {
    const c = load(minimal({ head: '<filter start="true"><exclude/><exclude expression="x"/></filter>' }));
    assert.deepEqual(c.filter.excludes.map((r) => r.expression), ['x']);
    warningWith(c, 'has no expression=');
  });
});

describe('config: unknown elements', () => {
  it('warns about an unknown element (a typo) but keeps going', () => {
    const c = load(minimal({ head: '<filters start="true"/>', sersync: '<failog path="/x"/>' }));
    warningWith(c, 'unknown element <filters>');
    warningWith(c, 'unknown element <failog>');
  });
});

describe('config: the <sersyncts> extension element', () => {
  it('reads auditInterval, deleteGuard, quietMs, stateDir, maxBatch (names case-insensitive)', () => {
    const c = load(minimal({ head: '<sersyncts auditInterval="0" DELETEGUARD="0.25" quietMs="100" stateDir="state" maxBatch="10"/>' }), { cwd: '/srv' });
    assert.deepEqual(c.extensions, { auditIntervalSeconds: 0, deleteGuardRatio: 0.25, quietMs: 100, stateDir: '/srv/state', maxBatch: 10 });
  });
  it('defaults stateDir to $SERSYNC_TS_STATE_DIR, else /var/lib/sersync-ts for root', () => {
    assert.equal(load(minimal(), { env: { SERSYNC_TS_STATE_DIR: '/run/st' } }).extensions.stateDir, '/run/st');
    assert.equal(load(minimal(), { uid: 0 }).extensions.stateDir, '/var/lib/sersync-ts');
  });
  const bad: Array<[string, string]> = [
    ['auditInterval="ten"', 'sersyncts@auditInterval="ten"'],
    ['deleteGuard="1.5"', 'sersyncts@deleteGuard="1.5"'],
    ['deleteGuard="half"', 'ratio between 0 and 1'],
    ['quietMs="-1"', 'sersyncts@quietMs="-1"'],
    ['maxBatch="0"', 'sersyncts@maxBatch="0"'],
    ['stateDir=""', 'sersyncts@stateDir is empty'],
  ];
  for (const [a, part] of bad) {
    it(`refuses ${a}`, () => {
      assertConfigError(() => load(minimal({ head: `<sersyncts ${a}/>` })), 1, part);
    });
  }
  it('warns about an unknown attribute', () => {
    warningWith(load(minimal({ head: '<sersyncts quietms="5" foo="1"/>' })), 'sersyncts@foo');
  });
});
