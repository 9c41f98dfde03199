// The walk + filter list builder on a real tree (rsync lists, plan.ts filters),
// with hostile names: newline, invalid UTF-8, a literal `\#012`, leading
// spaces, ` -> `, glob characters.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileBoostRegex } from '../../src/config/regex.js';
import { PathFilter } from '../../src/filter/pathFilter.js';
import { localPushList } from '../../src/fullsync/fullSync.js';
import { fromText } from '../../src/util/bytepath.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { writeTree } from '../helpers/tree.js';
import { stockConfig } from '../rsync/configFixture.js';

after(() => removeTempDirs());

function filter(...exprs: string[]): PathFilter {
  return new PathFilter(exprs.map((expression) => ({ expression, regex: compileBoostRegex(expression) })));
}

const HOSTILE: Array<[Buffer, string]> = [
  [Buffer.from('new\nline.txt'), 'n'],
  [Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x74, 0x78, 0x74]), 'invalid utf-8'],
  [Buffer.from('lit\\#012eral'), 'backslash-hash'],
  [Buffer.from('  leading spaces'), 's'],
  [Buffer.from('a -> b'), 'arrow'],
  [Buffer.from('glob*?[x]'), 'g'],
  [Buffer.from('d\nir/in\xffner.gz', 'latin1'), 'excluded by (.*)\\.gz'],
  [Buffer.from('d\nir/keep'), 'k'],
  [Buffer.from('.hidden'), 'dot'],
  [Buffer.from('info/i.txt'), 'pruned dir'],
  [Buffer.from('info/deep/x.txt'), 'pruned subtree'],
  [Buffer.from('sub/info/i.txt'), 'not the root info'],
  [Buffer.from('p/x.php'), 'crontab glob'],
  [Buffer.from('cron/sub/deep.txt'), 'below a crontab-excluded dir'],
];

describe('fullsync: the local push list (rsync listing + main filter + crontab excludes)', () => {
  it('lists every hostile name byte-exactly and drops what the filters drop', async () => {
    const root = await makeTempDir('fullsync-list');
    await writeTree(root, HOSTILE);
    const config = stockConfig((c) => void (c.localPath = fromText(root)));
    const list = await localPushList(config, fromText(root), filter('(.*)\\.gz', '^info/*'), ['*.php', 'cron/*'], { reason: 'test' });
    assert.equal(list.ok, true);
    assert.equal(list.complete, true);
    const expected = [
      'new\nline.txt',
      'bad\xff.txt',
      'lit\\#012eral',
      '  leading spaces',
      'a -> b',
      'glob*?[x]',
      'd\nir',
      'd\nir/keep',
      '.hidden',
      'sub',
      'sub/info',
      'sub/info/i.txt',
      'p',
      'cron',
    ].sort();
    assert.deepEqual(list.rels, expected);
    // info/ (start-up string) is pruned with its subtree; d\nir/in\xffner.gz by the runtime string.
    assert.equal(list.excluded, 5);
  });

  it('fails (and never returns an empty list as if the tree were empty) when W cannot be listed', async () => {
    const config = stockConfig();
    const list = await localPushList(config, '/nonexistent/sersync-ts-test', null, [], { reason: 'test' });
    assert.equal(list.ok, false);
    assert.match(list.error ?? '', /cannot list/);
  });
});
