import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRsyncEscapes, parseListing } from '../../src/fullsync/listing.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('fullsync listing: rsync --out-format="%i %n" output, byte-exact', () => {
  it('decodes \\#ooo escapes to the byte they stand for', () => {
    assert.equal(decodeRsyncEscapes('new\\#012line'), 'new\nline');
    assert.equal(decodeRsyncEscapes('tab\\#011x\\#177'), 'tab\tx\x7f');
  });
  it('turns an escaped backslash before "#ddd" back into a literal backslash', () => {
    // rsync escapes the backslash of a literal `\#012` in a name as \#134.
    assert.equal(decodeRsyncEscapes('bad\\#134#012x'), 'bad\\#012x');
  });
  it('leaves a backslash that is not an escape alone', () => {
    assert.equal(decodeRsyncEscapes('a\\b\\#9x'), 'a\\b\\#9x');
  });

  it('reads types from the itemize field and drops the directory slash', () => {
    const out = latin1(
      ['>f+++++++++ a.txt', 'cd+++++++++ d/', 'cL+++++++++ d/link', 'cD+++++++++ dev', 'cS+++++++++ fifo', ''].join('\n'),
    );
    const { entries } = parseListing(out);
    assert.deepEqual(
      [...entries],
      [
        ['a.txt', 'file'],
        ['d', 'dir'],
        ['d/link', 'symlink'],
        ['dev', 'device'],
        ['fifo', 'special'],
      ],
    );
  });

  it('keeps hostile names exactly: raw high bytes, leading/trailing spaces, " -> ", escaped newline', () => {
    const out = Buffer.concat([
      latin1('>f+++++++++ '),
      Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]),
      latin1('\n>f+++++++++   two leading and trailing  \n'),
      latin1('cL+++++++++ ln -> k\n'),
      latin1('>f+++++++++ new\\#012line\n'),
      latin1('>f+++++++++ sub/star*?[x]\n'),
    ]);
    const { entries } = parseListing(out);
    assert.deepEqual([...entries.keys()], ['bad\xff\xfe', '  two leading and trailing  ', 'ln -> k', 'new\nline', 'sub/star*?[x]']);
  });

  it('leaves out the root and counts chatter lines (e.g. from -v in commonParams)', () => {
    const out = latin1(['sending incremental file list', 'cd+++++++++ ./', '>f+++++++++ a', '', 'sent 45 bytes  received 12 bytes', 'total size is 0  speedup is 0.00', ''].join('\n'));
    const r = parseListing(out);
    assert.deepEqual([...r.entries.keys()], ['a']);
    assert.equal(r.ignoredLines, 3);
  });
});
