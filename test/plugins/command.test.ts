import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commandArgv, commandIncludes, commandLineText, commandWords } from '../../src/plugins/command.js';
import { fromText } from '../../src/util/bytepath.js';
import { commandConfig } from './fixtures.js';

describe('command plugin: include filter (spec §7.1)', () => {
  it('lets everything through when the filter is off', () => {
    assert.equal(commandIncludes(commandConfig(), '/data/www/p.txt'), true);
  });

  it('runs only for absolute paths that some include matches as a whole', () => {
    const cfg = commandConfig({ includes: ['(.*)\\.php', '(.*)\\.sh'] });
    assert.equal(commandIncludes(cfg, '/data/www/p.php'), true);
    assert.equal(commandIncludes(cfg, '/data/www/sub/x.sh'), true);
    assert.equal(commandIncludes(cfg, '/data/www/p.txt'), false);
    assert.equal(commandIncludes(cfg, '/data/www/p.php.bak'), false, 'regex_match: the whole string');
  });

  it('matches the absolute path, not the relative one', () => {
    const cfg = commandConfig({ includes: ['/data/www/[^/]*'] });
    assert.equal(commandIncludes(cfg, '/data/www/p.txt'), true);
    assert.equal(commandIncludes(cfg, '/data/www/sub/p.txt'), false);
  });
});

describe('command plugin: argv (no shell)', () => {
  it('is prefix words, the path as one element, suffix words', () => {
    const words = commandWords(commandConfig({ prefix: '/usr/local/bin/hook.sh', suffix: 'SUF' }));
    assert.deepEqual(commandArgv(words, '/data/www/p.txt'), ['/usr/local/bin/hook.sh', '/data/www/p.txt', 'SUF']);
  });

  it('splits prefix and suffix the way sh would (quotes group words)', () => {
    const words = commandWords(commandConfig({ prefix: "/bin/hook --tag 'a b'", suffix: '"x y" z' }));
    assert.deepEqual(commandArgv(words, '/w/f'), ['/bin/hook', '--tag', 'a b', '/w/f', 'x y', 'z']);
  });

  it('keeps a name full of shell syntax as one untouched element', () => {
    const words = commandWords(commandConfig({ prefix: '/bin/hook' }));
    const abs = fromText('/w/x;touch INJECTED $(id) `id` "q" \'s\'\nnl');
    assert.deepEqual(commandArgv(words, abs), ['/bin/hook', abs]);
  });

  it('with an empty prefix and suffix, the path alone is the command, as in sersync2', () => {
    const words = commandWords(commandConfig({ prefix: '', suffix: '' }));
    assert.deepEqual(commandArgv(words, '/w/run.sh'), ['/w/run.sh']);
  });

  it('uses the words the config loader already split when it provides them', () => {
    const words = commandWords(commandConfig({ prefix: 'ignored', prefixArgs: ['/bin/a', 'b c'], suffixArgs: [] }));
    assert.deepEqual(commandArgv(words, '/w/f'), ['/bin/a', 'b c', '/w/f']);
  });

  it('shows the command line quoted for sh in logs', () => {
    assert.equal(commandLineText(['/bin/hook', '/w/x;touch INJECTED', 'SUF']), "/bin/hook '/w/x;touch INJECTED' SUF");
  });
});
