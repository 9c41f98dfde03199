import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formEncode, httpBody } from '../../src/plugins/http.js';
import { pluginEvent } from '../../src/plugins/event.js';
import { fromText } from '../../src/util/bytepath.js';

describe('http plugin: POST body (spec §7.4, sersync-ts extension)', () => {
  it('has the four fields of sersync2\'s HttpInterface in its order', () => {
    const ev = pluginEvent('/data/www', 'a.txt', false, 'sync');
    assert.equal(httpBody('/data/www', ev), 'watchroot=%2Fdata%2Fwww&isdir=0&inotifyPath=%2Fdata%2Fwww%2Fa.txt&mask=8');
  });

  it('says isdir=1 and gives the directory-create mask for a new directory', () => {
    const ev = pluginEvent('/data/www', 'sub/dd', true, 'sync');
    assert.equal(httpBody('/data/www', ev), `watchroot=%2Fdata%2Fwww&isdir=1&inotifyPath=%2Fdata%2Fwww%2Fsub%2Fdd&mask=${0x40000100}`);
  });

  it('form-encodes the values so & = + % and spaces survive a standard parser', () => {
    const abs = fromText('/w/a&b=c+d%e f é.txt');
    const body = httpBody('/w', pluginEvent('/w', abs.slice(3), false, 'delete'));
    const parsed = new URLSearchParams(body);
    assert.equal(parsed.get('inotifyPath'), '/w/a&b=c+d%e f é.txt');
    assert.equal(parsed.get('mask'), '512');
    assert.equal(parsed.get('watchroot'), '/w');
  });

  it('encodes bytes, not characters: a name that is not UTF-8 keeps its exact bytes', () => {
    assert.equal(formEncode('/w/\xff\xfe'), '%2Fw%2F%FF%FE');
  });

  it('leaves A-Z a-z 0-9 * - . _ alone and writes a space as +', () => {
    assert.equal(formEncode('Az09*-._ '), 'Az09*-._+');
  });
});
