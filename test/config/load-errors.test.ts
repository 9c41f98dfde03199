import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { formatSersync2XmlError, loadConfig } from '../../src/config/load.js';
import { assertConfigError, load, minimal, stockWith, tempDir, writeTemp } from './tmpconfig.js';

describe('config errors: XML level (exit 255, spec §1.3)', () => {
  it('a missing file → File not found, at line 0, column 0', () => {
    const file = path.join(tempDir(), 'nope.xml');
    const e = assertConfigError(() => loadConfig(file), 255, file, 'file not found', '-o FILE');
    assert.equal(e.detail, 'Error: File not found');
    assert.equal(e.line, 0);
    assert.equal(e.col, 0);
  });
  it('a relative file name is looked up in opts.cwd', () => {
    const dir = tempDir();
    const abs = writeTemp(minimal());
    const rel = path.relative(dir, abs);
    assert.equal(loadConfig(rel, { cwd: dir }).localPath, '/data/www');
    assertConfigError(() => loadConfig('confxml.xml', { cwd: dir }), 255, 'confxml.xml: XML error: file not found');
  });
  it('an empty file → No XML data', () => {
    const e = assertConfigError(() => load(''), 255, 'the file is empty');
    assert.equal(e.detail, 'Error: No XML data');
  });
  it('a root element other than <head> → First Tag not found', () => {
    const e = assertConfigError(() => load('<root><sersync/></root>'), 255, 'root element must be <head>', 'found <root>', "First Tag should be 'head'");
    assert.equal(e.detail, 'Error: First Tag not found');
    assert.equal(e.line, 0);
  });
  it('a file with only blanks and comments → First Tag not found', () => {
    assertConfigError(() => load('  \n<!-- nothing -->\n'), 255, 'no element found');
  });
  it('an unclosed tag → Unmatched end tag, with the line and column of the closing tag met', () => {
    const text = '<head>\n  <sersync>\n</head>\n';
    const e = assertConfigError(() => load(text), 255, ':3:1: XML error: unclosed tag <sersync> (opened at line 2, col 3)', 'every element must be closed');
    assert.equal(e.detail, 'Warning: Unmatched end tag');
    assert.deepEqual([e.line, e.col], [3, 1]);
  });
  it('a tag still open at the end of the file points at that tag', () => {
    const e = assertConfigError(() => load('<head>\n  <sersync>\n'), 255, ':2:3: XML error: unclosed tag <sersync> at the end of the file');
    assert.deepEqual([e.line, e.col], [2, 3]);
  });
  it('a stray closing tag → Unmatched end tag', () => {
    const e = assertConfigError(() => load('</x>\n<head/>'), 255, 'closing tag </x> has no opening tag');
    assert.equal(e.detail, 'Error: Unmatched end tag');
  });
  it('an attribute with an open quote → Missing end of quote', () => {
    const e = assertConfigError(() => load('<head>\n <debug start="true/>\n</head>'), 255, ':2:', 'open quote');
    assert.equal(e.detail, 'Warning: Missing end of quote');
  });
  it('an unquoted attribute value is an XML error', () => {
    assertConfigError(() => load(stockWith(['<debug start="false"/>', '<debug start=false/>'])), 255, ':4:', "Attribute 'start' is without value", 'name="value"');
  });
  it('markup the parser cannot read (a stray "<!") is an XML error at its position, not a crash', () => {
    const e = assertConfigError(() => load('<head>\n  <!"-- x -->\n</head>'), 255, ':2:3: XML error: malformed markup');
    assert.equal(e.detail, 'Error: Unexpected token found');
  });
  it('formatSersync2XmlError gives sersync2\'s exact 3-line block', () => {
    assert.equal(
      formatSersync2XmlError('confxml.xml', 'Error: File not found', 0, 0),
      "XML Parsing error inside file 'confxml.xml'.\nError: File not found\nAt line 0, column 0.\n",
    );
    assert.equal(
      formatSersync2XmlError('c.xml', 'Error: First Tag not found', 0, 0),
      "XML Parsing error inside file 'c.xml'.\nError: First Tag not found\nAt line 0, column 0.\nFirst Tag should be 'head'.\n",
    );
  });
  it('the error carries the aliases the CLI reads (xmlDetail, column)', () => {
    const e = assertConfigError(() => load('<head>\n<a></b></head>'), 255);
    assert.equal(e.xmlDetail, e.detail);
    assert.equal(e.column, e.col);
  });
});

describe('config errors: sersync2\'s exit-1 cases (spec §1.3)', () => {
  it('no <localpath> → "ERROR,You must specify the watch localpath"', () => {
    assertConfigError(() => load('<head><sersync><rsync/></sersync></head>'), 1, 'ERROR,You must specify the watch localpath', '<localpath watch=');
  });
  it('no <sersync> at all → the same error', () => {
    assertConfigError(() => load('<head><debug start="false"/></head>'), 1, 'ERROR,You must specify the watch localpath');
  });
  it('watch="" → "the path your watch don\'t exists", naming the attribute', () => {
    assertConfigError(() => load(stockWith(['watch="/opt/tongbu">\n\t    <remote', 'watch="">\n\t    <remote'])), 1, "the path your watch don't exists", 'is empty', 'watch="/data/www"');
  });
  it('a localpath without a watch attribute → the same error, saying it is missing', () => {
    assertConfigError(() => load(minimal({ localpath: '<localpath><remote ip="1.2.3.4" name="m"/></localpath>' })), 1, "the path your watch don't exists", 'is missing');
  });
  it('no <remote> → "error there are no remote servers in your config xml"', () => {
    assertConfigError(() => load(stockWith(['<remote ip="127.0.0.1" name="tongbu1"/>', ''])), 1, 'error there are no remote servers in your config xml', '<remote ip=');
  });
  it('a remote with an empty ip → "error remote servers ip and moudle empty see config xml"', () => {
    assertConfigError(() => load(stockWith(['ip="127.0.0.1"', 'ip=""'])), 1, 'error remote servers ip and moudle empty see config xml', '<remote> ip must not be empty');
  });
  it('a remote with an empty name → the same error, naming name', () => {
    assertConfigError(() => load(stockWith(['name="tongbu1"', 'name=""'])), 1, 'error remote servers ip and moudle empty see config xml', '<remote> name must not be empty');
  });
  it('a remote with neither attribute → names both', () => {
    assertConfigError(() => load(minimal({ localpath: '<localpath watch="/w"><remote/></localpath>' })), 1, 'ip and name must not be empty');
  });
  it('messages carry file:line:col of the element', () => {
    const e = assertConfigError(() => load('<head>\n<sersync>\n  <localpath watch="/w">\n    <remote ip="" name="m"/>\n'.concat('</localpath></sersync></head>')), 1);
    assert.match(e.message, /confxml\.xml:4:5: error remote servers/);
  });
});

describe('config errors: sersync-ts refuses what sersync2 would silently misread', () => {
  it('an invalid main-filter regex (sersync2 skips it) names the expression, the element and the JS reason', () => {
    const text = stockWith(['<filter start="false">', '<filter start="true">'], ['(.*)\\.gz', '(.*\\.gz']);
    assertConfigError(() => load(text), 1, 'invalid regular expression "(.*\\.gz"', 'filter/exclude@expression', 'Unterminated group');
  });
  it('an invalid regex in a filter that is off is not compiled and not an error', () => {
    const c = load(stockWith(['(.*)\\.gz', '(.*\\.gz']));
    assert.deepEqual(c.filter.excludes, []);
  });
  it('a non-numeric failLog@timeToExecute is an error asking for whole minutes', () => {
    assertConfigError(() => load(stockWith(['timeToExecute="60"', 'timeToExecute="1h"'])), 1, 'failLog@timeToExecute="1h"', 'whole number of minutes');
    assertConfigError(() => load(stockWith(['timeToExecute="60"', 'timeToExecute="1.5"'])), 1, 'failLog@timeToExecute');
  });
  it('a negative failLog@timeToExecute is an error', () => {
    assertConfigError(() => load(stockWith(['timeToExecute="60"', 'timeToExecute="-5"'])), 1, 'failLog@timeToExecute="-5" is negative');
  });
  it('an unbalanced quote in commonParams is an error naming the attribute', () => {
    assertConfigError(() => load(stockWith(['params="-artuz"', `params="-az --rsh='ssh -p 22"`])), 1, 'rsync/commonParams@params', 'unbalanced single quote');
  });
  it('shell syntax in commonParams (a ; or a $VAR) is an error, as no shell runs rsync', () => {
    assertConfigError(() => load(stockWith(['params="-artuz"', 'params="-az; touch /tmp/x"'])), 1, 'rsync/commonParams@params', 'unquoted shell operator');
    assertConfigError(() => load(stockWith(['params="-artuz"', 'params="-az --password-file=$HOME/p"'])), 1, 'shell expansion');
  });
  it('<userDefinedPort start="true"> without port is an error', () => {
    assertConfigError(() => load(stockWith(['<userDefinedPort start="false" port="874"/>', '<userDefinedPort start="true"/>'])), 1, '<userDefinedPort start="true"> needs port="N"');
  });
  it('<timeout start="true"> without time is an error', () => {
    assertConfigError(() => load(stockWith(['<timeout start="false" time="100"/>', '<timeout start="true"/>'])), 1, '<timeout start="true"> needs time=');
  });
});

describe('config errors: <sersync><plugin> (spec §7)', () => {
  it('an unknown plugin name → "sersync plugin error，please confirm the config xml" (full-width comma)', () => {
    const e = assertConfigError(
      () => load(stockWith(['<plugin start="false" name="command"/>', '<plugin start="true" name="mail"/>'])),
      1,
      'sersync plugin error\uff0cplease confirm the config xml',
      'name="mail"',
      'command, socket or refreshCDN',
    );
    assert.match(e.message, /:\d+:\d+: /);
  });
  it('plugin names compare exactly: "Command" is unknown', () => {
    assertConfigError(() => load(stockWith(['<plugin start="false" name="command"/>', '<plugin start="true" name="Command"/>'])), 1, 'sersync plugin error');
  });
  it('http without a <plugin name="http"> section is refused like sersync2 (case 36)', () => {
    assertConfigError(() => load(stockWith(['<plugin start="false" name="command"/>', '<plugin start="true" name="http"/>'])), 1, 'sersync plugin error', 'http needs a <plugin name="http">');
  });
  it('an unknown plugin that is off is ignored', () => {
    assert.equal(load(stockWith(['<plugin start="false" name="command"/>', '<plugin start="false" name="mail"/>'])).plugin.name, 'mail');
  });
  it('a bad regex in the command include filter → "plugin command regular expression error" + the expression', () => {
    const text = stockWith(
      ['<plugin start="false" name="command"/>', '<plugin start="true" name="command"/>'],
      ['<filter start="false">\n\t    <include', '<filter start="true">\n\t    <include'],
      ['(.*)\\.sh', '*.sh'],
    );
    assertConfigError(() => load(text), 1, 'plugin command regular expression error', 'filter/include@expression "*.sh"', 'Nothing to repeat');
  });
  it('refreshCDN in use with an empty required attribute → "配置文件错误，一些xml属性不应为空，请检查" naming it', () => {
    const text = stockWith(['<plugin start="false" name="command"/>', '<plugin start="true" name="refreshCDN"/>'], ['username="xxxx"', 'username=""']);
    assertConfigError(() => load(text), 1, '配置文件错误，一些xml属性不应为空，请检查', 'plugin[name=refreshCDN]/localpath/cdninfo@username');
  });
  it('socket in use with a host name instead of an IPv4 address is an error', () => {
    const text = stockWith(['<plugin start="false" name="command"/>', '<plugin start="true" name="socket"/>'], ['ip="192.168.138.20"', 'ip="example.com"']);
    assertConfigError(() => load(text), 1, 'deshost@ip "example.com" is not an IPv4 address');
  });
});
