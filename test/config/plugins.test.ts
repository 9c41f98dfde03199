import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveWatchRoot, validatePluginFor } from '../../src/config/load.js';
import { assertConfigError, load, minimal, stockWith, warningWith } from './tmpconfig.js';

const USE = (name: string): [string, string] => ['<plugin start="false" name="command"/>', `<plugin start="true" name="${name}"/>`];
const SOCKET = '<plugin name="socket"><localpath watch="/data/sock/"><deshost ip="127.0.0.1" port="8009"/></localpath></plugin>';
const HTTP = '<plugin name="http"><localpath watch="/data/hook/"><deshost url="http://127.0.0.1:8080/hook" port="8080"/></localpath></plugin>';

describe('plugins: the command plugin section (spec §7.1)', () => {
  it('reads prefix, suffix, ignoreError and splits them into argv words', () => {
    const c = load(minimal({ head: '<plugin name="command"><param prefix="/usr/local/bin/hook.sh -q" suffix="SUF \'a b\'" ignoreError="false"/></plugin>' }));
    const cmd = c.plugins.command!;
    assert.deepEqual([cmd.prefix, cmd.suffix, cmd.ignoreError], ['/usr/local/bin/hook.sh -q', "SUF 'a b'", false]);
    assert.deepEqual(cmd.prefixArgs, ['/usr/local/bin/hook.sh', '-q']);
    assert.deepEqual(cmd.suffixArgs, ['SUF', 'a b']);
  });
  it('compiles the include filter when it is on (regex_match on the absolute path)', () => {
    const c = load(stockWith(USE('command'), ['<filter start="false">\n\t    <include', '<filter start="true">\n\t    <include']));
    const inc = c.plugins.command!.filter.includes;
    assert.deepEqual(inc.map((r) => r.expression), ['(.*)\\.php', '(.*)\\.sh']);
    assert.equal(inc[0]!.regex.test('/data/www/p.php'), true);
    assert.equal(inc[0]!.regex.test('/data/www/p.txt'), false);
  });
  it('a bad include regex is not an error while the plugin is not used, but validatePluginFor reports it', () => {
    const c = load(stockWith(['<filter start="false">\n\t    <include', '<filter start="true">\n\t    <include'], ['(.*)\\.sh', '(.*\\.sh']));
    assertConfigError(() => validatePluginFor(c, 'command'), 1, 'plugin command regular expression error', '"(.*\\.sh"');
  });
  it('an unbalanced quote in prefix is reported when the plugin is used', () => {
    const c = load(minimal({ head: `<plugin name="command"><param prefix="/bin/hook 'x" suffix=""/></plugin>` }));
    assertConfigError(() => validatePluginFor(c, 'command'), 1, 'plugin[name=command]/param@prefix');
    assert.equal(c.plugins.command!.prefixArgs, undefined);
  });
  it('an empty prefix is accepted (as in sersync2, the path itself is then the program)', () => {
    const c = load(minimal({ head: '<plugin name="command"><param prefix="" suffix="x"/></plugin>', sersync: '<plugin start="true" name="command"/>' }));
    assert.deepEqual(c.plugins.command!.prefixArgs, []);
  });
  it('without a section, the command plugin runs with the defaults (/bin/sh, no suffix)', () => {
    const c = load(minimal({ sersync: '<plugin start="true" name="command"/>' }));
    assert.equal(c.plugins.command!.prefix, '/bin/sh');
    assert.doesNotThrow(() => validatePluginFor(c, 'command'));
  });
});

describe('plugins: validatePluginFor (for <sersync><plugin> and -m NAME)', () => {
  it('an unknown -m name → 模块名称错误', () => {
    assertConfigError(() => validatePluginFor(load(minimal()), 'mail'), 1, '模块名称错误', 'unknown plugin "mail"');
  });
  it('socket used without its section → the empty-attribute error, with an example section', () => {
    assertConfigError(() => validatePluginFor(load(minimal()), 'socket'), 1, '配置文件错误，一些xml属性不应为空，请检查', 'no <plugin name="socket"> section');
  });
  it('-m http without a section → 模块名称错误 (as sersync2), explaining the extension', () => {
    assertConfigError(() => validatePluginFor(load(minimal()), 'http'), 1, '模块名称错误', 'sersync-ts extension');
  });
  it('refreshCDN: each required attribute that is empty is named (spec §7.3)', () => {
    const attrs: Array<[string, string]> = [
      ['domainname="ccms.chinacache.com"', 'cdninfo@domainname'],
      ['username="xxxx"', 'cdninfo@username'],
      ['passwd="xxxx"', 'cdninfo@passwd'],
      ['base="http://pic.xoyo.com/cms"', 'sendurl@base'],
      ['regex="false"', 'regexurl@regex'],
      ['match="cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images"', 'regexurl@match'],
      ['watch="/data0/htdocs/cms.xoyo.com/site/"', 'plugin[name=refreshCDN]/localpath@watch'],
    ];
    for (const [attr, name] of attrs) {
      const c = load(stockWith([attr, attr.replace(/"[^"]*"$/, '""')]));
      assertConfigError(() => validatePluginFor(c, 'refreshCDN'), 1, '配置文件错误，一些xml属性不应为空，请检查', name);
    }
  });
  it('refreshCDN: an unused section with empty attributes loads fine', () => {
    const c = load(stockWith(['username="xxxx"', 'username=""']));
    assert.equal(c.plugins.refreshCDN!.userName, '');
  });
  it('refreshCDN: regex="true" compiles match for regex_search; an invalid match is reported', () => {
    const ok = load(stockWith(['regex="false"', 'regex="true"']));
    const re = ok.plugins.refreshCDN!.regexUrl.regex!;
    assert.equal(re.exec('/data0/htdocs/cms.xoyo.com/site/a/b.xoyo.com/images/x.jpg')?.[1], '/a/b');
    const bad = load(stockWith(['regex="false"', 'regex="true"'], ['match="cms', 'match="(cms']));
    assertConfigError(() => validatePluginFor(bad, 'refreshCDN'), 1, 'regexurl@match', 'not a valid regular expression');
  });
  it('socket: a bad port is reported', () => {
    const c = load(stockWith(['port="8009"', 'port="80x"']));
    assert.ok(Number.isNaN(c.plugins.socket!.port));
    assertConfigError(() => validatePluginFor(c, 'socket'), 1, 'deshost@port "80x" is not a TCP port');
  });
  it('the stock sections pass for command, socket and refreshCDN', () => {
    const c = load(stockWith());
    for (const n of ['command', 'socket', 'refreshCDN']) assert.doesNotThrow(() => validatePluginFor(c, n), n);
  });
});

describe('plugins: http is accepted as a sersync-ts extension only with its section', () => {
  it('<sersync><plugin name="http" start="true"> with a deshost url loads', () => {
    const c = load(minimal({ head: HTTP, sersync: '<plugin start="true" name="http"/>' }));
    assert.deepEqual(c.plugins.http, { watch: '/data/hook', url: 'http://127.0.0.1:8080/hook', port: '8080', problems: [] });
    assert.deepEqual(c.plugin, { enabled: true, name: 'http' });
  });
  it('an http section without url is refused with sersync2\'s plugin error', () => {
    const text = minimal({ head: '<plugin name="http"><localpath watch="/x"><deshost port="1"/></localpath></plugin>', sersync: '<plugin start="true" name="http"/>' });
    assertConfigError(() => load(text), 1, 'sersync plugin error');
  });
  it('a url that is not http(s) is reported', () => {
    const c = load(minimal({ head: '<plugin name="http"><localpath watch="/x"><deshost url="ftp://x"/></localpath></plugin>' }));
    assertConfigError(() => validatePluginFor(c, 'http'), 1, 'is not an http:// or https:// URL');
  });
});

describe('plugins: the watch root W (spec §2.4, §7.6)', () => {
  it('without a plugin, W is the sersync localpath', () => {
    assert.equal(effectiveWatchRoot(load(minimal()), {}), '/data/www');
  });
  it('with the command plugin, W is still the sersync localpath (trailing slash stripped)', () => {
    const c = load(minimal({ localpath: '<localpath watch="/data/www/"><remote ip="1.1.1.1" name="m"/></localpath>', sersync: '<plugin start="true" name="command"/>' }));
    assert.equal(effectiveWatchRoot(c, {}), '/data/www');
    assert.equal(c.warnings.some((w) => w.includes('moves the watch root')), false);
  });
  it('with the socket plugin in sync mode, W moves to the socket localpath, with a warning', () => {
    const c = load(minimal({ head: SOCKET, sersync: '<plugin start="true" name="socket"/>' }));
    assert.equal(effectiveWatchRoot(c, {}), '/data/sock');
    assert.equal(c.plugins.socket!.watch, '/data/sock/'); // kept as written in the section
    assert.match(warningWith(c, 'moves the watch root'), /\/data\/sock/);
  });
  it('with refreshCDN in sync mode, W is its (stripped) watch', () => {
    const c = load(stockWith(USE('refreshCDN')));
    assert.equal(effectiveWatchRoot(c, {}), '/data0/htdocs/cms.xoyo.com/site');
    warningWith(c, 'moves the watch root');
  });
  it('-m NAME picks that plugin\'s watch path, whatever <sersync><plugin> says', () => {
    const c = load(stockWith(['<plugin name="socket">\n\t<localpath watch="/opt/tongbu">', '<plugin name="socket">\n\t<localpath watch="/srv/sock/">']));
    assert.equal(effectiveWatchRoot(c, { plugin: 'socket', pluginOnly: true }), '/srv/sock');
    assert.equal(effectiveWatchRoot(c, { plugin: 'refreshCDN', pluginOnly: true }), '/data0/htdocs/cms.xoyo.com/site');
    assert.equal(effectiveWatchRoot(c, { plugin: 'command', pluginOnly: true }), '/opt/tongbu');
  });
  it('an unknown or section-less plugin is a ConfigError, not a crash', () => {
    const c = load(minimal());
    assertConfigError(() => effectiveWatchRoot(c, { plugin: 'socket' }), 1, 'no <plugin name="socket"> section');
    assertConfigError(() => effectiveWatchRoot(c, { plugin: 'nope' }), 1, '模块名称错误');
  });
});
